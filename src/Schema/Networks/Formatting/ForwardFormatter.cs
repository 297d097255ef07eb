using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Schema.Networks.Formatting;

/// <summary>The &lt;forward&gt; part of virNetworkDefFormatBuf, with virNetworkForwardNatDefFormat.</summary>
internal static class ForwardFormatter
{
    public static XElement Forward(NetworkForward forward, ElementPool pool)
    {
        var element = pool.Take("forward", out var inner);
        element.SetAttributeValue("dev", forward.Dev);
        element.SetAttributeValue("mode", forward.Mode);
        if (forward.Mode == "hostdev")
        {
            element.SetAttributeValue("managed", forward.Managed ? "yes" : "no");
        }

        if (forward.Driver is { } driver)
        {
            element.Add(NetworkFormatter.Attr(inner.Take("driver"), "name", driver));
        }

        if (forward.Nat is { } nat)
        {
            element.Add(Nat(nat, inner));
        }

        if (forward.Pf is { } pf)
        {
            element.Add(NetworkFormatter.Attr(inner.Take("pf"), "dev", pf));
        }

        foreach (var dev in forward.Interfaces)
        {
            element.Add(NetworkFormatter.Attr(inner.Take("interface"), "dev", dev));
        }

        foreach (var address in forward.Addresses)
        {
            var a = inner.Take("address");
            a.SetAttributeValue("type", "pci");
            a.SetAttributeValue("domain", "0x" + address.Domain.ToString("x4", CultureInfo.InvariantCulture));
            a.SetAttributeValue("bus", "0x" + address.Bus.ToString("x2", CultureInfo.InvariantCulture));
            a.SetAttributeValue("slot", "0x" + address.Slot.ToString("x2", CultureInfo.InvariantCulture));

            // virPCIDeviceAddressFormat writes the function as "0x" and its decimal value.
            a.SetAttributeValue("function", "0x" + address.Function.ToString(CultureInfo.InvariantCulture));
            element.Add(a);
        }

        return element;
    }

    private static XElement Nat(NetworkNat nat, ElementPool pool)
    {
        var element = pool.Take("nat", out var inner);
        element.SetAttributeValue("ipv6", NetworkFormatter.YesNo(nat.Ipv6));
        if (nat.Start is { } start)
        {
            var address = NetworkFormatter.Attr(inner.Take("address"), "start", VirSocketAddr.Format(start));
            address.SetAttributeValue("end", nat.End is null ? null : VirSocketAddr.Format(nat.End));
            element.Add(address);
        }

        if (nat.Ports is { } ports)
        {
            var port = NetworkFormatter.Attr(inner.Take("port"), "start", NetworkFormatter.Number(ports.Start));
            port.SetAttributeValue("end", ports.End == 0 ? null : NetworkFormatter.Number(ports.End));
            element.Add(port);
        }

        return element;
    }
}
