using System.Net;
using System.Net.Sockets;

namespace Reconciler.Schema.Networks.Support;

/// <summary>
/// The netmask, prefix and range arithmetic of libvirt's virsocketaddr.c (virSocketAddrGetIPPrefix,
/// virSocketAddrGetNumNetmaskBits, virSocketAddrPrefixToNetmask, virSocketAddrMaskByPrefix and
/// virSocketAddrGetRange), on the address bytes.
/// </summary>
public static class AddressMath
{
    public static bool IsIPv6(IPAddress address) => address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>virSocketAddrGetIPPrefix: the prefix, else the netmask's bits, else the natural prefix; -1 when there is none.</summary>
    public static int GetIpPrefix(IPAddress address, IPAddress? netmask, uint prefix)
    {
        if (prefix > 0)
        {
            // libvirt returns the unsigned prefix as an int.
            return unchecked((int)prefix);
        }

        if (netmask is not null)
        {
            return NetmaskBits(netmask);
        }

        var bytes = address.GetAddressBytes();
        if (!IsIPv6(address))
        {
            if (bytes.All(b => b == 0))
            {
                return 0;
            }

            return bytes[0] switch
            {
                < 0x80 => 8,
                < 0xC0 => 16,
                < 0xE0 => 24,
                _ => -1,
            };
        }

        return bytes.All(b => b == 0) ? 0 : 64;
    }

    /// <summary>virSocketAddrGetNumNetmaskBits: the number of leading one bits, or -1 when the mask is not contiguous.</summary>
    public static int NetmaskBits(IPAddress netmask)
    {
        var bytes = netmask.GetAddressBytes();
        var bits = 0;
        var seenZero = false;
        foreach (var b in bytes)
        {
            for (var bit = 7; bit >= 0; bit--)
            {
                var one = (b & (1 << bit)) != 0;
                if (one && seenZero)
                {
                    return -1;
                }

                if (one)
                {
                    bits++;
                }
                else
                {
                    seenZero = true;
                }
            }
        }

        return bits;
    }

    /// <summary>virSocketAddrPrefixToNetmask: the mask bytes, or null when the prefix is too long for the family.</summary>
    public static byte[]? PrefixToNetmask(long prefix, bool ipv6)
    {
        var length = ipv6 ? 16 : 4;
        if (prefix < 0 || prefix > length * 8)
        {
            return null;
        }

        var mask = new byte[length];
        for (var i = 0; i < prefix; i++)
        {
            mask[i / 8] |= (byte)(0x80 >> (i % 8));
        }

        return mask;
    }

    /// <summary>virSocketAddrMaskByPrefix: the masked address bytes, or null when the prefix is invalid.</summary>
    public static byte[]? MaskByPrefix(IPAddress address, long prefix)
    {
        var mask = PrefixToNetmask(prefix, IsIPv6(address));
        return mask is null ? null : And(address.GetAddressBytes(), mask);
    }

    public static byte[] And(byte[] a, byte[] mask)
    {
        var result = new byte[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = (byte)(a[i] & mask[i]);
        }

        return result;
    }

    /// <summary>
    /// virSocketAddrGetRange: checks that start..end is a forward range within the network (when one is
    /// given) and not larger than libvirt allows; the error text (an internal error in libvirt), or null.
    /// </summary>
    public static string? CheckRange(IPAddress start, IPAddress end, IPAddress? network, int prefix)
    {
        var startStr = VirSocketAddr.Format(start);
        var endStr = VirSocketAddr.Format(end);
        if (start.AddressFamily != end.AddressFamily)
        {
            return $"mismatch of address family in range {startStr} - {endStr}";
        }

        var s = start.GetAddressBytes();
        var e = end.GetAddressBytes();
        if (network is not null)
        {
            var netStr = VirSocketAddr.Format(network);
            if (start.AddressFamily != network.AddressFamily)
            {
                return $"mismatch of address family in range {startStr} - {endStr} for network {netStr}";
            }

            var mask = prefix < 0 ? null : PrefixToNetmask(prefix, IsIPv6(network));
            if (mask is null)
            {
                return $"bad prefix {prefix} for network {netStr} when  checking range {startStr} - {endStr}";
            }

            var n = network.GetAddressBytes();
            if (!And(s, mask).AsSpan().SequenceEqual(And(n, mask)) || !And(e, mask).AsSpan().SequenceEqual(And(n, mask)))
            {
                return $"range {startStr} - {endStr} is not entirely within network {netStr}/{prefix}";
            }

            if (!IsIPv6(start))
            {
                var netaddr = And(n, mask);
                var broadcast = new byte[4];
                for (var i = 0; i < 4; i++)
                {
                    broadcast[i] = (byte)(n[i] | ~mask[i]);
                }

                if (s.AsSpan().SequenceEqual(netaddr))
                {
                    return $"start of range {startStr} - {endStr} in network {netStr}/{prefix} is the network address";
                }

                if (e.AsSpan().SequenceEqual(broadcast))
                {
                    return $"end of range {startStr} - {endStr} in network {netStr}/{prefix} is the broadcast address";
                }
            }
        }

        if (!IsIPv6(start))
        {
            if (s[0] != e[0] || s[1] != e[1])
            {
                return $"range {startStr} - {endStr} is too large (> 65535)";
            }

            return ((e[2] - s[2]) * 256) + (e[3] - s[3]) < 0 ? $"range {startStr} - {endStr} is reversed " : null;
        }

        for (var i = 0; i < 14; i++)
        {
            if (s[i] != e[i])
            {
                return $"range {startStr} - {endStr} is too large (> 65535)";
            }
        }

        return ((e[14] << 8) | e[15]) - ((s[14] << 8) | s[15]) < 0 ? $"range {startStr} - {endStr} start larger than end" : null;
    }
}
