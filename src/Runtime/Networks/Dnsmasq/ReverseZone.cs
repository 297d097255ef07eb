using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Runtime.Networks.Dnsmasq;

/// <summary>The address arithmetic of libvirt's virsocketaddr.c that the dnsmasq configuration needs.</summary>
internal static class ReverseZone
{
    /// <summary>
    /// virSocketAddrPTRDomain: the reverse DNS zone of a network, such as <c>122.168.192.in-addr.arpa</c>;
    /// null when the prefix does not end on an octet (IPv4) or a nibble (IPv6), or is 0 or the whole address.
    /// </summary>
    public static string? Of(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        var sb = new StringBuilder();
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            if (prefix <= 0 || prefix >= 32 || prefix % 8 != 0)
            {
                return null;
            }

            for (var i = prefix / 8; i > 0; i--)
            {
                sb.Append(bytes[i - 1].ToString(CultureInfo.InvariantCulture)).Append('.');
            }

            return sb.Append("in-addr.arpa").ToString();
        }

        if (prefix <= 0 || prefix >= 128 || prefix % 4 != 0)
        {
            return null;
        }

        for (var i = prefix / 4; i > 0; i--)
        {
            var b = bytes[(i - 1) / 2];
            var nibble = (i - 1) % 2 == 0 ? b >> 4 : b & 0xF;
            sb.Append(nibble.ToString("x", CultureInfo.InvariantCulture)).Append('.');
        }

        return sb.Append("ip6.arpa").ToString();
    }

    /// <summary>virSocketAddrPrefixToNetmask for IPv4, formatted; null when the prefix does not fit.</summary>
    public static string? Netmask(int prefix)
    {
        if (prefix is < 0 or > 32)
        {
            return null;
        }

        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        return VirSocketAddr.Format(new IPAddress([(byte)(mask >> 24), (byte)(mask >> 16), (byte)(mask >> 8), (byte)mask]));
    }

    /// <summary>
    /// virSocketAddrGetRange: the number of addresses from <paramref name="start"/> to <paramref name="end"/>,
    /// both included, counted on the last two bytes as libvirt does. The parser has checked the range
    /// against its network already; what libvirt would still reject is its internal error here too.
    /// </summary>
    public static int RangeSize(IPAddress start, IPAddress end)
    {
        var s = start.GetAddressBytes();
        var e = end.GetAddressBytes();
        var startStr = VirSocketAddr.Format(start);
        var endStr = VirSocketAddr.Format(end);
        if (s.Length != e.Length)
        {
            throw new RuntimeException(ErrorCode.InternalError, $"mismatch of address family in range {startStr} - {endStr}");
        }

        var n = s.Length;
        for (var i = 0; i < n - 2; i++)
        {
            if (s[i] != e[i])
            {
                throw new RuntimeException(ErrorCode.InternalError, $"range {startStr} - {endStr} is too large (> 65535)");
            }
        }

        var size = (((e[n - 2] << 8) | e[n - 1]) - ((s[n - 2] << 8) | s[n - 1]));
        if (size < 0)
        {
            throw new RuntimeException(ErrorCode.InternalError, n == 4
                ? $"range {startStr} - {endStr} is reversed "
                : $"range {startStr} - {endStr} start larger than end");
        }

        return size + 1;
    }
}
