using System.Xml;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Schema.Xml;

/// <summary>
/// Reads a spec file into an <see cref="XDocument"/> with line information. DTDs are prohibited, no
/// external entity is ever resolved, and size and depth are limited: hostile input yields an error,
/// never an exception, a hang or a network access.
/// </summary>
public static class SpecXmlReader
{
    /// <summary>Parses <paramref name="content"/>; on failure returns null and sets <paramref name="error"/>.</summary>
    public static XDocument? Parse(ReadOnlyMemory<byte> content, XmlLimits limits, out SchemaError? error)
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

        try
        {
            CheckDepth(content, limits);
            using var reader = XmlReader.Create(new ReadOnlyMemoryStream(content), Settings(limits));
            return XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException e)
        {
            var (line, column) = (e.LineNumber, e.LinePosition);
            if (IsDtdError(e) && Find(content.Span, "<!DOCTYPE"u8) is { } doctype)
            {
                (line, column) = doctype;
            }

            error = new SchemaError(ErrorCode.XmlDetail, Describe(e), Math.Max(line, 1), Math.Max(column, 1));
            return null;
        }
        catch (DepthExceededException e)
        {
            error = new SchemaError(ErrorCode.XmlDetail,
                $"elements are nested more than {limits.MaxDepth} levels deep", e.Line, e.Column);
            return null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or System.Text.DecoderFallbackException or IOException)
        {
            error = new SchemaError(ErrorCode.XmlDetail, "the file is not a readable XML document: " + e.Message, 1, 1);
            return null;
        }
    }

    /// <summary>Parses a string (already decoded text).</summary>
    public static XDocument? Parse(string text, XmlLimits limits, out SchemaError? error) =>
        Parse(System.Text.Encoding.UTF8.GetBytes(text), limits, out error);

    private static XmlReaderSettings Settings(XmlLimits limits) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = limits.MaxBytes,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        CloseInput = true,
    };

    private static void CheckDepth(ReadOnlyMemory<byte> content, XmlLimits limits)
    {
        using var reader = XmlReader.Create(new ReadOnlyMemoryStream(content), Settings(limits));
        var info = (IXmlLineInfo)reader;
        while (reader.Read())
        {
            if (reader.NodeType == XmlNodeType.Element && reader.Depth >= limits.MaxDepth)
            {
                throw new DepthExceededException(info.LineNumber, info.LinePosition);
            }
        }
    }

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
        if (at < 0)
        {
            return null;
        }

        var before = content[..at];
        var line = before.Count((byte)'\n') + 1;
        var lastNewline = before.LastIndexOf((byte)'\n');
        return (line, at - lastNewline);
    }

    private static string Describe(XmlException e)
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

        return message.TrimEnd();
    }

    private sealed class DepthExceededException(int line, int column) : Exception("too deep")
    {
        public int Line { get; } = line;

        public int Column { get; } = column;
    }
}
