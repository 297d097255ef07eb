namespace Reconciler.Schema.Storage.Support;

/// <summary>
/// libvirt's virStrToLong_* family (src/util/virstring.c) over C's strtol/strtoul: leading white space,
/// an optional sign, the digits of the base, and nothing after them.
/// </summary>
internal static class CStrToLong
{
    /// <summary>virStrToLong_i: a C int.</summary>
    public static bool TryInt(string? text, int numberBase, out int value)
    {
        value = 0;
        if (!TryScan(text, numberBase, out var scan) || !scan.Complete)
        {
            return false;
        }

        // strtol on a 64-bit long, then the (int) round trip check.
        if (scan.Overflow || (!scan.Negative && scan.Magnitude > long.MaxValue) ||
            (scan.Negative && scan.Magnitude > 1UL + long.MaxValue))
        {
            return false;
        }

        var wide = scan.Negative ? unchecked(-(long)scan.Magnitude) : (long)scan.Magnitude;
        if (wide is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        value = (int)wide;
        return true;
    }

    /// <summary>virStrToLong_ll: a C long long.</summary>
    public static bool TryLongLong(string? text, int numberBase, out long value)
    {
        value = 0;
        if (!TryScan(text, numberBase, out var scan) || !scan.Complete || scan.Overflow)
        {
            return false;
        }

        if ((!scan.Negative && scan.Magnitude > long.MaxValue) || (scan.Negative && scan.Magnitude > 1UL + long.MaxValue))
        {
            return false;
        }

        value = scan.Negative ? unchecked(-(long)scan.Magnitude) : (long)scan.Magnitude;
        return true;
    }

    /// <summary>virStrToLong_ui: an unsigned int, where "-N" wraps like (unsigned)-N (so "-1" is UINT_MAX).</summary>
    public static bool TryUInt(string? text, int numberBase, out uint value)
    {
        value = 0;
        if (!TryScan(text, numberBase, out var scan) || !scan.Complete || scan.Overflow)
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

    /// <summary>virStrToLong_uip: an unsigned int, no minus sign allowed.</summary>
    public static bool TryUIntPositive(string? text, int numberBase, out uint value)
    {
        value = 0;
        if (!TryULongLongPositive(text, numberBase, out var wide) || wide > uint.MaxValue)
        {
            return false;
        }

        value = (uint)wide;
        return true;
    }

    /// <summary>virStrToLong_ullp: an unsigned long long, no minus sign allowed.</summary>
    public static bool TryULongLongPositive(string? text, int numberBase, out ulong value)
    {
        value = 0;
        if (!TryScan(text, numberBase, out var scan) || !scan.Complete || scan.Overflow || scan.Negative)
        {
            return false;
        }

        value = scan.Magnitude;
        return true;
    }

    /// <summary>What strtol/strtoul read: the sign, the digits' value, and whether the whole text was consumed.</summary>
    private readonly record struct Scan(bool Negative, ulong Magnitude, bool Overflow, bool Complete);

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
        while (i < text.Length)
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

            i++;
        }

        if (i == start)
        {
            // No digits: strtol leaves the end pointer at the start of the text.
            return false;
        }

        scan = new Scan(negative, magnitude, overflow, i == text.Length);
        return true;
    }

    private static bool IsCSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r';

    private static int DigitValue(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'z' => c - 'a' + 10,
        >= 'A' and <= 'Z' => c - 'A' + 10,
        _ => -1,
    };
}
