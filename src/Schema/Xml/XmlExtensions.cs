using System.Globalization;
using System.Runtime.CompilerServices;
using System.Xml.Linq;

namespace Reconciler.Schema.Xml;

/// <summary>Small helpers over LINQ to XML for un-namespaced libvirt elements.</summary>
public static class XmlExtensions
{
    /// <summary>The first child element with this local name and no namespace, or null.</summary>
    /// <remarks>
    /// Hot: compares local names rather than looking the name up in LINQ to XML's name table on every call.
    /// </remarks>
    public static XElement? El(this XElement? element, string name)
    {
        if (element is null)
        {
            return null;
        }

        if (name.StartsWith('{'))
        {
            return element.Element(name);
        }

        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is XElement child && Named(child.Name, name))
            {
                return child;
            }
        }

        return null;
    }

    /// <summary>
    /// Whether a name is this local name in no namespace. Hot (every child scan asks it for each child): most
    /// names differ in length or first letter, which is checked inline, before the full comparison.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool Named(XName xname, string name)
    {
        return SameString(xname.LocalName, name) && ReferenceEquals(xname.Namespace, XNamespace.None);
    }

    /// <summary>Ordinal string equality with the cheap differences (length, first letter) checked inline.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool SameString(string a, string b) =>
        ReferenceEquals(a, b) || (a.Length == b.Length && a.Length > 0 && a[0] == b[0] && string.Equals(a, b));

    /// <summary>
    /// The child elements in a namespace, in a list of their own (so the caller may move or remove them).
    /// Hot (every definition asks): when there are none, the usual case, nothing is allocated.
    /// </summary>
    public static IReadOnlyList<XElement> NamespacedChildren(this XElement element)
    {
        List<XElement>? found = null;
        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is XElement child && !ReferenceEquals(child.Name.Namespace, XNamespace.None))
            {
                (found ??= []).Add(child);
            }
        }

        return found ?? (IReadOnlyList<XElement>)[];
    }

    /// <summary>The child elements with this local name and no namespace.</summary>
    /// <remarks>Hot: a struct, so that a foreach over it allocates nothing.</remarks>
    public static NamedElements Els(this XElement? element, string name) => new(element, name);

    /// <summary>The value of an attribute, or null when it is absent.</summary>
    public static string? A(this XElement? element, string name) => Attr(element, name)?.Value;

    /// <summary>The attribute with this local name and no namespace, or null (without a name table lookup).</summary>
    internal static XAttribute? Attr(XElement? element, string name)
    {
        if (element is null)
        {
            return null;
        }

        if (name.StartsWith('{'))
        {
            return element.Attribute(name);
        }

        for (var a = element.FirstAttribute; a is not null; a = a.NextAttribute)
        {
            if (Named(a.Name, name))
            {
                return a;
            }
        }

        return null;
    }

    /// <summary>Sets an attribute, keeping its place when it exists; removes it when value is null.</summary>
    public static XElement Set(this XElement element, string name, string? value)
    {
        // What SetAttributeValue does, with the attribute found without a name table lookup, and left alone
        // when it already has the value (the defaults set many attributes to what they are).
        var a = Attr(element, name);
        if (a is null)
        {
            if (value is not null)
            {
                element.SetAttributeValue(name, value);
            }
        }
        else if (value is null)
        {
            a.Remove();
        }
        else if (!string.Equals(a.Value, value, StringComparison.Ordinal))
        {
            a.Value = value;
        }

        return element;
    }

    public static XElement Set(this XElement element, string name, long value) =>
        element.Set(name, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sets an attribute only when it is absent.</summary>
    public static XElement Default(this XElement element, string name, string value)
    {
        if (Attr(element, name) is null)
        {
            element.SetAttributeValue(name, value);
        }

        return element;
    }

    /// <summary>The child with this name, created (appended) when it does not exist.</summary>
    public static XElement GetOrAdd(this XElement element, string name)
    {
        var child = element.El(name);
        if (child is null)
        {
            child = new XElement(name);
            element.Add(child);
        }

        return child;
    }

    /// <summary>The trimmed text of a child element, or null when the child is absent.</summary>
    public static string? Text(this XElement? element, string name) => element.El(name)?.Value.Trim();

    /// <summary>True when the element exists and its local name is one of the given names.</summary>
    public static bool Is(this XElement? element, params ReadOnlySpan<string> names)
    {
        if (element is null || element.Name.Namespace != XNamespace.None)
        {
            return false;
        }

        foreach (var n in names)
        {
            if (element.Name.LocalName == n)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Replaces the text content of an element.</summary>
    public static void SetText(this XElement element, string text)
    {
        element.RemoveNodes();
        element.Add(new XText(text));
    }

    /// <summary>True when an attribute value is one of libvirt's tristate spellings for yes.</summary>
    public static bool IsYes(string? value) => value is "yes" or "on";

    /// <summary>Orders the attributes of an element: the listed names first, in that order, then the rest as they were.</summary>
    public static void OrderAttributes(this XElement element, ReadOnlySpan<string> order)
    {
        var first = element.FirstAttribute;
        if (first is null || first.NextAttribute is null)
        {
            return;
        }

        // Most elements are in order already (always so when a definition is read back): check first, without
        // allocating, whether every attribute sits at or after the rank of the one before it.
        var last = -1;
        var ordered = true;
        var unlisted = false;
        for (var a = first; a is not null; a = a.NextAttribute)
        {
            var rank = a.IsNamespaceDeclaration || a.Name.Namespace != XNamespace.None ? -1 : IndexOf(order, a.Name.LocalName);
            if (rank < 0)
            {
                unlisted = true;
            }
            else if (unlisted || rank < last)
            {
                // A listed attribute after an unlisted one, or before a listed one of a higher rank, moves.
                ordered = false;
                break;
            }
            else
            {
                last = rank;
            }
        }

        if (ordered)
        {
            return;
        }

        var attributes = element.Attributes().ToList();
        var sorted = new List<XAttribute>(attributes.Count);
        foreach (var name in order)
        {
            foreach (var a in attributes)
            {
                if (!a.IsNamespaceDeclaration && a.Name.Namespace == XNamespace.None && a.Name.LocalName == name)
                {
                    sorted.Add(a);
                }
            }
        }

        if (sorted.Count == attributes.Count && sorted.SequenceEqual(attributes))
        {
            return;
        }

        foreach (var a in attributes)
        {
            if (!sorted.Contains(a))
            {
                sorted.Add(a);
            }
        }

        // Re-adding the same (detached) objects keeps their line information.
        element.RemoveAttributes();
        element.Add(sorted);
    }

    /// <summary>
    /// Orders child elements by the index of their name in <paramref name="order"/>. The sort is stable;
    /// a child whose name is not listed stays right after the listed sibling that preceded it.
    /// </summary>
    public static void OrderChildren(this XElement element, ReadOnlySpan<string> order)
    {
        if (IsOrdered(element, order))
        {
            return;
        }

        var children = element.Elements().ToList();
        if (children.Count < 2)
        {
            return;
        }

        var keyed = new List<(double Key, int Seq, XElement Child)>(children.Count);
        double last = -1;
        for (var i = 0; i < children.Count; i++)
        {
            var c = children[i];
            var idx = c.Name.Namespace == XNamespace.None ? IndexOf(order, c.Name.LocalName) : -1;
            double key;
            if (idx >= 0)
            {
                key = idx;
                last = idx;
            }
            else
            {
                key = last + 0.5;
            }

            keyed.Add((key, i, c));
        }

        var sorted = keyed.OrderBy(k => k.Key).ThenBy(k => k.Seq).Select(k => k.Child).ToList();
        if (sorted.SequenceEqual(children))
        {
            return;
        }

        foreach (var c in children)
        {
            c.Remove();
        }

        element.Add(sorted);
    }

    /// <summary>True when the children already have the order <see cref="OrderChildren"/> gives them (checked without allocating).</summary>
    private static bool IsOrdered(XElement element, ReadOnlySpan<string> order)
    {
        double last = -1;
        double previous = double.MinValue;
        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is not XElement c)
            {
                continue;
            }

            var idx = c.Name.Namespace == XNamespace.None ? IndexOf(order, c.Name.LocalName) : -1;
            double key;
            if (idx >= 0)
            {
                key = idx;
                last = idx;
            }
            else
            {
                key = last + 0.5;
            }

            if (key < previous)
            {
                return false;
            }

            previous = key;
        }

        return true;
    }

    private static int IndexOf(ReadOnlySpan<string> list, string name)
    {
        for (var i = 0; i < list.Length; i++)
        {
            if (SameString(list[i], name))
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>
/// The child elements of an element that have a local name and no namespace, in document order, enumerated
/// like <see cref="XContainer.Elements(XName)"/> (lazily; an element removed while it is the current one ends
/// the enumeration).
/// </summary>
public readonly struct NamedElements(XElement? parent, string name) : IEnumerable<XElement>
{
    public Enumerator GetEnumerator() => new(parent, name);

    IEnumerator<XElement> IEnumerable<XElement>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator(XElement? parent, string name) : IEnumerator<XElement>
    {
        private XNode? _node;
        private bool _started;

        public XElement Current { get; private set; } = null!;

        readonly object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (parent is null)
            {
                return false;
            }

            if (name.StartsWith('{'))
            {
                throw new ArgumentException("Els takes a local name without a namespace", nameof(name));
            }

            var node = _started ? _node?.NextNode : parent.FirstNode;
            _started = true;
            for (; node is not null; node = node.NextNode)
            {
                if (node is XElement e && XmlExtensions.Named(e.Name, name))
                {
                    _node = node;
                    Current = e;
                    return true;
                }
            }

            _node = null;
            return false;
        }

        public void Reset()
        {
            _node = null;
            _started = false;
        }

        public readonly void Dispose()
        {
        }
    }
}

