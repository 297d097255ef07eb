using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Schema.Networks.Formatting;

/// <summary>virNetworkIPDefFormat: the address attributes, then &lt;tftp&gt; and &lt;dhcp&gt;.</summary>
internal static class IpFormatter
{
    public static XElement Ip(NetworkIp ip, ElementPool pool)
    {
        var element = pool.Take("ip", out var inner);
        element.SetAttributeValue("family", ip.Family);
        element.SetAttributeValue("address", VirSocketAddr.Format(ip.Address));
        element.SetAttributeValue("netmask", ip.Netmask is null ? null : VirSocketAddr.Format(ip.Netmask));
        element.SetAttributeValue("prefix", ip.Prefix is { } prefix ? NetworkFormatter.Number(prefix) : null);
        element.SetAttributeValue("localPtr", NetworkFormatter.YesNo(ip.LocalPtr));
        if (ip.TftpRoot is { } root)
        {
            element.Add(NetworkFormatter.Attr(inner.Take("tftp"), "root", root));
        }

        if (!ip.HasDhcp)
        {
            return element;
        }

        var dhcp = inner.Take("dhcp", out var dhcpPool);
        foreach (var range in ip.Ranges)
        {
            var r = dhcpPool.Take("range", out var rangePool);
            r.SetAttributeValue("start", VirSocketAddr.Format(range.Start));
            r.SetAttributeValue("end", VirSocketAddr.Format(range.End));
            AddLease(r, range.Lease, rangePool);
            dhcp.Add(r);
        }

        foreach (var host in ip.Hosts)
        {
            var h = dhcpPool.Take("host", out var hostPool);
            h.SetAttributeValue("mac", host.Mac);
            h.SetAttributeValue("id", host.Id);
            h.SetAttributeValue("name", host.Name);
            h.SetAttributeValue("ip", host.Ip is null ? null : VirSocketAddr.Format(host.Ip));
            AddLease(h, host.Lease, hostPool);
            dhcp.Add(h);
        }

        if (ip.Bootp is { } bootp)
        {
            var b = NetworkFormatter.Attr(dhcpPool.Take("bootp"), "file", bootp.File);
            b.SetAttributeValue("server", bootp.Server is null ? null : VirSocketAddr.Format(bootp.Server));
            dhcp.Add(b);
        }

        element.Add(dhcp);
        return element;
    }

    private static void AddLease(XElement parent, DhcpLease? lease, ElementPool pool)
    {
        if (lease is null)
        {
            return;
        }

        var element = NetworkFormatter.Attr(pool.Take("lease"), "expiry", NetworkFormatter.Number(lease.Expiry));
        element.SetAttributeValue("unit", lease.Unit);
        parent.Add(element);
    }
}
