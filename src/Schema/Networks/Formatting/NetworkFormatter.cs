using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Schema.Networks.Formatting;

/// <summary>
/// Writes a network into its root element the way virNetworkDefFormatBuf does (as net-dumpxml shows it):
/// libvirt's elements and attributes, in libvirt's order, and nothing libvirt does not keep. Elements that
/// came from the file are reused so that they keep their position.
/// </summary>
internal static class NetworkFormatter
{
    public static void Write(NetworkDefinition def, XElement root)
    {
        var metadata = Metadata.Sanitize(root);
        var pool = new ElementPool(root);
        root.RemoveAll();
        if (def.Ipv6WithoutGateway)
        {
            root.SetAttributeValue("ipv6", "yes");
        }

        root.SetAttributeValue("trustGuestRxFilters", YesNo(def.TrustGuestRxFilters));
        root.Add(Text(pool.Take("name"), def.Name));
        root.Add(Text(pool.Take("uuid"), def.Uuid.ToString("D")));
        root.Add(metadata);
        if (def.Forward.Mode != "none")
        {
            root.Add(ForwardFormatter.Forward(def.Forward, pool));
        }

        if (def.Bridge is { } bridge)
        {
            root.Add(Bridge(bridge, def.Forward.HasBridge, pool));
        }

        if (def.Mtu is { } mtu)
        {
            root.Add(Attr(pool.Take("mtu"), "size", Number(mtu)));
        }

        if (def.Mac is { } mac)
        {
            root.Add(Attr(pool.Take("mac"), "address", mac));
        }

        if (def.Domain is { } domain)
        {
            var element = Attr(pool.Take("domain"), "name", domain.Name);
            element.SetAttributeValue("localOnly", YesNo(domain.LocalOnly));
            root.Add(element);
        }

        if (def.Dns is { } dns)
        {
            root.Add(DnsFormatter.Dns(dns, pool));
        }

        NetdevFormatter.Add(root, def.Vlan, def.Bandwidth, pool);
        if (def.IsolatedPort is { } isolated)
        {
            root.Add(Attr(pool.Take("port"), "isolated", isolated ? "yes" : "no"));
        }

        foreach (var ip in def.Ips)
        {
            root.Add(IpFormatter.Ip(ip, pool));
        }

        foreach (var route in def.Routes)
        {
            root.Add(Route(route, pool.Take("route")));
        }

        if (def.VirtualPort is { } port)
        {
            root.Add(NetdevFormatter.VirtualPort(port, pool));
        }

        foreach (var group in def.PortGroups)
        {
            var element = pool.Take("portgroup", out var inner);
            element.SetAttributeValue("name", group.Name);
            element.SetAttributeValue("default", group.IsDefault ? "yes" : null);
            element.SetAttributeValue("trustGuestRxFilters", YesNo(group.TrustGuestRxFilters));
            NetdevFormatter.Add(element, group.Vlan, null, inner);
            if (group.VirtualPort is { } groupPort)
            {
                element.Add(NetdevFormatter.VirtualPort(groupPort, inner));
            }

            NetdevFormatter.Add(element, null, group.Bandwidth, inner);
            root.Add(element);
        }
    }

    private static XElement Bridge(NetworkBridge bridge, bool hasBridge, ElementPool pool)
    {
        var element = pool.Take("bridge");
        element.SetAttributeValue("name", bridge.Name);
        element.SetAttributeValue("zone", bridge.Zone);
        if (hasBridge)
        {
            element.SetAttributeValue("stp", bridge.Stp ? "on" : "off");
            // Written with "%ld": a delay above LONG_MAX shows as negative.
            element.SetAttributeValue("delay", unchecked((long)bridge.Delay).ToString(CultureInfo.InvariantCulture));
        }

        element.SetAttributeValue("macTableManager", bridge.MacTableManager);
        return element;
    }

    /// <summary>virNetDevIPRouteFormat.</summary>
    private static XElement Route(NetworkRoute route, XElement element)
    {
        element.SetAttributeValue("family", route.Family);
        element.SetAttributeValue("address", VirSocketAddr.Format(route.Address));
        element.SetAttributeValue("netmask", route.Netmask is null ? null : VirSocketAddr.Format(route.Netmask));
        element.SetAttributeValue("prefix", route.Prefix is { } prefix ? Number(prefix) : null);
        element.SetAttributeValue("gateway", VirSocketAddr.Format(route.Gateway));
        element.SetAttributeValue("metric", route.Metric is { } metric ? Number(metric) : null);
        return element;
    }

    internal static XElement Text(XElement element, string text)
    {
        element.Value = text;
        return element;
    }

    internal static XElement Attr(XElement element, string name, string value)
    {
        element.SetAttributeValue(name, value);
        return element;
    }

    internal static string? YesNo(bool? value) => value switch
    {
        true => "yes",
        false => "no",
        null => null,
    };

    internal static string Number(ulong value) => value.ToString(CultureInfo.InvariantCulture);
}
