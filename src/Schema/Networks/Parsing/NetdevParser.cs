using System.Text;
using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>
/// The network device settings a network and its port groups share: &lt;bandwidth&gt;
/// (virNetDevBandwidthParse), &lt;vlan&gt; (virNetDevVlanParse) and &lt;virtualport&gt;
/// (virNetDevVPortProfileParse).
/// </summary>
internal static class NetdevParser
{
    private static readonly string[] NativeModes = ["default", "tagged", "untagged"];
    private static readonly string[] VirtualPortTypes = ["none", "802.1Qbg", "802.1Qbh", "openvswitch", "midonet"];

    /// <summary>
    /// A bandwidth: no classID, at most one inbound and one outbound, and a floor only where the user allows it
    /// (a domain interface of type network; never for a network itself).
    /// </summary>
    public static Problem? Bandwidth(XElement node, out NetworkBandwidth? bandwidth, bool allowFloor = false)
    {
        bandwidth = null;
        if (node.Attribute("classID") is { } classId)
        {
            return NetFault.Detail("classID attribute not supported on <bandwidth> in this usage context", classId);
        }

        XElement? inbound = null;
        XElement? outbound = null;
        foreach (var child in node.Elements())
        {
            if (child.Name.LocalName == "inbound")
            {
                if (inbound is not null)
                {
                    return NetFault.Detail("Only one child <inbound> element allowed", child);
                }

                inbound = child;
            }
            else if (child.Name.LocalName == "outbound")
            {
                if (outbound is not null)
                {
                    return NetFault.Detail("Only one child <outbound> element allowed", child);
                }

                outbound = child;
            }
        }

        (ulong Average, ulong Peak, ulong Floor, ulong Burst) inRate = default, outRate = default;
        if (inbound is not null)
        {
            if (Rate(inbound, out inRate) is { } fault)
            {
                return fault;
            }

            if (inRate.Floor != 0 && !allowFloor)
            {
                return NetFault.Unsupported("floor attribute is not supported for this config", inbound.Attribute("floor")!);
            }
        }

        if (outbound is not null)
        {
            if (Rate(outbound, out outRate) is { } fault)
            {
                return fault;
            }

            if (outRate.Floor != 0)
            {
                return NetFault.Unsupported("'floor' attribute allowed only in <inbound> element", outbound.Attribute("floor")!);
            }
        }

        if (inbound is not null || outbound is not null)
        {
            bandwidth = new NetworkBandwidth(inbound is null ? null : Kept(inRate), outbound is null ? null : Kept(outRate));
        }

        return null;
    }

    /// <summary>virNetDevBandwidthParseRate.</summary>
    private static Problem? Rate(XElement node, out (ulong Average, ulong Peak, ulong Floor, ulong Burst) rate)
    {
        rate = default;
        var average = node.Attribute("average");
        var peak = node.Attribute("peak");
        var burst = node.Attribute("burst");
        var floor = node.Attribute("floor");
        if (average is not null)
        {
            if (!StrToLong.TryULongPositive(average.Value, 10, out rate.Average))
            {
                return NetFault.Unsupported($"could not convert bandwidth average value '{average.Value}'", average);
            }
        }
        else if (floor is null)
        {
            return NetFault.Detail("Missing mandatory average or floor attributes", node);
        }

        if ((peak is not null || burst is not null) && average is null)
        {
            return NetFault.Unsupported("'peak' and 'burst' require 'average' attribute", node);
        }

        if (peak is not null && !StrToLong.TryULongPositive(peak.Value, 10, out rate.Peak))
        {
            return NetFault.Unsupported($"could not convert bandwidth peak value '{peak.Value}'", peak);
        }

        if (burst is not null && !StrToLong.TryULongPositive(burst.Value, 10, out rate.Burst))
        {
            return NetFault.Unsupported($"could not convert bandwidth burst value '{burst.Value}'", burst);
        }

        if (floor is not null && !StrToLong.TryULongPositive(floor.Value, 10, out rate.Floor))
        {
            return NetFault.Unsupported($"could not convert bandwidth floor value '{floor.Value}'", floor);
        }

        return null;
    }

    /// <summary>A rate as virNetDevBandwidthRateFormat writes it: only with an average or a floor, zeros left out.</summary>
    private static BandwidthRate? Kept((ulong Average, ulong Peak, ulong Floor, ulong Burst) r) =>
        r.Average == 0 && r.Floor == 0
            ? null
            : new BandwidthRate(NonZero(r.Average), NonZero(r.Peak), NonZero(r.Floor), NonZero(r.Burst));

    private static ulong? NonZero(ulong value) => value == 0 ? null : value;

    /// <summary>virNetDevVlanParse: one or more tags, at most one native, and a trunk setting that fits them.</summary>
    public static Problem? Vlan(XElement node, out NetworkVlan? vlan)
    {
        vlan = null;
        var tags = node.Elements("tag").ToList();
        if (tags.Count == 0)
        {
            return NetFault.Xml("missing tag id - each <vlan> must have at least one <tag id='n'/> subelement", node);
        }

        var ids = new List<uint>();
        string? nativeMode = null;
        uint nativeTag = 0;
        foreach (var tag in tags)
        {
            if (XmlProp.UInt(tag, "id", 10, PropFlags.Required) is { } bad)
            {
                return bad;
            }

            _ = StrToLong.TryUIntPositive(tag.Attribute("id")!.Value, 10, out var id);
            if (id > 4095)
            {
                return NetFault.Xml($"vlan tag id {id} too large (maximum 4095)", tag.Attribute("id")!);
            }

            ids.Add(id);
            if (XmlProp.Enum(tag, "nativeMode", NativeModes, PropFlags.NonZero) is { } badMode)
            {
                return badMode;
            }

            if (tag.Attribute("nativeMode") is { } mode)
            {
                if (nativeMode is not null)
                {
                    return NetFault.Xml("duplicate native vlan setting", mode);
                }

                nativeMode = mode.Value;
                nativeTag = id;
            }
        }

        var trunk = tags.Count > 1;
        var trunkText = NetXPath.String(node, "trunk");
        if (trunkText is not null)
        {
            trunk = string.Equals(trunkText, "yes", StringComparison.OrdinalIgnoreCase);
            if (!trunk)
            {
                var at = node.Attribute("trunk")!;
                if (tags.Count > 1)
                {
                    return NetFault.Xml($"invalid \"trunk='{trunkText}'\" in <vlan> - trunk='yes' is required for more than one vlan tag", at);
                }

                if (nativeMode is not null)
                {
                    return NetFault.Xml("invalid configuration in <vlan> - \"trunk='no'\" is not allowed with a native vlan id", at);
                }

                if (!string.Equals(trunkText, "no", StringComparison.OrdinalIgnoreCase))
                {
                    return NetFault.Xml($"invalid \"trunk='{trunkText}'\" in <vlan> - must be yes or no", at);
                }
            }
        }

        // virNetDevVlanFormat writes the native mode on every tag with the native tag's id.
        vlan = new NetworkVlan(trunk, ids.Select(id => new VlanTag(id, nativeMode is not null && id == nativeTag ? nativeMode : null)).ToValueList());
        return null;
    }

    /// <summary>
    /// virNetDevVPortProfileParse: the type, the parameters that fit it, and their ranges. With
    /// <paramref name="generateMissing"/> the instance and interface IDs libvirt would generate count as given;
    /// with <paramref name="requireAll"/> every parameter the type needs must be there.
    /// </summary>
    public static Problem? VirtualPort(XElement node, bool requireType, out NetworkVirtualPort? port, bool generateMissing = false, bool requireAll = false)
    {
        port = null;
        var type = 0;
        if (node.Attribute("type") is { } typeAttribute)
        {
            type = Array.IndexOf(VirtualPortTypes, typeAttribute.Value);
            if (type <= 0)
            {
                return NetFault.Unsupported($"unknown virtualport type {typeAttribute.Value}", typeAttribute);
            }
        }

        if (type == 0 && requireType)
        {
            return NetFault.Xml("missing required virtualport type", node);
        }

        var parameters = node.Elements().FirstOrDefault(e => e.Name.LocalName == "parameters");
        var managerId = parameters?.Attribute("managerid");
        var typeId = parameters?.Attribute("typeid");
        var typeIdVersion = parameters?.Attribute("typeidversion");
        var instanceId = parameters?.Attribute("instanceid");
        var profileId = parameters?.Attribute("profileid");
        var interfaceId = parameters?.Attribute("interfaceid");

        if (Number(managerId, 0xFF, "cannot parse value of managerid parameter", "value of managerid out of range", out var manager) is { } f1)
        {
            return f1;
        }

        if (Number(typeId, 0xFFFFFF, "cannot parse value of typeid parameter", "value for typeid out of range", out var typeIdValue) is { } f2)
        {
            return f2;
        }

        if (Number(typeIdVersion, 0xFF, "cannot parse value of typeidversion parameter", "value of typeidversion out of range", out var version) is { } f3)
        {
            return f3;
        }

        Guid? instance = null;
        if (instanceId is not null)
        {
            if (!Uuids.TryParse(instanceId.Value, out var g))
            {
                return NetFault.Xml("cannot parse instanceid parameter as a uuid", instanceId);
            }

            instance = g;
        }

        if (profileId is not null && Encoding.UTF8.GetByteCount(profileId.Value) >= 40)
        {
            return NetFault.Xml("profileid parameter too long", profileId);
        }

        var profile = string.IsNullOrEmpty(profileId?.Value) ? null : profileId.Value;
        Guid? iface = null;
        if (interfaceId is not null)
        {
            if (!Uuids.TryParse(interfaceId.Value, out var g))
            {
                return NetFault.Xml("cannot parse interfaceid parameter as a uuid", interfaceId);
            }

            iface = g;
        }

        var typeName = VirtualPortTypes[type];
        var hasInstance = instance is not null || (generateMissing && typeName is "802.1Qbg" or "none");
        var hasInterface = iface is not null || (generateMissing && typeName is "openvswitch" or "none");
        if (requireAll)
        {
            var missing = typeName switch
            {
                "802.1Qbg" => manager is null ? "managerid" : typeIdValue is null ? "typeid" : version is null ? "typeidversion" : !hasInstance ? "instanceid" : null,
                "802.1Qbh" => profile is null ? "profileid" : null,
                "openvswitch" or "midonet" => !hasInterface ? "interfaceid" : null,
                _ => null,
            };
            if (missing is not null)
            {
                return NetFault.Xml($"missing {missing} in <virtualport type='{typeName}'>", node);
            }
        }

        var extra = typeName switch
        {
            "802.1Qbg" => profile is not null ? "profileid" : hasInterface ? "interfaceid" : null,
            "802.1Qbh" => manager is not null ? "managerid" : typeIdValue is not null ? "typeid" :
                version is not null ? "typeidversion" : hasInstance ? "instanceid" : hasInterface ? "interfaceid" : null,
            "openvswitch" => manager is not null ? "managerid" : typeIdValue is not null ? "typeid" :
                version is not null ? "typeidversion" : hasInstance ? "instanceid" : null,
            _ => null,
        };
        if (extra is not null)
        {
            return NetFault.Xml($"extra {extra} unsupported in <virtualport type='{typeName}'>", parameters!);
        }

        port = Kept(typeName, manager, typeIdValue, version, instance, iface, profile);
        return null;
    }

    /// <summary>A parameter read with virStrToLong_ui (base 0) and checked against its maximum.</summary>
    private static Problem? Number(XAttribute? attribute, uint max, string unparsable, string outOfRange, out uint? value)
    {
        value = null;
        if (attribute is null)
        {
            return null;
        }

        if (!StrToLong.TryUInt(attribute.Value, 0, out var v))
        {
            return NetFault.Xml(unparsable, attribute);
        }

        if (v > max)
        {
            return NetFault.Xml(outOfRange, attribute);
        }

        value = v;
        return null;
    }

    /// <summary>The profile as virNetDevVPortProfileFormat writes it: only the parameters of its type; nothing for "none" without any.</summary>
    private static NetworkVirtualPort? Kept(string type, uint? manager, uint? typeId, uint? version, Guid? instance, Guid? iface, string? profile)
    {
        var none = type == "none";
        var qbg = none || type == "802.1Qbg";
        if (none && manager is null && typeId is null && version is null && instance is null && iface is null && profile is null)
        {
            return null;
        }

        return new NetworkVirtualPort(
            none ? null : type,
            qbg ? manager : null,
            qbg ? typeId : null,
            qbg ? version : null,
            qbg ? instance : null,
            none || type is "midonet" or "openvswitch" ? iface : null,
            none || type is "openvswitch" or "802.1Qbh" ? profile : null);
    }
}
