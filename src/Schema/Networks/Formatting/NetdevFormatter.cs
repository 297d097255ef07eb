using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;

namespace Reconciler.Schema.Networks.Formatting;

/// <summary>virNetDevVlanFormat, virNetDevBandwidthFormat and virNetDevVPortProfileFormat.</summary>
internal static class NetdevFormatter
{
    /// <summary>Adds the &lt;vlan&gt; and &lt;bandwidth&gt; of a network or port group, when it has them.</summary>
    public static void Add(XElement parent, NetworkVlan? vlan, NetworkBandwidth? bandwidth, ElementPool pool)
    {
        if (vlan is not null)
        {
            var element = pool.Take("vlan", out var inner);
            element.SetAttributeValue("trunk", vlan.Trunk ? "yes" : null);
            foreach (var tag in vlan.Tags)
            {
                var t = NetworkFormatter.Attr(inner.Take("tag"), "id", NetworkFormatter.Number(tag.Id));
                t.SetAttributeValue("nativeMode", tag.NativeMode);
                element.Add(t);
            }

            parent.Add(element);
        }

        if (bandwidth is not null)
        {
            var element = pool.Take("bandwidth", out var inner);
            AddRate(element, "inbound", bandwidth.Inbound, inner);
            AddRate(element, "outbound", bandwidth.Outbound, inner);
            parent.Add(element);
        }
    }

    private static void AddRate(XElement parent, string name, BandwidthRate? rate, ElementPool pool)
    {
        if (rate is null)
        {
            return;
        }

        var element = pool.Take(name);
        element.SetAttributeValue("average", Number(rate.Average));
        element.SetAttributeValue("peak", Number(rate.Peak));
        element.SetAttributeValue("floor", Number(rate.Floor));
        element.SetAttributeValue("burst", Number(rate.Burst));
        parent.Add(element);
    }

    public static XElement VirtualPort(NetworkVirtualPort port, ElementPool pool)
    {
        var element = pool.Take("virtualport", out var inner);
        element.SetAttributeValue("type", port.Type);
        if (port is { ManagerId: null, TypeId: null, TypeIdVersion: null, InstanceId: null, InterfaceId: null, ProfileId: null })
        {
            return element;
        }

        var parameters = inner.Take("parameters");
        parameters.SetAttributeValue("managerid", Number(port.ManagerId));
        parameters.SetAttributeValue("typeid", Number(port.TypeId));
        parameters.SetAttributeValue("typeidversion", Number(port.TypeIdVersion));
        parameters.SetAttributeValue("instanceid", port.InstanceId?.ToString("D"));
        parameters.SetAttributeValue("interfaceid", port.InterfaceId?.ToString("D"));
        parameters.SetAttributeValue("profileid", port.ProfileId);
        element.Add(parameters);
        return element;
    }

    private static string? Number(ulong? value) => value is { } v ? NetworkFormatter.Number(v) : null;
}
