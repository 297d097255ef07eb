using System.Xml.Linq;

namespace Reconciler.Schema.Networks.Support;

/// <summary>
/// The XPath forms libvirt's network parser uses, with its semantics. virXPathString gives null for an
/// empty string; virXMLPropString gives an attribute as written (an empty value included).
/// </summary>
internal static class NetXPath
{
    /// <summary>virXMLPropString(node, name): the attribute's value, null when it is absent.</summary>
    public static string? Prop(XElement? element, string name) => element?.Attribute(name)?.Value;

    /// <summary>virXPathString("string(./@name)"): the attribute's value, null when absent or empty.</summary>
    public static string? String(XElement? element, string name) => NullIfEmpty(element?.Attribute(name)?.Value);

    /// <summary>virXPathString("string(./child[1])"): the first child's text, null when absent or empty.</summary>
    public static string? ChildText(XElement element, string child) => NullIfEmpty(element.Element(child)?.Value);

    /// <summary>
    /// virXPathString("string(./child/@name)"): the attribute of the first <paramref name="child"/> that has
    /// it, null when none has or it is empty. <see cref="Origin"/> gives that attribute.
    /// </summary>
    public static string? ChildString(XElement element, string child, string name) => NullIfEmpty(Origin(element, child, name)?.Value);

    /// <summary>The attribute <see cref="ChildString"/> reads.</summary>
    public static XAttribute? Origin(XElement element, string child, string name) =>
        element.Elements(child).Select(e => e.Attribute(name)).FirstOrDefault(a => a is not null);

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
