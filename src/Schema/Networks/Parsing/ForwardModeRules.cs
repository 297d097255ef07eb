using System.Xml.Linq;
using Reconciler.Schema.Networks.Support;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>The checks virNetworkDefParseXML makes last: what the forward mode allows of the rest of the network.</summary>
internal static class ForwardModeRules
{
    public static Problem? Mode(NetworkXml n)
    {
        var mode = n.Forward.Mode;
        var forward = (XObject?)n.Root.Element("forward") ?? n.Root;
        var bridge = n.Root.Element("bridge");
        switch (mode)
        {
            case "none":
                return null;
            case "route" or "nat" or "open":
                if (n.Ips.Count == 0)
                {
                    return NetFault.Xml($"{mode} forwarding requested, but no IP address provided for network '{n.Name}'", forward);
                }

                if (n.ForwardIfCount > 1)
                {
                    return NetFault.Xml($"multiple forwarding interfaces specified for network '{n.Name}', only one is supported", forward);
                }

                return mode == "open" && n.ForwardIfCount > 0
                    ? NetFault.Xml($"forward dev not allowed for network '{n.Name}' with forward mode='{mode}'", forward)
                    : null;
        }

        if (mode != "bridge")
        {
            if (n.BridgeName is not null)
            {
                return NetFault.Xml($"bridge name not allowed in {mode} mode (network '{n.Name}')", bridge!.Attribute("name")!);
            }

            if (n.BridgeZone is not null)
            {
                return NetFault.Xml($"bridge zone not allowed in {mode} mode (network '{n.Name}')", bridge!.Attribute("zone")!);
            }

            if (n.MacTableManager is not null)
            {
                return NetFault.Xml($"bridge macTableManager setting not allowed in {mode} mode (network '{n.Name}')", bridge!.Attribute("macTableManager")!);
            }
        }

        if (n.Delay != 0 || n.Stp is not null || n.BridgeZone is not null)
        {
            return NetFault.Xml(
                $"bridge delay/stp/zone options only allowed in route, nat, and isolated mode, not in {mode} (network '{n.Name}')", bridge!);
        }

        if (n.BridgeName is not null && (n.ForwardIfCount > 0 || n.Forward.Pf is not null))
        {
            return NetFault.Xml(
                $"A network with forward mode='{mode}' can specify a bridge name or a forward dev, but not both (network '{n.Name}')", forward);
        }

        return null;
    }

    /// <summary>An MTU only where libvirt makes the bridge: isolated, nat, route and open networks.</summary>
    public static Problem? Mtu(NetworkXml n) =>
        n.Mtu != 0 && !n.Forward.HasBridge
            ? NetFault.Xml(
                $"mtu size only allowed in open, route, nat, and isolated mode, not in {n.Forward.Mode} (network '{n.Name}')",
                (XObject?)NetXPath.Origin(n.Root, "mtu", "size") ?? n.Root)
            : null;
}
