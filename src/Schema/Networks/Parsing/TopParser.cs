using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>The steps of virNetworkDefParseXML that read the network's own elements and attributes.</summary>
internal static class TopParser
{
    private static readonly string[] MacTableManagers = ["default", "kernel", "libvirt"];

    /// <summary>The name (string(./name[1]), so an empty one is missing), without '/'.</summary>
    public static Problem? Name(NetworkXml n)
    {
        var element = n.Root.Element("name");
        var name = NetXPath.ChildText(n.Root, "name");
        if (name is null)
        {
            return NetFault.NoName((XObject?)element ?? n.Root);
        }

        n.Name = name;
        return name.Contains('/', StringComparison.Ordinal) ? NetFault.Detail("invalid char in name: /", element!) : null;
    }

    /// <summary>The UUID, when given, in virUUIDParse's syntax.</summary>
    public static Problem? Uuid(NetworkXml n)
    {
        var text = NetXPath.ChildText(n.Root, "uuid");
        if (text is null)
        {
            return null;
        }

        if (!Uuids.TryParse(text, out var uuid))
        {
            return NetFault.Internal("malformed uuid element", n.Root.Element("uuid")!);
        }

        n.Uuid = uuid;
        return null;
    }

    /// <summary>ipv6='yes|no': guest-to-guest IPv6 without a gateway address (virStringParseYesNo).</summary>
    public static Problem? Ipv6(NetworkXml n)
    {
        var value = NetXPath.String(n.Root, "ipv6");
        switch (value)
        {
            case null:
                return null;
            case "yes" or "no":
                n.Ipv6WithoutGateway = value == "yes";
                return null;
            default:
                return NetFault.Xml($"Invalid ipv6 setting '{value}' in network '{n.Name}'", n.Root.Attribute("ipv6")!);
        }
    }

    public static Problem? TrustGuestRxFilters(NetworkXml n)
    {
        if (XmlProp.YesNo(n.Root, "trustGuestRxFilters") is { } fault)
        {
            return fault;
        }

        n.TrustGuestRxFilters = YesNo(n.Root, "trustGuestRxFilters");
        return null;
    }

    /// <summary>The first &lt;domain&gt;: its name as written, and localOnly.</summary>
    public static Problem? Domain(NetworkXml n)
    {
        var domain = n.Root.Element("domain");
        if (XmlProp.YesNo(domain, "localOnly") is { } fault)
        {
            return fault;
        }

        var name = NetXPath.Prop(domain, "name");
        n.Domain = name is null ? null : new NetworkDomain(name, YesNo(domain, "localOnly"));
        return null;
    }

    public static Problem? Bandwidth(NetworkXml n)
    {
        var node = n.Root.Element("bandwidth");
        if (node is null)
        {
            return null;
        }

        var fault = NetdevParser.Bandwidth(node, out var bandwidth);
        n.Bandwidth = bandwidth;
        return fault;
    }

    public static Problem? Vlan(NetworkXml n)
    {
        var node = n.Root.Element("vlan");
        if (node is null)
        {
            return null;
        }

        var fault = NetdevParser.Vlan(node, out var vlan);
        n.Vlan = vlan;
        return fault;
    }

    /// <summary>&lt;port isolated='yes|no'/&gt; (the first &lt;port&gt;).</summary>
    public static Problem? Port(NetworkXml n)
    {
        var port = n.Root.Element("port");
        if (XmlProp.YesNo(port, "isolated") is { } fault)
        {
            return fault;
        }

        n.IsolatedPort = YesNo(port, "isolated");
        return null;
    }

    /// <summary>The first &lt;bridge&gt;: name, zone, stp, delay and macTableManager.</summary>
    public static Problem? Bridge(NetworkXml n)
    {
        var bridge = n.Root.Element("bridge");
        n.BridgeName = NetXPath.String(bridge, "name");
        n.BridgeZone = NetXPath.String(bridge, "zone");
        n.Stp = NetXPath.String(bridge, "stp");
        var delay = NetXPath.String(bridge, "delay");
        if (delay is not null)
        {
            if (!StrToLong.TryULongPositive(delay, 10, out var value))
            {
                return NetFault.Xml($"Invalid delay value in network '{n.Name}'", bridge!.Attribute("delay")!);
            }

            n.Delay = value;
        }

        var manager = NetXPath.String(bridge, "macTableManager");
        if (manager is not null)
        {
            if (Array.IndexOf(MacTableManagers, manager) <= 0)
            {
                return NetFault.Xml($"Invalid macTableManager setting '{manager}' in network '{n.Name}'", bridge!.Attribute("macTableManager")!);
            }

            n.MacTableManager = manager;
        }

        return null;
    }

    /// <summary>The bridge's MAC address (string(./mac[1]/@address)): unicast, written back in lower case.</summary>
    public static Problem? Mac(NetworkXml n)
    {
        var mac = n.Root.Element("mac");
        var text = NetXPath.String(mac, "address");
        if (text is null)
        {
            return null;
        }

        var at = mac!.Attribute("address")!;
        if (!MacAddress.TryParse(text, out var bytes))
        {
            return NetFault.Xml($"Invalid bridge mac address '{text}' in network '{n.Name}'", at);
        }

        if (MacAddress.IsMulticast(bytes))
        {
            return NetFault.Xml($"Invalid multicast bridge mac address '{text}' in network '{n.Name}'", at);
        }

        n.Mac = MacAddress.Format(bytes);
        return null;
    }

    /// <summary>string(./mtu/@size): an unsigned int (virStrToLong_ui, so "-1" is 4294967295).</summary>
    public static Problem? Mtu(NetworkXml n)
    {
        var size = NetXPath.ChildString(n.Root, "mtu", "size");
        if (size is null)
        {
            return null;
        }

        if (!StrToLong.TryUInt(size, 10, out var mtu))
        {
            return NetFault.Xml($"Invalid mtu size '{size}' in network '{n.Name}'", NetXPath.Origin(n.Root, "mtu", "size")!);
        }

        n.Mtu = mtu;
        return null;
    }

    /// <summary>The network's &lt;virtualport&gt;, whose type is required here.</summary>
    public static Problem? VirtualPort(NetworkXml n)
    {
        var node = n.Root.Element("virtualport");
        if (node is null)
        {
            return null;
        }

        var fault = NetdevParser.VirtualPort(node, requireType: true, out var port);
        n.VirtualPort = port;
        return fault;
    }

    /// <summary>The first &lt;metadata&gt; is kept (it has no checks).</summary>
    public static Problem? Metadata(NetworkXml n)
    {
        n.Metadata = n.Root.Element("metadata");
        return null;
    }

    /// <summary>A yes/no attribute already checked with <see cref="XmlProp.YesNo"/>; null when absent.</summary>
    internal static bool? YesNo(XElement? element, string name) => NetXPath.Prop(element, name) switch
    {
        "yes" => true,
        "no" => false,
        _ => null,
    };
}
