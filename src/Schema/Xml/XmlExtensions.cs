using System.Globalization;
using System.Xml.Linq;

namespace Reconciler.Schema.Xml;

/// <summary>Small helpers over LINQ to XML for un-namespaced libvirt elements.</summary>
public static class XmlExtensions
{
    /// <summary>The first child element with this local name and no namespace, or null.</summary>
    public static XElement? El(this XElement? element, string name) => element?.Element(name);

    /// <summary>The child elements with this local name and no namespace.</summary>
    public static IEnumerable<XElement> Els(this XElement? element, string name) =>
        element is null ? [] : element.Elements(name);

    /// <summary>The value of an attribute, or null when it is absent.</summary>
    public static string? A(this XElement? element, string name) => element?.Attribute(name)?.Value;

    /// <summary>Sets an attribute, keeping its place when it exists; removes it when value is null.</summary>
    public static XElement Set(this XElement element, string name, string? value)
    {
        element.SetAttributeValue(name, value);
        return element;
    }

    public static XElement Set(this XElement element, string name, long value) =>
        element.Set(name, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sets an attribute only when it is absent.</summary>
    public static XElement Default(this XElement element, string name, string value)
    {
        if (element.Attribute(name) is null)
        {
            element.SetAttributeValue(name, value);
        }

        return element;
    }

    /// <summary>The child with this name, created (appended) when it does not exist.</summary>
    public static XElement GetOrAdd(this XElement element, string name)
    {
        var child = element.Element(name);
        if (child is null)
        {
            child = new XElement(name);
            element.Add(child);
        }

        return child;
    }

    /// <summary>The trimmed text of a child element, or null when the child is absent.</summary>
    public static string? Text(this XElement? element, string name) => element?.Element(name)?.Value.Trim();

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
    public static void OrderAttributes(this XElement element, IReadOnlyList<string> order)
    {
        var attributes = element.Attributes().ToList();
        if (attributes.Count < 2)
        {
            return;
        }

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
    public static void OrderChildren(this XElement element, IReadOnlyList<string> order)
    {
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

    private static int IndexOf(IReadOnlyList<string> list, string name)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == name)
            {
                return i;
            }
        }

        return -1;
    }
}
