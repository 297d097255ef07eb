using System.Xml.Linq;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>
/// libvirt 9.0.0's virNetworkDefParseXML as the test driver's net-define runs it: its steps in its order.
/// Each step reads its part into the <see cref="NetworkXml"/> and returns the error libvirt reports, if any;
/// libvirt stops at the first.
/// </summary>
internal static class NetworkParser
{
    /// <summary>The steps, named after the libvirt code they follow.</summary>
    public static readonly IReadOnlyList<(string Name, Func<NetworkXml, Problem?> Step)> Steps =
    [
        ("virNetworkDefParseXML:name", TopParser.Name),
        ("virNetworkDefParseXML:uuid", TopParser.Uuid),
        ("virNetworkDefParseXML:ipv6", TopParser.Ipv6),
        ("virNetworkDefParseXML:trustGuestRxFilters", TopParser.TrustGuestRxFilters),
        ("virNetworkDefParseXML:domain", TopParser.Domain),
        ("virNetDevBandwidthParse", TopParser.Bandwidth),
        ("virNetDevVlanParse", TopParser.Vlan),
        ("virNetworkPortOptionsParseXML", TopParser.Port),
        ("virNetworkDefParseXML:bridge", TopParser.Bridge),
        ("virNetworkDefParseXML:mac", TopParser.Mac),
        ("virNetworkDefParseXML:mtu", TopParser.Mtu),
        ("virNetworkDNSDefParseXML", DnsParser.Dns),
        ("virNetDevVPortProfileParse", TopParser.VirtualPort),
        ("virNetworkPortGroupParseXML", PortGroupParser.PortGroups),
        ("virNetworkIPDefParseXML", IpParser.Ips),
        ("virNetDevIPRouteParseXML", RouteParser.Routes),
        ("virNetworkDefParseXML:route gateways", RouteParser.Gateways),
        ("virNetworkForwardDefParseXML", ForwardParser.Forward),
        ("virNetworkDefParseXML:forward mode", ForwardModeRules.Mode),
        ("virNetworkDefParseXML:mtu mode", ForwardModeRules.Mtu),
        ("virNetworkDefParseXML:metadata", TopParser.Metadata),
    ];

    /// <summary>Runs every step; the parsed network, or null and the first error.</summary>
    public static NetworkXml? Parse(XElement root, out Problem? fault)
    {
        var state = new NetworkXml(root);
        foreach (var (_, step) in Steps)
        {
            fault = step(state);
            if (fault is not null)
            {
                return null;
            }
        }

        fault = null;
        return state;
    }
}
