using Xunit;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Reconciler.Controller.Tests.Support;

/// <summary>A real `reconciler run` process on temporary spec and state directories.</summary>
internal sealed partial class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public DaemonProcess(string specs, string state, params string[] extra)
        : this(specs, state, new Dictionary<string, string>(), extra)
    {
    }

    public DaemonProcess(string specs, string state, IReadOnlyDictionary<string, string> environment, params string[] extra)
    {
        Specs = specs;
        State = state;
        var psi = new ProcessStartInfo(ReconcilerProcess.Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        string[] host = extra.Contains("--host") ? [] : ["--host", "test-host"];
        foreach (var a in (string[])["run", "--specs", specs, "--state", state, .. host, .. extra])
        {
            psi.ArgumentList.Add(a);
        }

        // Tests kill daemons with SIGKILL by the hundred: without this, each left its diagnostics IPC socket
        // and debugger pipes in /tmp.
        psi.Environment["DOTNET_EnableDiagnostics"] = "0";
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start the daemon");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Specs { get; }

    public string State { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Once the process has exited: waits until everything it wrote is in <see cref="Output"/>.</summary>
    public void WaitForOutput() => _process.WaitForExit();

    /// <summary>The persisted status: kind/name → (sync, health, message, conditions).</summary>
    public Dictionary<string, JsonElement> Status()
    {
        var path = Path.Combine(State, "controller-status.json");
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                return doc.RootElement.EnumerateArray()
                    .Where(e => e.GetProperty("record").TryGetProperty("status", out var s) && s.ValueKind == JsonValueKind.Object)
                    .ToDictionary(e => $"{e.GetProperty("kind").GetString()!.ToLowerInvariant()}/{e.GetProperty("name").GetString()}", e => e.GetProperty("record").GetProperty("status").Clone());
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return []; // the daemon has not written a status yet (or not even made its state directory)
            }
            catch (Exception e) when (e is IOException or JsonException && attempt < 20)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds on the status, or fails with what the status and the log say.</summary>
    public void WaitFor(Func<Dictionary<string, JsonElement>, bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var status = Status();
            if (condition(status))
            {
                return;
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}\nstatus:\n{string.Join("\n", status.Select(p => $"{p.Key}: {p.Value}"))}\nlog:\n{Output}");
            }

            Thread.Sleep(50);
        }
    }

    /// <summary>SIGKILL: the daemon dies at once, as in a crash.</summary>
    public void KillHard()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, then waits for the exit.</summary>
    public void Terminate(int seconds = 35)
    {
        if (!_process.HasExited)
        {
            _ = Kill(_process.Id, 15);
        }

        Assert.True(_process.WaitForExit(TimeSpan.FromSeconds(seconds)), "the daemon did not exit after SIGTERM\n" + Output);
    }

    /// <summary>SIGSTOP: the daemon stops running (and reading its watcher) until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        Assert.Equal(0, Kill(_process.Id, 19));

        // kill(2) returns before every thread has stopped: wait until each one is (state T in its stat).
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (!Directory.EnumerateDirectories($"/proc/{_process.Id}/task").All(Stopped))
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), "the daemon's threads did not all stop after SIGSTOP");
            Thread.Sleep(1);
        }

        static bool Stopped(string task)
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('T');
            }
            catch (IOException)
            {
                return true; // the thread is gone
            }
        }
    }

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Assert.Equal(0, Kill(_process.Id, 18));

    public void Dispose()
    {
        KillHard();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
