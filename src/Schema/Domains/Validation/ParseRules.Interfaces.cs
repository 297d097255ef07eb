using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Parsing;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

internal static partial class ParseRules
{
    private static readonly Regex MacPattern = new("^[0-9A-Fa-f]{1,2}(:[0-9A-Fa-f]{1,2}){5}$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    private static readonly Regex NetModelChars = new("^[A-Za-z0-9_-]*$", RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>virDomainNetDefParseXML, in libvirt's order.</summary>
    public static IEnumerable<Problem?> Interfaces(DomainXml d)
    {
        foreach (var net in d.DevicesOf("interface"))
        {
            foreach (var p in Interface(net))
            {
                yield return p;
            }
        }
    }

    private static IEnumerable<Problem?> Interface(XElement net)
    {
        yield return XmlProp.Enum(net, "type", LibvirtEnums.DomainNet);
        var type = net.A("type") ?? "user";
        yield return XmlProp.YesNo(net, "trustGuestRxFilters");
        var model = net.El("model")?.A("type");
        if (!string.IsNullOrEmpty(model) && !LibvirtEnums.DomainNetModel.Any(m => string.Equals(m, model, StringComparison.OrdinalIgnoreCase)) &&
            !NetModelChars.IsMatch(model))
        {
            yield return P(ErrorCode.InvalidArgument, "Model name contains invalid characters", net.El("model")!.Attribute("type"));
        }

        var isVirtio = model is not null && ((string[])["virtio", "virtio-transitional", "virtio-non-transitional"]).Any(m => string.Equals(m, model, StringComparison.OrdinalIgnoreCase));
        var source = net.El("source");
        if (source is not null)
        {
            foreach (var p in NetIpInfo(source, "interface host IP"))
            {
                yield return p;
            }
        }

        // Which virtualport flags the type allows (none: no <virtualport> at all).
        var (portAllowed, portStrict) = (false, false);
        switch (type)
        {
            case "network":
                yield return RequireSource(net, source, type) ?? XmlProp.Required(source, "network");
                (portAllowed, portStrict) = (true, false);
                break;
            case "vds":
                yield return RequireSource(net, source, type) ?? UuidProp(source!, "switchid", required: true) ??
                             XmlProp.Int(source, "portid", PropFlags.Required, isLong: true) ?? XmlProp.Required(source, "portgroupid") ??
                             XmlProp.Int(source, "connectionid", PropFlags.Required, isLong: true);
                break;
            case "internal":
                yield return RequireSource(net, source, type) ?? XmlProp.Required(source, "name");
                break;
            case "bridge":
                yield return RequireSource(net, source, type) ?? XmlProp.Required(source, "bridge");
                (portAllowed, portStrict) = (true, true);
                break;
            case "direct":
                yield return RequireSource(net, source, type) ?? XmlProp.Required(source, "dev") ??
                             XmlProp.Enum(source, "mode", LibvirtEnums.NetDevMacVLanMode);
                (portAllowed, portStrict) = (true, true);
                break;
            case "vhostuser":
                yield return RequireSource(net, source, type) ?? XmlProp.Required(source, "type");
                if (source!.A("type") is { } vt && vt != "unix")
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"Type='{vt}' unsupported for <interface type='vhostuser'>", source!.Attribute("type"));
                }

                yield return XmlProp.Required(source, "path");
                yield return XmlProp.Enum(source, "mode", LibvirtEnums.DomainNetVhostuserMode, PropFlags.Required | PropFlags.NonZero);
                yield return Reconnect(source!);
                break;
            case "vdpa":
                yield return RequireSource(net, source, type) ?? XmlProp.Required(source, "dev");
                break;
            case "server" or "client" or "mcast" or "udp":
                yield return RequireSource(net, source, type);
                if (type != "server")
                {
                    yield return XmlProp.Required(source, "address");
                }

                yield return XmlProp.Int(source, "port", PropFlags.Required);
                if (type == "udp")
                {
                    var local = source!.El("local");
                    if (local is null)
                    {
                        yield return P(ErrorCode.XmlError, "'<local>' element missing for 'udp' socket interface", source);
                    }

                    yield return XmlProp.Required(local, "address");
                    yield return XmlProp.Int(local, "port", PropFlags.Required);
                }

                break;
            case "hostdev":
                // The subsystem type is the source address's; a vendor alone means USB.
                var addressType = source.El("address").A("type");
                if (string.IsNullOrEmpty(addressType) && source.El("vendor") is not null)
                {
                    addressType = "usb";
                }

                foreach (var p in HostdevSubsys(net, string.IsNullOrEmpty(addressType) ? null : addressType))
                {
                    yield return p;
                }

                (portAllowed, portStrict) = (true, true);
                break;
        }

        if (net.El("virtualport") is { } virtualport)
        {
            if (!portAllowed)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"<virtualport> element unsupported for <interface type='{type}'>", virtualport);
            }
            else
            {
                yield return NetdevParser.VirtualPort(virtualport, requireType: portStrict, out _, generateMissing: true, requireAll: portStrict);
            }
        }

        yield return XmlProp.YesNo(net.El("target"), "managed");
        if (net.El("bandwidth") is { } bandwidth)
        {
            yield return NetdevParser.Bandwidth(bandwidth, out _, allowFloor: type == "network");
        }

        if (net.El("vlan") is { } vlan)
        {
            yield return NetdevParser.Vlan(vlan, out _);
        }

        var mac = net.El("mac");
        if (mac?.A("address") is { } address)
        {
            if (!MacPattern.IsMatch(address))
            {
                yield return P(ErrorCode.XmlError, $"unable to parse mac address '{address}'", mac.Attribute("address"));
            }
            else if ((Convert.ToInt32(address.Split(':')[0], 16) & 1) != 0)
            {
                yield return P(ErrorCode.XmlError, $"expected unicast mac address, found multicast '{address}'", mac.Attribute("address"));
            }
        }

        yield return XmlProp.Enum(mac, "type", LibvirtEnums.DomainNetMacType, PropFlags.NonZero);
        yield return XmlProp.YesNo(mac, "check");

        // An interface of type hostdev reads its device info (and teaming) as a hostdev does.
        foreach (var p in Info(net, allowBoot: true, allowRom: true))
        {
            yield return p;
        }

        foreach (var p in NetIpInfo(net, "guest interface"))
        {
            yield return p;
        }

        foreach (var forward in net.Els("portForward"))
        {
            yield return XmlProp.Enum(forward, "proto", LibvirtEnums.DomainNetProto, PropFlags.Required | PropFlags.NonZero);
            if (forward.Attribute("address") is { } fa && !VirSocketAddr.TryParse(fa.Value, AddressFamily.Unspecified, out _, out _))
            {
                yield return P(ErrorCode.XmlError, $"Invalid address '{fa.Value}' in <portForward>", fa);
            }

            foreach (var range in forward.Els("range"))
            {
                yield return XmlProp.UInt(range, "start", flags: PropFlags.NonZero);
                yield return XmlProp.UInt(range, "end", flags: PropFlags.NonZero);
                yield return XmlProp.UInt(range, "to", flags: PropFlags.NonZero);
                yield return XmlProp.YesNo(range, "exclude");
            }
        }

        var driver = net.El("driver");
        if (driver is not null)
        {
            yield return VirtioOptions(driver);
            if (type != "hostdev" && isVirtio)
            {
                yield return XmlProp.Enum(driver, "name", LibvirtEnums.DomainNetDriver, PropFlags.NonZero);
                yield return XmlProp.Enum(driver, "txmode", LibvirtEnums.DomainNetVirtioTxMode, PropFlags.NonZero);
                yield return XmlProp.OnOff(driver, "ioeventfd");
                yield return XmlProp.OnOff(driver, "event_idx");
                yield return XmlProp.UInt(driver, "queues");
                yield return XmlProp.UInt(driver, "rx_queue_size");
                yield return XmlProp.UInt(driver, "tx_queue_size");
                yield return XmlProp.OnOff(driver, "rss");
                yield return XmlProp.OnOff(driver, "rss_hash_report");
                foreach (var attr in (string[])["csum", "gso", "tso4", "tso6", "ecn", "ufo", "mrg_rxbuf"])
                {
                    yield return XmlProp.OnOff(driver.El("host"), attr);
                }

                foreach (var attr in (string[])["csum", "tso4", "tso6", "ecn", "ufo"])
                {
                    yield return XmlProp.OnOff(driver.El("guest"), attr);
                }
            }
        }

        var backend = net.El("backend");
        if (backend is not null)
        {
            yield return XmlProp.Enum(backend, "type", LibvirtEnums.DomainNetBackend, PropFlags.NonZero);
            if (backend.A("type") == "passt")
            {
                // Debian's libvirt 9.0.0 is built without passt support and refuses the value.
                yield return P(ErrorCode.XmlError, "Invalid value for attribute 'type' in element 'backend': 'passt'.", backend.Attribute("type"));
            }
        }

        var link = net.El("link");
        if (link?.A("state") is { Length: > 0 } state && Array.IndexOf(LibvirtEnums.DomainNetInterfaceLinkState, state) <= 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown interface link state '{state}'", link.Attribute("state"));
        }

        yield return Teaming(net);
        var sndbuf = net.El("tune")?.El("sndbuf");
        if (sndbuf is not null && sndbuf.Value.Length > 0 && !CNumber.TryParseULong(sndbuf.Value, 10, out _))
        {
            yield return P(ErrorCode.XmlError, "sndbuf must be a positive integer", sndbuf);
        }

        var mtu = net.El("mtu");
        if (mtu?.A("size") is { Length: > 0 } size && !CNumber.TryParseUInt(size, 10, out _))
        {
            yield return P(ErrorCode.XmlError, "malformed mtu size", mtu.Attribute("size"));
        }

        var frames = net.El("coalesce").El("rx").El("frames");
        if (frames?.A("max") is { Length: > 0 } max)
        {
            if (!StrToLongULong(max, out var value))
            {
                yield return P(ErrorCode.XmlDetail, $"cannot parse value '{max}' for coalesce parameter", frames.Attribute("max"));
            }
            else if (value > uint.MaxValue)
            {
                yield return P(ErrorCode.Overflow, $"value '{value}' is too big for coalesce parameter, maximum is '{uint.MaxValue}'", frames.Attribute("max"));
            }
        }

        yield return XmlProp.YesNo(net.El("port"), "isolated");
    }

    /// <summary>virDomainNetDefParseXMLRequireSource.</summary>
    private static Problem? RequireSource(XElement net, XElement? source, string type) =>
        source is null ? P(ErrorCode.XmlError, $"interface type='{type}' requires a 'source' element", net) : null;

    /// <summary>virXMLPropUUID.</summary>
    private static Problem? UuidProp(XElement e, string name, bool required)
    {
        var a = e.Attribute(name);
        if (a is null)
        {
            return required ? XmlProp.Required(e, name) : null;
        }

        return Uuids.TryParse(a.Value, out _)
            ? null
            : P(ErrorCode.XmlError, $"Invalid value for attribute '{name}' in element '{e.Name.LocalName}': '{a.Value}'. Expected UUID", a);
    }

    /// <summary>virDomainNetIPInfoParseXML: the &lt;ip&gt; and &lt;route&gt; children of an interface or its source.</summary>
    private static IEnumerable<Problem?> NetIpInfo(XElement parent, string what)
    {
        foreach (var ip in parent.Els("ip"))
        {
            yield return NetIp(ip);
        }

        foreach (var route in parent.Els("route"))
        {
            yield return RouteParser.Route(what, route, out _);
        }
    }

    /// <summary>virDomainNetIPParseXML: an address of the given or its own family, a prefix that fits it, a peer.</summary>
    private static Problem? NetIp(XElement ip)
    {
        var address = ip.Attribute("address");
        if (address is null)
        {
            return P(ErrorCode.XmlError, "Missing required address in <ip>", ip);
        }

        var family = ip.A("family") switch
        {
            "ipv4" => AddressFamily.InterNetwork,
            "ipv6" => AddressFamily.InterNetworkV6,
            _ => VirSocketAddr.TryParse(address.Value, AddressFamily.Unspecified, out var numeric, out _) ? numeric.AddressFamily : AddressFamily.Unknown,
        };
        if (family == AddressFamily.Unknown || !VirSocketAddr.TryParse(address.Value, family, out _, out _))
        {
            return P(ErrorCode.XmlError, $"Invalid address '{address.Value}' in <ip>", address);
        }

        if (ip.Attribute("prefix") is { } prefix &&
            (!StrToLong.TryUInt(prefix.Value, 10, out var bits) ||
             (family == AddressFamily.InterNetworkV6 && bits > 128) || (family == AddressFamily.InterNetwork && bits > 32)))
        {
            return P(ErrorCode.XmlError, $"Invalid prefix value '{prefix.Value}' in <ip>", prefix);
        }

        return ip.Attribute("peer") is { } peer && !VirSocketAddr.TryParse(peer.Value, family, out _, out _)
            ? P(ErrorCode.InvalidArgument, $"Invalid peer '{peer.Value}' in <ip>", peer)
            : null;
    }
}
