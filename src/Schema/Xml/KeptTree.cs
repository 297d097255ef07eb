using System.Xml;
using System.Xml.Linq;

namespace Reconciler.Schema.Xml;

/// <summary>
/// Makes a loaded tree cheap to keep for long, thousands at once (the runtime's definitions, the
/// controller's specs): LINQ to XML's line information goes (an object per element and attribute; errors,
/// with their positions, are reported by then), so does the indentation (a text node and a string per
/// line, which <see cref="LibvirtXmlWriter"/> writes anew anyway), and short values that many trees share
/// (<c>destroy</c>, <c>qcow2</c>, <c>131072</c>, a network's name) become one string.
/// </summary>
public static class KeptTree
{
    private const int PoolSize = 1 << 13;
    private const int PooledLength = 40;

    // A bounded, lossy pool: a value takes the slot its hash picks, so what a thousand trees share is one
    // string while the pool never grows (and never holds a value longer than until its slot is reused).
    private static readonly string?[] Pool = new string?[PoolSize];

    /// <summary>Compacts <paramref name="root"/> in place; its formatted text does not change.</summary>
    public static void Compact(XElement root)
    {
        foreach (var element in root.DescendantsAndSelf().ToList())
        {
            DropLineInfo(element);
            foreach (var attribute in element.Attributes())
            {
                DropLineInfo(attribute);
                if (Pooled(attribute.Value) is { } shared && !ReferenceEquals(shared, attribute.Value))
                {
                    attribute.Value = shared;
                }
            }

            if (element.FirstNode is null)
            {
                continue;
            }

            if (OnlyElementsAndBlanks(element))
            {
                // Indentation between child elements: the writer indents on its own and ignores it.
                element.Nodes().Where(n => n.NodeType == XmlNodeType.Text).ToList().ForEach(n => n.Remove());
            }
            else if (element.FirstNode is XText { NodeType: XmlNodeType.Text } text && text.NextNode is null
                && Pooled(text.Value) is { } shared && !ReferenceEquals(shared, text.Value))
            {
                text.Value = shared;
            }

            for (var node = element.FirstNode; node is not null; node = node.NextNode)
            {
                if (node is not XElement)
                {
                    DropLineInfo(node);
                }
            }
        }
    }

    /// <summary>The pool's string equal to <paramref name="value"/> (taking its slot when it has none); null when too long to pool.</summary>
    internal static string? Pooled(string value)
    {
        if (value.Length > PooledLength)
        {
            return null;
        }

        var slot = (int)((uint)string.GetHashCode(value, StringComparison.Ordinal) % PoolSize);
        var pooled = Volatile.Read(ref Pool[slot]);
        if (pooled is not null && string.Equals(pooled, value, StringComparison.Ordinal))
        {
            return pooled;
        }

        Volatile.Write(ref Pool[slot], value);
        return value;
    }

    /// <summary>Whether the element has child elements and, beside them, only blank text (no mixed content).</summary>
    private static bool OnlyElementsAndBlanks(XElement element)
    {
        var elements = false;
        var blanks = false;
        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            switch (node)
            {
                case XElement:
                    elements = true;
                    break;
                case XText { NodeType: XmlNodeType.Text } text when string.IsNullOrWhiteSpace(text.Value):
                    blanks = true;
                    break;
                case XText:
                    return false;
            }
        }

        return elements && blanks;
    }

    /// <summary>Removes LINQ to XML's own annotations (line information); those of this project stay.</summary>
    private static void DropLineInfo(XObject node)
    {
        while (node.Annotations<object>().FirstOrDefault(a => a.GetType().Assembly == typeof(XObject).Assembly) is { } own)
        {
            node.RemoveAnnotations(own.GetType());
        }
    }
}
