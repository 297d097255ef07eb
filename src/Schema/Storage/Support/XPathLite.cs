using System.Xml.Linq;

namespace Reconciler.Schema.Storage.Support;

/// <summary>
/// The few XPath forms libvirt's storage parsers use, with libvirt's semantics: a relative path of
/// child steps (<c>target/permissions</c>), optionally ending in an attribute (<c>format/@type</c>);
/// <see cref="String"/> is virXPathString("string(./path)"): the string value of the first node in
/// document order, or null when there is none or it is empty.
/// </summary>
internal static class XPathLite
{
    /// <summary>The elements a path of child steps reaches, in document order.</summary>
    public static IEnumerable<XElement> Elements(XElement? context, string path)
    {
        if (context is null)
        {
            return [];
        }

        IEnumerable<XElement> current = [context];
        foreach (var step in path.Split('/'))
        {
            var name = step;
            current = step == "*" ? current.SelectMany(e => e.Elements()) : current.SelectMany(e => e.Elements(name));
        }

        return current;
    }

    /// <summary>virXPathNode: the first element the path reaches, or null.</summary>
    public static XElement? Node(XElement? context, string path) =>
        context is null ? null : First(context, path, static e => e);

    /// <summary>The first attribute named <paramref name="attribute"/> on the elements of <paramref name="path"/>.</summary>
    public static XAttribute? Attribute(XElement? context, string path, string attribute) =>
        context is null ? null : First(context, path, e => e.Attribute(attribute));

    /// <summary>
    /// The first non-null <paramref name="pick"/> of the elements the path reaches, in document order (as
    /// <see cref="Elements"/> lists them), found depth first without building the list.
    /// </summary>
    private static T? First<T>(XElement element, ReadOnlySpan<char> path, Func<XElement, T?> pick)
        where T : class
    {
        var slash = path.IndexOf('/');
        var step = slash < 0 ? path : path[..slash];
        var any = step is "*";
        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is not XElement child || !(any || (child.Name.NamespaceName.Length == 0 && step.SequenceEqual(child.Name.LocalName))))
            {
                continue;
            }

            if ((slash < 0 ? pick(child) : First(child, path[(slash + 1)..], pick)) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    /// <summary>
    /// virXPathString("string(./path)"): the string value of the first node, null when the path reaches
    /// nothing or the value is empty. A last step <c>@name</c> selects attributes.
    /// </summary>
    public static string? String(XElement? context, string path)
    {
        var value = Origin(context, path) switch
        {
            XAttribute a => a.Value,
            XElement e => e.Value,
            _ => null,
        };
        return string.IsNullOrEmpty(value) ? null : value;
    }

    /// <summary>The node a string value came from, for error positions.</summary>
    public static XObject? Origin(XElement? context, string path)
    {
        var at = path.LastIndexOf('@');
        if (at < 0)
        {
            return Node(context, path);
        }

        return at == 0 ? context?.Attribute(path[1..]) : Attribute(context, path[..(at - 1)], path[(at + 1)..]);
    }
}
