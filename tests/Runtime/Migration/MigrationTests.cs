using System.Net;
using System.Security.Cryptography;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Migration;

public sealed class MigrationTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    private static async Task<(RuntimeHarness Source, RuntimeHarness Target, Hypervisor From, Hypervisor To, IAsyncDisposable Listener, MigrationTarget Endpoint)> TwoHostsAsync()
    {
        var source = new RuntimeHarness(hostMemoryKiB: 16UL * 1024 * 1024);
        var target = new RuntimeHarness(hostMemoryKiB: 16UL * 1024 * 1024);
        target.ExtraImageDirectories.Add(source.ImagesDir);
        var from = await source.OpenAsync();
        var to = await target.OpenAsync();
        var listener = to.StartMigrationListener(new IPEndPoint(IPAddress.Loopback, 0), Key, out var bound);
        return (source, target, from, to, listener, new MigrationTarget("127.0.0.1", bound.Port, Key));
    }

    [Fact]
    public async Task A_busy_guest_moves_with_exactly_its_memory_and_leaves_the_source()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            var created = await from.DefineAsync(source.Domain("mover", memoryMiB: 512));
            await from.StartAsync("mover");
            await from.SetWorkloadAsync("mover", new WorkloadSettings(DirtyPagesPerSecond: 10_000));
            await RuntimeHarness.Eventually(async () => (await from.GetGuestMemoryAsync("mover")).WorkCounter > 2000, "the guest dirtied memory");

            var job = await from.MigrateAsync("mover", endpoint);

            Assert.Equal("completed", job.Phase);
            Assert.True(job.Iteration >= 1);
            Assert.NotNull(job.Downtime);
            Assert.True(job.DataProcessed >= job.MemoryProcessed);
            Assert.Equal(512L << 20, job.MemoryTotal);
            var info = await to.GetInfoAsync("mover");
            Assert.Equal(("running (migrated)", created.Uuid, true), (info.Status.ToString(), info.Uuid, info.Persistent));
            Assert.Equal(job.FinalDigest, (await to.GetGuestMemoryAsync("mover")).Digest);
            Assert.False(from.Exists("mover"));
            Assert.Equal(0UL, 16UL * 1024 * 1024 - from.FreeMemoryKiB);
        }
    }

    [Fact]
    public async Task A_peer_without_the_key_is_refused_and_nothing_moves()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            await from.DefineAsync(source.Domain("stay"));
            await from.StartAsync("stay");
            var e = await Assert.ThrowsAsync<RuntimeException>(() => from.MigrateAsync("stay", endpoint with { Key = RandomNumberGenerator.GetBytes(32) }));
            Assert.Contains("wrong key", e.Message, StringComparison.Ordinal);
            Assert.Equal(DomainState.Running, (await from.GetInfoAsync("stay")).Status.State);
            Assert.False(to.Exists("stay"));
            await RuntimeHarness.Eventually(() => Task.FromResult(target.Logs.Entries.Any(l => l.Message.Contains("did not prove it knows the shared key", StringComparison.Ordinal))),
                "the target logged the refusal");
        }
    }

    [Fact]
    public async Task A_migration_that_cannot_converge_aborts_when_told_to_and_the_domain_keeps_running()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            await from.DefineAsync(source.Domain("busy", memoryMiB: 64));
            await from.StartAsync("busy");
            await from.SetWorkloadAsync("busy", new WorkloadSettings(DirtyPagesPerSecond: 200_000));
            await RuntimeHarness.Eventually(async () => (await from.GetGuestMemoryAsync("busy")).TouchedPages > 8000, "the guest dirtied memory");

            var e = await Assert.ThrowsAsync<RuntimeException>(() => from.MigrateAsync("busy", endpoint, new MigrationParameters
            {
                Bandwidth = 64L << 20,
                MaxIterations = 2,
                AutoConverge = false,
                PauseOnNonConvergence = false,
                MaxDowntime = TimeSpan.FromMilliseconds(1),
            }));

            Assert.Equal("VIR_ERR_OPERATION_TIMEOUT", e.CodeName);
            Assert.Contains("did not converge", e.Message, StringComparison.Ordinal);
            Assert.Equal(DomainState.Running, (await from.GetInfoAsync("busy")).Status.State);
            Assert.Equal("failed", from.GetJobInfo("busy")!.Phase);
            await RuntimeHarness.Eventually(() => Task.FromResult(!to.Exists("busy")), "the target dropped the incoming domain");
        }
    }
}
