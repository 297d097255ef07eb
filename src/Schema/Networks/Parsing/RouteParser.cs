using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>
/// virNetDevIPRouteParseXML and virNetDevIPRouteCreate for each &lt;route&gt; (errors start with the network's
/// name), then the check that every gateway is on one of the network's own subnets.
/// </summary>
internal static class RouteParser
{
    public static Problem? Routes(NetworkXml n)
    {
        foreach (var node in n.Root.Elements("route"))
        {
            if (Route(n.Name, node, out var route) is { } fault)
            {
                return fault;
            }

            n.Routes.Add(route!);
        }

        return null;
    }

    /// <summary>One route; errors start with <paramref name="network"/> (libvirt's error detail: a network's name, or what a domain's route belongs to).</summary>
    internal static Problem? Route(string network, XElement node, out NetworkRoute? route)
    {
        route = null;
        if ((XmlProp.UInt(node, "prefix") ?? XmlProp.UInt(node, "metric", 10, PropFlags.NonZero)) is { } bad)
        {
            return bad;
        }

        var hasPrefix = StrToLong.TryUIntPositive(NetXPath.Prop(node, "prefix"), 10, out var prefix);
        var hasMetric = StrToLong.TryUIntPositive(NetXPath.Prop(node, "metric"), 10, out var metric);
        var family = NetXPath.Prop(node, "family");
        var addressText = node.Attribute("address");
        var netmaskText = node.Attribute("netmask");
        var gatewayText = node.Attribute("gateway");
        if (addressText is null)
        {
            return NetFault.Xml($"{network}: Missing required address attribute in route definition", node);
        }

        if (gatewayText is null)
        {
            return NetFault.Xml($"{network}: Missing required gateway attribute in route definition", node);
        }

        if (!VirSocketAddr.TryParse(addressText.Value, AddressFamily.Unspecified, out var address, out _))
        {
            return NetFault.Xml($"{network}: Bad network address '{addressText.Value}' in route definition", addressText);
        }

        if (!VirSocketAddr.TryParse(gatewayText.Value, AddressFamily.Unspecified, out var gateway, out _))
        {
            return NetFault.Xml($"{network}: Bad gateway address '{gatewayText.Value}' in route definition", gatewayText);
        }

        IPAddress? netmask = null;
        if (family is null or "ipv4")
        {
            var which = family is null ? "No family" : "IPv4 family";
            if (AddressMath.IsIPv6(address))
            {
                return NetFault.Xml($"{network}: {which} specified for non-IPv4 address '{addressText.Value}' in route definition", addressText);
            }

            if (AddressMath.IsIPv6(gateway))
            {
                // libvirt names the address here, not the gateway.
                return NetFault.Xml($"{network}: {which} specified for non-IPv4 gateway '{addressText.Value}' in route definition", gatewayText);
            }

            if (netmaskText is not null)
            {
                if (!VirSocketAddr.TryParse(netmaskText.Value, AddressFamily.Unspecified, out var parsed, out _))
                {
                    return NetFault.Xml($"{network}: Bad netmask address '{netmaskText.Value}' in route definition", netmaskText);
                }

                if (AddressMath.IsIPv6(parsed))
                {
                    return NetFault.Xml(
                        $"{network}: Invalid netmask '{netmaskText.Value}' for address '{addressText.Value}' (both must be IPv4)", netmaskText);
                }

                if (hasPrefix)
                {
                    return NetFault.Xml($"{network}: Route definition cannot have both a prefix and a netmask", node.Attribute("prefix")!);
                }

                netmask = parsed;
            }

            if (prefix > 32)
            {
                return NetFault.Xml($"{network}: Invalid prefix {prefix} specified in route definition, must be 0 - 32", node.Attribute("prefix")!);
            }
        }
        else if (family == "ipv6")
        {
            if (!AddressMath.IsIPv6(address))
            {
                return NetFault.Xml($"{network}: ipv6 family specified for non-IPv6 address '{addressText.Value}' in route definition", addressText);
            }

            if (netmaskText is not null)
            {
                return NetFault.Xml($"{network}: Specifying netmask invalid for IPv6 address '{addressText.Value}' in route definition", netmaskText);
            }

            if (!AddressMath.IsIPv6(gateway))
            {
                return NetFault.Xml($"{network}: ipv6 specified for non-IPv6 gateway address '{gatewayText.Value}' in route definition", gatewayText);
            }

            if (prefix > 128)
            {
                return NetFault.Xml($"{network}: Invalid prefix {prefix} specified in route definition, must be 0 - 128", node.Attribute("prefix")!);
            }
        }
        else
        {
            return NetFault.Xml($"{network}: Unrecognized family '{family}' in route definition", node.Attribute("family")!);
        }

        // The address must be the network address of its netmask or prefix.
        var bytes = address.GetAddressBytes();
        var masked = netmask is not null ? AddressMath.And(bytes, netmask.GetAddressBytes()) : AddressMath.MaskByPrefix(address, prefix);
        if (masked is null || !masked.AsSpan().SequenceEqual(bytes))
        {
            return NetFault.Xml($"{network}: Address '{addressText.Value}' in route definition is not a network address", addressText);
        }

        route = new NetworkRoute(family, address, netmask, hasPrefix ? prefix : null, gateway, hasMetric ? metric : null);
        return null;
    }

    /// <summary>Each route's gateway must lie in the subnet of one of the network's addresses of its family.</summary>
    public static Problem? Gateways(NetworkXml n)
    {
        var nodes = n.Root.Elements("route").ToList();
        for (var i = 0; i < n.Routes.Count; i++)
        {
            var gateway = n.Routes[i].Gateway;
            var reachable = n.Ips.Any(ip =>
            {
                if (ip.Address.AddressFamily != gateway.AddressFamily)
                {
                    return false;
                }

                var prefix = ip.PrefixLength;
                var net = AddressMath.MaskByPrefix(ip.Address, prefix);
                var gw = AddressMath.MaskByPrefix(gateway, prefix);
                return net is not null && gw is not null && net.AsSpan().SequenceEqual(gw);
            });
            if (!reachable)
            {
                return NetFault.Unsupported(
                    $"unreachable static route gateway '{VirSocketAddr.Format(gateway)}' specified for network '{n.Name}'",
                    (XObject?)nodes[i].Attribute("gateway") ?? nodes[i]);
            }
        }

        return null;
    }
}
