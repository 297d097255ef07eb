using System.Diagnostics;

namespace Reconciler.Runtime.Tests.Support;

/// <summary>Runs a host program (qemu-img, qemu-io) and returns its exit code with stdout and stderr together.</summary>
internal static class HostTool
{
    public static (int ExitCode, string Output) Run(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        // Both pipes are drained at once so that a chatty program cannot block on a full one.
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout + stderr.Result);
    }

    public static (int ExitCode, string Output) QemuImg(params string[] args) => Run("qemu-img", args);
}
