using System.Text;
using Reconciler.Schema.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>
/// A command the host runs: the program (a full path, or a bare name looked up in PATH, as libvirt has it)
/// and its arguments, without a shell in between. Two commands are equal when program and arguments are.
/// </summary>
public sealed record HostCommand(string Program, ValueList<string> Args)
{
    public HostCommand(string program, params string[] args)
        : this(program, new ValueList<string>(args))
    {
    }

    /// <summary>The program's file name (g_path_get_basename).</summary>
    public string ProgramName
    {
        get
        {
            var trimmed = Program.TrimEnd('/');
            if (trimmed.Length == 0)
            {
                return Program.Length == 0 ? "." : "/";
            }

            var slash = trimmed.LastIndexOf('/');
            return slash < 0 ? trimmed : trimmed[(slash + 1)..];
        }
    }

    /// <summary>This command with more arguments at the end.</summary>
    public HostCommand With(params string[] args) => this with { Args = new ValueList<string>(Args.Concat(args)) };

    /// <summary>
    /// The command as libvirt's tests write it (virCommandToStringFull with line breaks and the program's
    /// directory stripped): the program, then each argument on its own line, an option and the values that
    /// follow it sharing a line, lines joined by " \" and each word quoted for the shell when it needs it.
    /// No newline at the end.
    /// </summary>
    public string ToArgv() => Format(ProgramName, lineBreaks: true);

    /// <summary>The command as one shell line, with the full program path.</summary>
    public override string ToString() => Format(Program, lineBreaks: false);

    private string Format(string program, bool lineBreaks)
    {
        var sb = new StringBuilder();
        ShellQuote.Append(sb, program);
        var hadOption = false;
        for (var i = 0; i < Args.Count; i++)
        {
            sb.Append(' ');
            if (lineBreaks)
            {
                // No line break before a value that follows an option, once an option has been seen and
                // another option is still to come (or this value is the option's own).
                var lineBreak = true;
                if (!Args[i].StartsWith('-'))
                {
                    if (hadOption)
                    {
                        for (var j = i - 1; j < Args.Count; j++)
                        {
                            if (Args[j].StartsWith('-'))
                            {
                                lineBreak = false;
                                break;
                            }
                        }
                    }
                }
                else
                {
                    hadOption = true;
                }

                if (lineBreak)
                {
                    sb.Append("\\\n");
                }
            }

            ShellQuote.Append(sb, Args[i]);
        }

        return sb.ToString();
    }
}
