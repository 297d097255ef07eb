using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>virNetworkDHCPDefParseXML: the ranges, static hosts and boot server of an &lt;ip&gt;'s first &lt;dhcp&gt;, in document order.</summary>
internal static class DhcpParser
{
    private static readonly string[] LeaseUnits = ["seconds", "minutes", "hours"];

    public static Problem? Dhcp(
        string network, XElement dhcp, IPAddress address, int prefix, List<DhcpRange> ranges, List<DhcpHost> hosts, ref DhcpBootp? bootp)
    {
        foreach (var child in dhcp.Elements())
        {
            switch (child.Name.LocalName)
            {
                case "range":
                    if (Range(network, child, address, prefix, out var range) is { } rangeFault)
                    {
                        return rangeFault;
                    }

                    ranges.Add(range!);
                    break;
                case "host":
                    if (Host(network, child, address, out var host) is { } hostFault)
                    {
                        return hostFault;
                    }

                    hosts.Add(host!);
                    break;
                case "bootp" when !AddressMath.IsIPv6(address):
                    var file = NetXPath.Prop(child, "file");
                    if (file is null)
                    {
                        break;
                    }

                    IPAddress? server = null;
                    if (child.Attribute("server") is { } serverText)
                    {
                        if (!VirSocketAddr.TryParse(serverText.Value, AddressFamily.Unspecified, out var parsed, out var error))
                        {
                            return CannotParse(serverText, error);
                        }

                        server = parsed;
                    }

                    bootp = new DhcpBootp(file, server);
                    break;
            }
        }

        return null;
    }

    /// <summary>virNetworkDHCPRangeDefParseXML: start and end addresses that form a range within the network.</summary>
    private static Problem? Range(string network, XElement node, IPAddress address, int prefix, out DhcpRange? range)
    {
        range = null;
        var startText = node.Attribute("start");
        if (startText is null)
        {
            return NetFault.Xml($"Missing 'start' attribute in dhcp range for network '{network}'", node);
        }

        if (!VirSocketAddr.TryParse(startText.Value, AddressFamily.Unspecified, out var start, out var error))
        {
            return CannotParse(startText, error);
        }

        var endText = node.Attribute("end");
        if (endText is null)
        {
            return NetFault.Xml($"Missing 'end' attribute in dhcp range for network '{network}'", node);
        }

        if (!VirSocketAddr.TryParse(endText.Value, AddressFamily.Unspecified, out var end, out error))
        {
            return CannotParse(endText, error);
        }

        if (AddressMath.CheckRange(start, end, address, prefix) is { } bad)
        {
            return NetFault.Internal(bad, node);
        }

        if (Lease(node, out var lease) is { } leaseFault)
        {
            return leaseFault;
        }

        range = new DhcpRange(start, end, lease);
        return null;
    }

    /// <summary>virNetworkDHCPHostDefParseXML: a unicast MAC (IPv4 only), a hex id, a name starting with a letter or digit, and an IP.</summary>
    private static Problem? Host(string network, XElement node, IPAddress address, out DhcpHost? host)
    {
        host = null;
        var ipv6 = AddressMath.IsIPv6(address);
        var mac = node.Attribute("mac");
        if (mac is not null)
        {
            if (ipv6)
            {
                return NetFault.Xml($"Invalid to specify MAC address '{mac.Value}' in network '{network}' IPv6 static host definition", mac);
            }

            if (!MacAddress.TryParse(mac.Value, out var bytes))
            {
                return NetFault.Xml($"Cannot parse MAC address '{mac.Value}' in network '{network}'", mac);
            }

            if (MacAddress.IsMulticast(bytes))
            {
                return NetFault.Xml($"expected unicast mac address, found multicast '{mac.Value}' in network '{network}'", mac);
            }
        }

        var id = node.Attribute("id");
        if (id is not null)
        {
            var bad = id.Value.AsSpan().IndexOfAnyExcept("0123456789abcdefABCDEF:");
            if (bad >= 0)
            {
                return NetFault.Xml($"Invalid character '{id.Value[bad]}' in id '{id.Value}' of network '{network}'", id);
            }
        }

        var name = node.Attribute("name");
        if (name is not null && (name.Value.Length == 0 || !char.IsAsciiLetterOrDigit(name.Value[0])))
        {
            return NetFault.Xml($"Cannot use host name '{name.Value}' in network '{network}'", name);
        }

        var ipText = node.Attribute("ip");
        IPAddress? ip = null;
        if (ipText is not null)
        {
            if (!VirSocketAddr.TryParse(ipText.Value, AddressFamily.Unspecified, out var parsed, out _))
            {
                return NetFault.Xml($"Invalid IP address in static host definition for network '{network}'", ipText);
            }

            ip = parsed;
        }

        if (ipv6)
        {
            if (id is null && name is null)
            {
                return NetFault.Xml($"Static host definition in IPv6 network '{network}' must have id or name attribute", node);
            }
        }
        else if (mac is null && name is null)
        {
            return NetFault.Xml($"Static host definition in IPv4 network '{network}' must have mac or name attribute", node);
        }

        if (ip is null)
        {
            return NetFault.Xml($"Missing IP address in static host definition for network '{network}'", node);
        }

        if (Lease(node, out var lease) is { } leaseFault)
        {
            return leaseFault;
        }

        host = new DhcpHost(mac?.Value, id?.Value, name?.Value, ip, lease);
        return null;
    }

    /// <summary>
    /// virNetworkDHCPLeaseTimeDefParseXML for each &lt;lease&gt; child (the last with an expiry wins): an expiry
    /// (base 0), a unit (minutes when left out), and at least two minutes unless infinite (0).
    /// </summary>
    private static Problem? Lease(XElement parent, out DhcpLease? lease)
    {
        lease = null;
        foreach (var node in parent.Elements().Where(e => e.Name.LocalName == "lease"))
        {
            if (XmlProp.UInt(node, "expiry", 0, PropFlags.None, ulong.MaxValue) is { } bad)
            {
                return bad;
            }

            var expiryText = node.Attribute("expiry");
            if (expiryText is null)
            {
                continue;
            }

            _ = StrToLong.TryULongPositive(expiryText.Value, 0, out var expiry);
            if (XmlProp.Enum(node, "unit", LeaseUnits) is { } badUnit)
            {
                return badUnit;
            }

            var unit = node.Attribute("unit")?.Value ?? "minutes";
            if (expiry > 0 && ((unit == "seconds" && expiry < 120) || (unit == "minutes" && expiry < 2)))
            {
                return NetFault.Unsupported("The minimum lease time should be greater than 2 minutes", expiryText);
            }

            lease = new DhcpLease(expiry, expiry == 0 ? null : unit);
        }

        return null;
    }

    /// <summary>virSocketAddrParse's own error, when the caller reports nothing more specific.</summary>
    internal static Problem CannotParse(XAttribute attribute, string error) =>
        NetFault.System($"Cannot parse socket address '{attribute.Value}': {error}", attribute);
}
