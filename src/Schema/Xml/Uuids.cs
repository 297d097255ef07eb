namespace Reconciler.Schema.Xml;

/// <summary>libvirt's UUID syntax (virUUIDParse): 32 hex digits, dashes allowed between pairs, spaces around.</summary>
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
        var n = 0;
        var t = text.Trim();
        for (var i = 0; i < t.Length; i++)
        {
            var c = t[i];
            if (c == '-')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c) || n == 32)
            {
                return false;
            }

            hex[n++] = c;
        }

        return n == 32 && Guid.TryParseExact(hex, "N", out uuid);
    }
}
