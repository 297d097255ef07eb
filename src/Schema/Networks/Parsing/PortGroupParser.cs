using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>virNetworkPortGroupParseXML for each &lt;portgroup&gt;: a name, and the settings a port in it gets.</summary>
internal static class PortGroupParser
{
    public static Problem? PortGroups(NetworkXml n)
    {
        foreach (var node in n.Root.Elements("portgroup"))
        {
            if (PortGroup(node, out var group) is { } fault)
            {
                return fault;
            }

            n.PortGroups.Add(group!);
        }

        return null;
    }

    private static Problem? PortGroup(XElement node, out NetworkPortGroup? group)
    {
        group = null;
        var name = NetXPath.String(node, "name");
        if (name is null)
        {
            return NetFault.Xml("Missing required name attribute in portgroup", node);
        }

        var isDefault = string.Equals(NetXPath.String(node, "default"), "yes", StringComparison.OrdinalIgnoreCase);
        if (XmlProp.YesNo(node, "trustGuestRxFilters") is { } bad)
        {
            return bad;
        }

        NetworkVirtualPort? port = null;
        if (node.Element("virtualport") is { } virtualport && NetdevParser.VirtualPort(virtualport, requireType: false, out port) is { } portFault)
        {
            return portFault;
        }

        NetworkBandwidth? bandwidth = null;
        if (node.Element("bandwidth") is { } bandwidthNode && NetdevParser.Bandwidth(bandwidthNode, out bandwidth) is { } bandwidthFault)
        {
            return bandwidthFault;
        }

        NetworkVlan? vlan = null;
        if (node.Element("vlan") is { } vlanNode && NetdevParser.Vlan(vlanNode, out vlan) is { } vlanFault)
        {
            return vlanFault;
        }

        group = new NetworkPortGroup(name, isDefault, TopParser.YesNo(node, "trustGuestRxFilters"), vlan, port, bandwidth);
        return null;
    }
}
