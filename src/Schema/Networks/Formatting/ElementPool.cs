using System.Xml.Linq;

namespace Reconciler.Schema.Networks.Formatting;

/// <summary>
/// The child elements of an element as it came from the file, handed out again by name in document order
/// while the formatter rebuilds it, so that rebuilt elements keep their line information. An element taken
/// is detached and emptied; its own children form the pool for its content.
/// </summary>
internal sealed class ElementPool
{
    private readonly Dictionary<string, Queue<XElement>> _byName = new(StringComparer.Ordinal);

    public ElementPool(XElement? original)
    {
        if (original is null)
        {
            return;
        }

        foreach (var child in original.Elements())
        {
            if (child.Name.Namespace != XNamespace.None)
            {
                continue;
            }

            if (!_byName.TryGetValue(child.Name.LocalName, out var queue))
            {
                _byName[child.Name.LocalName] = queue = new Queue<XElement>();
            }

            queue.Enqueue(child);
        }
    }

    public static ElementPool Empty { get; } = new(null);

    /// <summary>The next original element with this name (or a new one), empty and detached.</summary>
    public XElement Take(string name) => Take(name, out _);

    /// <summary><see cref="Take(string)"/>, with the pool of the original element's children.</summary>
    public XElement Take(string name, out ElementPool children)
    {
        if (!_byName.TryGetValue(name, out var queue) || queue.Count == 0)
        {
            children = Empty;
            return new XElement(name);
        }

        var element = queue.Dequeue();
        children = new ElementPool(element);
        if (element.Parent is not null)
        {
            element.Remove();
        }

        element.RemoveAll();
        return element;
    }
}
