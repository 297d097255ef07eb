using System.Diagnostics;
using System.Text;

namespace Reconciler.Controller.Tests.Support;

/// <summary>
/// The real `reconciler` executable started in the background (for verbs that follow, such as events), with
/// an environment of the test's choice; what it prints is collected as it comes.
/// </summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public CliProcess(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo(ReconcilerProcess.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                psi.Environment.Remove(key);
            }
            else
            {
                psi.Environment[key] = value;
            }
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + ReconcilerProcess.Executable);
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    public bool HasExited => _process.HasExited;

    /// <summary>Runs to the end (two minutes at most) and returns what it printed.</summary>
    public static ReconcilerProcess.Result Run(IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        using var p = new CliProcess(environment, args);
        var code = p.WaitForExit(TimeSpan.FromMinutes(2));
        return new ReconcilerProcess.Result(code, p.Stdout, p.Stderr);
    }

    /// <summary>Waits for the exit and for everything it printed; returns the exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException("reconciler did not exit in time; it printed: " + Stdout + Stderr);
        }

        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal does.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-INT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static void Append(StringBuilder sb, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (sb)
        {
            sb.Append(line).Append('\n');
        }
    }

    private static string Read(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
