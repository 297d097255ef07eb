using System.Xml.Linq;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>
/// The domain as it was written, kept beside the effective one. A few of libvirt's post-parse and
/// validate checks look at values that its formatter (and so our defaults) drops or rewrites: a second
/// video with primary='yes', a tray or removable attribute where it does not apply, a timer frequency
/// on a timer other than tsc, enrolled keys without secure boot, two panic devices of the default
/// model. <see cref="Capture"/> must run before the defaults; when it has not, those checks are skipped.
/// </summary>
internal sealed class WrittenDomain
{
    // Each element of the file and its copy, in document order, paired at the capture (before the defaults
    // move, replace or drop elements); looked up by either side once a check asks.
    private readonly List<XElement> _originals;
    private readonly List<XElement> _copies;
    private Dictionary<XElement, XElement>? _copyOf;
    private Dictionary<XElement, XElement>? _originOf;

    private WrittenDomain(XElement root, List<XElement> originals, List<XElement> copies)
    {
        Root = root;
        _originals = originals;
        _copies = copies;
    }

    /// <summary>A copy of the domain element as written.</summary>
    public XElement Root { get; }

    /// <summary>Keeps a copy of <paramref name="root"/> as written; call it before the defaults change the document.</summary>
    public static void Capture(XElement root)
    {
        if (root.Annotation<WrittenDomain>() is not null)
        {
            return;
        }

        var copy = new XElement(root);
        var originals = new List<XElement>();
        var copies = new List<XElement>();
        Pair(root, copy, originals, copies);
        var written = new WrittenDomain(copy, originals, copies);
        root.AddAnnotation(written);
        copy.AddAnnotation(new CopyRoot(written));
    }

    /// <summary>The domain as written, or null when it was not captured.</summary>
    public static XElement? Of(DomainXml d) => d.Root.Annotation<WrittenDomain>()?.Root;

    /// <summary>The node of the file an element of the written copy came from (for error positions).</summary>
    public static XObject At(XElement written) =>
        Find(TopOf(written)) is { } w && w.OriginOf.TryGetValue(written, out var original) ? original : written;

    /// <summary>
    /// The written copy of an element of the effective definition, when the defaults kept that element
    /// (they complete most devices in place; chardevs are rebuilt and have none).
    /// </summary>
    public static XElement? CopyOf(XElement effective) =>
        Find(TopOf(effective)) is { } w && w.CopyOfMap.TryGetValue(effective, out var copy) ? copy : null;

    /// <summary>Drops the written copy once validation is over: a daemon keeps thousands of accepted definitions.</summary>
    public static void Release(XElement root) => root.RemoveAnnotations<WrittenDomain>();

    private Dictionary<XElement, XElement> CopyOfMap => _copyOf ??= Map(_originals, _copies);

    private Dictionary<XElement, XElement> OriginOf => _originOf ??= Map(_copies, _originals);

    /// <summary>The capture a tree belongs to, from its root: the file's root, or the root of its written copy.</summary>
    private static WrittenDomain? Find(XElement root) => root.Annotation<WrittenDomain>() ?? root.Annotation<CopyRoot>()?.Domain;

    private static XElement TopOf(XElement element)
    {
        while (element.Parent is { } parent)
        {
            element = parent;
        }

        return element;
    }

    private static Dictionary<XElement, XElement> Map(List<XElement> from, List<XElement> to)
    {
        var map = new Dictionary<XElement, XElement>(from.Count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < from.Count; i++)
        {
            map[from[i]] = to[i];
        }

        return map;
    }

    private static void Pair(XElement original, XElement copy, List<XElement> originals, List<XElement> copies)
    {
        originals.Add(original);
        copies.Add(copy);
        // The child elements of both, side by side (walked without iterators: every element of the file passes).
        var o = NextElement(original.FirstNode);
        var c = NextElement(copy.FirstNode);
        while (o is not null && c is not null)
        {
            Pair(o, c, originals, copies);
            o = NextElement(o.NextNode);
            c = NextElement(c.NextNode);
        }
    }

    /// <summary>The first element from <paramref name="node"/> on among its siblings, or null.</summary>
    private static XElement? NextElement(XNode? node)
    {
        while (node is not null and not XElement)
        {
            node = node.NextNode;
        }

        return (XElement?)node;
    }

    private sealed record CopyRoot(WrittenDomain Domain);
}
