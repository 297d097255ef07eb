using System.Runtime.CompilerServices;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Reconciler.Schema.Xml;

/// <summary>
/// The spec reader's fast path: builds, straight from the UTF-8 bytes, the very tree that
/// <c>XDocument.Load(reader, LoadOptions.SetLineInfo)</c> builds through .NET's XML reader followed by
/// <see cref="SpecXmlReader.DropIndentation"/> — the same nodes, names, values and line information — for
/// documents in the form spec files take: UTF-8 without a byte order mark, an optional
/// <c>&lt;?xml version="1.0"?&gt;</c> declaration, elements and attributes with ASCII names, namespace
/// declarations and prefixes, comments, text without mixed content, and the five predefined entities.
/// Everything else (CDATA, DOCTYPEs, processing instructions, character references, carriage returns, a
/// byte order mark, other encodings, values beyond the limits, mixed content) and anything that is not
/// well-formed makes it give up (null) before anything it built is kept, and the XML reader takes the
/// document, with its diagnostics. The result is the same either way; the reader costs twice as much.
/// </summary>
internal static class SimpleXmlLoader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    // Names and short values repeat from node to node and from file to file (libvirt's vocabulary, "yes",
    // "0x00", the indentation): a direct-mapped cache of each hands out the same instance instead of a new
    // one. A slot is overwritten on a collision, so a hostile file of many distinct names costs a miss per
    // name, never memory; slots are single references, written and read without locks.
    private const int MaxNameLength = 128;
    private const int MaxSharedValueLength = 32;
    private const int ManyAttributes = 16;
    private const int MaxNamespaces = 64;
    private static readonly XName?[] SharedNames = new XName?[1024];
    private static readonly string?[] SharedValues = new string?[4096];

    // What each byte is to the scans (runs are short — an indentation, "yes", a path — so a table lookup a
    // byte beats a vectorized search): a character of a name, or a byte that stops a text or an attribute
    // value in single or double quotes (its end, a reference, a control, tab or line feed, the start of a
    // multi-byte character).
    private const byte NameChar = 1, TextStop = 2, DoubleQuotedStop = 4, SingleQuotedStop = 8;
    private static readonly byte[] Classes = ClassesOfBytes();

    private static byte[] ClassesOfBytes()
    {
        var classes = new byte[256];
        foreach (var c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
        {
            classes[c] |= NameChar;
        }

        for (var b = 0; b < 256; b++)
        {
            if (b < 0x20 || b >= 0x80 || b is '<' or '&')
            {
                classes[b] |= TextStop | DoubleQuotedStop | SingleQuotedStop;
            }
        }

        classes[']'] |= TextStop;
        classes['"'] |= DoubleQuotedStop;
        classes['\''] |= SingleQuotedStop;
        return classes;
    }

    /// <summary>The tree of <paramref name="s"/>, or null when it is not in the plain form this reads.</summary>
    public static XDocument? TryLoad(ReadOnlySpan<byte> s, XmlLimits limits)
    {
        var reader = new Reader(s, limits);
        try
        {
            return reader.Load();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or XmlException)
        {
            // LINQ to XML refused a name or a namespace declaration: the XML reader says why.
            return null;
        }
    }

    /// <summary>An element whose end tag is still to come.</summary>
    private record struct OpenElement(XElement Element, int NameStart, int NameLength)
    {
        public bool Elements;
        public bool Text;
    }

    /// <summary>
    /// An attribute of the start tag being read, before its name is resolved (a namespace declaration's is
    /// known at once).
    /// </summary>
    private readonly record struct RawAttribute(int NameStart, int NameLength, int PrefixLength, XName? Declaration, string Value, int Line, int Column);

    private ref struct Reader(ReadOnlySpan<byte> s, XmlLimits limits)
    {
        private readonly ReadOnlySpan<byte> _s = s;
        private int _i;
        private int _line = 1;
        private int _lineStart;

        // UTF-8 bytes on the current line beyond the UTF-16 characters they decode to: the XML reader counts
        // columns in characters.
        private int _lineExtra;

        private XDocument? _doc;
        private bool _docPositioned;

        // The namespace declarations in scope: prefix ("" for the default namespace), URI, and the depth of
        // the element that made them (popped with it).
        private List<(string Prefix, string Uri, int Depth)>? _namespaces;
        private List<RawAttribute>? _attributes;
        private List<(string Text, int Line, int Column)>? _pending;

        private readonly int Column => _i - _lineStart - _lineExtra + 1;

        public XDocument? Load()
        {
            var s = _s;
            if (s.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                return null;
            }

            var doc = _doc = new XDocument();
            if (s.StartsWith("<?xml"u8) && !ReadDeclaration(doc))
            {
                return null;
            }

            // The open elements, where their qualified names are written (their end tags must repeat them), and
            // whether they have child elements or text yet.
            var stack = new OpenElement[Math.Min(limits.MaxDepth, 64)];
            var depth = 0;
            XContainer container = doc;
            var rootDone = false;

            // Blank text is indentation, which SpecXmlReader.DropIndentation removes (and so it is never made
            // here), unless its element turns out to have no child element: it is held until that is known.
            var pending = _pending ??= [];
            pending.Clear();
            while (_i < s.Length)
            {
                if (s[_i] != '<')
                {
                    var (line, column) = (_line, Column);
                    if (ReadText(depth == 0, out var blank) is not { } text)
                    {
                        return null;
                    }

                    PositionDocument(line, column);
                    if (depth == 0)
                    {
                        // Beside the root element: indentation of the document.
                        continue;
                    }

                    ref var open = ref stack[depth - 1];
                    if (blank && open.Elements)
                    {
                        continue;
                    }

                    if (blank && !open.Text)
                    {
                        pending.Add((text, line, column));
                        continue;
                    }

                    if (open.Elements)
                    {
                        // Mixed content: the XML reader's path keeps it as it is.
                        return null;
                    }

                    open.Text = true;
                    AppendPending(open.Element);
                    AppendText(open.Element, text, line, column);
                    continue;
                }

                if (_i + 1 >= s.Length)
                {
                    return null;
                }

                var next = s[_i + 1];
                if (next == '/')
                {
                    if (depth == 0)
                    {
                        return null;
                    }

                    _i += 2;
                    var closed = stack[depth - 1];
                    var nameStart = _i;
                    if (!ReadName(out _, out _) || !s.Slice(nameStart, _i - nameStart).SequenceEqual(s.Slice(closed.NameStart, closed.NameLength)))
                    {
                        return null;
                    }

                    SkipSpace();
                    if (_i >= s.Length || s[_i] != '>')
                    {
                        return null;
                    }

                    _i++;
                    AppendPending(closed.Element);
                    ref var content = ref Content(closed.Element);
                    content ??= string.Empty;
                    depth--;
                    PopNamespaces(depth);
                    container = depth == 0 ? doc : stack[depth - 1].Element;
                    rootDone |= depth == 0;
                    continue;
                }

                if (next == '!')
                {
                    if (!SkipComment())
                    {
                        return null;
                    }

                    continue;
                }

                if (next == '?' || rootDone || depth >= limits.MaxDepth)
                {
                    return null;
                }

                if (depth > 0)
                {
                    ref var parent = ref stack[depth - 1];
                    if (parent.Text)
                    {
                        return null;
                    }

                    parent.Elements = true;
                }

                pending.Clear();
                _i++;
                if (ReadStartTag(depth, out var empty) is not { } element)
                {
                    return null;
                }

                AppendNodeSkipNotify(container, element.Element);
                if (empty)
                {
                    PopNamespaces(depth);
                    rootDone |= depth == 0;
                    continue;
                }

                if (depth == stack.Length)
                {
                    Array.Resize(ref stack, Math.Min(stack.Length * 2, limits.MaxDepth));
                }

                stack[depth++] = element;
                container = element.Element;
            }

            return rootDone && depth == 0 ? doc : null;
        }

        /// <summary>Gives a node its position; the document takes the position of its first node.</summary>
        private void Place(XObject node, int line, int column)
        {
            PositionDocument(line, column);
            SetLineInfo(node, line, column);
        }

        private void PositionDocument(int line, int column)
        {
            if (!_docPositioned)
            {
                SetLineInfo(_doc!, line, column);
                _docPositioned = true;
            }
        }

        private static void AppendText(XElement element, string text, int line, int column)
        {
            var node = new XText(text);
            SetLineInfo(node, line, column);
            AppendNodeSkipNotify(element, node);
        }

        /// <summary>The blank text held for an element now known to keep it.</summary>
        private readonly void AppendPending(XElement element)
        {
            foreach (var (text, line, column) in _pending!)
            {
                AppendText(element, text, line, column);
            }

            _pending.Clear();
        }

        /// <summary>
        /// A start tag, from its name on: the element with its attributes, its name and theirs resolved in the
        /// namespaces in scope and its own declarations (which stay in scope until its end tag).
        /// </summary>
        private OpenElement? ReadStartTag(int depth, out bool empty)
        {
            var s = _s;
            empty = false;
            var (line, column) = (_line, Column);
            var nameStart = _i;
            if (!ReadName(out var name, out var prefixLength))
            {
                return null;
            }

            var attributes = _attributes ??= [];
            attributes.Clear();
            while (true)
            {
                var spaced = SkipSpace();
                if (_i >= s.Length)
                {
                    return null;
                }

                if (s[_i] == '>')
                {
                    _i++;
                    break;
                }

                if (s[_i] == '/')
                {
                    if (_i + 1 >= s.Length || s[_i + 1] != '>')
                    {
                        return null;
                    }

                    _i += 2;
                    empty = true;
                    break;
                }

                var (attributeLine, attributeColumn) = (_line, Column);
                var attributeStart = _i;
                if (!spaced || ReadAttribute(out var attributeName, out var attributePrefix) is not { } value)
                {
                    return null;
                }

                // A namespace declaration is in scope for the element's own name and attributes, wherever it
                // stands among them; its own name is LINQ to XML's (xmlns, or {xmlns namespace}prefix).
                XName? declaration = null;
                if (attributePrefix == 0 && attributeName.SequenceEqual("xmlns"u8))
                {
                    Declare(string.Empty, value, depth);
                    declaration = XNamespace.None.GetName("xmlns");
                }
                else if (attributePrefix == 5 && attributeName.StartsWith("xmlns:"u8))
                {
                    var prefix = Encoding.ASCII.GetString(attributeName[6..]);
                    if (value.Length == 0 || prefix is "xml" or "xmlns")
                    {
                        return null;
                    }

                    Declare(prefix, value, depth);
                    declaration = XNamespace.Xmlns.GetName(prefix);
                }

                attributes.Add(new RawAttribute(attributeStart, attributeName.Length, attributePrefix, declaration, value, attributeLine, attributeColumn));
            }

            if (Resolve(name, prefixLength, element: true) is not { } xname)
            {
                return null;
            }

            var xelement = new XElement(xname);
            Place(xelement, line, column);
            HashSet<XName>? seen = null;
            foreach (var raw in attributes)
            {
                var attributeXName = raw.Declaration ?? Resolve(s.Slice(raw.NameStart, raw.NameLength), raw.PrefixLength, element: false);
                if (attributeXName is null)
                {
                    return null;
                }

                // A name given twice is for the reader to refuse. Looked for in a set past a few attributes: a
                // hostile tag of a hundred thousand would otherwise cost billions of comparisons.
                if (attributes.Count <= ManyAttributes)
                {
                    for (var a = xelement.FirstAttribute; a is not null; a = a.NextAttribute)
                    {
                        if (ReferenceEquals(a.Name, attributeXName))
                        {
                            return null;
                        }
                    }
                }
                else if (!(seen ??= new HashSet<XName>(ReferenceEqualityComparer.Instance)).Add(attributeXName))
                {
                    return null;
                }

                var attribute = new XAttribute(attributeXName, raw.Value);
                SetLineInfo(attribute, raw.Line, raw.Column);
                AppendAttributeSkipNotify(xelement, attribute);
            }

            return new OpenElement(xelement, nameStart, name.Length);
        }

        private void Declare(string prefix, string uri, int depth)
        {
            if (uri is "http://www.w3.org/XML/1998/namespace" or "http://www.w3.org/2000/xmlns/")
            {
                // Only the reserved prefixes may name these; the XML reader words the refusal.
                throw new InvalidOperationException("reserved namespace");
            }

            // Names are resolved by a walk back over the declarations in scope: more than a spec file ever has
            // are left to the reader.
            var namespaces = _namespaces ??= [];
            if (namespaces.Count == MaxNamespaces)
            {
                throw new InvalidOperationException("too many namespace declarations");
            }

            namespaces.Add((prefix, uri, depth));
        }

        private readonly void PopNamespaces(int depth)
        {
            var namespaces = _namespaces;
            while (namespaces is { Count: > 0 } && namespaces[^1].Depth >= depth)
            {
                namespaces.RemoveAt(namespaces.Count - 1);
            }
        }

        /// <summary>
        /// The name of an element or an attribute: with a prefix, in its declared namespace; without, an
        /// element in the default namespace and an attribute in none. Null for an undeclared prefix.
        /// </summary>
        private readonly XName? Resolve(ReadOnlySpan<byte> name, int prefixLength, bool element)
        {
            var namespaces = _namespaces;
            if (prefixLength == 0 && (!element || namespaces is null || namespaces.Count == 0))
            {
                return NameOf(name);
            }

            if (namespaces is null)
            {
                return null;
            }

            var prefix = prefixLength == 0 ? string.Empty : Encoding.ASCII.GetString(name[..prefixLength]);
            var local = prefixLength == 0 ? name : name[(prefixLength + 1)..];
            for (var k = namespaces.Count - 1; k >= 0; k--)
            {
                if (namespaces[k].Prefix == prefix)
                {
                    return XNamespace.Get(namespaces[k].Uri).GetName(Encoding.ASCII.GetString(local));
                }
            }

            // An element without a prefix and no default namespace declared is in none; a prefix must be declared.
            return prefixLength == 0 ? NameOf(name) : null;
        }

        /// <summary>Steps over a comment (which the XML reader is told to ignore), checking what XML requires of it.</summary>
        private bool SkipComment()
        {
            var s = _s;
            if (!s[_i..].StartsWith("<!--"u8))
            {
                return false;
            }

            _i += 4;
            var end = s[_i..].IndexOf("--"u8);
            if (end < 0 || _i + end + 2 >= s.Length || s[_i + end + 2] != '>' || (end > 0 && s[_i + end - 1] == '-'))
            {
                return false;
            }

            var stop = _i + end;
            var plain = true;
            while (_i < stop)
            {
                var c = s[_i];
                if (c == '\n')
                {
                    NewLine(++_i);
                }
                else if (c is (byte)'&' or (byte)'<')
                {
                    _i++;
                }
                else if (!Step(c, ref plain))
                {
                    return false;
                }
            }

            _i = stop + 3;
            return true;
        }

        /// <summary>
        /// <c>&lt;?xml version="1.0" encoding="UTF-8" standalone="yes"?&gt;</c> with the encoding and the
        /// standalone declaration optional, in single or double quotes, and the encoding UTF-8 only.
        /// </summary>
        private bool ReadDeclaration(XDocument doc)
        {
            var s = _s;
            _i = 5;
            SetLineInfo(doc, 1, 3);
            _docPositioned = true;
            string? version = null, encoding = null, standalone = null;
            while (true)
            {
                var spaced = SkipSpace();
                if (_i + 1 < s.Length && s[_i] == '?' && s[_i + 1] == '>')
                {
                    _i += 2;
                    break;
                }

                if (!spaced || ReadAttribute(out var name, out var prefixLength) is not { } value || prefixLength != 0)
                {
                    return false;
                }

                if (name.SequenceEqual("version"u8) && version is null && value == "1.0")
                {
                    version = value;
                }
                else if (name.SequenceEqual("encoding"u8) && version is not null && encoding is null && standalone is null
                    && string.Equals(value, "utf-8", StringComparison.OrdinalIgnoreCase))
                {
                    encoding = value;
                }
                else if (name.SequenceEqual("standalone"u8) && version is not null && standalone is null && value is "yes" or "no")
                {
                    standalone = value;
                }
                else
                {
                    return false;
                }
            }

            if (version is null)
            {
                return false;
            }

            doc.Declaration = new XDeclaration(version, encoding, standalone);
            return true;
        }

        /// <summary>Steps over XML white space (without carriage returns); whether there was any.</summary>
        private bool SkipSpace()
        {
            var start = _i;
            var s = _s;
            while (_i < s.Length)
            {
                var c = s[_i];
                if (c is (byte)' ' or (byte)'\t')
                {
                    _i++;
                }
                else if (c == '\n')
                {
                    NewLine(++_i);
                }
                else
                {
                    break;
                }
            }

            return _i > start;
        }

        private void NewLine(int next)
        {
            _line++;
            _lineStart = next;
            _lineExtra = 0;
        }

        /// <summary>
        /// A name of ASCII letters, digits, '_', '-' and '.', not starting with a digit, '-' or '.', or two such
        /// names joined by a colon (a prefix and a local name).
        /// </summary>
        private bool ReadName(out ReadOnlySpan<byte> name, out int prefixLength)
        {
            name = default;
            prefixLength = 0;
            var s = _s;
            var start = _i;
            if (!ReadNCName())
            {
                return false;
            }

            if (_i < s.Length && s[_i] == ':')
            {
                prefixLength = _i - start;
                _i++;
                if (!ReadNCName())
                {
                    return false;
                }
            }

            // A name ends at a delimiter; anything else (a second ':', a non-ASCII letter) is for the full reader.
            if (_i < s.Length && s[_i] is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'>' or (byte)'/' or (byte)'=' or (byte)'?'))
            {
                return false;
            }

            name = s[start.._i];
            return name.Length <= MaxNameLength;
        }

        private bool ReadNCName()
        {
            var s = _s;
            if (_i >= s.Length || !IsNameStart(s[_i]))
            {
                return false;
            }

            _i++;
            var classes = Classes;
            while (_i < s.Length && (classes[s[_i]] & NameChar) != 0)
            {
                _i++;
            }

            return true;
        }

        private static bool IsNameStart(byte c) => c is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_';

        /// <summary>An attribute (or a pseudo-attribute of the XML declaration): its name, '=', its value.</summary>
        private string? ReadAttribute(out ReadOnlySpan<byte> name, out int prefixLength)
        {
            var s = _s;
            if (!ReadName(out name, out prefixLength))
            {
                return null;
            }

            SkipSpace();
            if (_i >= s.Length || s[_i] != '=')
            {
                return null;
            }

            _i++;
            SkipSpace();
            return ReadAttributeValue();
        }

        /// <summary>A quoted attribute value, normalized as the XML reader does (tabs and line feeds become spaces).</summary>
        private string? ReadAttributeValue()
        {
            var s = _s;
            if (_i >= s.Length || s[_i] is not ((byte)'"' or (byte)'\''))
            {
                return null;
            }

            var quote = s[_i++];
            var start = _i;
            var plain = true;
            var stop = quote == '"' ? DoubleQuotedStop : SingleQuotedStop;
            var classes = Classes;
            while (true)
            {
                while (_i < s.Length && (classes[s[_i]] & stop) == 0)
                {
                    _i++;
                }

                if (_i >= s.Length)
                {
                    return null;
                }

                var c = s[_i];
                if (c == quote)
                {
                    break;
                }

                if (c == '\n')
                {
                    plain = false;
                    NewLine(++_i);
                    continue;
                }

                if (c is (byte)'<' || !Step(c, ref plain))
                {
                    return null;
                }
            }

            var raw = s[start.._i];
            _i++;
            if (raw.Length > limits.MaxAttributeLength)
            {
                return null;
            }

            return plain ? Decode(raw) : Unescape(raw, attribute: true);
        }

        /// <summary>
        /// A run of text up to the next '&lt;' (or the end); at the top level of the document only white space
        /// is taken.
        /// </summary>
        private string? ReadText(bool topLevel, out bool blank)
        {
            var s = _s;
            var start = _i;
            var plain = true;
            blank = true;
            while (_i < s.Length)
            {
                var c = s[_i];
                if ((Classes[c] & TextStop) == 0)
                {
                    blank &= c == ' ';
                    _i++;
                    continue;
                }

                if (c == '<')
                {
                    break;
                }

                if (c == '\n')
                {
                    NewLine(++_i);
                    continue;
                }

                if (c is (byte)']' && s[_i..].StartsWith("]]>"u8) || !Step(c, ref plain))
                {
                    return null;
                }

                blank &= c == '\t';
            }

            if (topLevel && !blank)
            {
                return null;
            }

            var raw = s[start.._i];
            if (raw.Length > limits.MaxTextLength)
            {
                return null;
            }

            return plain ? Decode(raw) : Unescape(raw, attribute: false);
        }

        /// <summary>
        /// Steps over one character of a value (not a line feed): a reference to one of the five predefined
        /// entities, or a character that XML allows; false for anything else.
        /// </summary>
        private bool Step(byte c, ref bool plain)
        {
            var s = _s;
            if (c == '&')
            {
                plain = false;
                var rest = s[(_i + 1)..];
                var length = rest.StartsWith("amp;"u8) ? 4 : rest.StartsWith("lt;"u8) || rest.StartsWith("gt;"u8) ? 3
                    : rest.StartsWith("quot;"u8) || rest.StartsWith("apos;"u8) ? 5 : 0;
                if (length == 0)
                {
                    return false;
                }

                _i += length + 1;
                return true;
            }

            if (c < 0x80)
            {
                if (c < 0x20 && c != '\t')
                {
                    return false;
                }

                if (c == '\t')
                {
                    plain = false;
                }

                _i++;
                return true;
            }

            // One UTF-8 sequence, well-formed and of a character that XML allows.
            var status = System.Text.Rune.DecodeFromUtf8(s[_i..], out var rune, out var consumed);
            if (status != System.Buffers.OperationStatus.Done || rune.Value is 0xFFFE or 0xFFFF)
            {
                return false;
            }

            _lineExtra += consumed - rune.Utf16SequenceLength;
            _i += consumed;
            return true;
        }

        /// <summary>Decodes a value with entity references, tabs or line feeds.</summary>
        private static string Unescape(ReadOnlySpan<byte> raw, bool attribute)
        {
            var text = Utf8.GetString(raw);
            var builder = new StringBuilder(text.Length);
            for (var k = 0; k < text.Length; k++)
            {
                var c = text[k];
                if (c == '&')
                {
                    var end = text.IndexOf(';', k);
                    builder.Append(text.AsSpan(k + 1, end - k - 1) switch
                    {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        _ => '\'',
                    });
                    k = end;
                }
                else
                {
                    builder.Append(attribute && c is '\t' or '\n' ? ' ' : c);
                }
            }

            return builder.ToString();
        }
    }

    private static XName NameOf(ReadOnlySpan<byte> ascii)
    {
        ref var slot = ref SharedNames[Hash(ascii) & (SharedNames.Length - 1)];
        if (slot is { } known && System.Text.Ascii.Equals(ascii, known.LocalName))
        {
            return known;
        }

        return slot = XName.Get(Encoding.ASCII.GetString(ascii));
    }

    /// <summary>A value's string: a shared one for short values in ASCII.</summary>
    private static string Decode(ReadOnlySpan<byte> raw)
    {
        if (raw.Length > MaxSharedValueLength || !System.Text.Ascii.IsValid(raw))
        {
            return Utf8.GetString(raw);
        }

        ref var slot = ref SharedValues[Hash(raw) & (SharedValues.Length - 1)];
        if (slot is { } known && System.Text.Ascii.Equals(raw, known))
        {
            return known;
        }

        return slot = Encoding.ASCII.GetString(raw);
    }

    private static uint Hash(ReadOnlySpan<byte> bytes)
    {
        var hash = 2166136261u;
        foreach (var b in bytes)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash ^ (hash >> 15);
    }

    // The members XDocument.Load itself uses to build the tree: no change notifications, no checks for a
    // node that already has a parent, no walk up to the root for every node.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "SetLineInfo")]
    private static extern void SetLineInfo(XObject node, int lineNumber, int linePosition);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "AppendNodeSkipNotify")]
    private static extern void AppendNodeSkipNotify(XContainer container, XNode node);

    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "AppendAttributeSkipNotify")]
    private static extern void AppendAttributeSkipNotify(XElement element, XAttribute attribute);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "content")]
    private static extern ref object? Content(XContainer container);
}
