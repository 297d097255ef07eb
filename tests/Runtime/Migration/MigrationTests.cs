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
            // The target's digest of the memory that arrived, taken before the guest ran on (the busy guest
            // dirties pages at every tick of its scheduler, so its live digest moves on at once).
            Assert.Equal(job.FinalDigest, to.GetJobInfo("mover")!.FinalDigest);
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

    [Fact]
    public async Task The_workload_goes_on_where_it_was_and_the_targets_bridge_learns_the_guests_MAC()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            const string nic = "<interface type='bridge'><mac address='52:54:00:aa:bb:01'/><source bridge='br0'/><model type='virtio'/></interface>";
            await from.DefineAsync(source.Domain("worker", memoryMiB: 128, devices: nic));
            await from.StartAsync("worker");
            await from.SetWorkloadAsync("worker", new WorkloadSettings(DirtyPagesPerSecond: 5_000));
            await RuntimeHarness.Eventually(async () => (await from.GetGuestMemoryAsync("worker")).WorkCounter > 1000, "the guest worked");
            Assert.DoesNotContain(to.GetForwardingDatabase(), e => e.Mac == "52:54:00:aa:bb:01");

            var job = await from.MigrateAsync("worker", endpoint);

            var arrived = (await to.GetGuestMemoryAsync("worker")).WorkCounter;
            Assert.True(arrived > 1000, $"the work counter went on from the source's ({arrived})");
            await RuntimeHarness.Eventually(async () => (await to.GetGuestMemoryAsync("worker")).WorkCounter > arrived + 500, "the workload keeps running on the target");
            var tap = Assert.Single(to.GetTaps(), t => t.Domain == "worker");
            var learned = Assert.Single(to.GetForwardingDatabase(), e => e.Mac == "52:54:00:aa:bb:01");
            Assert.Equal(("br0", tap.Name), (learned.Bridge, learned.Port));
            Assert.True(learned.Announcements > 0);
            Assert.Empty(from.GetTaps());
            Assert.Equal("completed", from.GetJobInfo("worker")!.Phase);
            Assert.Equal(job.FinalDigest, from.GetJobInfo("worker")!.FinalDigest);
        }
    }

    [Fact]
    public async Task A_peer_reports_its_networks_pools_memory_and_whether_it_runs_a_domain()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            var pool = Path.Combine(target.ImagesDir, "pool");
            await to.DefinePoolAsync($"<pool type='dir'><name>images</name><target><path>{pool}</path></target></pool>");
            await to.StartPoolAsync("images", build: true);
            await to.DefineAsync(target.Domain("resident", memoryMiB: 1024));
            await to.StartAsync("resident");

            var report = await from.ProbePeerAsync(endpoint, new PeerQuery("resident", [Path.Combine(target.ImagesDir, "resident.qcow2"), "/nonexistent/disk.img"]));

            Assert.Equal(("test-host", "x86_64", "Test CPU", 4, true), (report.Host, report.Arch, report.CpuModel, report.Cpus, report.Accepting));
            Assert.Equal(15UL * 1024 * 1024, report.FreeMemoryKiB);
            Assert.Equal(new PeerPool("images", "dir", pool, true), Assert.Single(report.Pools));
            Assert.Equal(("running", true, true), (report.Domain!.State, report.Domain.Active, report.Domain.Persistent));
            Assert.Equal([Path.Combine(target.ImagesDir, "resident.qcow2")], report.ExistingPaths);
            Assert.Null((await from.ProbePeerAsync(endpoint, new PeerQuery("nobody"))).Domain);

            var e = await Assert.ThrowsAsync<RuntimeException>(() => from.ProbePeerAsync(endpoint with { Key = RandomNumberGenerator.GetBytes(32) }, new PeerQuery()));
            Assert.Contains("wrong key", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_shut_off_domain_migrates_offline_its_definition_and_autostart_move()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            var defined = await from.DefineAsync(source.Domain("cold"));
            await from.SetAutostartAsync("cold", true);

            await from.MigrateOfflineAsync("cold", endpoint);

            Assert.False(from.Exists("cold"));
            var moved = to.Lookup("cold");
            Assert.Equal((defined.Uuid, true, true, DomainState.Shutoff), (moved.Uuid, moved.Persistent, moved.Autostart, moved.Status.State));

            await to.StartAsync("cold");
            var e = await Assert.ThrowsAsync<RuntimeException>(() => to.MigrateOfflineAsync("cold", endpoint));
            Assert.Contains("migrates live", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Copy_storage_streams_a_volume_into_the_targets_pool_and_never_overwrites_one()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            foreach (var (hv, h) in new[] { (from, source), (to, target) })
            {
                await hv.DefinePoolAsync($"<pool type='dir'><name>images</name><target><path>{Path.Combine(h.ImagesDir, "pool")}</path></target></pool>");
                await hv.StartPoolAsync("images", build: true);
            }

            await from.CreateVolumeAsync("images", "<volume><name>data.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>");
            var sourcePath = Path.Combine(source.ImagesDir, "pool", "data.qcow2");
            var write = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 4M 2M", sourcePath);
            Assert.True(write.ExitCode == 0, write.Output);
            var xml = source.Domain("carrier", memoryMiB: 64).Replace(
                $"<source file='{source.ImagesDir}/carrier.qcow2'/>", "<source pool='images' volume='data.qcow2'/>", StringComparison.Ordinal)
                .Replace("<disk type='file' device='disk'>", "<disk type='volume' device='disk'>", StringComparison.Ordinal);
            await from.DefineAsync(xml);
            await from.StartAsync("carrier");

            var job = await from.MigrateAsync("carrier", endpoint, new MigrationParameters { CopyStorage = true });

            Assert.Equal("completed", job.Phase);
            var targetPath = Path.Combine(target.ImagesDir, "pool", "data.qcow2");
            Assert.Equal(await File.ReadAllBytesAsync(sourcePath), await File.ReadAllBytesAsync(targetPath));
            Assert.Equal(0, HostTool.QemuImg("check", targetPath).ExitCode);
            var read = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "read -P 0x5a 4M 2M", targetPath);
            Assert.True(read.ExitCode == 0 && !read.Output.Contains("verification failed", StringComparison.Ordinal), read.Output);
            Assert.Equal(DomainState.Running, (await to.GetInfoAsync("carrier")).Status.State);
            Assert.Contains(await to.ListVolumesAsync("images"), v => v.Name == "data.qcow2");

            // Back the other way the volume exists already on the (old) source: refused, nothing overwritten.
            var before = await File.ReadAllBytesAsync(sourcePath);
            await using var back = from.StartMigrationListener(new IPEndPoint(IPAddress.Loopback, 0), Key, out var bound);
            await to.SetWorkloadAsync("carrier", new WorkloadSettings(DirtyPagesPerSecond: 1000));
            var e = await Assert.ThrowsAsync<RuntimeException>(() => to.MigrateAsync("carrier", new MigrationTarget("127.0.0.1", bound.Port, Key), new MigrationParameters { CopyStorage = true }));
            Assert.Contains("never overwrites", e.Message, StringComparison.Ordinal);
            Assert.Equal(DomainState.Running, (await to.GetInfoAsync("carrier")).Status.State);
            Assert.Equal(before, await File.ReadAllBytesAsync(sourcePath));
            Assert.False(from.Exists("carrier"));
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(source.ImagesDir, "pool"), ".*incoming*"));
        }
    }

    [Fact]
    public async Task Copy_storage_takes_over_a_blank_volume_the_target_made_from_the_same_spec_but_not_one_in_use()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            const string Volume = "<volume><name>data.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>";
            foreach (var (hv, h) in new[] { (from, source), (to, target) })
            {
                // Every host applies the same specs: the volume exists on both, blank on the target.
                await hv.DefinePoolAsync($"<pool type='dir'><name>images</name><target><path>{Path.Combine(h.ImagesDir, "pool")}</path></target></pool>");
                await hv.StartPoolAsync("images", build: true);
                await hv.CreateVolumeAsync("images", Volume);
            }

            var sourcePath = Path.Combine(source.ImagesDir, "pool", "data.qcow2");
            var targetPath = Path.Combine(target.ImagesDir, "pool", "data.qcow2");
            Assert.True(HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x6b 1M 1M", sourcePath).ExitCode == 0);
            string Carrier(RuntimeHarness h, string name) => h.Domain(name, memoryMiB: 64).Replace(
                $"<source file='{h.ImagesDir}/{name}.qcow2'/>", "<source pool='images' volume='data.qcow2'/>", StringComparison.Ordinal)
                .Replace("<disk type='file' device='disk'>", "<disk type='volume' device='disk'>", StringComparison.Ordinal);

            // While a domain on the target runs on the blank volume, it is not taken.
            await to.DefineAsync(Carrier(target, "squatter"));
            await to.StartAsync("squatter");
            await from.DefineAsync(Carrier(source, "carrier"));
            await from.StartAsync("carrier");
            var refused = await Assert.ThrowsAsync<RuntimeException>(() => from.MigrateAsync("carrier", endpoint, new MigrationParameters { CopyStorage = true }));
            Assert.True(refused.Message.Contains("is in use by squatter", StringComparison.Ordinal), refused.Message);
            Assert.Equal(DomainState.Running, (await from.GetInfoAsync("carrier")).Status.State);
            Assert.True(Qcow2BlankOnDisk(targetPath));

            await to.DestroyAsync("squatter");
            var job = await from.MigrateAsync("carrier", endpoint, new MigrationParameters { CopyStorage = true });

            Assert.Equal("completed", job.Phase);
            Assert.Equal(await File.ReadAllBytesAsync(sourcePath), await File.ReadAllBytesAsync(targetPath));
            Assert.Equal(0, HostTool.QemuImg("check", targetPath).ExitCode);
            var read = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "read -P 0x6b 1M 1M", targetPath);
            Assert.True(read.ExitCode == 0 && !read.Output.Contains("verification failed", StringComparison.Ordinal), read.Output);
            Assert.Equal(DomainState.Running, (await to.GetInfoAsync("carrier")).Status.State);
            Assert.Empty(Directory.EnumerateFiles(Path.Combine(target.ImagesDir, "pool"), ".*incoming*"));
        }

        static bool Qcow2BlankOnDisk(string path)
        {
            // qemu-img map lists no allocated data for an image nothing was written to.
            var map = HostTool.QemuImg("map", "--output=json", path);
            return map.ExitCode == 0 && !map.Output.Contains("\"data\": true", StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_migrated_domain_leaves_no_lease_behind_on_its_source()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            foreach (var hv in new[] { from, to })
            {
                await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
                await hv.StartNetworkAsync("default");
            }

            const string nic = "<interface type='network'><mac address='52:54:00:aa:bb:02'/><source network='default'/></interface>";
            await from.DefineAsync(source.Domain("leaser", memoryMiB: 64, devices: nic));
            await from.StartAsync("leaser");
            Assert.Single(await from.GetInterfaceAddressesAsync("leaser"));

            await from.MigrateAsync("leaser", endpoint);

            Assert.DoesNotContain(from.GetDhcpLeases("default"), l => l.Mac == "52:54:00:aa:bb:02");
            Assert.Single(await to.GetInterfaceAddressesAsync("leaser"));
        }
    }

    [Fact]
    public async Task The_incoming_domain_reads_as_paused_for_the_migration_from_its_first_event_until_it_resumes()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        {
            // What a controller woken by the target's events sees: the event's status, and the domain's own
            // when it looks it up in the handler. A paused guest that is not arriving would be defined by it.
            var seen = new List<(DomainEventType Type, string Event, string Looked)>();
            to.DomainChanged += e =>
            {
                lock (seen)
                {
                    seen.Add((e.Type, e.Status.ToString(), to.Exists(e.Name) ? to.Lookup(e.Name).Status.ToString() : "gone"));
                }
            };
            await from.DefineAsync(source.Domain("arriving", memoryMiB: 64));
            await from.StartAsync("arriving");

            await from.MigrateAsync("arriving", endpoint);

            lock (seen)
            {
                var started = seen.FindIndex(s => s.Type == DomainEventType.Started);
                var resumed = seen.FindIndex(s => s.Type == DomainEventType.Resumed);
                Assert.True(started >= 0 && resumed > started, string.Join("; ", seen));
                Assert.All(seen[started..resumed], s => Assert.Equal(("paused (migrating)", "paused (migrating)"), (s.Event, s.Looked)));
                Assert.Equal("running (migrated)", seen[resumed].Event);
            }
        }
    }

    [Fact]
    public async Task A_lost_final_answer_is_settled_by_asking_the_target_and_the_guest_runs_only_there()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        await using (var link = new MigrationLink(new IPEndPoint(IPAddress.Loopback, endpoint.Port)) { LoseFinalAnswer = true })
        {
            await from.DefineAsync(source.Domain("lost", memoryMiB: 64));
            await from.StartAsync("lost");

            var job = await from.MigrateAsync("lost", endpoint with { Port = link.Port });

            Assert.True(link.AnswerLost.Task.IsCompleted, "the relay dropped the target's answer to the final step");
            Assert.Equal("completed", job.Phase);
            Assert.False(from.Exists("lost"));
            Assert.Equal(DomainState.Running, (await to.GetInfoAsync("lost")).Status.State);
            Assert.Contains(source.Logs.Entries, l => l.Message.Contains("was lost, but it runs the domain there", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_lost_final_answer_from_an_unreachable_target_keeps_the_guest_paused_until_the_target_answers()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        await using (var link = new MigrationLink(new IPEndPoint(IPAddress.Loopback, endpoint.Port)) { LoseFinalAnswer = true, RefuseAfterLoss = true })
        {
            await from.DefineAsync(source.Domain("limbo", memoryMiB: 64));
            await from.StartAsync("limbo");

            var e = await Assert.ThrowsAsync<RuntimeException>(() => from.MigrateAsync("limbo", endpoint with { Port = link.Port }));

            Assert.Contains("stays paused here", e.Message, StringComparison.Ordinal);
            Assert.Equal("paused (migrating)", (await from.GetInfoAsync("limbo")).Status.ToString());
            Assert.Equal(DomainState.Running, (await to.GetInfoAsync("limbo")).Status.State);
            Assert.Equal("unknown", from.GetJobInfo("limbo")?.Phase);
            Assert.Null(await from.ResolveMigrationAsync("limbo"));
            Assert.Equal("paused (migrating)", (await from.GetInfoAsync("limbo")).Status.ToString());

            link.Refuse = false;
            Assert.Equal("migrated", await from.ResolveMigrationAsync("limbo"));
            Assert.False(from.Exists("limbo"));
            Assert.Equal(DomainState.Running, (await to.GetInfoAsync("limbo")).Status.State);
        }
    }

    [Fact]
    public async Task A_paused_source_whose_target_does_not_run_the_guest_resumes_it()
    {
        var (source, target, from, to, listener, endpoint) = await TwoHostsAsync();
        await using (source)
        await using (target)
        await using (listener)
        await using (var link = new MigrationLink(new IPEndPoint(IPAddress.Loopback, endpoint.Port)) { LoseFinalAnswer = true, RefuseAfterLoss = true })
        {
            await from.DefineAsync(source.Domain("back", memoryMiB: 64));
            await from.StartAsync("back");
            await from.SetWorkloadAsync("back", new WorkloadSettings(DirtyPagesPerSecond: 1000));
            await Assert.ThrowsAsync<RuntimeException>(() => from.MigrateAsync("back", endpoint with { Port = link.Port }));
            var counter = (await from.GetGuestMemoryAsync("back")).WorkCounter;

            // The target loses the guest (its host operator destroys and undefines it) before it can be asked.
            await to.DestroyAsync("back");
            if (to.Exists("back"))
            {
                await to.UndefineAsync("back");
            }

            link.Refuse = false;
            Assert.Equal("resumed", await from.ResolveMigrationAsync("back"));
            Assert.Equal(DomainState.Running, (await from.GetInfoAsync("back")).Status.State);
            Assert.Equal(counter, (await from.GetGuestMemoryAsync("back")).WorkCounter);
            await RuntimeHarness.Eventually(async () => (await from.GetGuestMemoryAsync("back")).WorkCounter > counter, "the resumed guest works again");
        }
    }
}
