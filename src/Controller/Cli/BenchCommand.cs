using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Reconciler.Runtime;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Host;

namespace Reconciler.Controller.Cli;

/// <summary>
/// <c>reconciler bench</c>: benchmarks anyone can run, each printing its figures beside the target it is
/// measured against (figures are measured here, never asserted in unit tests).
/// </summary>
internal static class BenchCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var bench = new Command("bench", "Run a benchmark and print its figures");
        bench.Subcommands.Add(ValidateBench.Create(stdout, stderr));
        bench.Subcommands.Add(ConvergeBench.Create(stdout, stderr));
        bench.Subcommands.Add(Migration(stdout, stderr));
        return bench;
    }

    private static Command Migration(TextWriter stdout, TextWriter stderr)
    {
        var memory = new Option<int>("--memory-gib") { Description = "The guest's memory in GiB, every page written before the migration", DefaultValueFactory = _ => 4 };
        var dirty = new Option<int>("--dirty-rate") { Description = "Pages per second the guest dirties during the migration", DefaultValueFactory = _ => 10_000 };
        var command = new Command("migration", "Live-migrate a busy guest between two in-process hosts over loopback TCP and print downtime, total time and bandwidth")
        {
            memory, dirty,
        };
        command.SetAction(async (parse, ct) =>
        {
            var gib = parse.GetValue(memory);
            var rate = parse.GetValue(dirty);
            if (gib is < 1 or > 64 || rate < 0)
            {
                await stderr.WriteLineAsync("reconciler bench migration: --memory-gib must be 1..64 and --dirty-rate at least 0").ConfigureAwait(false);
                return 2;
            }

            return await RunMigrationAsync(gib, rate, stdout, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunMigrationAsync(int gib, int rate, TextWriter stdout, CancellationToken ct)
    {
        var root = Path.Combine(Path.GetTempPath(), "reconciler-bench-" + Guid.NewGuid().ToString("N"));
        var node = new NodeInfo("x86_64", "bench CPU", (ulong)(gib + 2) << 20, 4, 2000, 1, 1, 4, 1);
        try
        {
            await using var source = await Hypervisor.OpenAsync(new HypervisorOptions { StateDirectory = Path.Combine(root, "source"), Host = new HostInfo("bench-source", node), ProbeVncPorts = false }, ct).ConfigureAwait(false);
            await using var target = await Hypervisor.OpenAsync(new HypervisorOptions { StateDirectory = Path.Combine(root, "target"), Host = new HostInfo("bench-target", node), ProbeVncPorts = false }, ct).ConfigureAwait(false);
            var key = RandomNumberGenerator.GetBytes(32);
            await using var listener = target.StartMigrationListener(new IPEndPoint(IPAddress.Loopback, 0), key, out var bound);
            await source.DefineAsync($"""
                <domain type='kvm'>
                  <name>bench</name>
                  <memory unit='GiB'>{gib}</memory>
                  <vcpu>2</vcpu>
                  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
                </domain>
                """, ct).ConfigureAwait(false);
            await source.StartAsync("bench", cancellationToken: ct).ConfigureAwait(false);

            // Every page written first: a guest that has used all of its memory, not a sparse one.
            var pages = (long)gib << 18;
            await stdout.WriteLineAsync($"writing all {pages} pages of the {gib} GiB guest ...").ConfigureAwait(false);
            await source.TouchAllMemoryAsync("bench", ct).ConfigureAwait(false);
            await source.SetWorkloadAsync("bench", new WorkloadSettings(DirtyPagesPerSecond: rate), ct).ConfigureAwait(false);
            await Task.Delay(1000, ct).ConfigureAwait(false);
            var before = await source.GetGuestMemoryAsync("bench", ct).ConfigureAwait(false);
            var migration = source.MigrateAsync("bench", new MigrationTarget("127.0.0.1", bound.Port, key), cancellationToken: ct);
            var seen = string.Empty;
            while (await Task.WhenAny(migration, Task.Delay(100, ct)).ConfigureAwait(false) != migration)
            {
                if (source.GetJobInfo("bench") is { } now && $"{now.Phase} {now.Iteration}" != seen)
                {
                    seen = $"{now.Phase} {now.Iteration}";
                    await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"  {now.Elapsed.TotalSeconds,6:0.00} s  {now.Phase}, pass {now.Iteration}, {now.DataRemaining >> 20} MiB to send")).ConfigureAwait(false);
                }
            }

            var job = await migration.ConfigureAwait(false);
            var after = await target.GetGuestMemoryAsync("bench", ct).ConfigureAwait(false);

            var memoryBytes = (double)gib * (1L << 30);
            var ideal = TimeSpan.FromSeconds(memoryBytes / job.BandwidthBytesPerSecond);
            var ratio = job.Elapsed / ideal;
            var downtime = job.Downtime ?? TimeSpan.Zero;
            var inv = CultureInfo.InvariantCulture;
            await stdout.WriteLineAsync(string.Create(inv, $"guest memory          {gib} GiB ({before.TouchedPages} pages written), dirtying {rate} pages/s")).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Create(inv, $"passes                {job.Iteration} (throttle {job.ThrottlePercent} %), setup {job.SetupTime.TotalMilliseconds:0} ms")).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Create(inv, $"bandwidth             {job.BandwidthBytesPerSecond / (1 << 20):0.0} MiB/s (measured: every byte sent over the time since setup, as QEMU reports a completed migration)")).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Create(inv, $"data sent             {job.DataProcessed / (double)(1 << 20):0.0} MiB")).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Create(inv, $"downtime              {downtime.TotalMilliseconds:0} ms (target <= 300 ms)")).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Create(inv, $"total time            {job.Elapsed.TotalSeconds:0.00} s = {ratio:0.00} x memory / bandwidth ({ideal.TotalSeconds:0.00} s) (target <= 1.30 x)")).ConfigureAwait(false);
            await stdout.WriteLineAsync($"digest at switch-over {(job.FinalDigest == target.GetJobInfo("bench")?.FinalDigest ? "equal on both hosts" : "DIFFERENT")}; work counter {before.WorkCounter} -> {after.WorkCounter}").ConfigureAwait(false);
            var met = downtime <= TimeSpan.FromMilliseconds(300) && ratio <= 1.3;
            await stdout.WriteLineAsync(met ? "targets met" : "targets NOT met").ConfigureAwait(false);
            return 0;
        }
        finally
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
