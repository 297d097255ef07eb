using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Schema.Xml;

/// <summary>
/// Reads a spec file into an <see cref="XDocument"/> with line information. DTDs are prohibited, no
/// external entity is ever resolved, and size, depth and the length of values are limited: hostile input
/// yields an error (with the line and column where it goes wrong), never an exception, a hang or a network
/// access. A UTF-8 byte order mark is accepted, as libvirt does.
/// </summary>
public static partial class SpecXmlReader
{
    private static readonly string[] Utf16Names = ["utf-16", "utf-16le", "utf-16be", "ucs-2", "iso-10646-ucs-2", "unicode", "utf-32", "utf-32le", "utf-32be", "ucs-4", "iso-10646-ucs-4"];

    /// <summary>Parses <paramref name="content"/>; on failure returns null and sets <paramref name="error"/>.</summary>
    public static XDocument? Parse(ReadOnlyMemory<byte> content, XmlLimits limits, out SchemaError? error) =>
        Parse(content, limits, plainPath: true, out error);

    /// <summary>
    /// Parses <paramref name="content"/>; <paramref name="plainPath"/> false makes .NET's XML reader read
    /// even a document that <see cref="SimpleXmlLoader"/> reads (the tests compare the two).
    /// </summary>
    internal static XDocument? Parse(ReadOnlyMemory<byte> content, XmlLimits limits, bool plainPath, out SchemaError? error)
    {
        error = null;
        if (content.Length > limits.MaxBytes)
        {
            error = new SchemaError(ErrorCode.XmlDetail,
                $"file is too large: {content.Length} bytes, at most {limits.MaxBytes} are accepted", 1, 1);
            return null;
        }

        if (IsBlank(content.Span))
        {
            error = new SchemaError(ErrorCode.XmlDetail, "file is empty: expected an XML document", 1, 1);
            return null;
        }

        var declared = DeclaredEncoding(content.Span);
        error = CheckBytes(content.Span, declared) ?? CheckTags(content.Span, limits);
        if (error is not null)
        {
            return null;
        }

        if (plainPath && SimpleXmlLoader.TryLoad(content.Span, limits) is { } plain)
        {
            return plain;
        }

        try
        {
            using var reader = new LimitingXmlReader(XmlReader.Create(new ReadOnlyMemoryStream(content), Settings(limits)), limits, content.Length);
            var doc = XDocument.Load(reader, LoadOptions.SetLineInfo);
            DropIndentation(doc);
            return doc;
        }
        catch (XmlException e)
        {
            var (line, column) = (e.LineNumber, e.LinePosition);
            if (IsDtdError(e) && Find(content.Span, "<!DOCTYPE"u8) is { } doctype)
            {
                (line, column) = doctype;
            }

            error = new SchemaError(ErrorCode.XmlDetail, Describe(e, declared?.Name), Math.Max(line, 1), Math.Max(column, 1));
            return null;
        }
        catch (XmlLimitException e)
        {
            error = new SchemaError(ErrorCode.XmlDetail, e.Message, Math.Max(e.Line, 1), Math.Max(e.Column, 1));
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or DecoderFallbackException or IOException)
        {
            error = new SchemaError(ErrorCode.XmlDetail, "the file is not a readable XML document: " + e.Message, 1, 1);
            return null;
        }
    }

    /// <summary>
    /// Removes the blank text between the child elements of an element (or of the document) that has no other
    /// text: indentation, which libvirt's formatter redoes and nothing reads, and which every walk over the
    /// children would step over. Text of an element without child elements (a name of one blank) and mixed
    /// content stay as written. (<see cref="SimpleXmlLoader"/> never makes such text in the first place.)
    /// </summary>
    internal static void DropIndentation(XContainer container)
    {
        var elements = false;
        var blanks = false;
        for (var node = container.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is XElement child)
            {
                elements = true;
                DropIndentation(child);
            }
            else if (node is XText text)
            {
                if (text is XCData || text.Value.AsSpan().ContainsAnyExcept(" \t\r\n"))
                {
                    return;
                }

                blanks = true;
            }
        }

        if (elements && blanks)
        {
            // One pass (removing nodes one by one walks the siblings for each: thousands of devices).
            container.ReplaceNodes(container.Elements().ToList());
        }
    }

    /// <summary>Parses a string (already decoded text).</summary>
    public static XDocument? Parse(string text, XmlLimits limits, out SchemaError? error) =>
        Parse(Encoding.UTF8.GetBytes(text), limits, out error);

    private static XmlReaderSettings Settings(XmlLimits limits) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = limits.MaxBytes,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = false, // refused where they stand (LimitingXmlReader)
        CloseInput = true,
    };

    /// <summary>The encoding named by the XML declaration, and where it is, when the file starts with one in 8-bit text.</summary>
    private static (string Name, int Line, int Column)? DeclaredEncoding(ReadOnlySpan<byte> content)
    {
        if (content.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            content = content[3..];
        }

        if (!content.StartsWith("<?xml"u8))
        {
            return null;
        }

        var end = content.IndexOf("?>"u8);
        var declaration = content[..(end < 0 ? Math.Min(content.Length, 200) : end)];
        var at = declaration.IndexOf("encoding"u8);
        if (at < 0)
        {
            return null;
        }

        var text = Encoding.Latin1.GetString(declaration[at..]);
        var match = EncodingAttribute().Match(text);
        return match.Success ? (match.Groups[1].Value, 1, at + 1) : null;
    }

    /// <summary>Problems of the raw bytes that the XML reader would report badly or not at all.</summary>
    private static SchemaError? CheckBytes(ReadOnlySpan<byte> content, (string Name, int Line, int Column)? declared)
    {
        if (IsWide(content))
        {
            return null;
        }

        if (declared is { } d && Array.IndexOf(Utf16Names, d.Name.ToLowerInvariant()) >= 0)
        {
            return new SchemaError(ErrorCode.XmlDetail,
                $"the XML declaration says encoding '{d.Name}', but the file is not in it (it has no byte order mark and is written in single bytes): declare encoding='UTF-8', or save the file as {d.Name} with a byte order mark",
                d.Line, d.Column);
        }

        var nul = content.IndexOf((byte)0);
        if (nul >= 0)
        {
            var (line, column) = Position(content, nul);
            return new SchemaError(ErrorCode.XmlDetail,
                "the file contains a NUL byte, which no XML document can contain: it is a binary file or it is damaged", line, column);
        }

        return null;
    }

    /// <summary>
    /// Refuses a start tag longer than the limit before the XML reader sees it (it would spend minutes on
    /// one of megabytes). Walks the bytes once: text, comments, CDATA sections and processing instructions
    /// are skipped, quoted attribute values are stepped over. Files in UTF-16 or UTF-32 and files with a
    /// DTD (refused anyway, right where it starts) are left to the XML reader.
    /// </summary>
    private static SchemaError? CheckTags(ReadOnlySpan<byte> content, XmlLimits limits)
    {
        if (content.Length <= limits.MaxTagLength || IsWide(content))
        {
            return null;
        }

        var i = 0;
        while (i < content.Length)
        {
            var lt = content[i..].IndexOf((byte)'<');
            if (lt < 0)
            {
                return null;
            }

            i += lt;
            var rest = content[i..];
            ReadOnlySpan<byte> end = rest.StartsWith("<!--"u8) ? "-->"u8 : rest.StartsWith("<![CDATA["u8) ? "]]>"u8 : rest.StartsWith("<?"u8) ? "?>"u8 : default;
            if (rest.StartsWith("<!DOCTYPE"u8))
            {
                return null;
            }

            if (!end.IsEmpty)
            {
                var close = rest.IndexOf(end);
                if (close < 0)
                {
                    return null;
                }

                i += close + end.Length;
                continue;
            }

            var j = 1;
            byte quote = 0;
            for (; j < rest.Length; j++)
            {
                var c = rest[j];
                if (quote != 0)
                {
                    if (c == quote)
                    {
                        quote = 0;
                    }
                }
                else if (c is (byte)'"' or (byte)'\'')
                {
                    quote = c;
                }
                else if (c == (byte)'>')
                {
                    break;
                }
            }

            if (j + 1 > limits.MaxTagLength)
            {
                var (line, column) = Position(content, i);
                return new SchemaError(ErrorCode.XmlDetail,
                    $"a tag is {j + 1} bytes long, at most {limits.MaxTagLength} are accepted (too many or too long attributes)", line, column);
            }

            i += j + 1;
        }

        return null;
    }

    /// <summary>
    /// UTF-16 and UTF-32 files (with a byte order mark, or detected from "&lt;" written in two or four bytes)
    /// hold NUL bytes of their own and are not read byte by byte here; the XML reader checks them.
    /// </summary>
    private static bool IsWide(ReadOnlySpan<byte> content) =>
        content.Length >= 2 && (content[0] == 0 || content[1] == 0 ||
            (content[0] == 0xFF && content[1] == 0xFE) || (content[0] == 0xFE && content[1] == 0xFF));

    private static bool IsBlank(ReadOnlySpan<byte> span)
    {
        // A UTF-8 byte order mark alone is still an empty file.
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            span = span[3..];
        }

        foreach (var b in span)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDtdError(XmlException e) => e.Message.Contains("DTD is prohibited", StringComparison.Ordinal);

    /// <summary>The 1-based line and column of the first occurrence of <paramref name="needle"/>.</summary>
    private static (int Line, int Column)? Find(ReadOnlySpan<byte> content, ReadOnlySpan<byte> needle)
    {
        var at = content.IndexOf(needle);
        return at < 0 ? null : Position(content, at);
    }

    /// <summary>The 1-based line and column of the byte at <paramref name="offset"/> (columns count bytes).</summary>
    private static (int Line, int Column) Position(ReadOnlySpan<byte> content, int offset)
    {
        var before = content[..offset];
        var line = before.Count((byte)'\n') + 1;
        var lastNewline = before.LastIndexOf((byte)'\n');
        return (line, offset - lastNewline);
    }

    private static string Describe(XmlException e, string? declared)
    {
        var message = e.Message;
        if (IsDtdError(e))
        {
            return "DTDs and entity declarations are not allowed in spec files (they are never resolved)";
        }

        // XmlException appends " Line N, position M." which we report separately.
        var at = message.LastIndexOf(" Line ", StringComparison.Ordinal);
        if (at > 0 && message.EndsWith('.'))
        {
            message = message[..at];
        }

        message = message.TrimEnd();
        if (message.StartsWith("Invalid character in the given encoding", StringComparison.Ordinal))
        {
            return $"the bytes here are not valid {declared ?? "UTF-8"}, the encoding the file {(declared is null ? "is read in (it declares none)" : "declares")}: save the file as {declared ?? "UTF-8"}, or declare the encoding it is written in";
        }

        if (UnsupportedEncoding().Match(message) is { Success: true } unsupported)
        {
            return $"unsupported encoding '{unsupported.Groups[1].Value}': spec files are read in UTF-8, UTF-16, US-ASCII or ISO-8859-1; save the file as UTF-8";
        }

        if (message.StartsWith("There is no Unicode byte order mark", StringComparison.Ordinal))
        {
            return "the XML declaration names a UTF-16 encoding, but the file has no byte order mark: declare encoding='UTF-8', or save the file as UTF-16 with a byte order mark";
        }

        if (InvalidCharacter().Match(message) is { Success: true } invalid)
        {
            return $"character 0x{invalid.Groups[1].Value} is not allowed in an XML document (control characters are not)";
        }

        return "not well-formed XML: " + message;
    }

    [GeneratedRegex("""^encoding\s*=\s*["']([^"']*)["']""")]
    private static partial Regex EncodingAttribute();

    [GeneratedRegex("^System does not support '([^']*)' encoding")]
    private static partial Regex UnsupportedEncoding();

    [GeneratedRegex("hexadecimal value 0x([0-9A-Fa-f]+), is an invalid character")]
    private static partial Regex InvalidCharacter();
}
