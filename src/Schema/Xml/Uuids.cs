namespace Reconciler.Schema.Xml;

/// <summary>
/// libvirt's UUID syntax (virUUIDParse): 32 hex digits in pairs, '-' or ' ' allowed between pairs,
/// whitespace around.
/// </summary>
public static class Uuids
{
    public static bool TryParse(string? text, out Guid uuid)
    {
        uuid = Guid.Empty;
        if (text is null)
        {
            return false;
        }

        Span<char> hex = stackalloc char[32];
        var cur = 0;
        while (cur < text.Length && char.IsWhiteSpace(text[cur]))
        {
            cur++;
        }

        for (var i = 0; i < 16;)
        {
            if (cur >= text.Length)
            {
                return false;
            }

            if (text[cur] is '-' or ' ')
            {
                cur++;
                continue;
            }

            if (cur + 1 >= text.Length || !char.IsAsciiHexDigit(text[cur]) || !char.IsAsciiHexDigit(text[cur + 1]))
            {
                return false;
            }

            hex[2 * i] = text[cur];
            hex[(2 * i) + 1] = text[cur + 1];
            i++;
            cur += 2;
        }

        for (; cur < text.Length; cur++)
        {
            if (!char.IsWhiteSpace(text[cur]))
            {
                return false;
            }
        }

        return Guid.TryParseExact(hex, "N", out uuid);
    }
}
