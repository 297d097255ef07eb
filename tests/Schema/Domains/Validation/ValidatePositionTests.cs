using Reconciler.Schema.Domains;
using Reconciler.Schema.Domains.Validation;
using Reconciler.Schema.Tests.Support;
using Reconciler.Schema.Xml;
using Xunit;

namespace Reconciler.Schema.Tests.Domains.Validation;

/// <summary>Where validation errors point, how they reach the CLI's path, and that the rules never throw.</summary>
public sealed class ValidatePositionTests
{
    private static string Domain(string devices, string os = "") => $"""
        <domain type='kvm'>
          <name>pos</name>
          <memory unit='MiB'>64</memory>
          <os><type arch='x86_64'>hvm</type>{os}</os>
          <devices>
        {devices}
          </devices>
        </domain>
        """;

    [Fact]
    public void AnAddressOfTheWrongTypePointsAtTheAddress()
    {
        var errors = ValidationSpecs.Errors(Domain("""
            <disk type='file' device='disk'>
              <source file='/a.img'/>
              <target dev='hda' bus='ide'/>
                <address type='pci' domain='0x0000' bus='0x00' slot='0x05' function='0x0'/>
            </disk>
            """));
        Assert.Equal("unsupported configuration: Invalid address type 'pci' for the disk 'hda' with the bus type 'ide'", errors[0].Message);
        Assert.Equal((9, 6), (errors[0].Line, errors[0].Column));
    }

    [Fact]
    public void ASecondUseOfABootOrderPointsAtItsBootElement()
    {
        var errors = ValidationSpecs.Errors(Domain("""
            <disk type='file' device='disk'><source file='/a.img'/><target dev='vda'/><boot order='1'/></disk>
            <disk type='file' device='disk'><source file='/b.img'/><target dev='vdb'/>
                  <boot order='1'/></disk>
            """));
        Assert.Equal("unsupported configuration: boot order '1' used for more than one device", errors[0].Message);
        Assert.Equal((8, 8), (errors[0].Line, errors[0].Column));
    }

    [Fact]
    public void ADuplicateHostdevPointsAtTheSecondOne()
    {
        var errors = ValidationSpecs.Errors(Domain("""
            <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>
              <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>
            """));
        Assert.Equal("XML error: Hostdev already exists in the domain configuration", errors[0].Message);
        Assert.Equal((7, 4), (errors[0].Line, errors[0].Column));
    }

    [Fact]
    public void ASecondPrimaryVideoPointsAtTheVideoAsWritten()
    {
        var errors = ValidationSpecs.Errors(Domain("""
            <video><model type='vga' primary='yes'/></video>
            <video><model type='qxl' primary='yes'/></video>
            """));
        Assert.Equal("unsupported configuration: Only one primary video device is supported", errors[0].Message);
        Assert.Equal((7, 2), (errors[0].Line, errors[0].Column));
    }

    [Fact]
    public void AnErrorInARebuiltCharacterDevicePointsAtTheDeviceAsWritten()
    {
        var errors = ValidationSpecs.Errors(Domain("""
            <serial type='pty'/>
              <serial type='file'><target port='1'/></serial>
            """));
        Assert.Equal("internal error: Missing source path attribute for char device", errors[0].Message);
        Assert.Equal((7, 4), (errors[0].Line, errors[0].Column));
    }

    [Fact]
    public void TheSchemaReportsValidationErrorsWithTheirCode()
    {
        var doc = Specs.Load(Domain("<serial type='file'><target port='0'/></serial>"));
        Assert.False(doc.IsValid);
        Assert.Equal("internal error: Missing source path attribute for char device", doc.Errors[0].Message);
        Assert.Equal("VIR_ERR_INTERNAL_ERROR", doc.Errors[0].CodeName);
    }

    [Fact]
    public void AValidDomainHasNoValidationErrors()
    {
        Assert.Empty(ValidationSpecs.Errors(Domain("""
            <disk type='file' device='disk'><source file='/a.img'/><target dev='vda'/><boot order='1'/></disk>
            <controller type='usb' model='qemu-xhci'/>
            <redirdev bus='usb' type='spicevmc'/>
            <video><model type='virtio' primary='yes'/></video>
            <serial type='pty'/>
            <console type='pty'/>
            """)));
    }

    /// <summary>The rules are made for completed definitions but must not throw on anything, even raw input.</summary>
    [Fact]
    public void TheRulesNeverThrowOnDefinitionsAsWritten()
    {
        var validator = new DomainValidator();
        foreach (var file in Corpus.AllSpecFiles())
        {
            var document = SpecXmlReader.Parse(File.ReadAllText(file), XmlLimits.Default, out _);
            if (document?.Root?.Name.LocalName != "domain")
            {
                continue;
            }

            var exception = Record.Exception(() => validator.Validate(new DomainXml(document.Root)));
            Assert.True(exception is null, $"{file}: {exception}");
        }
    }
}
