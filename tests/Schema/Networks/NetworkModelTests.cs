using System.Net;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Model;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>The typed network model, read from the effective XML: what libvirt keeps, with its defaults.</summary>
public sealed class NetworkModelTests
{
    [Fact]
    public void Nat_network_model()
    {
        var net = NetworkSpecs.Model("""
            <network>
              <name>default</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward/>
              <bridge name='virbr0' delay='2'/>
              <mac address='52:54:00:AB:CD:EF'/>
              <mtu size='9000'/>
              <domain name='example.com' localOnly='yes'/>
              <ip address='192.168.122.1' netmask='255.255.255.0'>
                <tftp root='/srv/tftp'/>
                <dhcp>
                  <range start='192.168.122.2' end='192.168.122.254'>
                    <lease expiry='1' unit='hours'/>
                  </range>
                  <host mac='00:16:3E:77:E2:ED' name='a.example.com' ip='192.168.122.10'/>
                  <bootp file='pxelinux.0' server='192.168.122.99'/>
                </dhcp>
              </ip>
              <ip family='ipv6' address='2001:db8:ca2:2::1' prefix='64'>
                <dhcp>
                  <host id='0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63' name='b' ip='2001:db8:ca2:2:3::1'/>
                </dhcp>
              </ip>
            </network>
            """);

        Assert.Equal("default", net.Name);
        Assert.Equal(new Guid("81ff0d90-c91e-6742-64da-4a736edb9a9b"), net.Uuid);
        Assert.Equal("nat", net.Forward.Mode);
        Assert.Null(net.Forward.Dev);
        Assert.Equal(new NetworkBridge("virbr0", null, true, 2, null), net.Bridge);
        Assert.Equal("52:54:00:ab:cd:ef", net.Mac);
        Assert.Equal(9000u, net.Mtu);
        Assert.Equal(new NetworkDomain("example.com", true), net.Domain);
        Assert.Equal(2, net.Ips.Count);

        var v4 = net.Ips[0];
        Assert.Equal(("ipv4", null), (v4.IpFamily, v4.Family));
        Assert.Equal(IPAddress.Parse("192.168.122.1"), v4.Address);
        Assert.Equal(IPAddress.Parse("255.255.255.0"), v4.Netmask);
        Assert.Equal(24, v4.PrefixLength);
        Assert.Equal("/srv/tftp", v4.TftpRoot);
        Assert.Equal(
            new DhcpRange(IPAddress.Parse("192.168.122.2"), IPAddress.Parse("192.168.122.254"), new DhcpLease(1, "hours")),
            Assert.Single(v4.Ranges));
        Assert.Equal(new DhcpHost("00:16:3E:77:E2:ED", null, "a.example.com", IPAddress.Parse("192.168.122.10"), null), Assert.Single(v4.Hosts));
        Assert.Equal(new DhcpBootp("pxelinux.0", IPAddress.Parse("192.168.122.99")), v4.Bootp);

        var v6 = net.Ips[1];
        Assert.Equal(("ipv6", "ipv6", 64u, 64), (v6.IpFamily, v6.Family, v6.Prefix, v6.PrefixLength));
        Assert.Equal("0:4:7e:7d:f0:7d:a8:bc:c5:d2:13:32:11:ed:16:ea:84:63", Assert.Single(v6.Hosts).Id);
        Assert.Equal([v6], net.IpsOf("ipv6"));
    }

    [Fact]
    public void Without_a_forward_element_the_mode_is_none()
    {
        var net = NetworkSpecs.Model("<network><name>isolated</name><ip address='10.0.0.1'/></network>");

        Assert.Equal(NetworkForward.None, net.Forward);
        Assert.True(net.Forward.HasBridge);
        Assert.Equal(new NetworkBridge(null, null, true, 0, null), net.Bridge);
        Assert.Equal(8, net.Ips[0].PrefixLength);
        Assert.Null(net.Dns);
    }

    [Fact]
    public void Forward_pools_interfaces_addresses_and_pf()
    {
        var bridge = NetworkSpecs.Model("""
            <network><name>b</name><forward mode='bridge' dev='eth0'><interface dev='eth0'/><interface dev='eth1'/></forward></network>
            """);
        var hostdev = NetworkSpecs.Model("""
            <network><name>h</name><forward mode='hostdev' managed='yes'><driver name='vfio'/>
              <address type='pci' domain='0' bus='3' slot='0' function='1'/></forward></network>
            """);
        var passthrough = NetworkSpecs.Model("<network><name>p</name><forward mode='passthrough'><pf dev='eth9'/></forward></network>");
        var nat = NetworkSpecs.Model("""
            <network><name>n</name><forward><nat ipv6='yes'><address start='10.20.30.40' end='10.20.30.44'/><port start='60000' end='65432'/></nat></forward>
              <ip address='10.0.0.1' prefix='24'/></network>
            """);

        Assert.Equal(new ValueList<string>(["eth0", "eth1"]), bridge.Forward.Interfaces);
        Assert.Equal("eth0", bridge.Forward.Dev);
        Assert.False(bridge.Forward.HasBridge);
        Assert.Null(bridge.Bridge);
        Assert.Equal(new PciAddress(0, 3, 0, 1), Assert.Single(hostdev.Forward.Addresses));
        Assert.Equal((true, "vfio"), (hostdev.Forward.Managed, hostdev.Forward.Driver));
        Assert.Equal("0000:03:00.1", hostdev.Forward.Addresses[0].ToString());
        Assert.Equal(("eth9", (string?)null), (passthrough.Forward.Pf, passthrough.Forward.Dev));
        Assert.Equal(
            new NetworkNat(IPAddress.Parse("10.20.30.40"), IPAddress.Parse("10.20.30.44"), new NatPortRange(60000, 65432), true),
            nat.Forward.Nat);
    }

    [Fact]
    public void Dns_routes_port_groups_and_virtual_port()
    {
        var net = NetworkSpecs.Model("""
            <network>
              <name>everything</name>
              <forward mode='route'/>
              <dns enable='yes' forwardPlainNames='no'>
                <forwarder domain='example.com' addr='192.168.1.1'/>
                <host ip='10.0.0.5'><hostname>a</hostname><hostname>b</hostname></host>
                <srv service='ldap' protocol='tcp' domain='d' target='t' port='389' priority='0' weight='10'/>
                <txt name='t1' value='v1'/>
              </dns>
              <ip address='10.0.0.1' prefix='24'/>
              <route address='192.168.222.0' prefix='24' gateway='10.0.0.2' metric='5'/>
              <virtualport type='openvswitch'><parameters interfaceid='09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f'/></virtualport>
              <portgroup name='eng' default='yes' trustGuestRxFilters='no'>
                <vlan><tag id='42'/></vlan>
                <bandwidth><inbound average='1000' peak='0'/></bandwidth>
              </portgroup>
            </network>
            """);

        var dns = net.Dns!;
        Assert.Equal((true, false), (dns.Enable, dns.ForwardPlainNames));
        Assert.Equal(new DnsForwarder("example.com", IPAddress.Parse("192.168.1.1")), Assert.Single(dns.Forwarders));
        Assert.Equal(new DnsHost(IPAddress.Parse("10.0.0.5"), new ValueList<string>(["a", "b"])), Assert.Single(dns.Hosts));
        Assert.Equal(new DnsSrv("ldap", "tcp", "d", "t", 389, null, 10), Assert.Single(dns.Srvs));
        Assert.Equal(new DnsTxt("t1", "v1"), Assert.Single(dns.Txts));
        Assert.Equal(
            new NetworkRoute(null, IPAddress.Parse("192.168.222.0"), null, 24, IPAddress.Parse("10.0.0.2"), 5),
            Assert.Single(net.Routes));
        Assert.Equal(
            new NetworkVirtualPort("openvswitch", null, null, null, null, new Guid("09b11c53-8b5c-4eeb-8f00-d84eaa0aaa4f"), null),
            net.VirtualPort);
        var group = Assert.Single(net.PortGroups);
        Assert.Equal(("eng", true, (bool?)false), (group.Name, group.IsDefault, group.TrustGuestRxFilters));
        Assert.Equal(new NetworkVlan(false, new ValueList<VlanTag>([new VlanTag(42, null)])), group.Vlan);
        Assert.Equal(new NetworkBandwidth(new BandwidthRate(1000, null, null, null), null), group.Bandwidth);
    }

    [Fact]
    public void Models_compare_by_value()
    {
        const string xml = "<network><name>n</name><uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid><ip address='10.0.0.1' prefix='24'/></network>";
        var a = NetworkSpecs.Model(xml);
        var b = NetworkSpecs.Model(xml);

        Assert.Equal(a with { Xml = b.Xml }, b);
        Assert.NotEqual(a with { Xml = b.Xml }, b with { Mtu = 1400 });
    }

    [Fact]
    public void Reading_an_invalid_network_is_an_argument_error_with_libvirts_message()
    {
        var error = Assert.Throws<ArgumentException>(() => NetworkDefinition.FromXml(System.Xml.Linq.XElement.Parse("<network><name>n</name><forward/></network>")));
        Assert.StartsWith("XML error: nat forwarding requested, but no IP address provided for network 'n'", error.Message, StringComparison.Ordinal);
    }
}
