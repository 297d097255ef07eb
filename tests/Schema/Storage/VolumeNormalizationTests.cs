using System.Xml.Linq;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>
/// What virsh vol-dumpxml shows after virsh vol-create in libvirt 9.0.0's test driver pool (a dir pool whose
/// directory is /default-pool); the expected documents are libvirt's output for the same input.
/// </summary>
public sealed class VolumeNormalizationTests
{
    [Fact]
    public void Volume_is_written_as_the_test_driver_shows_it()
    {
        var xml = StorageSpecs.Normalize("""
            <volume>
              <name>sparse.img</name>
              <key>/var/lib/libvirt/images/sparse.img</key>
              <source>
                <device path='/dev/sda2'>
                  <extent start='0' end='1'/>
                </device>
              </source>
              <capacity unit='GB'>10</capacity>
              <allocation unit='MiB'>3</allocation>
              <physical>5</physical>
              <target>
                <nocow/>
                <features>
                  <extended_l2/>
                  <lazy_refcounts/>
                </features>
                <clusterSize unit='KiB'>64</clusterSize>
                <timestamps>
                  <atime>1341933637.273190990</atime>
                </timestamps>
                <permissions>
                  <owner>0744</owner>
                  <mode>0</mode>
                </permissions>
                <format type='qcow2'/>
                <path>/var/lib/libvirt/images/sparse.img</path>
              </target>
              <backingStore>
                <path>/var/lib/virt/images/master.img</path>
              </backingStore>
            </volume>
            """);

        Assert.Equal(
            """
            <volume type='file'>
              <name>sparse.img</name>
              <key>/default-pool/sparse.img</key>
              <capacity unit='bytes'>10000000000</capacity>
              <allocation unit='bytes'>3145728</allocation>
              <target>
                <path>/default-pool/sparse.img</path>
                <format type='qcow2'/>
                <permissions>
                  <mode>00</mode>
                  <owner>744</owner>
                </permissions>
                <compat>1.1</compat>
                <clusterSize unit='B'>65536</clusterSize>
                <features>
                  <lazy_refcounts/>
                  <extended_l2/>
                </features>
              </target>
              <backingStore>
                <path>/var/lib/virt/images/master.img</path>
                <format type='raw'/>
              </backingStore>
            </volume>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void Luks_encryption_is_kept_with_its_cipher_before_its_ivgen()
    {
        var xml = StorageSpecs.Normalize("""
            <volume>
              <name>iso</name>
              <capacity unit='KiB'>4</capacity>
              <target>
                <encryption format='luks'>
                  <secret type='passphrase' usage='x'/>
                  <ivgen name='plain64' hash='sha256'/>
                  <cipher name='serpent' size='256' mode='cbc'/>
                </encryption>
              </target>
            </volume>
            """);

        Assert.Equal(
            """
            <volume type='file'>
              <name>iso</name>
              <key>/default-pool/iso</key>
              <capacity unit='bytes'>4096</capacity>
              <allocation unit='bytes'>4096</allocation>
              <target>
                <path>/default-pool/iso</path>
                <format type='raw'/>
                <encryption format='luks'>
                  <secret type='passphrase' usage='x'/>
                  <cipher name='serpent' size='256' mode='cbc'/>
                  <ivgen name='plain64' hash='sha256'/>
                </encryption>
              </target>
            </volume>

            """.ReplaceLineEndings("\n"),
            xml);
    }

    [Fact]
    public void Key_and_path_are_in_the_directory_of_the_pool_the_volume_is_created_in()
    {
        var doc = StorageSpecs.Load("<volume><name>vm.qcow2</name><capacity>1</capacity></volume>", "/srv/pools/fast");
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        Assert.Equal("/srv/pools/fast/vm.qcow2", doc.Effective!.Element("key")!.Value);
        Assert.Equal("/srv/pools/fast/vm.qcow2", doc.Effective.Element("target")!.Element("path")!.Value);
    }

    [Theory]
    [InlineData("<capacity>1000</capacity>", "1000", "1000")]
    [InlineData("<capacity unit='KB'>1</capacity><allocation unit='k'>0</allocation>", "1000", "0")]
    [InlineData("<capacity unit='M'>1</capacity><allocation unit='bytes'>512</allocation>", "1048576", "512")]
    [InlineData("<capacity unit='TB'>1</capacity><allocation unit='G'>2</allocation>", "1000000000000", "2147483648")]
    public void Sizes_are_in_bytes_and_allocation_defaults_to_capacity(string sizes, string capacity, string allocation)
    {
        var volume = Effective($"<volume><name>v</name>{sizes}</volume>");
        Assert.Equal(capacity, volume.Element("capacity")!.Value);
        Assert.Equal(allocation, volume.Element("allocation")!.Value);
        Assert.Equal("bytes", volume.Element("capacity")!.Attribute("unit")!.Value);
        Assert.Equal("bytes", volume.Element("allocation")!.Attribute("unit")!.Value);
    }

    [Theory]
    [InlineData("", "file")]
    [InlineData(" type='block'", "block")]
    [InlineData(" type='netdir'", "netdir")]
    public void Type_is_written_and_defaults_to_file(string attribute, string expected)
    {
        var volume = Effective($"<volume{attribute}><name>v</name><capacity>1</capacity></volume>");
        Assert.Equal(expected, volume.Attribute("type")!.Value);
    }

    [Fact]
    public void Format_defaults_to_raw_for_the_target_and_the_backing_store()
    {
        var volume = Effective("<volume><name>v</name><capacity>1</capacity><backingStore><path>/b</path></backingStore></volume>");
        Assert.Equal("raw", volume.Element("target")!.Element("format")!.Attribute("type")!.Value);
        Assert.Equal("raw", volume.Element("backingStore")!.Element("format")!.Attribute("type")!.Value);
    }

    [Fact]
    public void Empty_features_still_set_the_qcow2_compat_level()
    {
        var target = Effective("<volume><name>v</name><capacity>1</capacity><target><format type='qcow2'/><features/></target></volume>").Element("target")!;
        Assert.Equal("1.1", target.Element("compat")!.Value);
        Assert.Empty(target.Element("features")!.Elements());
    }

    [Fact]
    public void A_given_compat_level_is_kept_with_features()
    {
        var target = Effective("<volume><name>v</name><capacity>1</capacity><target><features><lazy_refcounts/></features><compat>0.10</compat></target></volume>").Element("target")!;
        Assert.Equal("0.10", target.Element("compat")!.Value);
    }

    [Fact]
    public void Nocow_is_not_written_back()
    {
        var target = Effective("<volume><name>v</name><capacity>1</capacity><target><nocow/></target></volume>").Element("target")!;
        Assert.Null(target.Element("nocow"));
    }

    [Fact]
    public void Backing_store_is_only_kept_with_a_path()
    {
        var volume = Effective("<volume><name>v</name><capacity>1</capacity><backingStore><format type='qcow2'/></backingStore></volume>");
        Assert.Null(volume.Element("backingStore"));
    }

    private static XElement Effective(string xml)
    {
        var doc = StorageSpecs.Load(xml);
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        return doc.Effective!;
    }
}
