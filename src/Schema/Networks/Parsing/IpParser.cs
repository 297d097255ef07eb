using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>virNetworkIPDefParseXML for each &lt;ip&gt;: the address, its netmask or prefix, DHCP and TFTP.</summary>
internal static class IpParser
{
    public static Problem? Ips(NetworkXml n)
    {
        foreach (var node in n.Root.Elements("ip"))
        {
            if (Ip(n.Name, node, out var ip) is { } fault)
            {
                return fault;
            }

            n.Ips.Add(ip!);
        }

        return null;
    }

    private static Problem? Ip(string network, XElement node, out NetworkIp? ip)
    {
        ip = null;
        var family = NetXPath.String(node, "family");
        var addressText = NetXPath.String(node, "address");
        if (addressText is null)
        {
            return NetFault.Xml($"Missing required address attribute in network '{network}'", node);
        }

        if (!VirSocketAddr.TryParse(addressText, AddressFamily.Unspecified, out var address, out _))
        {
            return NetFault.Xml($"Invalid address '{addressText}' in network '{network}'", node.Attribute("address")!);
        }

        var netmaskText = NetXPath.String(node, "netmask");
        IPAddress? netmask = null;
        if (netmaskText is not null)
        {
            if (!VirSocketAddr.TryParse(netmaskText, AddressFamily.Unspecified, out var parsed, out _))
            {
                return NetFault.Xml($"Invalid netmask '{netmaskText}' in network '{network}'", node.Attribute("netmask")!);
            }

            netmask = parsed;
        }

        if (XmlProp.UInt(node, "prefix") is { } badPrefix)
        {
            return badPrefix;
        }

        _ = StrToLong.TryUIntPositive(NetXPath.Prop(node, "prefix"), 10, out var prefix);
        if (XmlProp.YesNo(node, "localPtr") is { } badPtr)
        {
            return badPtr;
        }

        if (FamilyRules(network, node, family, addressText, address, netmaskText, netmask, prefix) is { } familyFault)
        {
            return familyFault;
        }

        var ranges = new List<DhcpRange>();
        var hosts = new List<DhcpHost>();
        DhcpBootp? bootp = null;
        var dhcp = node.Element("dhcp");
        var prefixLength = AddressMath.GetIpPrefix(address, netmask, prefix);
        if (dhcp is not null && DhcpParser.Dhcp(network, dhcp, address, prefixLength, ranges, hosts, ref bootp) is { } dhcpFault)
        {
            return dhcpFault;
        }

        string? tftpRoot = null;
        var tftp = node.Element("tftp");
        if (tftp is not null)
        {
            if (AddressMath.IsIPv6(address))
            {
                return NetFault.Unsupported($"Unsupported <tftp> element in an IPv6 element in network '{network}'", tftp);
            }

            tftpRoot = NetXPath.String(tftp, "root");
        }

        // virNetworkIPDefFormat writes the DHCP part only when there is a range or a host.
        var hasDhcp = ranges.Count > 0 || hosts.Count > 0;
        ip = new NetworkIp(
            family,
            address,
            netmask,
            prefix == 0 ? null : prefix,
            TopParser.YesNo(node, "localPtr"),
            tftpRoot,
            ranges.ToValueList(),
            hosts.ToValueList(),
            hasDhcp ? bootp : null);
        return null;
    }

    /// <summary>The address, netmask and prefix must fit the family (none written means IPv4).</summary>
    private static Problem? FamilyRules(
        string network, XElement node, string? family, string addressText, IPAddress address, string? netmaskText, IPAddress? netmask, uint prefix)
    {
        if (family is null or "ipv4")
        {
            if (AddressMath.IsIPv6(address))
            {
                return NetFault.Unsupported(
                    $"{family ?? "no"} family specified for non-IPv4 address '{addressText}' in network '{network}'", node.Attribute("address")!);
            }

            if (netmaskText is not null)
            {
                if (AddressMath.IsIPv6(netmask!))
                {
                    return NetFault.Unsupported(
                        $"Invalid netmask '{netmaskText}' for address '{addressText}' in network '{network}' (both must be IPv4)", node.Attribute("netmask")!);
                }

                if (prefix > 0)
                {
                    return NetFault.Unsupported($"Network '{network}' IP address cannot have both a prefix and a netmask", node.Attribute("prefix")!);
                }
            }
            else if (prefix > 32)
            {
                return NetFault.Unsupported($"Invalid IPv4 prefix '{prefix}' in network '{network}'", node.Attribute("prefix")!);
            }

            return null;
        }

        if (family == "ipv6")
        {
            if (!AddressMath.IsIPv6(address))
            {
                return NetFault.Unsupported($"Family 'ipv6' specified for non-IPv6 address '{addressText}' in network '{network}'", node.Attribute("address")!);
            }

            if (netmaskText is not null)
            {
                return NetFault.Unsupported($"netmask not allowed for IPv6 address '{addressText}' in network '{network}'", node.Attribute("netmask")!);
            }

            return prefix > 128
                ? NetFault.Unsupported($"Invalid IPv6 prefix '{prefix}' in network '{network}'", node.Attribute("prefix")!)
                : null;
        }

        return NetFault.Xml($"Unrecognized family '{family}' in network '{network}'", node.Attribute("family")!);
    }
}
