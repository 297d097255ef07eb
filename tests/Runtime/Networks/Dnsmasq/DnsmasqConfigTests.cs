using Reconciler.Runtime.Networks.Dnsmasq;
using Reconciler.Runtime.Tests.Support;
using Reconciler.Schema.Diagnostics;
using Xunit;

namespace Reconciler.Runtime.Tests.Networks.Dnsmasq;

/// <summary>
/// The dnsmasq configuration of a network, with expectations worked out from libvirt 9.0.0's
/// networkDnsmasqConfContents (src/network/bridge_driver.c) and src/util/virdnsmasq.c.
/// </summary>
public sealed class DnsmasqConfigTests
{
    private static DnsmasqConfig Build(string xml, DnsmasqOptions? options = null, IReadOnlyList<string>? custom = null) =>
        DnsmasqConfig.Build(Specs.Network(xml), options, custom);

    [Fact]
    public void A_nat_network_with_a_dhcp_range_serves_it_authoritatively_on_its_bridge_only()
    {
        var config = Build("""
            <network>
              <name>lab</name>
              <forward mode='nat'/>
              <bridge name='br-lab'/>
              <ip address='10.20.0.1' netmask='255.255.0.0'>
                <dhcp><range start='10.20.0.10' end='10.20.1.9'/></dhcp>
              </ip>
            </network>
            """);

        // 10.20.0.10 .. 10.20.1.9 is (1 - 0) * 256 + (9 - 10) + 1 = 256 addresses.
        Assert.Equal(
            [
                "strict-order",
                "except-interface=lo",
                "bind-dynamic",
                "interface=br-lab",
                "dhcp-range=10.20.0.10,10.20.1.9,255.255.0.0",
                "dhcp-no-override",
                "dhcp-authoritative",
                "dhcp-lease-max=256",
                "dhcp-hostsfile=/var/lib/libvirt/dnsmasq/lab.hostsfile",
                "addn-hosts=/var/lib/libvirt/dnsmasq/lab.addnhosts",
            ],
            Specs.Settings(config.Config));
        Assert.StartsWith("##WARNING:  THIS IS AN AUTO-GENERATED FILE.", config.Config, StringComparison.Ordinal);
        Assert.Contains("##    virsh net-edit lab\n", config.Config, StringComparison.Ordinal);
        Assert.Equal("/var/lib/libvirt/dnsmasq/lab.conf", config.ConfigPath);
        Assert.False(config.HasDhcpHosts);
        Assert.Equal(string.Empty, config.HostsFile);
    }

    [Fact]
    public void An_isolated_network_gives_no_default_route_no_upstream_dns_and_no_ipv6_route()
    {
        var settings = Specs.Settings(Build("""
            <network>
              <name>iso</name>
              <bridge name='virbr9'/>
              <ip address='192.168.50.1' prefix='24'/>
            </network>
            """).Config);

        Assert.Equal(
            ["strict-order", "except-interface=lo", "bind-dynamic", "interface=virbr9", "dhcp-option=3", "no-resolv", "ra-param=*,0,0", "addn-hosts=/var/lib/libvirt/dnsmasq/iso.addnhosts"],
            settings);
    }

    [Fact]
    public void Disabled_dns_sets_port_zero_and_drops_every_dns_setting()
    {
        var settings = Specs.Settings(Build("""
            <network>
              <name>nodns</name>
              <forward mode='route'/>
              <bridge name='virbr3'/>
              <domain name='corp.example'/>
              <dns enable='no'/>
              <ip address='172.16.0.1' prefix='24' localPtr='yes'/>
            </network>
            """).Config);

        // The domain is still given out; localPtr and addn-hosts belong to the DNS service.
        Assert.Equal(["strict-order", "port=0", "domain=corp.example", "expand-hosts", "except-interface=lo", "bind-dynamic", "interface=virbr3"], settings);
    }

    [Fact]
    public void Forwarders_a_local_domain_reverse_zones_and_plain_names_in_libvirts_order()
    {
        var settings = Specs.Settings(Build("""
            <network>
              <name>dns</name>
              <forward mode='nat'/>
              <bridge name='virbr4'/>
              <domain name='corp.example' localOnly='yes'/>
              <dns forwardPlainNames='no'>
                <forwarder domain='internal.example' addr='10.0.0.53'/>
                <forwarder domain='blocked.example'/>
                <forwarder addr='2001:db8::53'/>
              </dns>
              <ip address='192.168.7.1' prefix='16' localPtr='yes'/>
              <ip family='ipv6' address='2001:db8:aa:bb::1' prefix='56' localPtr='yes'/>
            </network>
            """).Config);

        Assert.Equal(
            [
                "strict-order",
                "server=/internal.example/10.0.0.53",
                "server=/blocked.example/#",
                "server=2001:db8::53",
                "no-resolv",
                "local=/corp.example/",
                "domain=corp.example",
                "expand-hosts",
                "local=/168.192.in-addr.arpa/",
                // The first 56 bits are 14 nibbles of 2001:0db8:00aa:00, last first.
                "local=/0.0.a.a.0.0.8.b.d.0.1.0.0.2.ip6.arpa/",
                "domain-needed",
                "local=//",
                "except-interface=lo",
                "bind-dynamic",
                "interface=virbr4",
                "addn-hosts=/var/lib/libvirt/dnsmasq/dns.addnhosts",
                "dhcp-range=2001:db8:aa:bb::1,ra-only",
            ],
            settings);
    }

    [Fact]
    public void Forwarders_with_domains_only_keep_the_hosts_resolv_conf()
    {
        var settings = Specs.Settings(Build("""
            <network>
              <name>f</name>
              <forward mode='nat'/>
              <bridge name='virbr5'/>
              <dns><forwarder domain='a.example' addr='10.0.0.1'/></dns>
              <ip address='10.5.0.1' prefix='24'/>
            </network>
            """).Config);

        Assert.Contains("server=/a.example/10.0.0.1", settings);
        Assert.DoesNotContain("no-resolv", settings);
    }

    [Fact]
    public void A_reverse_zone_needs_a_prefix_on_an_octet_boundary()
    {
        var e = Assert.Throws<RuntimeException>(() => Build("""
            <network>
              <name>ptr</name>
              <forward mode='nat'/>
              <bridge name='virbr6'/>
              <ip address='10.1.16.1' prefix='20' localPtr='yes'/>
            </network>
            """));

        Assert.Equal(ErrorCode.ConfigUnsupported, e.Code);
        Assert.Equal("unsupported configuration: PTR domain for IPv4 network with prefix 20 cannot be automatically created", e.Message);
    }

    [Fact]
    public void Txt_and_srv_records_fill_in_earlier_srv_fields_when_a_later_one_is_set()
    {
        var settings = Specs.Settings(Build("""
            <network>
              <name>srv</name>
              <forward mode='nat'/>
              <bridge name='virbr7'/>
              <dns>
                <txt name='info' value='hello world'/>
                <srv service='ldap' protocol='tcp' domain='corp.example' target='dc1.corp.example' weight='5'/>
                <srv service='sip' protocol='udp' target='pbx.example' priority='3'/>
                <srv service='xmpp' protocol='tcp' target='chat.example' port='5222'/>
                <srv service='none' protocol='tcp' target='.' port='99'/>
              </dns>
              <ip address='10.7.0.1' prefix='24'/>
            </network>
            """).Config);

        Assert.Equal(
            [
                "txt-record=info,hello world",
                "srv-host=_ldap._tcp.corp.example,dc1.corp.example,1,0,5",
                "srv-host=_sip._udp,pbx.example,1,3",
                "srv-host=_xmpp._tcp,chat.example,5222",
                "srv-host=_none._tcp",
            ],
            settings.Where(l => l.StartsWith("txt-record=", StringComparison.Ordinal) || l.StartsWith("srv-host=", StringComparison.Ordinal)));
    }

    [Fact]
    public void Static_hosts_bootp_tftp_leases_and_mtu()
    {
        var config = Build("""
            <network>
              <name>pxe</name>
              <forward mode='nat'/>
              <bridge name='virbr8'/>
              <mtu size='9000'/>
              <ip address='10.9.0.1' prefix='24'>
                <tftp root='/srv/tftp'/>
                <dhcp>
                  <range start='10.9.0.100' end='10.9.0.149'>
                    <lease expiry='0'/>
                  </range>
                  <host mac='52:54:00:aa:bb:01' name='web' ip='10.9.0.10'>
                    <lease expiry='90' unit='minutes'/>
                  </host>
                  <host mac='52:54:00:aa:bb:02' ip='10.9.0.11'/>
                  <host name='db' ip='10.9.0.12'/>
                  <bootp file='pxelinux.0' server='10.9.0.2'/>
                </dhcp>
              </ip>
            </network>
            """);

        Assert.Equal(
            [
                "strict-order",
                "except-interface=lo",
                "bind-dynamic",
                "interface=virbr8",
                "enable-tftp",
                "tftp-root=/srv/tftp",
                "dhcp-range=10.9.0.100,10.9.0.149,255.255.255.0,infinite",
                "dhcp-no-override",
                "dhcp-authoritative",
                "dhcp-boot=pxelinux.0,,10.9.0.2",
                "dhcp-lease-max=50",
                "dhcp-hostsfile=/var/lib/libvirt/dnsmasq/pxe.hostsfile",
                "addn-hosts=/var/lib/libvirt/dnsmasq/pxe.addnhosts",
                "dhcp-option=option:mtu,9000",
            ],
            Specs.Settings(config.Config));
        Assert.True(config.HasDhcpHosts);
        Assert.Equal("52:54:00:aa:bb:01,10.9.0.10,web,90m\n52:54:00:aa:bb:02,10.9.0.11\ndb,10.9.0.12\n", config.HostsFile);
    }

    [Fact]
    public void Static_only_dhcp_turns_the_service_on_with_a_static_range_and_ipv6_dhcp_enables_router_advertisements()
    {
        var config = Build("""
            <network>
              <name>v6</name>
              <forward mode='route'/>
              <bridge name='virbr10'/>
              <ip address='10.10.0.1' prefix='24'>
                <dhcp><host mac='52:54:00:00:00:0a' name='a' ip='10.10.0.5'/></dhcp>
              </ip>
              <ip family='ipv6' address='fd00:10::1' prefix='64'>
                <dhcp>
                  <range start='fd00:10::100' end='fd00:10::1ff'>
                    <lease expiry='2' unit='hours'/>
                  </range>
                  <host id='0:3:0:1:52:54:0:0:0:b' name='b' ip='fd00:10::b'/>
                  <host name='c' ip='fd00:10::c'/>
                  <host id='0:1:2' ip='fd00:10::d'/>
                </dhcp>
              </ip>
              <ip family='ipv6' address='fd00:11::1' prefix='64'/>
            </network>
            """);

        // 0x1ff - 0x100 + 1 = 256 IPv6 leases; the IPv4 static-only service counts none.
        Assert.Equal(
            [
                "strict-order",
                "except-interface=lo",
                "bind-dynamic",
                "interface=virbr10",
                "dhcp-range=10.10.0.1,static",
                "dhcp-no-override",
                "dhcp-authoritative",
                "dhcp-range=fd00:10::100,fd00:10::1ff,64,2h",
                "dhcp-lease-max=256",
                "dhcp-hostsfile=/var/lib/libvirt/dnsmasq/v6.hostsfile",
                "addn-hosts=/var/lib/libvirt/dnsmasq/v6.addnhosts",
                "enable-ra",
            ],
            Specs.Settings(config.Config));
        Assert.Equal("52:54:00:00:00:0a,10.10.0.5,a\nid:0:3:0:1:52:54:0:0:0:b,b,[fd00:10::b]\nc,[fd00:10::c]\nid:0:1:2,[fd00:10::d]\n", config.HostsFile);
    }

    [Fact]
    public void Only_one_address_per_family_can_serve_dhcp()
    {
        var e = Assert.Throws<RuntimeException>(() => Build("""
            <network>
              <name>two</name>
              <forward mode='nat'/>
              <bridge name='virbr11'/>
              <ip address='10.11.0.1' prefix='24'><dhcp><range start='10.11.0.2' end='10.11.0.9'/></dhcp></ip>
              <ip address='10.12.0.1' prefix='24'><dhcp><range start='10.12.0.2' end='10.12.0.9'/></dhcp></ip>
            </network>
            """));

        Assert.Equal("unsupported configuration: For IPv4, multiple DHCP definitions cannot be specified.", e.Message);
    }

    [Fact]
    public void Tftp_is_enabled_once_for_every_ipv4_address_with_a_root()
    {
        var settings = Specs.Settings(Build("""
            <network>
              <name>boot</name>
              <forward mode='nat'/>
              <bridge name='virbr12'/>
              <ip address='10.13.0.1' prefix='24'><tftp root='/srv/a'/></ip>
              <ip address='10.14.0.1' prefix='24'><tftp root='/srv/b'/></ip>
            </network>
            """).Config);

        Assert.Equal(["enable-tftp", "tftp-root=/srv/a", "tftp-root=/srv/b"], settings.Where(l => l.Contains("tftp", StringComparison.Ordinal)));
    }

    [Fact]
    public void Host_facts_and_custom_options()
    {
        var options = DnsmasqOptions.Default with
        {
            StateDirectory = "/state/dnsmasq",
            PidDirectory = "/run/libvirt/network",
            LoopbackInterface = "lo0",
        };
        var config = Build(
            """
            <network>
              <name>facts</name>
              <forward mode='nat'/>
              <bridge name='virbr13'/>
              <ip address='10.15.0.1' prefix='24'><dhcp><range start='10.15.0.2' end='10.15.0.3'/></dhcp></ip>
            </network>
            """,
            options,
            ["cname=a.example,b.example", "log-queries"]);

        var settings = Specs.Settings(config.Config);
        Assert.Equal(["strict-order", "pid-file=/run/libvirt/network/facts.pid", "except-interface=lo0"], settings[..3]);
        Assert.Contains("dhcp-hostsfile=/state/dnsmasq/facts.hostsfile", settings);
        Assert.Equal(["cname=a.example,b.example", "log-queries"], settings[^2..]);
        Assert.Equal("/state/dnsmasq/facts.conf", config.ConfigPath);
    }

    [Fact]
    public void The_hosts_file_paths_escape_the_name_for_xml_but_the_config_path_does_not()
    {
        var config = Build("""
            <network>
              <name>a&amp;b'c</name>
              <forward mode='nat'/>
              <bridge name='virbr14'/>
              <ip address='10.16.0.1' prefix='24'/>
            </network>
            """);

        Assert.Equal("/var/lib/libvirt/dnsmasq/a&b'c.conf", config.ConfigPath);
        Assert.Equal("/var/lib/libvirt/dnsmasq/a&amp;b&apos;c.addnhosts", config.AddnHostsPath);
        Assert.Contains("addn-hosts=/var/lib/libvirt/dnsmasq/a&amp;b&apos;c.addnhosts", Specs.Settings(config.Config));
        Assert.Contains("##    virsh net-edit a&b'c\n", config.Config, StringComparison.Ordinal);
    }

    [Fact]
    public void Dns_hosts_go_to_the_additional_hosts_file_names_gathered_per_address()
    {
        var config = Build("""
            <network>
              <name>hosts</name>
              <forward mode='nat'/>
              <bridge name='virbr15'/>
              <dns>
                <host ip='10.17.0.5'><hostname>web</hostname><hostname>www</hostname></host>
                <host ip='fd00::5'><hostname>web6</hostname></host>
                <host ip='10.17.0.5'><hostname>app</hostname></host>
              </dns>
              <ip address='10.17.0.1' prefix='24'/>
            </network>
            """);

        Assert.Equal("10.17.0.5\tweb\twww\tapp\t\nfd00::5\tweb6\t\n", config.AddnHosts);
    }

    [Theory]
    [InlineData("<network><name>n</name><bridge name='b0'/></network>", false)]
    [InlineData("<network><name>n</name><bridge name='b0'/><ip address='10.0.0.1' prefix='24'/></network>", true)]
    [InlineData("<network><name>n</name><bridge name='b0'/><dns enable='no'/><ip address='10.0.0.1' prefix='24'/></network>", false)]
    [InlineData("<network><name>n</name><bridge name='b0'/><dns enable='no'/><ip address='10.0.0.1' prefix='24'><tftp root='/t'/></ip></network>", true)]
    [InlineData("<network><name>n</name><forward mode='bridge'/><bridge name='br0'/></network>", false)]
    public void Libvirt_runs_dnsmasq_only_for_a_managed_bridge_with_an_address_and_some_service(string xml, bool needed) =>
        Assert.Equal(needed, DnsmasqConfig.IsNeeded(Specs.Network(xml)));
}
