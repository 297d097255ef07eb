using System.Buffers;
using System.Text;
using System.Xml.Linq;

namespace Reconciler.Schema.Xml;

/// <summary>
/// Writes XML the way libvirt's formatters do: no declaration, two-space indentation, attributes in
/// single quotes, empty elements self-closed, text-only elements on one line, and the five XML special
/// characters escaped everywhere (virBufferEscapeString).
/// </summary>
public static class LibvirtXmlWriter
{
    /// <summary>
    /// Elements that libvirt always writes with an opening and closing tag, even when empty, as
    /// "parent/name" (a domain's devices, a pool's source).
    /// </summary>
    private static readonly (string Parent, string Name)[] AlwaysOpen = [("domain", "devices"), ("pool", "source")];

    /// <summary>A builder kept per thread: formatting is hot (every definition is formatted to be read back).</summary>
    [ThreadStatic]
    private static StringBuilder? cached;

    public static string Format(XElement root)
    {
        var sb = cached ?? new StringBuilder(4096);
        cached = null;
        sb.Clear();
        Write(sb, root, 0);
        var text = sb.ToString();
        if (sb.Capacity <= 1 << 20)
        {
            cached = sb;
        }

        return text;
    }

    public static void Write(StringBuilder sb, XElement element, int depth)
    {
        Indent(sb, depth);
        sb.Append('<');
        AppendName(sb, element, element.Name);
        for (var attribute = element.FirstAttribute; attribute is not null; attribute = attribute.NextAttribute)
        {
            sb.Append(' ');
            if (attribute.IsNamespaceDeclaration)
            {
                sb.Append(attribute.Name.Namespace == XNamespace.None ? "xmlns" : "xmlns:" + attribute.Name.LocalName);
            }
            else
            {
                AppendName(sb, element, attribute.Name);
            }

            sb.Append("='");
            Escape(sb, attribute.Value);
            sb.Append('\'');
        }

        var hasElements = false;
        var hasText = false;
        var blankText = false;
        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is XElement)
            {
                hasElements = true;
            }
            else if (node is XText text && !string.IsNullOrWhiteSpace(text.Value))
            {
                hasText = true;
            }
            else if (node is XText blank && blank.Value.Length > 0 && !blank.Value.Contains('\n', StringComparison.Ordinal))
            {
                blankText = true;
            }
        }

        // A value of blanks alone (a name of one space, which libvirt takes) is a value, kept as it is; blanks
        // with a line break are the indentation of an empty element.
        hasText |= blankText && !hasElements;

        if (!hasElements && !hasText)
        {
            if (element.Name.Namespace == XNamespace.None && element.Parent is { } parent && IsAlwaysOpen(parent, element))
            {
                sb.Append(">\n");
                Indent(sb, depth);
                CloseTag(sb, element);
            }
            else
            {
                sb.Append("/>\n");
            }

            return;
        }

        if (!hasElements)
        {
            sb.Append('>');
            Escape(sb, element.Value);
            CloseTag(sb, element);
            return;
        }

        if (hasText)
        {
            // Mixed content: written as it is, without a space added or taken away (as libxml2 does), so
            // that its text reads back the same (libvirt reads such an element as its text).
            sb.Append('>');
            WriteInlineContent(sb, element);
            CloseTag(sb, element);
            return;
        }

        sb.Append(">\n");
        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is XElement child)
            {
                Write(sb, child, depth + 1);
            }
        }

        Indent(sb, depth);
        CloseTag(sb, element);
    }

    private static bool IsAlwaysOpen(XElement parent, XElement element)
    {
        foreach (var (p, n) in AlwaysOpen)
        {
            if (element.Name.LocalName == n && parent.Name.LocalName == p)
            {
                return true;
            }
        }

        return false;
    }

    private static void WriteInlineContent(StringBuilder sb, XElement element)
    {
        foreach (var node in element.Nodes())
        {
            if (node is XText text)
            {
                Escape(sb, text.Value);
            }
            else if (node is XElement child)
            {
                sb.Append('<');
                AppendName(sb, child, child.Name);
                foreach (var attribute in child.Attributes())
                {
                    sb.Append(' ');
                    if (attribute.IsNamespaceDeclaration)
                    {
                        sb.Append(attribute.Name.Namespace == XNamespace.None ? "xmlns" : "xmlns:" + attribute.Name.LocalName);
                    }
                    else
                    {
                        AppendName(sb, child, attribute.Name);
                    }

                    sb.Append("='");
                    Escape(sb, attribute.Value);
                    sb.Append('\'');
                }

                if (child.IsEmpty)
                {
                    sb.Append("/>");
                }
                else
                {
                    sb.Append('>');
                    WriteInlineContent(sb, child);
                    sb.Append("</");
                    AppendName(sb, child, child.Name);
                    sb.Append('>');
                }
            }
        }
    }

    private static void CloseTag(StringBuilder sb, XElement element)
    {
        sb.Append("</");
        AppendName(sb, element, element.Name);
        sb.Append(">\n");
    }

    private static void Indent(StringBuilder sb, int depth) => sb.Append(' ', depth * 2);

    private static void AppendName(StringBuilder sb, XElement scope, XName name)
    {
        if (name.Namespace != XNamespace.None)
        {
            var prefix = scope.GetPrefixOfNamespace(name.Namespace);
            if (!string.IsNullOrEmpty(prefix))
            {
                sb.Append(prefix).Append(':');
            }
        }

        sb.Append(name.LocalName);
    }

    /// <summary>The characters <see cref="Escape"/> does not copy as they are.</summary>
    private static readonly SearchValues<char> Special = SearchValues.Create(
        "<>&'\"\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000B\u000C\u000E\u000F" +
        "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F");

    /// <summary>Escapes like virBufferEscapeString: the five specials, and drops other control characters.</summary>
    public static void Escape(StringBuilder sb, string value)
    {
        // Most values have nothing to escape or drop: appended at once.
        if (value.AsSpan().IndexOfAny(Special) < 0)
        {
            sb.Append(value);
            return;
        }

        foreach (var c in value)
        {
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '\'': sb.Append("&apos;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\t' or '\n' or '\r': sb.Append(c); break;
                case < ' ': break;
                default: sb.Append(c); break;
            }
        }
    }
}
