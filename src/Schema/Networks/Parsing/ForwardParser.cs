using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>
/// virNetworkForwardDefParseXML for the first &lt;forward&gt;: the mode, the hostdev driver, NAT, and the pool
/// of devices (a dev attribute and &lt;interface&gt;s, else PCI &lt;address&gt;es, else one &lt;pf&gt;).
/// </summary>
internal static class ForwardParser
{
    internal static readonly string[] Modes = ["none", "nat", "route", "open", "bridge", "private", "vepa", "passthrough", "hostdev"];
    private static readonly string[] DriverNames = ["default", "kvm", "vfio"];
    private static readonly string[] AddressTypes = ["none", "pci", "netdev"];

    public static Problem? Forward(NetworkXml n)
    {
        var node = n.Root.Element("forward");
        if (node is null)
        {
            return null;
        }

        var network = n.Name;
        var mode = NetXPath.String(node, "mode") ?? "nat";
        if (Array.IndexOf(Modes, mode) < 0)
        {
            return NetFault.Unsupported($"unknown forwarding type '{mode}'", node.Attribute("mode")!);
        }

        var managed = string.Equals(NetXPath.String(node, "managed"), "yes", StringComparison.OrdinalIgnoreCase);
        var driver = NetXPath.ChildString(node, "driver", "name");
        if (driver is not null && Array.IndexOf(DriverNames, driver) <= 0)
        {
            return NetFault.Unsupported($"Unknown forward <driver name='{driver}'/> in network {network}", NetXPath.Origin(node, "driver", "name")!);
        }

        var interfaces = node.Elements("interface").ToList();
        var addresses = node.Elements("address").ToList();
        var pfs = node.Elements("pf").ToList();
        var nats = node.Elements("nat").ToList();
        NetworkNat? nat = null;
        if (nats.Count > 1)
        {
            return NetFault.Xml($"Only one <nat> element is allowed in <forward> of network {network}", nats[1]);
        }

        if (nats.Count == 1 && NatParser.Nat(network, mode, nats[0], out nat) is { } natFault)
        {
            return natFault;
        }

        var dev = NetXPath.String(node, "dev");
        if (dev is not null && (addresses.Count > 0 || pfs.Count > 0))
        {
            // libvirt's message has no argument for its "%s".
            return NetFault.Xml(
                "the <forward> 'dev' attribute cannot be used when <address> or <pf> sub-elements are present in network %s", node.Attribute("dev")!);
        }

        var devs = new List<string>();
        var pcis = new List<PciAddress>();
        string? pf = null;
        if (interfaces.Count > 0 || dev is not null)
        {
            if (Interfaces(network, dev, interfaces, devs) is { } ifFault)
            {
                return ifFault;
            }
        }
        else if (addresses.Count > 0)
        {
            if (Addresses(network, addresses, pcis) is { } addrFault)
            {
                return addrFault;
            }
        }
        else if (pfs.Count > 1)
        {
            return NetFault.Xml($"Only one <pf> element is allowed in <forward> of network {network}", pfs[1]);
        }
        else if (pfs.Count == 1)
        {
            pf = NetXPath.Prop(pfs[0], "dev");
            if (pf is null)
            {
                return NetFault.Xml($"Missing required dev attribute in <pf> element of network '{network}'", pfs[0]);
            }
        }

        n.Forward = new NetworkForward(
            mode,
            mode == "hostdev" && managed,
            driver,
            devs.ToValueList(),
            pcis.ToValueList(),
            pf,
            nat);
        return null;
    }

    /// <summary>The dev attribute and the &lt;interface&gt;s: each with a dev, listed once, the first matching the attribute.</summary>
    private static Problem? Interfaces(string network, string? dev, List<XElement> interfaces, List<string> devs)
    {
        if (dev is not null)
        {
            devs.Add(dev);
        }

        for (var i = 0; i < interfaces.Count; i++)
        {
            var name = NetXPath.Prop(interfaces[i], "dev");
            if (name is null)
            {
                return NetFault.Xml($"Missing required dev attribute in <forward> <interface> element of network {network}", interfaces[i]);
            }

            if (i == 0 && dev is not null)
            {
                if (name != dev)
                {
                    return NetFault.Xml(
                        $"<forward dev='{dev}'> must match first <interface dev='{name}'/> in network {network}", interfaces[i].Attribute("dev")!);
                }

                continue;
            }

            if (devs.Contains(name))
            {
                return NetFault.Xml($"interface '{name}' can only be listed once in network {network}", interfaces[i].Attribute("dev")!);
            }

            devs.Add(name);
        }

        return null;
    }

    /// <summary>The PCI &lt;address&gt;es of a hostdev pool: each of type pci, valid, and listed once.</summary>
    private static Problem? Addresses(string network, List<XElement> addresses, List<PciAddress> pcis)
    {
        foreach (var address in addresses)
        {
            var type = NetXPath.Prop(address, "type");
            if (type is null)
            {
                return NetFault.Xml($"missing address type in network {network}", address);
            }

            var index = Array.IndexOf(AddressTypes, type);
            if (index < 0)
            {
                return NetFault.Unsupported($"unknown address type '{type}' in network {network}", address.Attribute("type")!);
            }

            if (type != "pci")
            {
                return NetFault.Xml($"unsupported address type '{type}' in network {network}", address.Attribute("type")!);
            }

            if (PciAddressParser.Parse(address, out var pci) is { } fault)
            {
                return fault;
            }

            if (pcis.Contains(pci))
            {
                return NetFault.Xml($"PCI device '{pci}' can only be listed once in network {network}", address);
            }

            pcis.Add(pci);
        }

        return null;
    }
}

/// <summary>virNetworkForwardNatDefParseXML: an IPv4 address range and a port range for SNAT, and IPv6 masquerading.</summary>
internal static class NatParser
{
    public static Problem? Nat(string network, string mode, XElement node, out NetworkNat? nat)
    {
        nat = null;
        if (mode != "nat")
        {
            return NetFault.Xml($"The <nat> element can only be used when <forward> 'mode' is 'nat' in network {network}", node);
        }

        if (Validation.XmlProp.YesNo(node, "ipv6") is { } bad)
        {
            return bad;
        }

        var addresses = node.Elements("address").ToList();
        if (addresses.Count > 1)
        {
            return NetFault.Xml($"Only one <address> element is allowed in <nat> in <forward> in network {network}", addresses[1]);
        }

        IPAddress? start = null;
        IPAddress? end = null;
        if (addresses.Count == 1)
        {
            var address = addresses[0];
            var startText = address.Attribute("start");
            if (startText is null)
            {
                return NetFault.Xml($"missing 'start' attribute in <address> element in <nat> in <forward> in network {network}", address);
            }

            var endText = address.Attribute("end");
            if (endText is null)
            {
                return NetFault.Xml($"missing 'end' attribute in <address> element in <nat> in <forward> in network {network}", address);
            }

            if (!VirSocketAddr.TryParse(startText.Value, AddressFamily.InterNetwork, out start, out _))
            {
                return NetFault.Xml($"Bad ipv4 start address '{startText.Value}' in <nat> in <forward> in network '{network}'", startText);
            }

            if (!VirSocketAddr.TryParse(endText.Value, AddressFamily.InterNetwork, out end, out _))
            {
                return NetFault.Xml($"Bad ipv4 end address '{endText.Value}' in <nat> in <forward> in network '{network}'", endText);
            }

            if (AddressMath.CheckRange(start!, end!, null, 0) is { } range)
            {
                return NetFault.Internal(range, address);
            }
        }

        var ports = node.Elements("port").ToList();
        NatPortRange? portRange = null;
        if (ports.Count > 1)
        {
            return NetFault.Xml($"Only one <port> element is allowed in <nat> in <forward> in network {network}", ports[1]);
        }

        if (ports.Count == 1)
        {
            var port = ports[0];
            if (!TryPort(port, "start", out var first) || first > 65535)
            {
                return NetFault.Detail($"Missing or invalid 'start' attribute in <port> in <nat> in <forward> in network {network}", (XObject?)port.Attribute("start") ?? port);
            }

            if (!TryPort(port, "end", out var last) || last > 65535 || last < first)
            {
                return NetFault.Detail($"Missing or invalid 'end' attribute in <port> in <nat> in <forward> in network {network}", (XObject?)port.Attribute("end") ?? port);
            }

            portRange = first == 0 && last == 0 ? null : new NatPortRange(first, last);
        }

        var ipv6 = TopParser.YesNo(node, "ipv6");
        nat = start is null && portRange is null && ipv6 is null ? null : new NetworkNat(start, end, portRange, ipv6);
        return null;
    }

    /// <summary>virXPathUInt: a non-empty, non-negative decimal.</summary>
    private static bool TryPort(XElement port, string name, out uint value)
    {
        value = 0;
        var text = NetXPath.String(port, name);
        return text is not null && StrToLong.TryUIntPositive(text, 10, out value);
    }
}
