using System.CommandLine;
using System.Text;
using System.Text.Json;
using Reconciler.Schema;

namespace Reconciler.Controller.Cli;

/// <summary>`reconciler validate`: checks spec files as libvirt 9.0.0 would, with file:line:col for every error.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Spec files, or directories whose *.xml files (recursively) are checked.",
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "text: 'PATH: valid' or 'PATH:LINE:COL: error: MESSAGE' per error; json: one object per file and line.",
            DefaultValueFactory = _ => "text",
        };
        output.AcceptOnlyFromAmong("text", "json");

        var command = new Command("validate", "Validate libvirt domain, network, pool and volume XML files. Exit status 0 only when every file is valid.")
        {
            paths,
            output,
        };
        command.SetAction(result => Run(result.GetValue(paths) ?? [], result.GetValue(output) == "json", stdout, stderr));
        return command;
    }

    public static int Run(string[] arguments, bool json, TextWriter stdout, TextWriter stderr)
    {
        var files = SpecPaths.Expand(arguments, stderr, out var missing);
        var allValid = !missing;
        foreach (var document in SpecBatch.Load(files))
        {
            allValid &= document.IsValid;
            stdout.Write(json ? Json(document) : Text(document));
        }

        stdout.Flush();
        return allValid ? 0 : 1;
    }

    private static string Text(SpecDocument document)
    {
        if (document.IsValid)
        {
            return $"{document.Path}: valid\n";
        }

        var sb = new StringBuilder();
        foreach (var error in document.Errors)
        {
            sb.Append(error.ToString(document.Path)).Append('\n');
        }

        return sb.ToString();
    }

    private static string Json(SpecDocument document)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("path", document.Path);
            if (document.Kind is { } kind)
            {
                writer.WriteString("kind", kind.Name());
            }
            else
            {
                writer.WriteNull("kind");
            }

            writer.WriteBoolean("valid", document.IsValid);
            if (document.Errors.Count > 0)
            {
                writer.WriteString("message", document.Errors[0].Message);
            }
            else
            {
                writer.WriteNull("message");
            }

            writer.WriteStartArray("errors");
            foreach (var error in document.Errors)
            {
                writer.WriteStartObject();
                writer.WriteString("message", error.Message);
                writer.WriteString("code", error.CodeName);
                writer.WriteNumber("line", error.Line);
                writer.WriteNumber("column", error.Column);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
