using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>
/// What virsh net-dumpxml shows after virsh net-define on libvirt 9.0.0's test driver (test:///default);
/// each expected document is libvirt's output for the same input.
/// </summary>
public sealed class NetworkNormalizationTests
{
    [Fact]
    public void An_isolated_network_gets_a_uuid_and_libvirts_bridge_defaults()
    {
        var doc = LibvirtSchema.LoadText("t.xml", "<network><name>isolated</name></network>", SchemaOptions.Default with { Identity = new NetworkSpecs.FixedIdentity() });

        Assert.True(doc.IsValid);
        Assert.Equal(
            $"""
            <network>
              <name>isolated</name>
              <uuid>{NetworkSpecs.FixedIdentity.Uuid}</uuid>
              <bridge stp='on' delay='0'/>
            </network>

            """.ReplaceLineEndings("\n"),
            doc.Format());
    }

    [Fact]
    public void Elements_come_in_libvirts_order_with_canonical_addresses()
    {
        var xml = NetworkSpecs.Normalize("""
            <network>
              <ip address='192.168.122.1' netmask='255.255.255.0'>
                <dhcp>
                  <host mac='52:54:00:AA:BB:CC' name='web' ip='192.168.122.010'/>
                  <range start='192.168.122.2' end='192.168.122.254'/>
                </dhcp>
              </ip>
              <ip family='ipv6' address='2001:DB8:0:0:0:0:0:1' prefix='64'/>
              <dns>
                <host ip='192.168.122.2'><hostname>myhost</hostname></host>
                <srv service='name' protocol='tcp' target='.' port='1024' priority='0' weight='10'/>
                <txt name='example' value='example value'/>
                <forwarder addr='8.8.8.8'/>
              </dns>
              <domain name='example.com'/>
              <mac address='52:54:00:AB:CD:EF'/>
              <mtu size='9000'/>
              <bridge name='virbr0'/>
              <forward dev='eth1'/>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <name>dflt</name>
            </network>
            """);

        // The forward device becomes an <interface> too; the bridge MAC is written in lower case but a DHCP
        // host's MAC as written; the octal host address is 192.168.122.8; DNS records are written forwarders,
        // TXT, SRV, hosts; an SRV priority of 0 is not kept.
        NetworkSpecs.AssertSameXml(
            """
            <network>
              <name>dflt</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward dev='eth1' mode='nat'>
                <interface dev='eth1'/>
              </forward>
              <bridge name='virbr0' stp='on' delay='0'/>
              <mtu size='9000'/>
              <mac address='52:54:00:ab:cd:ef'/>
              <domain name='example.com'/>
              <dns>
                <forwarder addr='8.8.8.8'/>
                <txt name='example' value='example value'/>
                <srv service='name' protocol='tcp' target='.' port='1024' weight='10'/>
                <host ip='192.168.122.2'>
                  <hostname>myhost</hostname>
                </host>
              </dns>
              <ip address='192.168.122.1' netmask='255.255.255.0'>
                <dhcp>
                  <range start='192.168.122.2' end='192.168.122.254'/>
                  <host mac='52:54:00:AA:BB:CC' name='web' ip='192.168.122.8'/>
                </dhcp>
              </ip>
              <ip family='ipv6' address='2001:db8::1' prefix='64'>
              </ip>
            </network>
            """,
            xml);
    }

    [Fact]
    public void A_hostdev_pool_is_written_in_hex_with_managed_no()
    {
        var xml = NetworkSpecs.Normalize("""
            <network>
              <name>hostdev</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward mode='hostdev'>
                <address type='pci' domain='0' bus='3' slot='0' function='1'/>
                <driver name='vfio'/>
                <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2'/>
              </forward>
            </network>
            """);

        Assert.Equal(
            """
            <network>
              <name>hostdev</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward mode='hostdev' managed='no'>
                <driver name='vfio'/>
                <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x1'/>
                <address type='pci' domain='0x0000' bus='0x03' slot='0x00' function='0x2'/>
              </forward>
            </network>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void A_host_bridge_pool_names_its_first_device_and_has_no_spanning_tree_settings()
    {
        var xml = NetworkSpecs.Normalize("""
            <network>
              <name>host-bridge</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward mode='bridge'>
                <interface dev='eth2'/>
                <interface dev='eth3'/>
              </forward>
              <bridge macTableManager='kernel'/>
            </network>
            """);

        Assert.Equal(
            """
            <network>
              <name>host-bridge</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward dev='eth2' mode='bridge'>
                <interface dev='eth2'/>
                <interface dev='eth3'/>
              </forward>
              <bridge macTableManager='kernel'/>
            </network>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void What_libvirt_does_not_keep_is_dropped()
    {
        var xml = NetworkSpecs.Normalize("""
            <network connections='3' foo='bar'>
              <name>dropped</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <description>not a network element</description>
              <forward mode='nat'>
                <nat>
                  <port start='0' end='0'/>
                </nat>
              </forward>
              <bridge name='virbr7' stp='off' delay='3'/>
              <bridge name='ignored'/>
              <domain localOnly='yes'/>
              <ip address='10.1.1.1' prefix='24' family='ipv4'>
                <tftp/>
                <dhcp>
                  <bootp file='pxelinux.0'/>
                </dhcp>
              </ip>
              <ip address='10.1.2.1' prefix='24'>
                <dhcp>
                  <range start='10.1.2.10' end='10.1.2.20'>
                    <lease expiry='0' unit='hours'/>
                  </range>
                </dhcp>
              </ip>
            </network>
            """);

        // Unknown attributes and elements, a second <bridge>, a <domain> without a name, a <tftp> without a
        // root, a bootp without DHCP ranges or hosts, an empty NAT port range and the unit of an infinite lease.
        NetworkSpecs.AssertSameXml(
            """
            <network>
              <name>dropped</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward mode='nat'/>
              <bridge name='virbr7' stp='off' delay='3'/>
              <ip family='ipv4' address='10.1.1.1' prefix='24'>
              </ip>
              <ip address='10.1.2.1' prefix='24'>
                <dhcp>
                  <range start='10.1.2.10' end='10.1.2.20'>
                    <lease expiry='0'/>
                  </range>
                </dhcp>
              </ip>
            </network>
            """,
            xml);
    }

    [Fact]
    public void Port_groups_vlans_bandwidth_and_virtual_ports_are_ordered_as_libvirt_writes_them()
    {
        var xml = NetworkSpecs.Normalize("""
            <network trustGuestRxFilters='no' ipv6='yes'>
              <name>groups</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <portgroup name='engineering' default='YES'>
                <bandwidth>
                  <inbound average='1000' burst='5000' peak='2000'/>
                </bandwidth>
                <virtualport>
                  <parameters profileid='eng'/>
                </virtualport>
                <vlan>
                  <tag id='42'/>
                </vlan>
              </portgroup>
              <virtualport type='openvswitch'/>
              <route address='0.0.0.0' prefix='0' gateway='10.2.0.254' metric='2'/>
              <ip address='10.2.0.1' prefix='24'/>
              <port isolated='yes'/>
              <bandwidth>
                <outbound peak='300' average='200'/>
              </bandwidth>
              <vlan trunk='yes'>
                <tag nativeMode='untagged' id='5'/>
                <tag id='6'/>
              </vlan>
              <forward mode='bridge'/>
              <bridge name='ovsbr0'/>
            </network>
            """);

        NetworkSpecs.AssertSameXml(
            """
            <network ipv6='yes' trustGuestRxFilters='no'>
              <name>groups</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <forward mode='bridge'/>
              <bridge name='ovsbr0'/>
              <vlan trunk='yes'>
                <tag id='5' nativeMode='untagged'/>
                <tag id='6'/>
              </vlan>
              <bandwidth>
                <outbound average='200' peak='300'/>
              </bandwidth>
              <port isolated='yes'/>
              <ip address='10.2.0.1' prefix='24'>
              </ip>
              <route address='0.0.0.0' prefix='0' gateway='10.2.0.254' metric='2'/>
              <virtualport type='openvswitch'/>
              <portgroup name='engineering' default='yes'>
                <vlan>
                  <tag id='42'/>
                </vlan>
                <virtualport>
                  <parameters profileid='eng'/>
                </virtualport>
                <bandwidth>
                  <inbound average='1000' peak='2000' burst='5000'/>
                </bandwidth>
              </portgroup>
            </network>
            """,
            xml);
    }

    [Fact]
    public void Metadata_keeps_the_first_element_of_each_namespace_with_its_declaration()
    {
        var xml = NetworkSpecs.Normalize("""
            <network xmlns:app='http://example.org/app/'>
              <name>meta</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <metadata>
                <app:owner team='infra'>alice</app:owner>
                <untagged/>
                <app:second/>
              </metadata>
            </network>
            """);

        Assert.Equal(
            """
            <network>
              <name>meta</name>
              <uuid>81ff0d90-c91e-6742-64da-4a736edb9a9b</uuid>
              <metadata xmlns:app='http://example.org/app/'>
                <app:owner team='infra'>alice</app:owner>
              </metadata>
              <bridge stp='on' delay='0'/>
            </network>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void Defaults_keep_the_position_of_elements_from_the_file()
    {
        var doc = Specs.Load("<network>\n  <name>n1</name>\n  <bridge name='virbr3'/>\n</network>\n");

        var bridge = doc.Effective!.Element("bridge")!;
        Assert.Equal(3, ((System.Xml.IXmlLineInfo)bridge).LineNumber);
    }
}
