namespace Reconciler.Schema.Storage.Support;

/// <summary>libvirt's UUID helpers (src/util/viruuid.c).</summary>
internal static class VirUuid
{
    /// <summary>
    /// virUUIDParse: 32 hex digits in pairs, with '-' or ' ' allowed anywhere between pairs and white
    /// space around the whole.
    /// </summary>
    public static bool TryParse(string? text, out Guid uuid)
    {
        uuid = Guid.Empty;
        if (text is null)
        {
            return false;
        }

        var cur = 0;
        while (cur < text.Length && IsGSpace(text[cur]))
        {
            cur++;
        }

        Span<char> hex = stackalloc char[32];
        var n = 0;
        while (n < 32)
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

            if (!char.IsAsciiHexDigit(text[cur]) || cur + 1 >= text.Length || !char.IsAsciiHexDigit(text[cur + 1]))
            {
                return false;
            }

            hex[n++] = text[cur];
            hex[n++] = text[cur + 1];
            cur += 2;
        }

        for (; cur < text.Length; cur++)
        {
            if (!IsGSpace(text[cur]))
            {
                return false;
            }
        }

        return Guid.TryParseExact(hex, "N", out uuid);
    }

    /// <summary>virUUIDFormat: lower-case hex with dashes.</summary>
    public static string Format(Guid uuid) => uuid.ToString("D");

    private static bool IsGSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';
}
