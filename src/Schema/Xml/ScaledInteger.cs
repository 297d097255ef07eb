using System.Globalization;

namespace Reconciler.Schema.Xml;

/// <summary>
/// libvirt's scaled integers (virScaleInteger): a decimal value and a unit such as KiB, M, GB or bytes.
/// Binary units (k, KiB, M, MiB, ...) are powers of 1024, decimal ones (KB, MB, ...) powers of 1000.
/// </summary>
public static class ScaledInteger
{
    /// <summary>Parses an unsigned decimal as strtoull would (leading spaces allowed, nothing after).</summary>
    public static bool TryParseULong(string? text, out ulong value)
    {
        value = 0;
        if (text is null)
        {
            return false;
        }

        var t = text.TrimStart();
        if (t.StartsWith('+'))
        {
            t = t[1..];
        }

        return t.Length > 0 && char.IsAsciiDigit(t[0]) &&
               ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The multiplier of a unit, or null when libvirt does not know the unit.</summary>
    public static ulong? Scale(string? unit, ulong defaultScale)
    {
        if (string.IsNullOrEmpty(unit))
        {
            return defaultScale;
        }

        if (unit.Equals("b", StringComparison.OrdinalIgnoreCase) ||
            unit.Equals("byte", StringComparison.OrdinalIgnoreCase) ||
            unit.Equals("bytes", StringComparison.OrdinalIgnoreCase))
        {
            return 1;
        }

        ulong @base;
        if (unit.Length == 1 || unit[1..].Equals("iB", StringComparison.OrdinalIgnoreCase))
        {
            @base = 1024;
        }
        else if (unit.Length == 2 && char.ToLowerInvariant(unit[1]) == 'b')
        {
            @base = 1000;
        }
        else
        {
            return null;
        }

        var power = char.ToLowerInvariant(unit[0]) switch
        {
            'k' => 1,
            'm' => 2,
            'g' => 3,
            't' => 4,
            'p' => 5,
            'e' => 6,
            _ => 0,
        };
        if (power == 0)
        {
            return null;
        }

        ulong scale = 1;
        for (var i = 0; i < power; i++)
        {
            scale *= @base;
        }

        return scale;
    }

    /// <summary>Value × unit in bytes; false on an unknown unit or overflow past <paramref name="limit"/>.</summary>
    public static bool TryScale(ulong value, string? unit, ulong defaultScale, ulong limit, out ulong bytes, out ScaleError error)
    {
        bytes = 0;
        var scale = Scale(unit, defaultScale);
        if (scale is null)
        {
            error = ScaleError.UnknownUnit;
            return false;
        }

        if (value != 0 && value > limit / scale.Value)
        {
            error = ScaleError.TooLarge;
            return false;
        }

        bytes = value * scale.Value;
        error = ScaleError.None;
        return true;
    }

    /// <summary>Bytes to KiB rounded up, as libvirt stores memory sizes.</summary>
    public static ulong ToKiB(ulong bytes) => (bytes / 1024) + (bytes % 1024 == 0 ? 0UL : 1UL);

    public static string Format(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}

public enum ScaleError
{
    None,
    UnknownUnit,
    TooLarge,
}
