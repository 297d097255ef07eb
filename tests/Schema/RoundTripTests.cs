using System.Xml.Linq;
using Reconciler.Schema.Tests.Support;
using Reconciler.Schema.Xml;
using Xunit;

namespace Reconciler.Schema.Tests;

/// <summary>
/// parse → format → parse gives the same model and the same XML, for every file we have (libvirt's
/// own test data when it is beside the repository, and the examples): nothing is lost or changed by a
/// second pass, and the effective definition keeps every element and attribute of the input that libvirt
/// keeps.
/// </summary>
public sealed class RoundTripTests
{
    [Fact]
    public void FormattingLosesNothing()
    {
        // effective definition → libvirt-formatted text → plain XML parse: the same tree and the same model.
        var files = Corpus.AllSpecFiles().ToList();
        Assert.NotEmpty(files);
        var checkedFiles = 0;
        var failures = new List<string>();
        foreach (var file in files)
        {
            var doc = LibvirtSchema.LoadFile(file);
            if (!doc.IsValid)
            {
                continue;
            }

            checkedFiles++;
            var reparsed = XElement.Parse(doc.Format());
            if (!XNode.DeepEquals(Canonical(doc.Effective!), Canonical(reparsed)))
            {
                failures.Add($"{file}: the formatted text does not parse back to the same XML");
            }

            if (doc.Kind == SpecKind.Domain && !Equals(doc.Domain, Reconciler.Schema.Domains.Model.DomainDefinition.FromXml(reparsed)))
            {
                failures.Add($"{file}: the typed model differs after a round trip through the formatted text");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(checkedFiles >= 7, $"only {checkedFiles} files were valid");
    }

    [Fact]
    public void NormalizingTheEffectiveDefinitionAgainKeepsTheModel()
    {
        // Defining libvirt's own output again is stable for the things the runtime uses. (libvirt itself
        // renumbers some console ports and drops password-expiry attributes on a second define; those
        // are not part of the typed model or are compared where libvirt is stable.)
        var failures = new List<string>();
        foreach (var file in Corpus.AllSpecFiles())
        {
            var first = LibvirtSchema.LoadFile(file);
            if (!first.IsValid || first.Kind != SpecKind.Domain)
            {
                continue;
            }

            var second = LibvirtSchema.LoadText(file, first.Format());
            if (!second.IsValid)
            {
                failures.Add($"{file}: normalized output is not valid: {second.Errors[0]}");
                continue;
            }

            var a = first.Domain!;
            var b = second.Domain!;
            if (a with { Devices = a.Devices with { Consoles = b.Devices.Consoles } } != b)
            {
                failures.Add($"{file}: the model changes when the effective definition is normalized again");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    /// <summary>The tree without whitespace-only text nodes, so indentation does not count.</summary>
    private static XElement Canonical(XElement e) =>
        new(e.Name, e.Attributes(), e.Nodes().Select(n => n switch
        {
            XElement child => (object)Canonical(child),
            XText text when string.IsNullOrWhiteSpace(text.Value) => null!,
            _ => n,
        }).Where(n => n is not null));

    [Fact]
    public void ElementsLibvirtDoesNotModelAreKeptInPlace()
    {
        // An element of libvirt's vocabulary that our model has no property for (a watchdog here) and
        // foreign metadata are written back unchanged.
        const string xml = """
            <domain type='kvm'>
              <name>keep</name>
              <metadata><app:info xmlns:app='http://example.com/app'><app:owner team='infra'>ops</app:owner></app:info></metadata>
              <memory unit='MiB'>64</memory>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <watchdog model='i6300esb' action='poweroff'/>
              </devices>
            </domain>
            """;
        var doc = Specs.Load(xml);
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        var output = XElement.Parse(doc.Format());
        var watchdog = output.Element("devices")!.Element("watchdog")!;
        Assert.Equal("poweroff", watchdog.Attribute("action")!.Value);
        XNamespace app = "http://example.com/app";
        Assert.Equal("ops", output.Element("metadata")!.Element(app + "info")!.Element(app + "owner")!.Value);
        Assert.Equal("infra", output.Element("metadata")!.Element(app + "info")!.Element(app + "owner")!.Attribute("team")!.Value);
    }
}
