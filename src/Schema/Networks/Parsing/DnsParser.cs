using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>virNetworkDNSDefParseXML and the record parsers it calls, for the first &lt;dns&gt;.</summary>
internal static class DnsParser
{
    /// <summary>DNS_RECORD_LENGTH_SRV: the SRV record limit less overhead (RFC 2782).</summary>
    private const int SrvRecordLength = 512 - 30;

    private const string Alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    private const string ProtocolChars = Alphanumeric + "-+/";
    private const string ServiceChars = Alphanumeric + "_-+/*";

    public static Problem? Dns(NetworkXml n)
    {
        var node = n.Root.Element("dns");
        if (node is null)
        {
            return null;
        }

        if ((XmlProp.YesNo(node, "enable") ?? XmlProp.YesNo(node, "forwardPlainNames")) is { } bad)
        {
            return bad;
        }

        var forwarders = new List<DnsForwarder>();
        foreach (var forwarder in node.Elements("forwarder"))
        {
            var addr = forwarder.Attribute("addr");
            IPAddress? address = null;
            if (addr is not null)
            {
                if (!VirSocketAddr.TryParse(addr.Value, AddressFamily.Unspecified, out var parsed, out _))
                {
                    return NetFault.Xml($"Invalid forwarder IP address '{addr.Value}' in network '{n.Name}'", addr);
                }

                address = parsed;
            }

            var domain = NetXPath.Prop(forwarder, "domain");
            if (addr is null && domain is null)
            {
                return NetFault.Xml("Invalid forwarder element, must contain at least one of addr or domain", forwarder);
            }

            forwarders.Add(new DnsForwarder(domain, address));
        }

        var hosts = new List<DnsHost>();
        foreach (var host in node.Elements("host"))
        {
            if (Host(n.Name, host, out var parsed) is { } fault)
            {
                return fault;
            }

            hosts.Add(parsed!);
        }

        var srvs = new List<DnsSrv>();
        foreach (var srv in node.Elements("srv"))
        {
            if (Srv(n.Name, srv, out var parsed) is { } fault)
            {
                return fault;
            }

            srvs.Add(parsed!);
        }

        var txts = new List<DnsTxt>();
        foreach (var txt in node.Elements("txt"))
        {
            if (Txt(n.Name, txt, out var parsed) is { } fault)
            {
                return fault;
            }

            txts.Add(parsed!);
        }

        var enable = TopParser.YesNo(node, "enable");
        if (enable == false && (forwarders.Count > 0 || hosts.Count > 0 || srvs.Count > 0 || txts.Count > 0))
        {
            return NetFault.Xml($"Extra data in disabled network '{n.Name}'", node);
        }

        var forwardPlainNames = TopParser.YesNo(node, "forwardPlainNames");
        if (enable is not null || forwardPlainNames is not null || forwarders.Count > 0 || hosts.Count > 0 || srvs.Count > 0 || txts.Count > 0)
        {
            n.Dns = new NetworkDns(enable, forwardPlainNames, forwarders.ToValueList(), txts.ToValueList(), srvs.ToValueList(), hosts.ToValueList());
        }

        return null;
    }

    /// <summary>virNetworkDNSHostDefParseXML: an IP address and at least one non-empty hostname.</summary>
    private static Problem? Host(string network, XElement node, out DnsHost? host)
    {
        host = null;
        var ip = node.Attribute("ip");
        if (ip is null)
        {
            return NetFault.Detail($"Missing IP address in network '{network}' DNS HOST record", node);
        }

        if (!VirSocketAddr.TryParse(ip.Value, AddressFamily.Unspecified, out var address, out _))
        {
            return NetFault.Detail($"Invalid IP address in network '{network}' DNS HOST record", ip);
        }

        var names = new List<string>();
        foreach (var hostname in node.Elements().Where(e => e.Name.LocalName == "hostname" && e.Nodes().Any()))
        {
            if (hostname.Value.Length == 0)
            {
                return NetFault.Detail($"Missing hostname in network '{network}' DNS HOST record", hostname);
            }

            names.Add(hostname.Value);
        }

        if (names.Count == 0)
        {
            return NetFault.Detail($"Missing hostname in network '{network}' DNS HOST record", node);
        }

        host = new DnsHost(address, names.ToValueList());
        return null;
    }

    /// <summary>virNetworkDNSSrvDefParseXML: service and protocol in their character sets; port, priority and weight need a target.</summary>
    private static Problem? Srv(string network, XElement node, out DnsSrv? srv)
    {
        srv = null;
        var service = node.Attribute("service");
        if (service is null)
        {
            return NetFault.Detail($"missing required service attribute in DNS SRV record of network '{network}'", node);
        }

        if (Encoding.UTF8.GetByteCount(service.Value) > SrvRecordLength)
        {
            return NetFault.Detail(
                $"service attribute '{service.Value}' in network '{network}' is too long, limit is {SrvRecordLength} bytes", service);
        }

        if (!service.Value.All(c => ServiceChars.Contains(c, StringComparison.Ordinal)))
        {
            return NetFault.Detail($"invalid character in service attribute '{service.Value}' in DNS SRV record of network '{network}'", service);
        }

        var protocol = node.Attribute("protocol");
        if (protocol is null)
        {
            return NetFault.Detail($"missing required protocol attribute in DNS SRV record '{service.Value}' of network '{network}'", node);
        }

        if (!protocol.Value.All(c => ProtocolChars.Contains(c, StringComparison.Ordinal)))
        {
            return NetFault.Detail($"invalid character in protocol attribute '{protocol.Value}' in DNS SRV record of network '{network}'", protocol);
        }

        var domain = NetXPath.Prop(node, "domain");
        var target = NetXPath.Prop(node, "target");
        var s = service.Value;
        if (SrvNumber(node, "port", target, 1, $"invalid DNS SRV port attribute for service '{s}' in network '{network}'", network, out var port) is { } f1)
        {
            return f1;
        }

        if (SrvNumber(node, "priority", target, 0, $"Invalid DNS SRV priority attribute for service '{s}' in network '{network}'", network, out var priority) is { } f2)
        {
            return f2;
        }

        if (SrvNumber(node, "weight", target, 0, $"invalid DNS SRV weight attribute for service '{s}' in network '{network}'", network, out var weight) is { } f3)
        {
            return f3;
        }

        srv = new DnsSrv(s, protocol.Value, domain, target, port, priority, weight);
        return null;
    }

    /// <summary>virXPathUInt on string(./@name): not allowed without a target, within min..65535; null when unset or 0.</summary>
    private static Problem? SrvNumber(XElement node, string name, string? target, uint min, string invalid, string network, out uint? value)
    {
        value = null;
        var attribute = node.Attribute(name);
        if (attribute is null || attribute.Value.Length == 0)
        {
            return null;
        }

        var parsed = StrToLong.TryUIntPositive(attribute.Value, 10, out var v);
        if (parsed && target is null)
        {
            return NetFault.Detail(
                $"DNS SRV {name} attribute not permitted without target for service '{node.Attribute("service")!.Value}' in network '{network}'", attribute);
        }

        if (!parsed || v < min || v > 65535)
        {
            return NetFault.Detail(invalid, attribute);
        }

        value = v == 0 ? null : v;
        return null;
    }

    /// <summary>virNetworkDNSTxtDefParseXML: a name without spaces or commas, and a value.</summary>
    private static Problem? Txt(string network, XElement node, out DnsTxt? txt)
    {
        txt = null;
        var name = node.Attribute("name");
        if (name is null)
        {
            return NetFault.Detail($"missing required name attribute in DNS TXT record of network {network}", node);
        }

        if (name.Value.AsSpan().IndexOfAny(' ', ',') >= 0)
        {
            return NetFault.Detail($"prohibited character in DNS TXT record name '{name.Value}' of network {network}", name);
        }

        var value = node.Attribute("value");
        if (value is null)
        {
            return NetFault.Detail($"missing required value attribute in DNS TXT record named '{name.Value}' of network {network}", node);
        }

        txt = new DnsTxt(name.Value, value.Value);
        return null;
    }
}
