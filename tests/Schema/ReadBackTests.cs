using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests;

/// <summary>
/// The effective definition is what the runtime stores and reads again. libvirt writes a few definitions it
/// accepts in a form it then refuses (found by the mutation fuzzer); such specs are refused up front, and
/// everything accepted reads back to itself.
/// </summary>
public sealed class ReadBackTests
{
    [Fact]
    public void A_group_libvirt_writes_as_a_negative_number_is_refused()
    {
        // virStoragePermsFormat writes the gid with "%d": 2147483648 comes out as -2147483648, which it refuses.
        var doc = Specs.Load("<volume>\n  <name>v.raw</name>\n  <capacity>1024</capacity>\n  <target><permissions><group>2147483648</group></permissions></target>\n</volume>\n");
        Assert.False(doc.IsValid);
        Assert.Equal("libvirt would store this volume in a form that it cannot read again (XML error: malformed group element); change the spec so that this does not happen", doc.Errors[0].Message);
        Assert.Equal("RECONCILER_POLICY", doc.Errors[0].CodeName);
        Assert.Equal(1, doc.Errors[0].Line);

        Assert.True(Specs.Load("<volume><name>v.raw</name><capacity>1024</capacity><target><permissions><group>2147483647</group></permissions></target></volume>").IsValid);
    }

    [Fact]
    public void A_lun_whose_block_source_names_no_device_is_refused()
    {
        // An empty <source/> keeps the disk a block disk; libvirt writes no <source>, and without one the disk
        // reads back as a file disk, which a LUN cannot be.
        var doc = Specs.Load("""
            <domain type='kvm'>
              <name>lun</name>
              <memory unit='MiB'>256</memory>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='block' device='lun'><source/><target dev='sda' bus='scsi'/></disk>
              </devices>
            </domain>
            """);
        Assert.False(doc.IsValid);
        Assert.Contains("cannot read again (unsupported configuration: disk device='lun' is only valid for block type disk source)", doc.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_name_of_blanks_is_kept_as_written()
    {
        // libvirt only refuses a line break in a name: a tab or a space is a (strange) name of its own.
        var doc = Specs.Load("<network><name>\t</name></network>");
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        Assert.Equal("\t", doc.Name);
        Assert.Contains("<name>\t</name>", doc.Format(), StringComparison.Ordinal);
    }
}
