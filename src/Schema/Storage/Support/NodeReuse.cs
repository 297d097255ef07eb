using System.Xml.Linq;

namespace Reconciler.Schema.Storage.Support;

/// <summary>
/// Lets the formatters rebuild a document in place while keeping the elements that came from the file (and
/// so their line information): an original element is detached and emptied, or a new one is made.
/// </summary>
internal static class NodeReuse
{
    public static XElement Take(XElement? original, string name)
    {
        if (original is null || original.Name != XName.Get(name))
        {
            return new XElement(name);
        }

        if (original.Parent is not null)
        {
            original.Remove();
        }

        original.RemoveAll();
        return original;
    }

    /// <summary><see cref="Take"/> with text content.</summary>
    public static XElement Take(XElement? original, string name, string text)
    {
        var element = Take(original, name);
        element.Value = text;
        return element;
    }

    /// <summary>The element at <paramref name="index"/> of a list of originals, or null.</summary>
    public static XElement? At(IReadOnlyList<XElement> originals, int index) => index < originals.Count ? originals[index] : null;
}
