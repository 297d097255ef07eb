using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Domains;

public sealed class TuningAndDeviceTests
{
    private static string ExtraDisk(RuntimeHarness h) => $"<disk type='file' device='disk'><source file='{h.Image("data.qcow2")}'/><target dev='vdb' bus='virtio'/></disk>";

    [Fact]
    public async Task Setmem_moves_the_balloon_within_64_MiB_and_the_maximum()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", memoryMiB: 1024));
        await hv.StartAsync("a");

        await hv.SetMemoryAsync("a", 512 * 1024);
        var info = await hv.GetInfoAsync("a");
        Assert.Equal((1024UL * 1024, 512UL * 1024), (info.MaxMemoryKiB, info.UsedMemoryKiB));
        Assert.Contains("<currentMemory unit='KiB'>524288</currentMemory>", await hv.GetXmlAsync("a"));
        Assert.Contains("<currentMemory unit='KiB'>1048576</currentMemory>", await hv.GetXmlAsync("a", inactive: true));

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetMemoryAsync("a", 2048 * 1024));
        Assert.Equal("invalid argument: cannot set memory higher than max memory", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetMemoryAsync("a", 32 * 1024));
        Assert.Equal("VIR_ERR_INVALID_ARG", e.CodeName);
        Assert.Contains("64 MiB", e.Message, StringComparison.Ordinal);
        Assert.Equal(512UL * 1024, (await hv.GetInfoAsync("a")).UsedMemoryKiB);

        await hv.SetMemoryAsync("a", 768 * 1024, DeviceScope.Live | DeviceScope.Config);
        Assert.Contains("<currentMemory unit='KiB'>786432</currentMemory>", await hv.GetXmlAsync("a", inactive: true));
        await hv.DestroyAsync("a");
        Assert.Equal(768UL * 1024, (await hv.GetInfoAsync("a")).UsedMemoryKiB);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetMemoryAsync("a", 512 * 1024, DeviceScope.Live));
        Assert.Equal("Requested operation is not valid: domain is not running", e.Message);
    }

    [Fact]
    public async Task Setmem_needs_a_balloon_and_a_persistent_config()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.CreateAsync(h.Domain("t", memoryMiB: 1024, balloon: false));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetMemoryAsync("t", 512 * 1024));
        Assert.Equal("Requested operation is not valid: Unable to change memory of active domain without the balloon device and guest OS balloon driver", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetMemoryAsync("t", 512 * 1024, DeviceScope.Config));
        Assert.Equal("Requested operation is not valid: transient domains do not have any persistent config", e.Message);
    }

    [Fact]
    public async Task Setvcpus_stays_within_the_maximum()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", vcpus: 4, currentVcpus: 2));
        await hv.StartAsync("a");
        Assert.Equal(2, (await hv.GetInfoAsync("a")).Vcpus);
        Assert.Equal(2, (await hv.GetVcpusAsync("a")).Count);

        await hv.SetVcpusAsync("a", 4);
        Assert.Equal(4, (await hv.GetInfoAsync("a")).Vcpus);
        Assert.Equal(4, (await hv.GetVcpusAsync("a")).Count);
        Assert.Contains("<vcpu placement='static'>4</vcpu>", await hv.GetXmlAsync("a"));

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetVcpusAsync("a", 5));
        Assert.Equal("invalid argument: requested vcpus is greater than max allowable vcpus for the live domain: 5 > 4", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetVcpusAsync("a", 5, DeviceScope.Config));
        Assert.Equal("invalid argument: requested vcpus is greater than max allowable vcpus for the persistent domain: 5 > 4", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetVcpusAsync("a", 0));
        Assert.Equal("invalid argument: nvcpus in virDomainSetVcpusFlags must not be zero", e.Message);

        await hv.SetVcpusAsync("a", 1, DeviceScope.Config);
        Assert.Contains("<vcpu placement='static' current='1'>4</vcpu>", await hv.GetXmlAsync("a", inactive: true));
        await hv.DestroyAsync("a");
        Assert.Equal(1, (await hv.GetInfoAsync("a")).Vcpus);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetVcpusAsync("a"));
        Assert.Equal("VIR_ERR_OPERATION_INVALID", e.CodeName);
    }

    [Fact]
    public async Task Disks_attach_and_detach_live_and_in_the_config()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");

        await hv.AttachDeviceAsync("a", ExtraDisk(h), DeviceScope.Live | DeviceScope.Config);
        Assert.Contains("<target dev='vdb' bus='virtio'/>", await hv.GetXmlAsync("a"));
        Assert.Contains("<alias name='virtio-disk1'/>", await hv.GetXmlAsync("a"));
        Assert.Contains("<target dev='vdb' bus='virtio'/>", await hv.GetXmlAsync("a", inactive: true));
        Assert.NotNull(await hv.GetBlockStatsAsync("a", "vdb"));

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.AttachDeviceAsync("a", ExtraDisk(h)));
        Assert.Equal("Requested operation is not valid: target vdb already exists", e.Message);

        await hv.DetachDeviceAsync("a", "<disk><target dev='vdb'/></disk>", DeviceScope.Live);
        Assert.DoesNotContain("dev='vdb'", await hv.GetXmlAsync("a"));
        Assert.Contains("dev='vdb'", await hv.GetXmlAsync("a", inactive: true));
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetBlockStatsAsync("a", "vdb"));
        Assert.Equal("invalid argument: invalid path: vdb", e.Message);

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DetachDeviceAsync("a", "<disk><target dev='vdz'/></disk>", DeviceScope.Live));
        Assert.Equal("device not found: disk vdz not found", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DetachDeviceAsync("a", "<disk><target dev='vdz'/></disk>", DeviceScope.Config));
        Assert.Equal("device not found: no target device vdz", e.Message);

        await hv.DetachDeviceAsync("a", "<disk><target dev='vdb'/></disk>", DeviceScope.Config);
        Assert.DoesNotContain("dev='vdb'", await hv.GetXmlAsync("a", inactive: true));
    }

    [Fact]
    public async Task A_disk_attached_to_the_config_is_placed_and_completed_as_libvirt_does()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", devices: "<disk type='file' device='disk'><source file='/i/c.raw'/><target dev='vdc' bus='virtio'/></disk>"));
        await hv.AttachDeviceAsync("a", ExtraDisk(h));
        var xml = await hv.GetXmlAsync("a", inactive: true);
        var targets = Regex.Matches(xml, "<target dev='(\\w+)'").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["vda", "vdb", "vdc"], targets);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.AttachDeviceAsync("a", "<disk type='file'><source file='/x'/></disk>"));
        Assert.Equal("VIR_ERR_NO_TARGET", e.CodeName);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.AttachDeviceAsync("a", "<sound model='ich9'/>"));
        Assert.Equal("Operation not supported: persistent attach of device 'sound' is not supported", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.AttachDeviceAsync("a", ExtraDisk(h), DeviceScope.Live));
        Assert.Equal("Requested operation is not valid: domain is not running", e.Message);
    }

    [Fact]
    public async Task Interfaces_attach_with_a_generated_mac_and_a_tap_and_detach_by_mac()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.CreateNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.DefineAsync(h.Domain("a", devices: "<interface type='network'><source network='default'/><model type='virtio'/></interface>"));
        await hv.StartAsync("a");
        var xml = await hv.GetXmlAsync("a");
        Assert.Matches("<target dev='vnet\\d+'/>", xml);
        Assert.Contains("<alias name='net0'/>", xml);

        await hv.AttachDeviceAsync("a", "<interface type='bridge'><source bridge='br0'/><model type='virtio'/></interface>");
        xml = await hv.GetXmlAsync("a");
        var macs = Regex.Matches(xml, "<mac address='([0-9a-f:]+)'/>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, macs.Count);
        Assert.All(macs, m => Assert.StartsWith("52:54:00:", m));
        var taps = Regex.Matches(xml, "<target dev='(vnet\\d+)'/>").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, taps.Distinct().Count());
        Assert.NotNull(await hv.GetInterfaceStatsAsync("a", taps[1]));
        Assert.NotNull(await hv.GetInterfaceStatsAsync("a", macs[1].ToUpperInvariant()));

        await hv.DetachDeviceAsync("a", $"<interface type='bridge'><mac address='{macs[1]}'/></interface>");
        Assert.DoesNotContain(macs[1], await hv.GetXmlAsync("a"));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetInterfaceStatsAsync("a", taps[1]));
        Assert.Equal($"invalid argument: '{taps[1]}' is not a known interface", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DetachDeviceAsync("a", $"<interface type='bridge'><mac address='{macs[1]}'/></interface>"));
        Assert.Equal($"device not found: no device found at address '(<null>)' matching MAC address '{macs[1]}' and alias '(<null>)'", e.Message);
    }

    [Fact]
    public async Task Dominfo_and_stats_follow_the_guest()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.CreateNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.DefineAsync(h.Domain("a", memoryMiB: 512, vcpus: 2, devices: "<interface type='network'><source network='default'/></interface>"));
        await hv.SetAutostartAsync("a", true);
        var info = await hv.GetInfoAsync("a");
        Assert.Equal((TimeSpan.Zero, true, true, "hvm"), (info.CpuTime, info.Persistent, info.Autostart, info.OsType));

        await hv.StartAsync("a");
        await hv.SetWorkloadAsync("a", new WorkloadSettings(CpuLoad: 1, DiskOpsPerSecond: 2000, PacketsPerSecond: 2000));
        await RuntimeHarness.Eventually(async () => (await hv.GetBlockStatsAsync("a", "vda")).WriteRequests > 10, "the disk is written");
        var blk = await hv.GetBlockStatsAsync("a", Path.Combine(h.ImagesDir, "a.qcow2"));
        Assert.True(blk.ReadBytes > 0 && blk.WriteBytes > 0);
        var tap = Regex.Match(await hv.GetXmlAsync("a"), "<target dev='(vnet\\d+)'/>").Groups[1].Value;
        await RuntimeHarness.Eventually(async () => (await hv.GetInterfaceStatsAsync("a", tap)).RxPackets > 10, "packets flow");
        await RuntimeHarness.Eventually(async () => (await hv.GetInfoAsync("a")).CpuTime > TimeSpan.Zero, "CPU time grows");
        var vcpus = await hv.GetVcpusAsync("a");
        Assert.Equal([0, 1], vcpus.Select(v => v.Number));
        Assert.All(vcpus, v => Assert.Equal("yyyy", v.Affinity));

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetBlockStatsAsync("a", "sdz"));
        Assert.Equal("invalid argument: invalid path: sdz", e.Message);
    }

    [Fact]
    public async Task Vnc_autoport_hands_out_the_lowest_free_port_and_never_one_twice()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        const string Vnc = "<graphics type='vnc' autoport='yes' listen='127.0.0.1'/>";
        foreach (var n in new[] { "a", "b", "c" })
        {
            await hv.DefineAsync(h.Domain(n, devices: Vnc));
        }

        await hv.StartAsync("a");
        await hv.StartAsync("b");
        Assert.Contains("port='5900'", await hv.GetXmlAsync("a"));
        Assert.Contains("port='5901'", await hv.GetXmlAsync("b"));
        Assert.Contains("autoport='yes'", await hv.GetXmlAsync("a"));
        Assert.DoesNotContain("port='59", await hv.GetXmlAsync("a", inactive: true));

        await hv.DestroyAsync("a");
        await hv.StartAsync("c");
        Assert.Contains("port='5900'", await hv.GetXmlAsync("c"));

        await hv.DefineAsync(h.Domain("fixed", devices: "<graphics type='vnc' port='5901' autoport='no'/>"));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("fixed"));
        Assert.Equal("internal error: Failed to reserve port 5901", e.Message);
        Assert.Equal(DomainState.Shutoff, (await hv.GetInfoAsync("fixed")).Status.State);
    }

    [Fact]
    public async Task Vnc_autoport_skips_a_port_another_program_listens_on()
    {
        using var listener = new TcpListener(IPAddress.Any, 0);
        listener.Start();
        var busy = ((IPEndPoint)listener.LocalEndpoint).Port;
        await using var h = new RuntimeHarness { VncPortMin = busy, ProbeVncPorts = true };
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", devices: "<graphics type='vnc' autoport='yes'/>"));
        await hv.StartAsync("a");
        Assert.Matches("port='(\\d+)'", await hv.GetXmlAsync("a"));
        Assert.DoesNotContain($"port='{busy}'", await hv.GetXmlAsync("a"));
    }

    [Fact]
    public async Task Starting_beyond_host_memory_is_refused_and_vcpu_overcommit_warns()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 4UL * 1024 * 1024, hostCpus: 4);
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("big", memoryMiB: 3072, vcpus: 2));
        await hv.DefineAsync(h.Domain("more", memoryMiB: 2048, vcpus: 4));
        await hv.StartAsync("big");

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("more"));
        Assert.Equal("VIR_ERR_OPERATION_FAILED", e.CodeName);
        Assert.Contains("not enough memory on host 'test-host' to start domain 'more': it needs 2097152 KiB, 1048576 KiB of 4194304 KiB are free", e.Message, StringComparison.Ordinal);
        Assert.Equal("shut off (failed)", (await hv.GetInfoAsync("more")).Status.ToString());
        Assert.Equal(1024UL * 1024, hv.FreeMemoryKiB);

        await hv.DestroyAsync("big");
        await hv.StartAsync("more");
        await hv.DefineAsync(h.Domain("small", memoryMiB: 512, vcpus: 2));
        Assert.DoesNotContain(h.Logs.Entries, l => l.Level == LogLevel.Warning);
        await hv.StartAsync("small", paused: true);
        Assert.Contains(h.Logs.Entries, l => l.Level == LogLevel.Warning && l.Message.Contains("overcommits vCPUs: 6 vCPUs", StringComparison.Ordinal));

        // Said once a minute at most: the next overcommitting starts are counted into the next warning.
        await hv.DefineAsync(h.Domain("tiny", memoryMiB: 128, vcpus: 1));
        await hv.StartAsync("tiny");
        Assert.Single(h.Logs.Entries, l => l.Level == LogLevel.Warning && l.Message.Contains("overcommits vCPUs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Memory_overcommit_admits_more_than_the_host_has()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 4UL * 1024 * 1024, overcommit: 1.5);
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", memoryMiB: 3072));
        await hv.DefineAsync(h.Domain("b", memoryMiB: 3072));
        await hv.StartAsync("a");
        await hv.StartAsync("b");
        Assert.Equal(0UL, hv.FreeMemoryKiB);
    }

    [Fact]
    public async Task Thousands_of_guests_with_declared_memory_cost_only_what_they_touch()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 8UL * 1024 * 1024 * 1024, hostCpus: 4096);
        var hv = await h.OpenAsync();
        var shared = h.Image("shared.qcow2");
        var before = GC.GetTotalMemory(forceFullCollection: true);
        for (var i = 0; i < 2000; i++)
        {
            await hv.CreateAsync(DomainXml.Make($"g{i}", memoryMiB: 4096, vcpus: 1, image: shared));
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.Equal(2000, hv.ListDomains().Count);

        // 2,000 guests of 4 GiB each declare 8 TiB; untouched, they must cost almost nothing.
        Assert.True(after - before < 500L * 1024 * 1024, $"2,000 idle guests took {(after - before) / 1024 / 1024} MiB");
    }
}
