using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Schema.Networks.Formatting;

/// <summary>virNetworkDNSDefFormat: forwarders, TXT, SRV and host records, in that order.</summary>
internal static class DnsFormatter
{
    public static XElement Dns(NetworkDns dns, ElementPool pool)
    {
        var element = pool.Take("dns", out var inner);
        element.SetAttributeValue("enable", NetworkFormatter.YesNo(dns.Enable));
        element.SetAttributeValue("forwardPlainNames", NetworkFormatter.YesNo(dns.ForwardPlainNames));
        foreach (var forwarder in dns.Forwarders)
        {
            var f = inner.Take("forwarder");
            f.SetAttributeValue("domain", forwarder.Domain);
            f.SetAttributeValue("addr", forwarder.Address is null ? null : VirSocketAddr.Format(forwarder.Address));
            element.Add(f);
        }

        foreach (var txt in dns.Txts)
        {
            var t = NetworkFormatter.Attr(inner.Take("txt"), "name", txt.Name);
            t.SetAttributeValue("value", txt.Value);
            element.Add(t);
        }

        foreach (var srv in dns.Srvs)
        {
            var s = NetworkFormatter.Attr(inner.Take("srv"), "service", srv.Service);
            s.SetAttributeValue("protocol", srv.Protocol);
            s.SetAttributeValue("domain", srv.Domain);
            s.SetAttributeValue("target", srv.Target);
            s.SetAttributeValue("port", srv.Port is { } port ? NetworkFormatter.Number(port) : null);
            s.SetAttributeValue("priority", srv.Priority is { } priority ? NetworkFormatter.Number(priority) : null);
            s.SetAttributeValue("weight", srv.Weight is { } weight ? NetworkFormatter.Number(weight) : null);
            element.Add(s);
        }

        foreach (var host in dns.Hosts)
        {
            var h = NetworkFormatter.Attr(inner.Take("host", out var hostPool), "ip", VirSocketAddr.Format(host.Ip));
            foreach (var name in host.Hostnames)
            {
                h.Add(NetworkFormatter.Text(hostPool.Take("hostname"), name));
            }

            element.Add(h);
        }

        return element;
    }
}
