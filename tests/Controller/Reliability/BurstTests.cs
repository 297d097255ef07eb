using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Reconciler.Controller.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Reconciler.Controller.Tests.Reliability;

/// <summary>
/// Bursts of writes to the spec directory: the real daemon converges to the last content of each file,
/// reconciling each object a few times rather than once per write; a watcher overflow (the kernel's inotify
/// queue filled while the daemon was stopped) makes it read the whole directory again.
/// </summary>
[Collection(nameof(ReliabilityCollection))]
public sealed class BurstTests(ITestOutputHelper output)
{
    private const int Files = 20;
    private const int Rewrites = 50;

    /// <summary>At most this many reconciles of one object for its 50 rewrites (one is the ideal).</summary>
    private const int ReconcileBound = 4;

    /// <summary>No periodic resync during the test: what converges, the watcher (or its overflow) made converge.</summary>
    /// <summary>(And the 512 MiB guests are sparse: the host's memory must not limit them on a small machine.)</summary>
    private static readonly Dictionary<string, string> NoPeriodicResync = new() { ["RECONCILER_RESYNCSECONDS"] = "3600", ["RECONCILER_MEMORYOVERCOMMIT"] = "100" };

    [Fact]
    public async Task A_thousand_writes_in_a_second_converge_to_the_last_content_with_a_few_reconciles_per_object()
    {
        using var dir = new TempDir();
        var specs = Path.Combine(dir.Path, "specs");
        for (var i = 0; i < Files; i++)
        {
            Write(specs, i, revision: 0, atomic: true);
        }

        using var daemon = new DaemonProcess(specs, Path.Combine(dir.Path, "state"), NoPeriodicResync);
        using var http = ApiHarness.Client(Path.Combine(dir.Path, "state", "reconciler.sock"));
        await ConvergedAsync(http, daemon, specs, revision: 0);
        var before = await ReconcilesAsync(http);

        // 20 files × 50 rewrites, paced over one second; every other write is an atomic rename, the others
        // rewrite the file in place (the watcher may see it empty or half-written).
        var clock = Stopwatch.StartNew();
        for (var pass = 1; pass <= Rewrites; pass++)
        {
            for (var i = 0; i < Files; i++)
            {
                Write(specs, i, pass, atomic: (pass + i) % 2 == 0);
            }

            var due = TimeSpan.FromMilliseconds(pass * 1000.0 / Rewrites) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due); // pacing the writes: the input of the test, not a wait for the daemon
            }
        }

        var burst = clock.Elapsed;
        Assert.True(burst < TimeSpan.FromSeconds(2), $"the burst took {burst.TotalMilliseconds:0} ms");
        var converged = await ConvergedAsync(http, daemon, specs, Rewrites);
        var after = await ReconcilesAsync(http);
        var counts = Enumerable.Range(0, Files).Select(i => after[Name(i)] - before[Name(i)]).ToList();
        output.WriteLine($"{Files * Rewrites} writes in {burst.TotalMilliseconds:0} ms; converged {converged.TotalMilliseconds:0} ms after the last; " +
            $"reconciles per object: {string.Join(" ", counts)} (max {counts.Max()}, bound {ReconcileBound})");
        Assert.All(counts, c => Assert.InRange(c, 1, ReconcileBound));
    }

    [Fact]
    public async Task A_watcher_overflow_makes_the_daemon_read_everything_again()
    {
        using var dir = new TempDir();
        var specs = Path.Combine(dir.Path, "specs");
        for (var i = 0; i < Files; i++)
        {
            Write(specs, i, revision: 0, atomic: true);
        }

        using var daemon = new DaemonProcess(specs, Path.Combine(dir.Path, "state"), NoPeriodicResync);
        using var http = ApiHarness.Client(Path.Combine(dir.Path, "state", "reconciler.sock"));
        await ConvergedAsync(http, daemon, specs, revision: 0);
        Assert.DoesNotContain("overflowed", daemon.Output, StringComparison.Ordinal);

        // Stopped, the daemon cannot drain its inotify queue: more events than the kernel keeps make it
        // overflow, and the changes to the specs made after that are not in the queue at all. The flood is
        // of writes to two dot files (which the daemon ignores), so that nothing but the overflow itself can
        // make it look at the directory again (there is no periodic resync in this test).
        var limit = int.Parse(File.ReadAllText("/proc/sys/fs/inotify/max_queued_events").Trim(), CultureInfo.InvariantCulture);
        using (var a = new FileStream(Path.Combine(specs, ".flood-a"), FileMode.Create, FileAccess.Write))
        using (var b = new FileStream(Path.Combine(specs, ".flood-b"), FileMode.Create, FileAccess.Write))
        {
            daemon.Pause();
            try
            {
                // Twice the queue's size: an overflow whatever the daemon had read just before it stopped.
                for (var n = 0; n <= 2 * limit; n++)
                {
                    // Alternating files: the kernel merges an event only with an identical one just before it.
                    var stream = n % 2 == 0 ? a : b;
                    stream.WriteByte(1);
                    stream.Flush();
                }

                for (var i = 0; i < Files; i++)
                {
                    Write(specs, i, revision: 1, atomic: i % 2 == 0);
                }
            }
            finally
            {
                daemon.Resume();
            }
        }

        var converged = await ConvergedAsync(http, daemon, specs, revision: 1);

        // The log line travels through the console logger's queue and the pipe: it may arrive after the status.
        await WaitAsync(http, daemon, () => Task.FromResult(daemon.Output.Contains("The spec directory watcher overflowed or failed; resyncing everything", StringComparison.Ordinal)), "the overflow logged");
        output.WriteLine($"more than {limit} events queued while stopped; every file converged {converged.TotalMilliseconds:0} ms after the daemon went on");

        // The watcher still works after its overflow.
        Write(specs, 3, revision: 2, atomic: false);
        await WaitAsync(http, daemon, async () => await RevisionOfAsync(http, Name(3)) == Revision(File.ReadAllBytes(Path.Combine(specs, Name(3) + ".xml"))), "a change after the overflow applied");
    }

    private static string Name(int i) => $"burst-{i:D2}";

    /// <summary>Even domains are halted (each rewrite changes the description), odd ones always (each changes the balloon, applied live).</summary>
    private static string Xml(int i, int revision)
    {
        var always = i % 2 == 1;
        return $"""
            <domain type='kvm'>
              <name>{Name(i)}</name>
              <description>{(always ? "kept" : $"revision {revision}")}</description>
              <metadata>
                <rc:reconciler xmlns:rc='{Fleet.RcNamespace}'>
                  <rc:runStrategy>{(always ? "always" : "halted")}</rc:runStrategy>
                </rc:reconciler>
              </metadata>
              <memory unit='MiB'>512</memory>
              <currentMemory unit='MiB'>{(always ? 256 + revision : 512)}</currentMemory>
              <vcpu>1</vcpu>
              <os>
                <type arch='x86_64' machine='q35'>hvm</type>
              </os>
              <devices>
                <memballoon model='virtio'/>
              </devices>
            </domain>

            """;
    }

    private static void Write(string specs, int i, int revision, bool atomic)
    {
        Directory.CreateDirectory(specs);
        var path = Path.Combine(specs, Name(i) + ".xml");
        if (atomic)
        {
            var temp = Path.Combine(specs, $".{Name(i)}.xml.tmp");
            File.WriteAllText(temp, Xml(i, revision));
            File.Move(temp, path, overwrite: true);
        }
        else
        {
            File.WriteAllText(path, Xml(i, revision));
        }
    }

    private static string Revision(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];

    private static async Task<Dictionary<string, long>> ReconcilesAsync(HttpClient http) =>
        (await CrashConsistencyTests.GetAsync(http, "v1/status")).EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("reconciles").GetInt64(), StringComparer.Ordinal);

    private static async Task<string?> RevisionOfAsync(HttpClient http, string name) =>
        (await CrashConsistencyTests.GetAsync(http, "v1/status")).EnumerateArray()
            .FirstOrDefault(s => s.GetProperty("name").GetString() == name && s.GetProperty("sync").GetString() == "Synced") is { ValueKind: JsonValueKind.Object } s
            ? s.GetProperty("revision").GetString() : null;

    /// <summary>
    /// Waits until every object is Synced at the revision of its file as it is now, and the runtime holds
    /// that content (the description, or the balloon of a running domain); returns how long it took.
    /// </summary>
    private static async Task<TimeSpan> ConvergedAsync(HttpClient http, DaemonProcess daemon, string specs, int revision)
    {
        var clock = Stopwatch.StartNew();
        await WaitAsync(http, daemon, async () =>
        {
            var status = (await CrashConsistencyTests.GetAsync(http, "v1/status")).EnumerateArray()
                .ToDictionary(s => s.GetProperty("name").GetString()!, StringComparer.Ordinal);
            for (var i = 0; i < Files; i++)
            {
                var file = File.ReadAllBytes(Path.Combine(specs, Name(i) + ".xml"));
                Assert.Equal(Xml(i, revision), Encoding.UTF8.GetString(file));
                if (!status.TryGetValue(Name(i), out var s) || s.GetProperty("revision").GetString() != Revision(file) ||
                    s.GetProperty("sync").GetString() != "Synced" || s.GetProperty("health").GetString() != "Healthy")
                {
                    return false;
                }

                var inactive = XElement.Parse((await CrashConsistencyTests.GetAsync(http, $"v1/domains/{Name(i)}/xml?inactive=true")).GetProperty("xml").GetString()!);
                var info = await CrashConsistencyTests.GetAsync(http, $"v1/domains/{Name(i)}");
                var ok = i % 2 == 1
                    ? info.GetProperty("state").GetString() == "running" && info.GetProperty("usedMemoryKiB").GetUInt64() == (ulong)(256 + revision) * 1024
                    : inactive.Element("description")?.Value == $"revision {revision}" && info.GetProperty("state").GetString() == "shut off";
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }, $"every file converged to revision {revision}");
        return clock.Elapsed;
    }

    private static async Task WaitAsync(HttpClient http, DaemonProcess daemon, Func<Task<bool>> condition, string what)
    {
        Assert.NotNull(await CrashConsistencyTests.WaitForApiAsync(http, daemon, TimeSpan.FromSeconds(60)));
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(60) || daemon.HasExited)
            {
                Assert.Fail($"timed out waiting until {what}\n{daemon.Output}");
            }

            await Task.Delay(100);
        }
    }
}
