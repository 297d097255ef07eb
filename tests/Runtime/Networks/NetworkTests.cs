using System.Text.RegularExpressions;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Networks;

public sealed class NetworkTests
{
    private const string NatNet = "<interface type='network'><source network='default'/><model type='virtio'/></interface>";

    private static string Network(string name, string forward = "<forward mode='nat'/>", string rest = "", string bridge = "") =>
        $"<network><name>{name}</name>{forward}{bridge}{rest}</network>";

    [Fact]
    public async Task Networks_defined_side_by_side_each_get_their_own_bridge_and_mac()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        // Each define sees the others' claims: a network claimed but not yet stored once made another's
        // choice of a bridge name fail (it read the missing definition).
        await Task.WhenAll(Enumerable.Range(0, 24).Select(i => hv.DefineNetworkAsync(Network($"n{i}", rest: $"<ip address='10.{i}.0.1' prefix='24'/>"))));

        var xmls = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => hv.GetNetworkXmlAsync($"n{i}")));
        var bridges = xmls.Select(x => Regex.Match(x, "bridge name='([^']+)'").Groups[1].Value).ToList();
        var macs = xmls.Select(x => Regex.Match(x, "mac address='([^']+)'").Groups[1].Value).ToList();
        Assert.Equal(Enumerable.Range(0, 24).Select(i => $"virbr{i}").Order(), bridges.Order());
        Assert.Equal(24, macs.Distinct().Count());
    }

    [Fact]
    public async Task A_nat_network_gets_the_first_free_virbr_a_mac_and_its_dnsmasq_files()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.DefineNetworkAsync(Network("second", rest: "<ip address='10.0.0.1' prefix='24'/>"));

        var xml = await hv.GetNetworkXmlAsync("default");
        Assert.Contains("<bridge name='virbr0' stp='on' delay='0'/>", xml);
        Assert.Matches("<mac address='52:54:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}'/>", xml);
        Assert.Contains("<bridge name='virbr1' stp='on' delay='0'/>", await hv.GetNetworkXmlAsync("second"));
        Assert.False((await hv.GetNetworkInfoAsync("default")).Active);

        await hv.StartNetworkAsync("default");
        var bridge = Assert.Single(hv.GetBridges(), b => b.Name == "virbr0");
        Assert.True(bridge.Stp);
        Assert.Equal(["192.168.122.1/24"], bridge.Addresses);
        Assert.Contains(Regex.Match(xml, "mac address='([^']+)'").Groups[1].Value.Replace(":", string.Empty, StringComparison.Ordinal), bridge.Id, StringComparison.Ordinal);
        var conf = await File.ReadAllTextAsync(Path.Combine(h.StateDir, "networks", "dnsmasq", "default.conf"));
        Assert.Contains("interface=virbr0", conf, StringComparison.Ordinal);
        Assert.Contains("dhcp-range=192.168.122.2,192.168.122.254,255.255.255.0", conf, StringComparison.Ordinal);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartNetworkAsync("default"));
        Assert.Equal("Requested operation is not valid: network is already active", e.Message);
        await hv.StopNetworkAsync("default");
        Assert.DoesNotContain(hv.GetBridges(), b => b.Name == "virbr0");
        Assert.False(File.Exists(Path.Combine(h.StateDir, "networks", "dnsmasq", "default.conf")));
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StopNetworkAsync("default"));
        Assert.Equal("Requested operation is not valid: network 'default' is not active", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetNetworkInfoAsync("nope"));
        Assert.Equal("Network not found: no network with matching name 'nope'", e.Message);
    }

    [Fact]
    public async Task A_stopped_network_leaves_no_dnsmasq_file_even_when_its_name_is_escaped_in_them()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(Network("lab&test", rest: "<ip address='10.9.0.1' prefix='24'><dhcp><range start='10.9.0.2' end='10.9.0.9'/></dhcp></ip>").Replace("lab&test", "lab&amp;test", StringComparison.Ordinal));
        await hv.StartNetworkAsync("lab&test");
        var dnsmasq = Path.Combine(h.StateDir, "networks", "dnsmasq");
        // libvirt escapes the name in the hosts files' names, not in the configuration's.
        Assert.Equal(["lab&amp;test.addnhosts", "lab&amp;test.hostsfile", "lab&test.conf"], Directory.GetFiles(dnsmasq).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        await hv.StopNetworkAsync("lab&test");
        Assert.Empty(Directory.GetFiles(dnsmasq));
    }

    [Fact]
    public async Task Libvirts_network_checks_refuse_bad_definitions()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var uuid = Guid.Parse("81ff0d90-c91e-6742-64da-4a736edb9a9b");
        await hv.DefineNetworkAsync($"<network><name>a</name><uuid>{uuid}</uuid><bridge name='br9'/></network>");

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineNetworkAsync($"<network><name>b</name><uuid>{uuid}</uuid></network>"));
        Assert.Equal("operation failed: network 'a' is already defined with uuid 81ff0d90-c91e-6742-64da-4a736edb9a9b", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineNetworkAsync("<network><name>a</name></network>"));
        Assert.Equal("operation failed: network 'a' already exists with uuid 81ff0d90-c91e-6742-64da-4a736edb9a9b", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineNetworkAsync("<network><name>c</name><bridge name='br9'/></network>"));
        Assert.Equal("internal error: bridge name 'br9' already in use.", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineNetworkAsync(Network("d", "<forward mode='bridge'/>", "<ip address='10.1.1.1' prefix='24'/>", "<bridge name='br0'/>")));
        Assert.Equal("unsupported configuration: Unsupported <ip> element in network d with forward mode='bridge'", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineNetworkAsync(Network("e", rest:
            "<ip address='10.1.1.1' prefix='24'><dhcp><range start='10.1.1.2' end='10.1.1.9'/></dhcp></ip><ip address='10.2.2.1' prefix='24'><dhcp><range start='10.2.2.2' end='10.2.2.9'/></dhcp></ip>")));
        Assert.Equal("unsupported configuration: Multiple IPv4 dhcp sections found -- dhcp is supported only for a single IPv4 address on each network", e.Message);
        Assert.Single(hv.ListNetworks());
    }

    [Fact]
    public async Task Domains_get_taps_on_the_bridge_and_dhcp_leases_that_stay_theirs()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork.Replace("</dhcp>",
            "<host mac='52:54:00:aa:bb:cc' ip='192.168.122.50'/><host name='named' ip='192.168.122.60'/></dhcp>", StringComparison.Ordinal));
        await hv.StartNetworkAsync("default");
        await hv.DefineAsync(h.Domain("plain", devices: NatNet));
        await hv.DefineAsync(h.Domain("static", devices: "<interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/></interface>"));
        await hv.DefineAsync(h.Domain("named", devices: NatNet));
        foreach (var d in new[] { "plain", "static", "named" })
        {
            await hv.StartAsync(d);
        }

        var addresses = new Dictionary<string, string>();
        foreach (var d in new[] { "plain", "static", "named" })
        {
            var addr = Assert.Single(await hv.GetInterfaceAddressesAsync(d));
            Assert.Equal(24, addr.Prefix);
            Assert.Matches("^vnet\\d+$", addr.Interface);
            addresses[d] = addr.Address;
        }

        Assert.Equal(("192.168.122.2", "192.168.122.50", "192.168.122.60"), (addresses["plain"], addresses["static"], addresses["named"]));
        var bridge = Assert.Single(hv.GetBridges(), b => b.Name == "virbr0");
        Assert.Equal(3, bridge.Interfaces.Count);
        Assert.Contains("virbr0", hv.FormatBridges(), StringComparison.Ordinal);

        await hv.DestroyAsync("plain");
        Assert.Equal(2, Assert.Single(hv.GetBridges(), b => b.Name == "virbr0").Interfaces.Count);
        await hv.StartAsync("plain");
        Assert.Equal("192.168.122.2", Assert.Single(await hv.GetInterfaceAddressesAsync("plain")).Address);

        await hv.DestroyAsync("plain");
        await hv.UndefineAsync("plain");
        Assert.DoesNotContain(hv.GetDhcpLeases("default"), l => l.Address == "192.168.122.2");
    }

    [Fact]
    public async Task A_changed_definition_applies_live_where_net_update_would_and_restarts_the_network_only_when_nothing_is_connected()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        // Redefinitions name the network's UUID, as libvirt wants them to.
        var network = RuntimeHarness.DefaultNetwork.Replace("<name>default</name>", "<name>default</name><uuid>0b6c4f1e-7a7d-4c57-9d0e-1f7f1b2c3d4e</uuid>", StringComparison.Ordinal);
        await hv.DefineNetworkAsync(network);
        await hv.StartNetworkAsync("default");
        await hv.DefineAsync(h.Domain("first", devices: NatNet));
        await hv.StartAsync("first");
        Assert.Equal(NetworkLiveChange.None, await hv.ApplyNetworkDefinitionAsync("default", restartWhenUnused: true));

        // A static DHCP host and a DNS host: live, the bridge and the first domain's tap untouched.
        var withHosts = network
            .Replace("</dhcp>", "<host mac='52:54:00:aa:00:01' name='second' ip='192.168.122.77'/></dhcp>", StringComparison.Ordinal)
            .Replace("<ip ", "<dns><host ip='192.168.122.9'><hostname>printer</hostname></host></dns><ip ", StringComparison.Ordinal);
        await hv.DefineNetworkAsync(withHosts);
        Assert.DoesNotContain("192.168.122.77", await hv.GetNetworkXmlAsync("default"), StringComparison.Ordinal);
        // The redefinition names no bridge: it keeps the network's (its device exists, which alone would make it taken).
        Assert.Contains("<bridge name='virbr0'", await hv.GetNetworkXmlAsync("default", inactive: true), StringComparison.Ordinal);
        var change = await hv.ApplyNetworkDefinitionAsync("default", restartWhenUnused: true);
        Assert.Equal((true, false, false), (change.Applied, change.Restarted, change.Pending));
        Assert.Contains("ip='192.168.122.77'", await hv.GetNetworkXmlAsync("default"), StringComparison.Ordinal);
        var dnsmasq = Path.Combine(h.StateDir, "networks", "dnsmasq");
        Assert.Contains("52:54:00:aa:00:01,192.168.122.77,second", await File.ReadAllTextAsync(Path.Combine(dnsmasq, "default.hostsfile")), StringComparison.Ordinal);
        Assert.Contains("192.168.122.9\tprinter", await File.ReadAllTextAsync(Path.Combine(dnsmasq, "default.addnhosts")), StringComparison.Ordinal);
        Assert.Single(Assert.Single(hv.GetBridges(), b => b.Name == "virbr0").Interfaces);
        await hv.DefineAsync(h.Domain("second", devices: "<interface type='network'><mac address='52:54:00:aa:00:01'/><source network='default'/></interface>"));
        await hv.StartAsync("second");
        Assert.Equal("192.168.122.77", Assert.Single(await hv.GetInterfaceAddressesAsync("second")).Address);

        // Routed instead of NAT: only a restart does it, and two domains are connected.
        await hv.DefineNetworkAsync(withHosts.Replace("mode='nat'", "mode='route'", StringComparison.Ordinal));
        change = await hv.ApplyNetworkDefinitionAsync("default", restartWhenUnused: true);
        Assert.Equal((false, false, true), (change.Applied, change.Restarted, change.Pending));
        Assert.Equal(["first", "second"], change.Users);
        Assert.Contains("<forward mode='nat'/>", await hv.GetNetworkXmlAsync("default"), StringComparison.Ordinal);
        Assert.Contains("<forward mode='route'/>", await hv.GetNetworkXmlAsync("default", inactive: true), StringComparison.Ordinal);

        await hv.DestroyAsync("first");
        await hv.DestroyAsync("second");
        Assert.True((await hv.ApplyNetworkDefinitionAsync("default", restartWhenUnused: false)).Pending);
        change = await hv.ApplyNetworkDefinitionAsync("default", restartWhenUnused: true);
        Assert.Equal((false, true, false), (change.Applied, change.Restarted, change.Pending));
        Assert.Contains("<forward mode='route'/>", await hv.GetNetworkXmlAsync("default"), StringComparison.Ordinal);
        Assert.Contains(hv.GetBridges(), b => b.Name == "virbr0");
        await hv.StartAsync("second");
        Assert.Equal("192.168.122.77", Assert.Single(await hv.GetInterfaceAddressesAsync("second")).Address);
    }

    [Fact]
    public async Task An_exhausted_range_is_a_clear_error()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.CreateNetworkAsync(Network("tiny", rest: "<ip address='10.9.0.1' prefix='24'><dhcp><range start='10.9.0.2' end='10.9.0.3'/></dhcp></ip>"));
        var nic = "<interface type='network'><source network='tiny'/></interface>";
        for (var i = 0; i < 3; i++)
        {
            await hv.DefineAsync(h.Domain($"d{i}", devices: nic));
        }

        await hv.StartAsync("d0");
        await hv.StartAsync("d1");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("d2"));
        Assert.StartsWith("operation failed: network 'tiny' has no free DHCP address left for MAC 52:54:00:", e.Message);
        Assert.Equal(DomainState.Shutoff, (await hv.GetInfoAsync("d2")).Status.State);
        Assert.Equal(2, Assert.Single(hv.GetBridges(), b => b.Name == "virbr0").Interfaces.Count);
    }

    [Fact]
    public async Task Domains_need_their_network_to_exist_and_run()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", devices: NatNet));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("a"));
        Assert.Equal("Network not found: no network with matching name 'default'", e.Message);
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("a"));
        Assert.Equal("Requested operation is not valid: network 'default' is not active", e.Message);
        await hv.StartNetworkAsync("default");
        await hv.StartAsync("a");

        await hv.DefineAsync(h.Domain("b", devices: "<interface type='bridge'><source bridge='br7'/></interface>"));
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("b"));
        Assert.Equal("Cannot get interface MTU on 'br7': No such device", e.Message);
        Assert.DoesNotContain(hv.GetTaps(), t => t.Domain == "b");
    }

    [Fact]
    public async Task Host_bridges_and_bridge_mode_networks_take_taps()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(Network("lan", "<forward mode='bridge'/>", bridge: "<bridge name='br0'/>"));
        await hv.StartNetworkAsync("lan");
        await hv.DefineAsync(h.Domain("a", devices: "<interface type='network'><source network='lan'/></interface><interface type='bridge'><source bridge='br0'/></interface>"));
        await hv.StartAsync("a");
        var br0 = Assert.Single(hv.GetBridges(), b => b.Name == "br0");
        Assert.False(br0.Managed);
        Assert.Equal(2, br0.Interfaces.Count);
        Assert.Empty(await hv.GetInterfaceAddressesAsync("a"));
        await hv.StopNetworkAsync("lan");
        Assert.Contains(hv.GetBridges(), b => b.Name == "br0");
    }

    [Theory]
    [InlineData("private")]
    [InlineData("vepa")]
    [InlineData("passthrough")]
    public async Task Direct_mode_networks_give_macvtaps_and_passthrough_is_exclusive(string mode)
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(Network("direct", $"<forward mode='{mode}'><interface dev='eth1'/></forward>"));
        await hv.StartNetworkAsync("direct");
        var nic = "<interface type='network'><source network='direct'/></interface>";
        await hv.DefineAsync(h.Domain("a", devices: nic));
        await hv.DefineAsync(h.Domain("b", devices: nic));
        await hv.StartAsync("a");
        Assert.Matches("<target dev='macvtap\\d+'/>", await hv.GetXmlAsync("a"));

        if (mode == "passthrough")
        {
            var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("b"));
            Assert.Equal("internal error: network 'direct' requires exclusive access to interfaces, but none are available", e.Message);
            await hv.DestroyAsync("a");
        }

        await hv.StartAsync("b");
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("b")).Status.State);
    }

    [Fact]
    public async Task Macs_are_unique_on_the_host_and_kept_across_redefinitions()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.CreateNetworkAsync(RuntimeHarness.DefaultNetwork);
        var uuid = Guid.NewGuid();
        await hv.DefineAsync(h.Domain("a", uuid: uuid, devices: NatNet + NatNet));
        var first = Macs(await hv.GetXmlAsync("a"));
        Assert.Equal(2, first.Distinct().Count());

        await hv.DefineAsync(h.Domain("a", uuid: uuid, vcpus: 4, devices: NatNet + NatNet));
        Assert.Equal(first, Macs(await hv.GetXmlAsync("a")));

        var all = new List<string>(first);
        for (var i = 0; i < 30; i++)
        {
            await hv.DefineAsync(h.Domain($"m{i}", devices: NatNet));
            all.AddRange(Macs(await hv.GetXmlAsync($"m{i}")));
        }

        Assert.Equal(all.Count, all.Distinct().Count());

        var mac = first[0];
        await hv.DefineAsync(h.Domain("dup", devices: $"<interface type='network'><mac address='{mac}'/><source network='default'/></interface>"));
        await hv.StartAsync("a");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("dup"));
        Assert.Equal($"Requested operation is not valid: MAC address {mac} is already in use on network 'default' by domain 'a'", e.Message);
    }

    [Fact]
    public async Task Dnsmasq_options_of_a_network_reach_its_configuration_and_survive_a_restart()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync("""
            <network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>
              <name>opts</name>
              <ip address='10.7.0.1' prefix='24'><dhcp><range start='10.7.0.2' end='10.7.0.9'/></dhcp></ip>
              <dnsmasq:options><dnsmasq:option value='dhcp-authoritative'/></dnsmasq:options>
            </network>
            """);
        await hv.StartNetworkAsync("opts");
        var conf = Path.Combine(h.StateDir, "networks", "dnsmasq", "opts.conf");
        Assert.EndsWith("dhcp-authoritative\n", await File.ReadAllTextAsync(conf), StringComparison.Ordinal);
        await hv.DisposeAsync();

        var again = await h.OpenAsync();
        await again.StopNetworkAsync("opts");
        Assert.False(File.Exists(conf));
        await again.StartNetworkAsync("opts");
        Assert.EndsWith("dhcp-authoritative\n", await File.ReadAllTextAsync(conf), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Networks_and_leases_survive_a_restart()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.SetNetworkAutostartAsync("default", true);
        await hv.DefineNetworkAsync(Network("idle", rest: "<ip address='10.5.0.1' prefix='24'/>"));
        await hv.StartNetworkAsync("default");
        await hv.DefineAsync(h.Domain("a", devices: NatNet));
        await hv.SetAutostartAsync("a", true);
        await hv.StartAsync("a");
        var address = Assert.Single(await hv.GetInterfaceAddressesAsync("a")).Address;
        hv.Abandon();

        var again = await h.OpenAsync();
        Assert.True((await again.GetNetworkInfoAsync("default")).Active);
        Assert.False((await again.GetNetworkInfoAsync("idle")).Active);
        Assert.Equal(address, Assert.Single(await again.GetInterfaceAddressesAsync("a")).Address);
        Assert.Single(again.GetDhcpLeases("default"));
    }

    [Fact]
    public async Task Lease_changes_are_journaled_a_line_cut_short_by_a_crash_is_dropped_and_the_journal_is_folded_when_long()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 64UL * 1024 * 1024, hostCpus: 128);
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.SetNetworkAutostartAsync("default", true);
        await hv.StartNetworkAsync("default");
        await hv.DefineAsync(h.Domain("a", devices: NatNet));
        await hv.StartAsync("a");
        var address = Assert.Single(await hv.GetInterfaceAddressesAsync("a")).Address;
        hv.Abandon();

        // A kill in the middle of an append leaves half a line: it was never acknowledged, and goes.
        var dir = Path.Combine(h.StateDir, "networks", "leases");
        await File.AppendAllTextAsync(Path.Combine(dir, "default.journal"), "{\"set\":{\"network\":\"def");
        hv = await h.OpenAsync();
        Assert.Empty(hv.LoadProblems);
        Assert.Equal(address, Assert.Single(hv.GetDhcpLeases("default")).Address);
        await hv.DefineAsync(h.Domain("b", devices: NatNet));
        await hv.StartAsync("b");

        // Many changes: the journal is folded into the snapshot instead of growing with every one.
        for (var i = 0; i < 60; i++)
        {
            await hv.DefineAsync(h.Domain($"c{i}", devices: NatNet));
            await hv.StartAsync($"c{i}");
            await hv.DestroyAsync($"c{i}");
            await hv.UndefineAsync($"c{i}");
        }

        var lines = File.ReadAllLines(Path.Combine(dir, "default.journal")).Length;
        Assert.InRange(lines, 0, 64 + (2 * 2));
        var expected = hv.GetDhcpLeases("default").Select(l => (l.Mac, l.Address)).ToList();
        Assert.Equal(2, expected.Count);
        hv.Abandon();

        hv = await h.OpenAsync();
        Assert.Equal(expected, hv.GetDhcpLeases("default").Select(l => (l.Mac, l.Address)));
        Assert.Empty(hv.LoadProblems);
    }

    [Fact]
    public async Task Leases_taken_by_many_domains_starting_at_once_are_all_on_disk_each_with_its_own_address()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 64UL * 1024 * 1024, hostCpus: 128);
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.SetNetworkAutostartAsync("default", true);
        await hv.StartNetworkAsync("default");
        var names = Enumerable.Range(0, 40).Select(i => $"p{i}").ToList();
        foreach (var n in names)
        {
            await hv.DefineAsync(h.Domain(n, devices: NatNet));
        }

        // The lease file is written by one writer at a time per network, each write carrying every change
        // made so far: concurrent starts share writes, and none may be lost.
        await Task.WhenAll(names.Select(n => Task.Run(() => hv.StartAsync(n))));
        var addresses = new Dictionary<string, string>();
        foreach (var n in names)
        {
            addresses[n] = Assert.Single(await hv.GetInterfaceAddressesAsync(n)).Address;
        }

        hv.Abandon();

        var again = await h.OpenAsync();
        var leases = again.GetDhcpLeases("default");
        Assert.Equal(40, leases.Count);
        Assert.Equal(40, leases.Select(l => l.Address).Distinct().Count());
        Assert.Equal(addresses.Values.Order(StringComparer.Ordinal), leases.Select(l => l.Address).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_thousand_start_stop_cycles_of_fifty_domains_leak_no_tap_lease_or_mac()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 64UL * 1024 * 1024, hostCpus: 128);
        var hv = await h.OpenAsync();
        await hv.CreateNetworkAsync(RuntimeHarness.DefaultNetwork);
        var image = h.Image("shared.qcow2");
        var names = Enumerable.Range(0, 50).Select(i => $"c{i}").ToList();
        foreach (var n in names)
        {
            await hv.DefineAsync(DomainXml.Make(n, memoryMiB: 128, vcpus: 1, devices: NatNet, image: image));
        }

        var macs = new Dictionary<string, string>();
        foreach (var n in names)
        {
            macs[n] = Macs(await hv.GetXmlAsync(n)).Single();
        }

        await Task.WhenAll(names.Select(async n =>
        {
            for (var cycle = 0; cycle < 1000; cycle++)
            {
                await hv.StartAsync(n);
                await hv.DestroyAsync(n);
            }
        }));

        Assert.Empty(hv.GetTaps());
        Assert.Empty(Assert.Single(hv.GetBridges(), b => b.Name == "virbr0").Interfaces);
        var leases = hv.GetDhcpLeases("default");
        Assert.Equal(50, leases.Count);
        Assert.Equal(50, leases.Select(l => l.Address).Distinct().Count());
        foreach (var n in names)
        {
            Assert.Equal(macs[n], Macs(await hv.GetXmlAsync(n)).Single());
        }

        foreach (var n in names)
        {
            await hv.UndefineAsync(n);
        }

        Assert.Empty(hv.GetDhcpLeases("default"));
        Assert.Equal(0UL, 64UL * 1024 * 1024 - hv.FreeMemoryKiB);
    }

    private static List<string> Macs(string xml) => [.. Regex.Matches(xml, "<mac address='([^']+)'/>").Select(m => m.Groups[1].Value)];
}
