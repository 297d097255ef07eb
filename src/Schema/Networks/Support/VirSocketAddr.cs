using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Reconciler.Schema.Networks.Support;

/// <summary>
/// libvirt's virSocketAddrParse and virSocketAddrFormat for numeric addresses, which are glibc's
/// getaddrinfo(AI_NUMERICHOST) and getnameinfo(NI_NUMERICHOST): IPv4 in any inet_aton form ("10.1",
/// "0x7f000001", octal parts), IPv6 as inet_pton reads it (with an optional numeric scope), and IPv6 written
/// back the way inet_ntop writes it.
/// </summary>
public static class VirSocketAddr
{
    /// <summary>gai_strerror(EAI_NONAME).</summary>
    public const string NoName = "Name or service not known";

    /// <summary>gai_strerror(EAI_ADDRFAMILY).</summary>
    public const string AddressFamilyNotSupported = "Address family for hostname not supported";

    /// <summary>
    /// Parses a numeric address as getaddrinfo does for the given family (Unspecified, InterNetwork or
    /// InterNetworkV6); on failure <paramref name="error"/> is getaddrinfo's message.
    /// </summary>
    public static bool TryParse(string text, AddressFamily family, out IPAddress address, out string error)
    {
        address = IPAddress.None;
        error = NoName;
        if (text == "*")
        {
            return false;
        }

        if (TryParseIPv4(text, out var v4))
        {
            if (family == AddressFamily.InterNetworkV6)
            {
                error = AddressFamilyNotSupported;
                return false;
            }

            address = v4;
            return true;
        }

        var scope = text.IndexOf('%', StringComparison.Ordinal);
        var bytes = new byte[16];
        if (!TryParseIPv6(scope < 0 ? text : text[..scope], bytes))
        {
            return false;
        }

        if (family == AddressFamily.InterNetwork)
        {
            if (!IsV4Mapped(bytes))
            {
                error = AddressFamilyNotSupported;
                return false;
            }

            address = new IPAddress(bytes.AsSpan(12, 4));
            return true;
        }

        long scopeId = 0;
        if (scope >= 0 && !TryParseScope(text[(scope + 1)..], out scopeId))
        {
            return false;
        }

        address = new IPAddress(bytes, scopeId);
        return true;
    }

    /// <summary>The address as getnameinfo(NI_NUMERICHOST) writes it.</summary>
    public static string Format(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return FormatIPv4(address.GetAddressBytes());
        }

        var text = FormatIPv6(address.GetAddressBytes());
        return address.ScopeId != 0 ? text + "%" + address.ScopeId.ToString(CultureInfo.InvariantCulture) : text;
    }

    /// <summary>glibc's inet_aton, exact form: one to four parts, each decimal, octal (leading 0) or hex (0x).</summary>
    private static bool TryParseIPv4(string text, out IPAddress address)
    {
        address = IPAddress.None;
        Span<uint> parts = stackalloc uint[4];
        var count = 0;
        var i = 0;
        while (true)
        {
            if (i >= text.Length || !char.IsAsciiDigit(text[i]) || !TryPart(text, ref i, out var value))
            {
                return false;
            }

            if (i < text.Length && text[i] == '.')
            {
                if (count > 2 || value > 0xFF)
                {
                    return false;
                }

                parts[count++] = value;
                i++;
                continue;
            }

            if (i != text.Length)
            {
                return false;
            }

            // The last part fills the bytes the earlier parts left.
            uint[] max = [0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF];
            if (value > max[count])
            {
                return false;
            }

            uint word = value;
            for (var p = 0; p < count; p++)
            {
                word |= parts[p] << (24 - (8 * p));
            }

            address = new IPAddress([(byte)(word >> 24), (byte)(word >> 16), (byte)(word >> 8), (byte)word]);
            return true;
        }
    }

    /// <summary>strtoul(base 0) on one part of an inet_aton address; false when it does not fit 32 bits.</summary>
    private static bool TryPart(string text, ref int i, out uint value)
    {
        value = 0;
        var numberBase = 10;
        if (text[i] == '0')
        {
            if (i + 2 < text.Length && text[i + 1] is 'x' or 'X' && char.IsAsciiHexDigit(text[i + 2]))
            {
                numberBase = 16;
                i += 2;
            }
            else
            {
                numberBase = 8;
            }
        }

        ulong v = 0;
        for (; i < text.Length; i++)
        {
            var d = StrToLong.DigitValue(text[i]);
            if (d < 0 || d >= numberBase)
            {
                break;
            }

            v = (v * (ulong)numberBase) + (ulong)d;
            if (v > uint.MaxValue)
            {
                return false;
            }
        }

        value = (uint)v;
        return true;
    }

    /// <summary>glibc's inet_pton6.</summary>
    private static bool TryParseIPv6(string src, byte[] dst)
    {
        var tmp = new byte[16];
        var tp = 0;
        var colon = -1;
        var i = 0;
        if (src.Length == 0)
        {
            return false;
        }

        if (src[0] == ':')
        {
            i++;
            if (i == src.Length || src[i] != ':')
            {
                return false;
            }
        }

        var token = i;
        var digits = 0;
        uint val = 0;
        while (i < src.Length)
        {
            var ch = src[i++];
            var digit = char.IsAsciiHexDigit(ch) ? StrToLong.DigitValue(ch) : -1;
            if (digit >= 0)
            {
                if (digits == 4)
                {
                    return false;
                }

                val = (val << 4) | (uint)digit;
                digits++;
                continue;
            }

            if (ch == ':')
            {
                token = i;
                if (digits == 0)
                {
                    if (colon >= 0)
                    {
                        return false;
                    }

                    colon = tp;
                    continue;
                }

                if (i == src.Length || tp + 2 > 16)
                {
                    return false;
                }

                tmp[tp++] = (byte)(val >> 8);
                tmp[tp++] = (byte)val;
                digits = 0;
                val = 0;
                continue;
            }

            if (ch == '.' && tp + 4 <= 16 && TryParseDotted(src.AsSpan(token), tmp.AsSpan(tp, 4)))
            {
                tp += 4;
                digits = 0;
                break;
            }

            return false;
        }

        if (digits > 0)
        {
            if (tp + 2 > 16)
            {
                return false;
            }

            tmp[tp++] = (byte)(val >> 8);
            tmp[tp++] = (byte)val;
        }

        if (colon >= 0)
        {
            if (tp == 16)
            {
                return false;
            }

            var n = tp - colon;
            Array.Copy(tmp, colon, tmp, 16 - n, n);
            Array.Clear(tmp, colon, 16 - n - colon);
            tp = 16;
        }

        if (tp != 16)
        {
            return false;
        }

        tmp.CopyTo(dst, 0);
        return true;
    }

    /// <summary>glibc's inet_pton4: exactly four decimal parts without leading zeros.</summary>
    private static bool TryParseDotted(ReadOnlySpan<char> src, Span<byte> dst)
    {
        Span<byte> tmp = stackalloc byte[4];
        tmp.Clear();
        var octets = 0;
        var sawDigit = false;
        var tp = 0;
        foreach (var ch in src)
        {
            if (ch is >= '0' and <= '9')
            {
                var value = (tmp[tp] * 10) + (ch - '0');
                if ((sawDigit && tmp[tp] == 0) || value > 255)
                {
                    return false;
                }

                tmp[tp] = (byte)value;
                if (!sawDigit)
                {
                    if (++octets > 4)
                    {
                        return false;
                    }

                    sawDigit = true;
                }
            }
            else if (ch == '.' && sawDigit)
            {
                if (octets == 4)
                {
                    return false;
                }

                tmp[++tp] = 0;
                sawDigit = false;
            }
            else
            {
                return false;
            }
        }

        if (octets < 4)
        {
            return false;
        }

        tmp.CopyTo(dst);
        return true;
    }

    /// <summary>A numeric scope (interface names are not looked up).</summary>
    private static bool TryParseScope(string scope, out long scopeId)
    {
        scopeId = 0;
        if (scope.Length == 0 || !char.IsAsciiDigit(scope[0]))
        {
            return false;
        }

        foreach (var c in scope)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            scopeId = (scopeId * 10) + (c - '0');
            if (scopeId > uint.MaxValue)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsV4Mapped(byte[] b)
    {
        for (var i = 0; i < 10; i++)
        {
            if (b[i] != 0)
            {
                return false;
            }
        }

        return b[10] == 0xFF && b[11] == 0xFF;
    }

    private static string FormatIPv4(ReadOnlySpan<byte> b) =>
        string.Create(CultureInfo.InvariantCulture, $"{b[0]}.{b[1]}.{b[2]}.{b[3]}");

    /// <summary>glibc's inet_ntop6: the longest run of two or more zero words as "::", embedded IPv4 for ::a.b.c.d and ::ffff:a.b.c.d.</summary>
    private static string FormatIPv6(byte[] b)
    {
        Span<int> words = stackalloc int[8];
        for (var i = 0; i < 8; i++)
        {
            words[i] = (b[2 * i] << 8) | b[(2 * i) + 1];
        }

        int bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
        for (var i = 0; i < 8; i++)
        {
            if (words[i] == 0)
            {
                if (curBase == -1)
                {
                    (curBase, curLen) = (i, 1);
                }
                else
                {
                    curLen++;
                }
            }
            else if (curBase != -1)
            {
                if (bestBase == -1 || curLen > bestLen)
                {
                    (bestBase, bestLen) = (curBase, curLen);
                }

                curBase = -1;
            }
        }

        if (curBase != -1 && (bestBase == -1 || curLen > bestLen))
        {
            (bestBase, bestLen) = (curBase, curLen);
        }

        if (bestBase != -1 && bestLen < 2)
        {
            bestBase = -1;
        }

        var sb = new StringBuilder(46);
        for (var i = 0; i < 8; i++)
        {
            if (bestBase != -1 && i >= bestBase && i < bestBase + bestLen)
            {
                if (i == bestBase)
                {
                    sb.Append(':');
                }

                continue;
            }

            if (i != 0)
            {
                sb.Append(':');
            }

            if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF)))
            {
                sb.Append(FormatIPv4(b.AsSpan(12, 4)));
                return sb.ToString();
            }

            sb.Append(words[i].ToString("x", CultureInfo.InvariantCulture));
        }

        if (bestBase != -1 && bestBase + bestLen == 8)
        {
            sb.Append(':');
        }

        return sb.ToString();
    }
}
