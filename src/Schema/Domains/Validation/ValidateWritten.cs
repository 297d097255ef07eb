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
    private WrittenDomain(XElement root)
    {
        Root = root;
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
        Link(root, copy);
        root.AddAnnotation(new WrittenDomain(copy));
    }

    /// <summary>The domain as written, or null when it was not captured.</summary>
    public static XElement? Of(DomainXml d) => d.Root.Annotation<WrittenDomain>()?.Root;

    /// <summary>The node of the file an element of the written copy came from (for error positions).</summary>
    public static XObject At(XElement written) => written.Annotation<Origin>()?.Element ?? written;

    /// <summary>
    /// The written copy of an element of the effective definition, when the defaults kept that element
    /// (they complete most devices in place; chardevs are rebuilt and have none).
    /// </summary>
    public static XElement? CopyOf(XElement effective) => effective.Annotation<Copy>()?.Element;

    /// <summary>
    /// Drops the written copy once validation is over: a daemon keeps thousands of accepted definitions,
    /// and the copy (with a link on every element) doubled each one.
    /// </summary>
    public static void Release(XElement root)
    {
        if (root.Annotation<WrittenDomain>() is null)
        {
            return;
        }

        root.RemoveAnnotations<WrittenDomain>();
        root.RemoveAnnotations<Copy>();
        foreach (var element in root.Descendants())
        {
            element.RemoveAnnotations<Copy>();
        }
    }

    private static void Link(XElement original, XElement copy)
    {
        copy.AddAnnotation(new Origin(original));
        original.AddAnnotation(new Copy(copy));
        using var o = original.Elements().GetEnumerator();
        using var c = copy.Elements().GetEnumerator();
        while (o.MoveNext() && c.MoveNext())
        {
            Link(o.Current, c.Current);
        }
    }

    private sealed record Origin(XElement Element);

    private sealed record Copy(XElement Element);
}
