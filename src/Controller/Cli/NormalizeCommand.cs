using System.CommandLine;
using Reconciler.Schema;

namespace Reconciler.Controller.Cli;

/// <summary>`reconciler normalize`: the effective XML libvirt 9.0.0 would show after defining each file.</summary>
internal static class NormalizeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Spec files, or directories whose *.xml files (recursively) are normalized.",
        };
        var outDir = new Option<string?>("--out-dir")
        {
            Description = "Write DIR/<file name> for each valid file (required for more than one file; otherwise stdout).",
        };

        var command = new Command("normalize", "Print the effective definition (defaults filled in, libvirt's order and format), as `virsh dumpxml --inactive` shows after `virsh define`.")
        {
            paths,
            outDir,
        };
        command.SetAction(result => Run(result.GetValue(paths) ?? [], result.GetValue(outDir), stdout, stderr));
        return command;
    }

    public static int Run(string[] arguments, string? outDir, TextWriter stdout, TextWriter stderr)
    {
        var files = SpecPaths.Expand(arguments, stderr, out var missing);
        if (outDir is null && files.Count > 1)
        {
            stderr.WriteLine("error: several files need --out-dir DIR; one file is written to stdout");
            return 2;
        }

        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
        }

        var ok = !missing;
        foreach (var document in SpecBatch.Load(files))
        {
            if (!document.IsValid)
            {
                ok = false;
                foreach (var error in document.Errors)
                {
                    stderr.WriteLine(error.ToString(document.Path));
                }

                continue;
            }

            var xml = document.Format();
            if (outDir is null)
            {
                stdout.Write(xml);
            }
            else
            {
                File.WriteAllText(Path.Combine(outDir, Path.GetFileName(document.Path)), xml);
            }
        }

        stdout.Flush();
        return ok ? 0 : 1;
    }
}
