using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>Helpers for network tests.</summary>
internal static class NetworkSpecs
{
    /// <summary>The effective XML of a valid network, as libvirt formats it.</summary>
    public static string Normalize(string xml) => Specs.Normalize(xml.ReplaceLineEndings("\n"));

    /// <summary>The typed model of a valid network.</summary>
    public static NetworkDefinition Model(string xml)
    {
        var doc = Specs.Load(xml);
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        return NetworkDefinition.FromDocument(doc);
    }

    /// <summary>
    /// The same elements, attributes (in the same order) and text as libvirt's output, whatever the quotes
    /// and whether an empty element is written open (libvirt writes an empty &lt;ip&gt; as a start and an end tag).
    /// </summary>
    public static void AssertSameXml(string libvirt, string actual) =>
        Assert.Equal(Canonical(XElement.Parse(libvirt)), Canonical(XElement.Parse(actual)));

    /// <summary>An element as text: name, attributes in order, text, and children, one per line.</summary>
    public static string Canonical(XElement element)
    {
        var attributes = string.Join(' ', element.Attributes().Select(a => $"{a.Name}={a.Value}"));
        var text = element.HasElements ? string.Empty : element.Value;
        var children = string.Concat(element.Elements().Select(e => "\n" + Canonical(e).Replace("\n", "\n  ", StringComparison.Ordinal)));
        return $"{element.Name} [{attributes}] {text}{children}";
    }

    /// <summary>Always gives the same UUID, so that generated ones can be checked.</summary>
    public sealed class FixedIdentity : IIdentityGenerator
    {
        public static readonly Guid Uuid = new("0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");

        public Guid NewUuid() => Uuid;

        public byte[] NewMac() => [0x52, 0x54, 0x00, 0x01, 0x02, 0x03];
    }
}
