using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Domains;

/// <summary>Reconciler's operator rules: mistakes libvirt accepts silently are refused with a clear message.</summary>
public sealed class OperatorRuleTests
{
    private static string Domain(string top, string devices = "") => $"""
        <domain type='kvm'>
          <name>op</name>
          <memory unit='MiB'>512</memory>
          {top}
          <os><type arch='x86_64'>hvm</type></os>
          <devices>{devices}</devices>
        </domain>
        """;

    [Fact]
    public void CurrentMemoryAtMostMemoryIsAccepted()
    {
        Assert.True(Specs.Load(Domain("<currentMemory unit='MiB'>512</currentMemory>")).IsValid);
    }

    [Fact]
    public void CurrentMemoryAboveMemoryIsRefused()
    {
        var doc = Specs.Load(Domain("<currentMemory unit='GiB'>1</currentMemory>"));
        Assert.False(doc.IsValid);
        Assert.Equal("currentMemory (1048576 KiB) is larger than memory (524288 KiB); libvirt would silently lower it to memory: lower currentMemory or raise memory", doc.Errors[0].Message);
        Assert.Equal(4, doc.Errors[0].Line);
    }

    [Fact]
    public void AZeroMemoryIsLeftToLibvirt()
    {
        // A memory of 0 is no memory: libvirt takes the NUMA cells' total instead (or refuses the domain).
        var numa = Specs.Load("""
            <domain type='kvm'>
              <name>op</name>
              <memory unit='MiB'>0</memory>
              <currentMemory unit='MiB'>256</currentMemory>
              <vcpu>1</vcpu>
              <cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>
              <os><type arch='x86_64'>hvm</type></os>
            </domain>
            """);
        Assert.True(numa.IsValid, string.Join("; ", numa.Errors));

        var none = Specs.Load(Domain("<currentMemory unit='MiB'>256</currentMemory>").Replace(">512<", ">0<", StringComparison.Ordinal));
        Assert.Equal("XML error: Memory size must be specified via <memory> or in the <numa> configuration", none.Errors[0].Message);
    }

    [Fact]
    public void DistinctMacsAreAccepted()
    {
        Assert.True(Specs.Load(Domain(string.Empty, "<interface type='network'><mac address='52:54:00:00:00:01'/><source network='a'/></interface><interface type='network'><mac address='52:54:00:00:00:02'/><source network='b'/></interface>")).IsValid);
    }

    [Fact]
    public void ADuplicateMacIsRefusedNamingTheFirstUse()
    {
        var doc = Specs.Load(Domain(string.Empty, "\n<interface type='network'><mac address='52:54:00:00:00:01'/><source network='a'/></interface>\n<interface type='network'><mac address='52:54:00:00:00:01'/><source network='b'/></interface>"));
        Assert.False(doc.IsValid);
        Assert.Equal("MAC address 52:54:00:00:00:01 is used by two interfaces (the first on line 7); give each interface its own MAC or leave it out to have one generated", doc.Errors[0].Message);
        Assert.Equal(8, doc.Errors[0].Line);
    }

    [Fact]
    public void MacsAreComparedWithoutRegardToCase()
    {
        var doc = Specs.Load(Domain(string.Empty, "<interface type='network'><mac address='52:54:00:AA:00:01'/><source network='a'/></interface><interface type='network'><mac address='52:54:00:aa:00:01'/><source network='b'/></interface>"));
        Assert.False(doc.IsValid);
    }

    [Fact]
    public void AFailoverTeamMayShareItsMac()
    {
        var doc = Specs.Load(Domain(string.Empty, """
            <interface type='network'><mac address='52:54:00:00:00:01'/><source network='a'/><model type='virtio'/><teaming type='persistent'/><alias name='ua-backup0'/></interface>
            <interface type='hostdev' managed='yes'><mac address='52:54:00:00:00:01'/><source><address type='pci' domain='0x0000' bus='0x00' slot='0x07' function='0x0'/></source><teaming type='transient' persistent='ua-backup0'/></interface>
            """));
        Assert.True(doc.IsValid, string.Join("; ", doc.Errors));
    }

    [Fact]
    public void ADriveAddressControllerAbove255IsRefusedAndOneAtItIsNot()
    {
        // libvirt adds an implicit controller for every index up to the one named: 2^31 of them would never end.
        const string disk = "<disk type='file' device='disk'><source file='/var/lib/images/a.img'/><target dev='sda' bus='scsi'/><address type='drive' controller='{0}' bus='0' target='0' unit='0'/></disk>";
        var doc = Specs.Load(Domain(string.Empty, string.Format(System.Globalization.CultureInfo.InvariantCulture, disk, 2147483647)));
        Assert.False(doc.IsValid);
        Assert.Equal("drive address controller 2147483647 is above 255: libvirt would add a controller for every index from 0 to 2147483647; use controller 255 or lower", doc.Errors[0].Message);
        Assert.Equal("RECONCILER_POLICY", doc.Errors[0].CodeName);

        var at = Specs.Load(Domain(string.Empty, string.Format(System.Globalization.CultureInfo.InvariantCulture, disk, 255)));
        Assert.True(at.IsValid, string.Join("\n", at.Errors));
        Assert.Equal(256, at.Effective!.Element("devices")!.Elements("controller").Count(c => c.Attribute("type")?.Value == "scsi"));
    }

    [Fact]
    public void TextWithAStrayElementReadsBackTheSame()
    {
        // libvirt reads <name> as its text; the effective definition, written out and read again, has the same name.
        var doc = Specs.Load(Domain(string.Empty).Replace("<name>op</name>", "<name>op<clock offset='utc'/></name>", StringComparison.Ordinal));
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        var again = LibvirtSchema.LoadText("again.xml", doc.Format());
        Assert.True(again.IsValid, string.Join("\n", again.Errors));
        Assert.Equal("op", again.Name);
    }
}
