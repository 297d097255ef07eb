using System.Globalization;

namespace Reconciler.Schema.Xml;

/// <summary>
/// Integer parsing as libvirt's virStrToLong_* helpers do it (strtol/strtoul semantics): base 10, 8, 16
/// (optional 0x) or 0 (0x for hex, a leading 0 for octal), leading whitespace allowed, nothing after.
/// </summary>
public static class CNumber
{
    public static bool TryParseULong(string? text, int numberBase, out ulong value)
    {
        value = 0;
        if (text is null)
        {
            return false;
        }

        var t = text.AsSpan().TrimStart();
        if (t.Length > 0 && t[0] == '+')
        {
            t = t[1..];
        }

        if (t.Length == 0 || t[0] == '-')
        {
            return false;
        }

        if (numberBase == 16 || numberBase == 0)
        {
            if (t.Length > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
            {
                return ulong.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
            }

            if (numberBase == 16)
            {
                return ulong.TryParse(t, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
            }

            if (t.Length > 1 && t[0] == '0')
            {
                foreach (var c in t)
                {
                    if (c is < '0' or > '7')
                    {
                        return false;
                    }

                    if (value > ulong.MaxValue / 8)
                    {
                        return false;
                    }

                    value = (value * 8) + (ulong)(c - '0');
                }

                return true;
            }
        }

        if (numberBase == 8)
        {
            foreach (var c in t)
            {
                if (c is < '0' or > '7' || value > ulong.MaxValue / 8)
                {
                    return false;
                }

                value = (value * 8) + (ulong)(c - '0');
            }

            return true;
        }

        foreach (var c in t)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseUInt(string? text, int numberBase, out uint value)
    {
        value = 0;
        if (!TryParseULong(text, numberBase, out var v) || v > uint.MaxValue)
        {
            return false;
        }

        value = (uint)v;
        return true;
    }

    public static bool TryParseInt(string? text, out int value)
    {
        value = 0;
        if (text is null)
        {
            return false;
        }

        var t = text.AsSpan().TrimStart();
        return t.Length > 0 && int.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static bool TryParseLong(string? text, out long value)
    {
        value = 0;
        if (text is null)
        {
            return false;
        }

        var t = text.AsSpan().TrimStart();
        return t.Length > 0 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    public static string Hex(ulong value, int width) =>
        "0x" + value.ToString("x" + width.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    public static string Dec(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
