namespace Reconciler.Schema.Networks.Support;

/// <summary>
/// libvirt's virStrToLong_* helpers (src/util/virstring.c), which wrap C's strtoul: optional leading white
/// space, an optional sign, the digits of the base (base 0: "0x" for hex, a leading 0 for octal), and
/// nothing after the digits. The "p" variants refuse a minus sign.
/// </summary>
internal static class StrToLong
{
    /// <summary>virStrToLong_ui: an unsigned int; "-N" wraps as (unsigned)-N, so "-1" is UINT_MAX.</summary>
    public static bool TryUInt(string? text, int numberBase, out uint value)
    {
        value = 0;
        if (!TryScan(text, numberBase, out var scan))
        {
            return false;
        }

        if (scan.Negative)
        {
            if (scan.Magnitude > uint.MaxValue)
            {
                return false;
            }

            value = unchecked((uint)(0x1_0000_0000UL - scan.Magnitude));
            return true;
        }

        if (scan.Magnitude > uint.MaxValue)
        {
            return false;
        }

        value = (uint)scan.Magnitude;
        return true;
    }

    /// <summary>virStrToLong_uip: an unsigned int, no minus sign.</summary>
    public static bool TryUIntPositive(string? text, int numberBase, out uint value)
    {
        value = 0;
        if (!TryULongPositive(text, numberBase, out var wide) || wide > uint.MaxValue)
        {
            return false;
        }

        value = (uint)wide;
        return true;
    }

    /// <summary>virStrToLong_ulp and virStrToLong_ullp (64-bit): an unsigned long, no minus sign.</summary>
    public static bool TryULongPositive(string? text, int numberBase, out ulong value)
    {
        value = 0;
        if (!TryScan(text, numberBase, out var scan) || scan.Negative)
        {
            return false;
        }

        value = scan.Magnitude;
        return true;
    }

    private readonly record struct Scan(bool Negative, ulong Magnitude);

    /// <summary>What strtoul reads when it must consume the whole text without overflowing.</summary>
    private static bool TryScan(string? text, int numberBase, out Scan scan)
    {
        scan = default;
        if (text is null)
        {
            return false;
        }

        var i = 0;
        while (i < text.Length && IsCSpace(text[i]))
        {
            i++;
        }

        var negative = false;
        if (i < text.Length && text[i] is '+' or '-')
        {
            negative = text[i] == '-';
            i++;
        }

        var b = numberBase;
        if ((b == 16 || b == 0) && i + 2 < text.Length && text[i] == '0' && text[i + 1] is 'x' or 'X' &&
            DigitValue(text[i + 2]) is >= 0 and < 16)
        {
            i += 2;
            b = 16;
        }
        else if (b == 0)
        {
            b = i < text.Length && text[i] == '0' ? 8 : 10;
        }

        var start = i;
        ulong magnitude = 0;
        var overflow = false;
        for (; i < text.Length; i++)
        {
            var d = DigitValue(text[i]);
            if (d < 0 || d >= b)
            {
                break;
            }

            if (magnitude > (ulong.MaxValue - (ulong)d) / (ulong)b)
            {
                overflow = true;
            }
            else
            {
                magnitude = (magnitude * (ulong)b) + (ulong)d;
            }
        }

        if (i == start || i != text.Length || overflow)
        {
            return false;
        }

        scan = new Scan(negative, magnitude);
        return true;
    }

    internal static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    internal static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'z' => c - 'a' + 10,
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => -1,
    };
}
