using Reconciler.Runtime.Networks.Firewall;
using Reconciler.Runtime.Tests.Support;
using Xunit;

namespace Reconciler.Runtime.Tests.Networks.Firewall;

/// <summary>
/// The iptables rules of a network, compared with libvirt 9.0.0's networkxml2firewalltest data where there is
/// some, and otherwise with expectations worked out from networkAddFirewallRules
/// (src/network/bridge_driver_linux.c) and src/util/viriptables.c.
/// </summary>
public sealed class IptablesPlanTests
{
    private const string DataDirectory = "networkxml2firewalldata";

    /// <summary>libvirt's standard default network (its networkxml2firewalldata/nat-default.xml).</summary>
    private const string DefaultNetwork = """
        <network>
          <name>default</name>
          <bridge name="virbr0"/>
          <forward/>
          <ip address="192.168.122.1" netmask="255.255.255.0">
            <dhcp>
              <range start="192.168.122.2" end="192.168.122.254"/>
            </dhcp>
          </ip>
        </network>
        """;

    /// <summary>The IPv4 rules every network with rules gets on bridge virbr0 (networkAddGeneralIPv4FirewallRules).</summary>
    private static readonly string[] GeneralIPv4 =
    [
        "iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 67 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 67 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol tcp --destination-port 68 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 68 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT",
        "iptables -w --table filter --insert LIBVIRT_FWO --in-interface virbr0 --jump REJECT",
        "iptables -w --table filter --insert LIBVIRT_FWI --out-interface virbr0 --jump REJECT",
        "iptables -w --table filter --insert LIBVIRT_FWX --in-interface virbr0 --out-interface virbr0 --jump ACCEPT",
    ];

    private const string Checksum =
        "iptables -w --table mangle --insert LIBVIRT_PRT --out-interface virbr0 --protocol udp --destination-port 68 --jump CHECKSUM --checksum-fill";

    private static string Args(string xml) => IptablesPlan.ToArgs(IptablesPlan.NetworkRules(Specs.Network(xml)));

    private static string[] Lines(string xml) => IptablesPlan.NetworkRules(Specs.Network(xml)).Select(c => c.ToString()).ToArray();

    /// <summary>Each NAME.xml of libvirt's data that has a NAME-linux.args gives exactly those commands.</summary>
    [Fact]
    public void Every_network_of_libvirts_test_data_gives_its_args_file_byte_for_byte()
    {
        if (Corpus.Directory(DataDirectory) is not { } data)
        {
            return;
        }

        var compared = 0;
        foreach (var xml in Directory.EnumerateFiles(data, "*.xml").Order(StringComparer.Ordinal))
        {
            var args = Path.Combine(data, Path.GetFileNameWithoutExtension(xml) + "-linux.args");
            if (!File.Exists(args))
            {
                continue;
            }

            Assert.Equal(File.ReadAllText(args), Args(File.ReadAllText(xml)));
            compared++;
        }

        Assert.True(compared > 0, "no NAME.xml with a NAME-linux.args in " + data);
    }

    [Fact]
    public void The_default_network_gives_libvirts_nat_default_args()
    {
        var expected = Path.Combine(Corpus.Directory(DataDirectory) ?? "", "nat-default-linux.args");
        if (!File.Exists(expected))
        {
            return;
        }

        Assert.Equal(File.ReadAllText(expected), Args(DefaultNetwork));
    }

    /// <summary>libvirt's nat-tftp.xml: the default network with a TFTP root and a PXE boot file.</summary>
    [Fact]
    public void A_tftp_root_opens_udp_69_and_gives_libvirts_nat_tftp_args()
    {
        var xml = """
            <network>
              <name>default</name>
              <bridge name="virbr0"/>
              <forward/>
              <ip address="192.168.122.1" netmask="255.255.255.0">
                <tftp root="/var/lib/tftproot"/>
                <dhcp>
                  <range start="192.168.122.2" end="192.168.122.254"/>
                  <bootp file="pxeboot.img"/>
                </dhcp>
              </ip>
            </network>
            """;
        Assert.Contains("iptables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 69 --jump ACCEPT", Lines(xml));
        Assert.Contains("iptables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 69 --jump ACCEPT", Lines(xml));

        var expected = Path.Combine(Corpus.Directory(DataDirectory) ?? "", "nat-tftp-linux.args");
        if (File.Exists(expected))
        {
            Assert.Equal(File.ReadAllText(expected), Args(xml));
        }
    }

    [Fact]
    public void The_private_chains_are_libvirts_base_args()
    {
        var commands = IptablesPlan.PrivateChains();
        Assert.Equal(34, commands.Count);
        Assert.Equal("iptables -w --table filter --list-rules", commands[0].ToString());
        Assert.Equal("ip6tables -w --table mangle --insert POSTROUTING --jump LIBVIRT_PRT", commands[^1].ToString());

        var expected = Path.Combine(Corpus.Directory(DataDirectory) ?? "", "base.args");
        if (File.Exists(expected))
        {
            Assert.Equal(File.ReadAllText(expected), IptablesPlan.ToArgs(commands));
        }
    }

    [Fact]
    public void The_args_format_keeps_an_option_and_its_values_and_a_negation_on_one_line()
    {
        var masquerade = IptablesPlan.NetworkRules(Specs.Network(DefaultNetwork))[13];
        Assert.Equal(
            "iptables \\\n-w \\\n--table nat \\\n--insert LIBVIRT_PRT \\\n--source 192.168.122.0/24 '!' \\\n--destination 192.168.122.0/24 \\\n--jump MASQUERADE",
            masquerade.ToArgv());
    }

    /// <summary>libvirt's route-default.xml: routing rules in place of NAT (networkAddRoutingFirewallRules).</summary>
    [Fact]
    public void A_routed_network_forwards_its_subnet_both_ways_without_nat()
    {
        var lines = Lines("""
            <network>
              <name>default</name>
              <bridge name="virbr0"/>
              <forward mode='route'/>
              <ip address="192.168.122.1" netmask="255.255.255.0">
                <dhcp>
                  <range start="192.168.122.2" end="192.168.122.254"/>
                </dhcp>
              </ip>
            </network>
            """);

        Assert.Equal(
            [
                .. GeneralIPv4,
                "iptables -w --table filter --insert LIBVIRT_FWO --source 192.168.122.0/24 --in-interface virbr0 --jump ACCEPT",
                "iptables -w --table filter --insert LIBVIRT_FWI --destination 192.168.122.0/24 --out-interface virbr0 --jump ACCEPT",
                Checksum,
            ],
            lines);
    }

    [Fact]
    public void A_forward_device_restricts_routing_to_it_and_ipv6_is_routed_too()
    {
        var lines = Lines("""
            <network>
              <name>routed</name>
              <bridge name="virbr0"/>
              <forward mode='route' dev='eth1'/>
              <ip address="10.9.8.1" prefix="23"/>
              <ip family="ipv6" address="fd00:9:8::1" prefix="64"/>
            </network>
            """);

        Assert.Equal(
            [
                .. GeneralIPv4,
                "ip6tables -w --table filter --insert LIBVIRT_FWO --in-interface virbr0 --jump REJECT",
                "ip6tables -w --table filter --insert LIBVIRT_FWI --out-interface virbr0 --jump REJECT",
                "ip6tables -w --table filter --insert LIBVIRT_FWX --in-interface virbr0 --out-interface virbr0 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol tcp --destination-port 53 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 53 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_INP --in-interface virbr0 --protocol udp --destination-port 547 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_OUT --out-interface virbr0 --protocol udp --destination-port 546 --jump ACCEPT",
                "iptables -w --table filter --insert LIBVIRT_FWO --source 10.9.8.0/23 --in-interface virbr0 --out-interface eth1 --jump ACCEPT",
                "iptables -w --table filter --insert LIBVIRT_FWI --destination 10.9.8.0/23 --in-interface eth1 --out-interface virbr0 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_FWO --source fd00:9:8::/64 --in-interface virbr0 --out-interface eth1 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_FWI --destination fd00:9:8::/64 --in-interface eth1 --out-interface virbr0 --jump ACCEPT",
            ],
            lines);
    }

    [Fact]
    public void An_isolated_network_only_gets_the_general_rules()
    {
        // No forwarding rules, and no checksum rule without DHCP.
        Assert.Equal(GeneralIPv4, Lines("""
            <network>
              <name>iso</name>
              <bridge name="virbr0"/>
              <ip address="192.168.50.1" prefix="24"/>
            </network>
            """));

        // The IPv4 rules do not depend on an IPv4 address; DHCP brings the checksum rule.
        Assert.Equal(GeneralIPv4, Lines("<network><name>bare</name><bridge name='virbr0'/></network>"));
        Assert.Equal([.. GeneralIPv4, Checksum], Lines("""
            <network>
              <name>iso</name>
              <bridge name="virbr0"/>
              <ip address="192.168.50.1" prefix="24"><dhcp><host mac='52:54:00:00:00:01' ip='192.168.50.5'/></dhcp></ip>
            </network>
            """));
    }

    [Fact]
    public void Ipv6_yes_without_an_ipv6_address_lets_guests_talk_ipv6_on_the_bridge_only()
    {
        Assert.Equal(
            [
                .. GeneralIPv4,
                "ip6tables -w --table filter --insert LIBVIRT_FWO --in-interface virbr0 --jump REJECT",
                "ip6tables -w --table filter --insert LIBVIRT_FWI --out-interface virbr0 --jump REJECT",
                "ip6tables -w --table filter --insert LIBVIRT_FWX --in-interface virbr0 --out-interface virbr0 --jump ACCEPT",
            ],
            Lines("<network ipv6='yes'><name>iso6</name><bridge name='virbr0'/></network>"));
    }

    [Fact]
    public void Tftp_counts_only_on_the_first_ipv4_address_with_dhcp_or_tftp()
    {
        var lines = Lines("""
            <network>
              <name>two</name>
              <bridge name="virbr0"/>
              <ip address="192.168.50.1" prefix="24"><dhcp><range start='192.168.50.2' end='192.168.50.9'/></dhcp></ip>
              <ip address="192.168.51.1" prefix="24"><tftp root='/srv/tftp'/></ip>
            </network>
            """);
        Assert.Equal([.. GeneralIPv4, Checksum], lines);
    }

    [Fact]
    public void A_nat_address_and_port_range_give_snat_on_the_forward_device()
    {
        var lines = Lines("""
            <network>
              <name>snat</name>
              <bridge name="virbr0"/>
              <forward mode='nat' dev='eth0'>
                <nat>
                  <address start='203.0.113.10' end='203.0.113.20'/>
                  <port start='20000' end='29999'/>
                </nat>
              </forward>
              <ip address="192.168.122.1" prefix="24"/>
            </network>
            """);

        Assert.Equal(
            [
                .. GeneralIPv4,
                "iptables -w --table filter --insert LIBVIRT_FWO --source 192.168.122.0/24 --in-interface virbr0 --out-interface eth0 --jump ACCEPT",
                "iptables -w --table filter --insert LIBVIRT_FWI --destination 192.168.122.0/24 --in-interface eth0 --out-interface virbr0 --match conntrack --ctstate ESTABLISHED,RELATED --jump ACCEPT",
                "iptables -w --table nat --insert LIBVIRT_PRT --source 192.168.122.0/24 '!' --destination 192.168.122.0/24 --out-interface eth0 --jump SNAT --to-source 203.0.113.10-203.0.113.20",
                "iptables -w --table nat --insert LIBVIRT_PRT --source 192.168.122.0/24 -p udp '!' --destination 192.168.122.0/24 --out-interface eth0 --jump SNAT --to-source 203.0.113.10-203.0.113.20:20000-29999",
                "iptables -w --table nat --insert LIBVIRT_PRT --source 192.168.122.0/24 -p tcp '!' --destination 192.168.122.0/24 --out-interface eth0 --jump SNAT --to-source 203.0.113.10-203.0.113.20:20000-29999",
                "iptables -w --table nat --insert LIBVIRT_PRT --out-interface eth0 --source 192.168.122.0/24 --destination 255.255.255.255/32 --jump RETURN",
                "iptables -w --table nat --insert LIBVIRT_PRT --out-interface eth0 --source 192.168.122.0/24 --destination 224.0.0.0/24 --jump RETURN",
            ],
            lines);
    }

    [Fact]
    public void Nat_ipv6_yes_masquerades_the_ipv6_subnet_with_the_port_range()
    {
        var lines = Lines("""
            <network>
              <name>nat6</name>
              <bridge name="virbr0"/>
              <forward mode='nat'><nat ipv6='yes'><port start='2048' end='4095'/></nat></forward>
              <ip family="ipv6" address="fd00:1:2::1" prefix="64"/>
            </network>
            """);

        Assert.Equal(
            [
                "ip6tables -w --table filter --insert LIBVIRT_FWO --source fd00:1:2::/64 --in-interface virbr0 --jump ACCEPT",
                "ip6tables -w --table filter --insert LIBVIRT_FWI --destination fd00:1:2::/64 --out-interface virbr0 --match conntrack --ctstate ESTABLISHED,RELATED --jump ACCEPT",
                "ip6tables -w --table nat --insert LIBVIRT_PRT --source fd00:1:2::/64 '!' --destination fd00:1:2::/64 --jump MASQUERADE",
                "ip6tables -w --table nat --insert LIBVIRT_PRT --source fd00:1:2::/64 -p udp '!' --destination fd00:1:2::/64 --jump MASQUERADE --to-ports 2048-4095",
                "ip6tables -w --table nat --insert LIBVIRT_PRT --source fd00:1:2::/64 -p tcp '!' --destination fd00:1:2::/64 --jump MASQUERADE --to-ports 2048-4095",
                "ip6tables -w --table nat --insert LIBVIRT_PRT --source fd00:1:2::/64 --destination ff02::/16 --jump RETURN",
            ],
            lines[^6..]);
    }

    [Fact]
    public void A_port_range_of_one_port_stops_the_network()
    {
        var network = Specs.Network("""
            <network>
              <name>one</name>
              <bridge name="virbr0"/>
              <forward mode='nat'><nat><port start='5000' end='5000'/></nat></forward>
              <ip address="192.168.122.1" prefix="24"/>
            </network>
            """);

        var e = Assert.Throws<RuntimeException>(() => IptablesPlan.NetworkRules(network));
        Assert.Equal("internal error: Invalid port range '5000-5000'.", e.Message);
    }

    [Theory]
    [InlineData("<network><name>o</name><bridge name='virbr0'/><forward mode='open'/><ip address='10.0.0.1' prefix='24'/></network>")]
    [InlineData("<network><name>b</name><bridge name='br0'/><forward mode='bridge'/></network>")]
    [InlineData("<network><name>p</name><forward mode='private'><interface dev='eth0'/></forward></network>")]
    [InlineData("<network><name>v</name><forward mode='vepa'><interface dev='eth0'/></forward></network>")]
    [InlineData("<network><name>t</name><forward mode='passthrough'><interface dev='eth0'/></forward></network>")]
    [InlineData("<network><name>h</name><forward mode='hostdev' managed='yes'><address type='pci' domain='0' bus='4' slot='0' function='1'/></forward></network>")]
    public void Networks_on_bridges_or_devices_libvirt_does_not_filter_get_no_rules(string xml)
    {
        var network = Specs.Network(xml);
        Assert.False(IptablesPlan.HasRules(network));
        Assert.Empty(IptablesPlan.NetworkRules(network));
    }
}
