using System.Globalization;

namespace Reconciler.Schema.Networks.Support;

/// <summary>libvirt's virMacAddrParse, virMacAddrFormat and virMacAddrIsMulticast.</summary>
internal static class MacAddress
{
    /// <summary>Six colon-separated groups of one or two hex digits; after the last, only the end, a space or a control character.</summary>
    public static bool TryParse(string text, out byte[] mac)
    {
        mac = new byte[6];
        var i = 0;
        for (var octet = 0; octet < 6; octet++)
        {
            var start = i;
            var value = 0;
            while (i < text.Length && char.IsAsciiHexDigit(text[i]) && i - start < 3)
            {
                value = (value * 16) + StrToLong.DigitValue(text[i]);
                i++;
            }

            if (i - start is < 1 or > 2)
            {
                return false;
            }

            mac[octet] = (byte)value;
            if (octet == 5)
            {
                // A C char: UTF-8 bytes of non-ASCII characters are negative, so "<= ' '" too.
                return i >= text.Length || text[i] <= ' ' || text[i] >= 0x80;
            }

            if (i >= text.Length || text[i] != ':')
            {
                return false;
            }

            i++;
        }

        return false;
    }

    /// <summary>The low bit of the first byte.</summary>
    public static bool IsMulticast(byte[] mac) => (mac[0] & 1) != 0;

    public static string Format(byte[] mac) =>
        string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
}
