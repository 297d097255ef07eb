using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Reconciler.Controller.Api;
using Reconciler.Controller.Specs;

namespace Reconciler.Controller.Cli;

/// <summary>
/// <c>reconciler bench converge</c>: generates a spec directory of N domains with their networks, pools and
/// volumes, runs the real daemon (this executable, <c>run</c>) on it and measures what an operator waits
/// for: the cold converge to everything running, one spec edit until its status shows the new revision,
/// the daemon's memory per idle domain, and a restart until every object is converged again.
/// </summary>
internal static class ConvergeBench
{
    private const int DomainMemoryMiB = 128;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var domains = new Option<int>("--domains") { Description = "How many domains to generate (with one volume each, a network and a pool per 1,000)", DefaultValueFactory = _ => 10_000 };
        var edits = new Option<int>("--edits") { Description = "How many spec edits to time, one after the other", DefaultValueFactory = _ => 100 };
        var keep = new Option<bool>("--keep") { Description = "Keep the generated directory (specs, state, images, daemon.log) and print where it is" };
        var command = new Command("converge", "Run the daemon on generated specs and print cold converge time, edit latency, RSS per domain and restart time")
        {
            domains, edits, keep,
        };
        command.SetAction(async (parse, ct) =>
        {
            var n = parse.GetValue(domains);
            var e = parse.GetValue(edits);
            if (n is < 1 or > 100_000 || e < 0)
            {
                await stderr.WriteLineAsync("reconciler bench converge: --domains must be 1..100000 and --edits at least 0").ConfigureAwait(false);
                return 2;
            }

            return await RunAsync(n, e, parse.GetValue(keep), stdout, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(int n, int edits, bool keep, TextWriter stdout, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var root = Path.Combine(Path.GetTempPath(), "reconciler-bench-" + Guid.NewGuid().ToString("N")[..12]);
        var specs = Path.Combine(root, "specs");
        var expected = Generate(specs, Path.Combine(root, "images"), n);
        Daemon.PollInterval = 50;
        await stdout.WriteLineAsync($"generated {n} domains, {expected.Count - (2 * n)} networks and pools, {n} volumes in {specs}").ConfigureAwait(false);

        // Memory is sparse: an idle guest holds a page. Overcommit enough that admission lets every domain start.
        var hostBytes = (double)GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        var overcommit = Math.Max(1.0, Math.Ceiling(n * (double)DomainMemoryMiB * (1 << 20) / hostBytes * 1.2));
        try
        {
            // The daemon's own footprint, over an empty spec directory.
            var empty = Path.Combine(root, "empty");
            Directory.CreateDirectory(empty);
            long baseline;
            await using (var idle = Daemon.Start(root, "idle", empty, overcommit, "--allow-empty"))
            {
                await idle.WaitAsync(async d => (await d.Client.GetAsync<List<ObjectStatusDto>>("v1/status", ct).ConfigureAwait(false)) is not null, TimeSpan.FromMinutes(1), ct).ConfigureAwait(false);
                baseline = idle.RssBytes();
            }

            var daemon = Daemon.Start(root, "daemon", specs, overcommit);
            try
            {
                var cold = await daemon.WaitAsync(d => ConvergedAsync(d, expected, ct), TimeSpan.FromMinutes(30), ct).ConfigureAwait(false);
                await stdout.WriteLineAsync(string.Create(inv, $"cold converge         {cold.TotalSeconds:0.00} s to {n} domains running, every object Synced (target <= 20 s at 10,000)")).ConfigureAwait(false);

                // Idle: the lowest RSS over the next 12 s (the daemon gives back what the converge's garbage held once its queue has stayed empty for 4-6 s).
                var rss = daemon.RssBytes();
                for (var settle = Stopwatch.StartNew(); settle.Elapsed < TimeSpan.FromSeconds(12);)
                {
                    await Task.Delay(250, ct).ConfigureAwait(false);
                    rss = Math.Min(rss, daemon.RssBytes());
                }

                await stdout.WriteLineAsync(string.Create(inv,
                    $"memory                {rss / 1048576.0:0} MiB RSS, {baseline / 1048576.0:0} MiB with no spec: {(rss - baseline) / 1024.0 / n:0.0} KiB per idle domain ({rss / 1024.0 / n:0.0} KiB counting the base) (target <= 30 KiB)")).ConfigureAwait(false);

                if (edits > 0)
                {
                    var latencies = new List<double>();
                    for (var i = 0; i < edits; i++)
                    {
                        var k = (int)((long)i * n / edits);
                        var revision = Edit(specs, k, (i % 2) == 0 ? DomainMemoryMiB - 32 : DomainMemoryMiB);
                        expected[Path.Combine(specs, "domains", $"vm{k}.xml")] = revision;
                        var clock = Stopwatch.StartNew();
                        File.Move(Path.Combine(specs, "domains", $".vm{k}.xml.tmp"), Path.Combine(specs, "domains", $"vm{k}.xml"), overwrite: true);
                        while (true)
                        {
                            var status = await TryGetStatusAsync(daemon.Client, $"vm{k}", ct).ConfigureAwait(false);
                            if (status?.Revision == revision)
                            {
                                break;
                            }

                            if (clock.Elapsed > TimeSpan.FromMinutes(1))
                            {
                                throw new TimeoutException($"the edit of vm{k} did not show in its status within a minute");
                            }
                        }

                        latencies.Add(clock.Elapsed.TotalMilliseconds);
                    }

                    // The first edit of a daemon's life runs the live-apply path for the first time (JIT): shown
                    // on its own, the others make the distribution.
                    var first = latencies[0];
                    if (latencies.Count > 1)
                    {
                        latencies.RemoveAt(0);
                    }

                    latencies.Sort();
                    await stdout.WriteLineAsync(string.Create(inv,
                        $"spec edit             median {Percentile(latencies, 0.5):0.0} ms, p99 {Percentile(latencies, 0.99):0.0} ms, max {latencies[^1]:0.0} ms over {latencies.Count} edits after a first one of {first:0.0} ms, rename to status at the new revision (target <= 20 ms median, <= 100 ms p99)")).ConfigureAwait(false);
                    await daemon.WaitAsync(d => ConvergedAsync(d, expected, ct), TimeSpan.FromMinutes(5), ct).ConfigureAwait(false);
                }

                var stopping = Stopwatch.StartNew();
                daemon.Terminate();
                await stdout.WriteLineAsync(string.Create(inv, $"stop (SIGTERM)        {stopping.Elapsed.TotalSeconds:0.00} s, running domains managed-saved")).ConfigureAwait(false);
            }
            finally
            {
                await daemon.DisposeAsync().ConfigureAwait(false);
            }

            await using (var again = Daemon.Start(root, "daemon", specs, overcommit))
            {
                var first = await again.WaitAsync(d => StatusCompleteAsync(d, expected, ct), TimeSpan.FromMinutes(30), ct).ConfigureAwait(false);
                await stdout.WriteLineAsync(string.Create(inv, $"restart               {first.TotalSeconds:0.00} s to a first complete status (every object at its revision) (target <= 5 s at 10,000)")).ConfigureAwait(false);
                var all = await again.WaitAsync(d => ConvergedAsync(d, expected, ct), TimeSpan.FromMinutes(30), ct).ConfigureAwait(false);
                await stdout.WriteLineAsync(string.Create(inv, $"                      {all.TotalSeconds:0.00} s to every domain running again")).ConfigureAwait(false);
            }

            return 0;
        }
        finally
        {
            if (keep)
            {
                await stdout.WriteLineAsync($"kept {root}").ConfigureAwait(false);
            }
            else
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task<ObjectStatusDto?> TryGetStatusAsync(ApiClient client, string domain, CancellationToken ct)
    {
        try
        {
            return await client.GetAsync<ObjectStatusDto>($"v1/status/domain/{domain}", ct).ConfigureAwait(false);
        }
        catch (ApiRequestException)
        {
            return null;
        }
    }

    /// <summary>Every object has a status of this daemon's own (not one loaded from its last run) at its file's revision.</summary>
    private static async Task<bool> StatusCompleteAsync(Daemon daemon, Dictionary<string, string> expected, CancellationToken ct)
    {
        var client = daemon.Client;
        if ((await client.GetAsync<StatusSummaryDto>("v1/summary", ct).ConfigureAwait(false)) is not { Observed: true } summary || summary.Objects < expected.Count)
        {
            return false;
        }

        daemon.Answered();

        var status = await client.GetAsync<List<ObjectStatusDto>>("v1/status", ct).ConfigureAwait(false);
        var seen = status.Count(s => s.File is { } f && expected.TryGetValue(f, out var revision) && s.Revision == revision);
        return seen == expected.Count;
    }

    /// <summary>Every object Synced and Healthy at its file's revision, and every domain running.</summary>
    private static async Task<bool> ConvergedAsync(Daemon daemon, Dictionary<string, string> expected, CancellationToken ct)
    {
        // The counts first: a short answer while the daemon works (the whole status of 20,000 objects twenty times
        // a second would cost the daemon a good part of a core); the whole status once they say it is done.
        var client = daemon.Client;
        if ((await client.GetAsync<StatusSummaryDto>("v1/summary", ct).ConfigureAwait(false)).Converged < expected.Count)
        {
            return false;
        }

        daemon.Answered();

        var status = await client.GetAsync<List<ObjectStatusDto>>("v1/status", ct).ConfigureAwait(false);
        var done = status.Count(s => s.File is { } f && expected.TryGetValue(f, out var revision) && s.Revision == revision &&
            s.Sync == Controller.Daemon.SyncStatus.Synced && s.Health == Controller.Daemon.HealthStatus.Healthy);
        if (done < expected.Count)
        {
            return false;
        }

        var domains = await client.GetAsync<List<DomainListItem>>("v1/domains?all=true", ct).ConfigureAwait(false);
        return domains.Count(d => d.State == "running") == expected.Keys.Count(k => k.Contains("/domains/", StringComparison.Ordinal));
    }

    /// <summary>Writes the spec directory; returns every file with its revision.</summary>
    private static Dictionary<string, string> Generate(string specs, string images, int n)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        void Write(string relative, string xml)
        {
            var path = Path.Combine(specs, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var bytes = Encoding.UTF8.GetBytes(xml);
            File.WriteAllBytes(path, bytes);
            files[path] = SpecDirectory.RevisionOf(bytes);
        }

        var groups = Math.Max(1, (n + 999) / 1000);
        for (var g = 0; g < groups; g++)
        {
            // A /20 per network: 4,000 addresses for its (at most) 1,000 domains.
            var third = g * 16 % 256;
            var second = 100 + (g * 16 / 256);
            Write($"networks/net{g}.xml", string.Create(CultureInfo.InvariantCulture, $"""
                <network>
                  <name>net{g}</name>
                  <forward mode='nat'/>
                  <ip address='10.{second}.{third}.1' netmask='255.255.240.0'>
                    <dhcp><range start='10.{second}.{third}.2' end='10.{second}.{third + 15}.254'/></dhcp>
                  </ip>
                </network>
                """));
            Write($"pools/pool{g}.xml", $"<pool type='dir'><name>pool{g}</name><target><path>{Path.Combine(images, "pool" + g)}</path></target></pool>");
        }

        for (var k = 0; k < n; k++)
        {
            var g = k % groups;
            Write($"pools/pool{g}/vm{k}.qcow2.xml", $"<volume><name>vm{k}.qcow2</name><capacity unit='GiB'>1</capacity><target><format type='qcow2'/></target></volume>");
            Write($"domains/vm{k}.xml", Domain(k, groups, DomainMemoryMiB));
        }

        return files;
    }

    private static string Domain(int k, int groups, int currentMiB) => string.Create(CultureInfo.InvariantCulture, $"""
        <domain type='kvm'>
          <name>vm{k}</name>
          <memory unit='MiB'>{DomainMemoryMiB}</memory>
          <currentMemory unit='MiB'>{currentMiB}</currentMemory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64' machine='q35'>hvm</type></os>
          <devices>
            <disk type='volume' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source pool='pool{k % groups}' volume='vm{k}.qcow2'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <interface type='network'><source network='net{k % groups}'/><model type='virtio'/></interface>
          </devices>
        </domain>
        """);

    /// <summary>Writes an edited spec (its balloon target changed: applied live) next to the file, to be renamed over it; returns its revision.</summary>
    private static string Edit(string specs, int k, int currentMiB)
    {
        var groups = Directory.GetFiles(Path.Combine(specs, "networks")).Length;
        var bytes = Encoding.UTF8.GetBytes(Domain(k, groups, currentMiB));
        File.WriteAllBytes(Path.Combine(specs, "domains", $".vm{k}.xml.tmp"), bytes);
        return SpecDirectory.RevisionOf(bytes);
    }

    /// <summary>The daemon under measurement: this executable's <c>run</c>, its log in a file.</summary>
    private sealed class Daemon : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly StreamWriter _log;
        private readonly Stopwatch _since = Stopwatch.StartNew();

        /// <summary>How often the summary is polled (it costs the daemon a couple of counters, not a walk over the status).</summary>
        public static int PollInterval { get; set; } = 50;

        private TimeSpan? _answered;

        private Daemon(Process process, StreamWriter log, ApiClient client)
        {
            _process = process;
            _log = log;
            Client = client;
        }

        public ApiClient Client { get; }

        /// <summary>
        /// Notes that the daemon has just answered that the awaited state is reached (its summary): the time
        /// <see cref="WaitAsync"/> reports, not the end of the check of the whole status that follows.
        /// </summary>
        public void Answered() => _answered = _since.Elapsed;

        public static Daemon Start(string root, string name, string specs, double overcommit, params string[] extra)
        {
            var socket = Path.Combine(root, name + ".sock");
            var self = Environment.ProcessPath!;
            var start = new ProcessStartInfo(self) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (Path.GetFileNameWithoutExtension(self) == "dotnet")
            {
                start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "reconciler.dll"));
            }

            foreach (var a in (string[])["run", "--specs", specs, "--state", Path.Combine(root, name + "-state"), "--socket", socket, .. extra])
            {
                start.ArgumentList.Add(a);
            }

            start.Environment["RECONCILER_MEMORYOVERCOMMIT"] = overcommit.ToString(CultureInfo.InvariantCulture);
            var log = new StreamWriter(Path.Combine(root, name + ".log"), append: true) { AutoFlush = false };
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, e) => Append(log, e.Data);
            process.ErrorDataReceived += (_, e) => Append(log, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Daemon(process, log, new ApiClient(socket, TimeSpan.FromMinutes(1)));
        }

        private static void Append(StreamWriter log, string? line)
        {
            if (line is not null)
            {
                lock (log)
                {
                    log.WriteLine(line);
                }
            }
        }

        /// <summary>Polls until <paramref name="done"/> holds; returns the time since the daemon started.</summary>
        public async Task<TimeSpan> WaitAsync(Func<Daemon, Task<bool>> done, TimeSpan limit, CancellationToken ct)
        {
            var deadline = _since.Elapsed + limit;
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the daemon exited with {_process.ExitCode}; see its log");
                }

                try
                {
                    _answered = null;
                    if (await done(this).ConfigureAwait(false))
                    {
                        return _answered ?? _since.Elapsed;
                    }
                }
                catch (DaemonUnavailableException)
                {
                }

                if (_since.Elapsed > deadline)
                {
                    throw new TimeoutException($"not done after {limit.TotalMinutes:0} min");
                }

                await Task.Delay(PollInterval, ct).ConfigureAwait(false);
            }
        }

        public long RssBytes()
        {
            foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                }
            }

            return 0;
        }

        public void Terminate()
        {
            if (!_process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
                {
                    kill.WaitForExit();
                }

                _process.WaitForExit(TimeSpan.FromMinutes(5));
            }
        }

        public async ValueTask DisposeAsync()
        {
            Terminate();
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().ConfigureAwait(false);
            Client.Dispose();
            _process.Dispose();
            lock (_log)
            {
                _log.Dispose();
            }
        }
    }
}
