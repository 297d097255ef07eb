using System.Xml.Linq;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>
/// What virsh pool-dumpxml shows after virsh pool-define on libvirt 9.0.0's test driver (test:///default);
/// the expected documents are libvirt's output for the same input.
/// </summary>
public sealed class PoolNormalizationTests
{
    [Fact]
    public void Sizes_are_the_test_drivers_in_bytes_whatever_the_file_says()
    {
        var xml = StorageSpecs.Normalize("""
            <pool type='netfs'>
              <name>nfsimages</name>
              <uuid>7641d5a8-af11-f730-a34e-0a7dfcede71f</uuid>
              <capacity unit='GiB'>3</capacity>
              <allocation>5</allocation>
              <available>0</available>
              <source>
                <host name='localhost'/>
                <dir path='/var/lib/libvirt/images'/>
                <format type='nfs'/>
              </source>
              <target>
                <path>/mnt</path>
              </target>
            </pool>
            """);

        Assert.Equal(
            """
            <pool type='netfs'>
              <name>nfsimages</name>
              <uuid>7641d5a8-af11-f730-a34e-0a7dfcede71f</uuid>
              <capacity unit='bytes'>107374182400</capacity>
              <allocation unit='bytes'>0</allocation>
              <available unit='bytes'>107374182400</available>
              <source>
                <host name='localhost'/>
                <dir path='/var/lib/libvirt/images'/>
                <format type='nfs'/>
              </source>
              <target>
                <path>/mnt</path>
              </target>
            </pool>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void Elements_come_in_libvirts_order_and_auth_names_its_type_first()
    {
        var xml = StorageSpecs.Normalize("""
            <pool type='iscsi'>
              <source>
                <auth username='admin' type='chap'>
                  <secret uuid='2EC115D7-3A88-3CEB-BC12-0AC909A6FD87'/>
                </auth>
                <device path="demo-target"/>
                <host name="iscsi.example.com"/>
              </source>
              <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
              <target>
                <permissions>
                  <owner>0</owner>
                  <mode>0700</mode>
                  <group>0</group>
                </permissions>
                <path>/dev/disk/by-path</path>
              </target>
              <name>virtimages</name>
            </pool>
            """);

        Assert.Equal(
            """
            <pool type='iscsi'>
              <name>virtimages</name>
              <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
              <capacity unit='bytes'>107374182400</capacity>
              <allocation unit='bytes'>0</allocation>
              <available unit='bytes'>107374182400</available>
              <source>
                <host name='iscsi.example.com'/>
                <device path='demo-target'/>
                <auth type='chap' username='admin'>
                  <secret uuid='2ec115d7-3a88-3ceb-bc12-0ac909a6fd87'/>
                </auth>
              </source>
              <target>
                <path>/dev/disk/by-path</path>
                <permissions>
                  <mode>0700</mode>
                  <owner>0</owner>
                  <group>0</group>
                </permissions>
              </target>
            </pool>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void Target_path_is_sanitised_and_unset_owner_and_group_are_dropped()
    {
        var pool = Effective("""
            <pool type='dir'>
              <name>virtimages</name>
              <target>
                <path>///var/////lib/libvirt/images//</path>
                <permissions>
                  <mode>0700</mode>
                  <owner>-1</owner>
                  <group>4294967295</group>
                  <label>some_label_t</label>
                </permissions>
              </target>
            </pool>
            """);

        var target = pool.Element("target")!;
        Assert.Equal("/var/lib/libvirt/images", target.Element("path")!.Value);
        Assert.Equal(
            "<permissions><mode>0700</mode><label>some_label_t</label></permissions>",
            target.Element("permissions")!.ToString(SaveOptions.DisableFormatting));
    }

    [Theory]
    [InlineData("//host//share/", "//host/share")]
    [InlineData("gluster://host//vol/", "gluster://host//vol/")]
    [InlineData("/", "/")]
    [InlineData("images//vm/", "images/vm")]
    public void Paths_are_sanitised_like_virFileSanitizePath(string written, string expected)
    {
        var pool = Effective($"<pool type='dir'><name>p</name><target><path>{written}</path></target></pool>");
        Assert.Equal(expected, pool.Element("target")!.Element("path")!.Value);
    }

    [Theory]
    [InlineData("0", "00")]
    [InlineData("755", "0755")]
    [InlineData("0007", "07")]
    public void Mode_is_written_in_octal_with_a_leading_zero(string written, string expected)
    {
        var pool = Effective($"<pool type='dir'><name>p</name><target><path>/p</path><permissions><mode>{written}</mode></permissions></target></pool>");
        Assert.Equal(expected, pool.Element("target")!.Element("permissions")!.Element("mode")!.Value);
    }

    [Fact]
    public void Owner_and_group_are_written_as_c_ints()
    {
        var pool = Effective("<pool type='dir'><name>p</name><target><path>/p</path><permissions><owner>4294967295</owner><group>0107</group></permissions></target></pool>");
        var permissions = pool.Element("target")!.Element("permissions")!;
        Assert.Null(permissions.Element("owner")); // (uid_t)-1: no owner
        Assert.Equal("107", permissions.Element("group")!.Value);

        // libvirt writes 4294967294 as -2, and then refuses -2 ("malformed owner element") when it reads its
        // own XML again: such a spec is refused up front.
        var refused = Reconciler.Schema.Tests.Support.Specs.Load("<pool type='dir'><name>p</name><target><path>/p</path><permissions><owner>4294967294</owner></permissions></target></pool>");
        Assert.Equal("libvirt would store this pool in a form that it cannot read again (XML error: malformed owner element); change the spec so that this does not happen", refused.Errors.Single().Message);
    }

    [Fact]
    public void A_missing_uuid_is_generated()
    {
        var pool = Effective("<pool type='dir'><name>p</name><target><path>/p</path></target></pool>");
        Assert.Equal(StorageSpecs.GeneratedUuid.ToString(), pool.Element("uuid")!.Value);
    }

    [Fact]
    public void Logical_pool_takes_its_name_from_the_source_and_its_target_from_the_volume_group()
    {
        var xml = StorageSpecs.Normalize("""
            <pool type='logical'>
              <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
              <source>
                <name>HostVG</name>
                <device path='/dev/sda1'/>
              </source>
              <target>
                <path>/somewhere/else</path>
              </target>
            </pool>
            """);

        Assert.Equal(
            """
            <pool type='logical'>
              <name>HostVG</name>
              <uuid>e9392370-2917-565e-692b-d057f46512d6</uuid>
              <capacity unit='bytes'>107374182400</capacity>
              <allocation unit='bytes'>0</allocation>
              <available unit='bytes'>107374182400</available>
              <source>
                <device path='/dev/sda1'/>
                <name>HostVG</name>
                <format type='lvm2'/>
              </source>
              <target>
                <path>/dev/HostVG</path>
              </target>
            </pool>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void Zfs_target_is_the_zvol_directory_of_the_source_name()
    {
        var pool = Effective("<pool type='zfs'><name>tank</name><source><device path='/dev/sdb'/></source></pool>");
        Assert.Equal("/dev/zvol/tank", pool.Element("target")!.Element("path")!.Value);
        Assert.Equal("tank", pool.Element("source")!.Element("name")!.Value);
    }

    [Fact]
    public void Network_pools_have_no_target_and_gluster_defaults_its_dir_to_the_root()
    {
        var xml = StorageSpecs.Normalize("""
            <pool type='gluster'>
              <name>gluster</name>
              <uuid>7641d5a8-af11-f730-a34e-0a7dfcede71f</uuid>
              <source>
                <host name='gluster.example.com' port='24007'/>
                <name>volume</name>
              </source>
              <target>
                <path>/ignored</path>
              </target>
            </pool>
            """);

        Assert.Equal(
            """
            <pool type='gluster'>
              <name>gluster</name>
              <uuid>7641d5a8-af11-f730-a34e-0a7dfcede71f</uuid>
              <capacity unit='bytes'>107374182400</capacity>
              <allocation unit='bytes'>0</allocation>
              <available unit='bytes'>107374182400</available>
              <source>
                <host name='gluster.example.com' port='24007'/>
                <dir path='/'/>
                <name>volume</name>
              </source>
            </pool>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void Source_parts_the_pool_type_does_not_use_are_dropped_and_formats_get_their_default()
    {
        var pool = Effective("""
            <pool type='fs'>
              <name>p</name>
              <source>
                <host name='ignored.example.com'/>
                <dir path='/ignored'/>
                <name>ignored</name>
                <device path='/dev/sdb1'/>
              </source>
              <target><path>/mnt</path></target>
            </pool>
            """);

        Assert.Equal(
            "<source><device path=\"/dev/sdb1\" /><format type=\"auto\" /></source>",
            pool.Element("source")!.ToString(SaveOptions.DisableFormatting));
    }

    [Fact]
    public void Namespaced_options_and_unknown_elements_are_not_kept_by_the_test_driver()
    {
        var pool = Effective("""
            <pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>
              <name>p</name>
              <source>
                <host name='nfs.example.com'/>
                <dir path='/export'/>
                <protocol ver='3'/>
              </source>
              <target><path>/mnt</path></target>
              <fs:mount_opts>
                <fs:option name='sync'/>
              </fs:mount_opts>
              <description>not a pool element</description>
            </pool>
            """);

        Assert.DoesNotContain(pool.Attributes(), a => a.IsNamespaceDeclaration);
        Assert.Equal(
            ["name", "uuid", "capacity", "allocation", "available", "source", "target"],
            pool.Elements().Select(e => e.Name.ToString()));
        Assert.Equal("3", pool.Element("source")!.Element("protocol")!.Attribute("ver")!.Value);
    }

    [Fact]
    public void Fc_host_adapter_attributes_follow_libvirts_order()
    {
        var pool = Effective("""
            <pool type='scsi'>
              <name>hba0</name>
              <source>
                <adapter wwpn='10000000c9831b4b' wwnn='20000000c9831b4b' managed='yes' parent='scsi_host5' type='fc_host'/>
              </source>
              <target><path>/dev/disk/by-path</path></target>
            </pool>
            """);

        var adapter = pool.Element("source")!.Element("adapter")!;
        Assert.Equal(["type", "parent", "managed", "wwnn", "wwpn"], adapter.Attributes().Select(a => a.Name.ToString()));
    }

    [Fact]
    public void Scsi_host_parent_address_is_written_in_hex_with_a_decimal_function()
    {
        var pool = Effective("""
            <pool type='scsi'>
              <name>hba0</name>
              <source>
                <adapter type='scsi_host'>
                  <parentaddr unique_id='1'>
                    <address domain='0' bus='0' slot='31' function='2'/>
                  </parentaddr>
                </adapter>
              </source>
              <target><path>/dev/disk/by-path</path></target>
            </pool>
            """);

        var address = pool.Element("source")!.Element("adapter")!.Element("parentaddr")!.Element("address")!;
        Assert.Equal("<address domain=\"0x0000\" bus=\"0x00\" slot=\"0x1f\" function=\"0x2\" />", address.ToString());
    }

    [Fact]
    public void Features_and_refresh_are_kept()
    {
        var pool = Effective("""
            <pool type='dir'>
              <refresh><volume allocation='capacity'/></refresh>
              <name>p</name>
              <features><cow state='no'/></features>
              <target><path>/p</path></target>
            </pool>
            """);

        Assert.Equal(
            ["name", "uuid", "capacity", "allocation", "available", "features", "source", "target", "refresh"],
            pool.Elements().Select(e => e.Name.ToString()));
        Assert.Equal("no", pool.Element("features")!.Element("cow")!.Attribute("state")!.Value);
        Assert.Equal("capacity", pool.Element("refresh")!.Element("volume")!.Attribute("allocation")!.Value);
    }

    [Fact]
    public void Protocol_version_is_kept_for_pool_types_without_a_format()
    {
        // libvirt checks the version against the netfs formats even for a dir pool, whose format is 0 ('auto').
        var pool = Effective("<pool type='dir'><name>p</name><source><protocol ver='4'/></source><target><path>/p</path></target></pool>");
        Assert.Equal("4", pool.Element("source")!.Element("protocol")!.Attribute("ver")!.Value);
    }

    private static XElement Effective(string xml)
    {
        var doc = StorageSpecs.Load(xml);
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        return doc.Effective!;
    }
}
