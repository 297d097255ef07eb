using System.Xml.Linq;

namespace Reconciler.Schema.Networks.Formatting;

/// <summary>
/// The network's first &lt;metadata&gt; as libvirt keeps it (xmlCopyNode and virXMLNodeSanitizeNamespaces):
/// only namespaced elements, the first of each namespace, with the namespace declarations they use.
/// </summary>
internal static class Metadata
{
    /// <summary>Detaches and cleans the first &lt;metadata&gt; of <paramref name="root"/>; null when there is none.</summary>
    public static XElement? Sanitize(XElement root)
    {
        var metadata = root.Element("metadata");
        if (metadata is null)
        {
            return null;
        }

        var seen = new HashSet<XNamespace>();
        foreach (var node in metadata.Nodes().ToList())
        {
            if (node is XElement e && e.Name.Namespace != XNamespace.None && seen.Add(e.Name.Namespace))
            {
                continue;
            }

            node.Remove();
        }

        // Declarations made on <network> move to the copy, as xmlCopyNode reconciles them.
        var used = metadata.DescendantsAndSelf()
            .SelectMany(e => e.Attributes().Where(a => !a.IsNamespaceDeclaration).Select(a => a.Name.Namespace).Append(e.Name.Namespace))
            .Where(ns => ns != XNamespace.None)
            .ToHashSet();
        foreach (var declaration in root.Attributes().Where(a => a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.Xmlns))
        {
            if (used.Contains(XNamespace.Get(declaration.Value)) && metadata.Attribute(declaration.Name) is null)
            {
                metadata.Add(new XAttribute(declaration.Name, declaration.Value));
            }
        }

        metadata.Remove();
        return metadata;
    }
}
