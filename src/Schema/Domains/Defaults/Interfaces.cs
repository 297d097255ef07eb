using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Domains.Devices;
using Reconciler.Schema.Networks.Parsing;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    private static readonly string[] InterfaceChildOrder =
    [
        "mac", "source", "vlan", "virtualport", "bandwidth", "port", "ip", "route", "portForward", "script",
        "downscript", "backenddomain", "target", "guest", "model", "driver", "backend", "filterref", "tune",
        "teaming", "link", "mtu", "coalesce", .. DeviceInfo.Order,
    ];

    /// <summary>virDomainNetDefParseXML / Format: a generated 52:54:00 MAC, libvirt's child order, no generated tap names.</summary>
    private static void ApplyInterface(SpecContext context, XElement net)
    {
        // virXMLPropEnumDefault: an interface without a type is a user-mode one.
        var type = net.A("type") ?? "user";
        net.Set("type", type);
        var mac = net.El("mac");
        if (mac?.A("address") is null)
        {
            mac?.Remove();
            mac = new XElement("mac", new XAttribute("address", Identifiers.FormatMac(context.Options.Identity.NewMac())));
            net.AddFirst(mac);
        }
        else
        {
            mac.Set("address", mac.A("address")!.ToLowerInvariant());
        }

        mac.OrderAttributes(["address", "type", "check"]);

        var target = net.El("target");
        if (target is not null)
        {
            var dev = target.A("dev");
            if (dev is not null && target.A("managed") != "no" &&
                (dev.StartsWith("vnet", StringComparison.Ordinal) || dev.StartsWith("macvtap", StringComparison.Ordinal) || dev.StartsWith("macvlan", StringComparison.Ordinal)))
            {
                // Generated names are not part of the inactive definition.
                target.Set("dev", null);
            }

            target.OrderAttributes(["dev", "managed"]);
            if (!target.HasAttributes)
            {
                target.Remove();
            }
        }

        var source = net.El("source");
        if (source is not null)
        {
            switch (type)
            {
                case "network":
                    source.Set("portid", null);
                    source.OrderAttributes(["network", "portgroup"]);
                    break;
                case "direct":
                    source.Default("mode", "vepa");
                    source.OrderAttributes(["dev", "mode"]);
                    break;
                case "vhostuser":
                    source.OrderAttributes(["type", "path", "mode"]);
                    break;
                case "server" or "client" or "mcast" or "udp":
                    source.OrderAttributes(["address", "port"]);
                    break;
            }
        }

        NormalizeVirtualPort(context, net, type);
        var link = net.El("link");
        if (link is not null && link.A("state") is null)
        {
            link.Remove();
        }

        if (type == "hostdev")
        {
            net.Set("managed", XmlExtensions.IsYes(net.A("managed")) ? "yes" : null);
            NormalizeHostdevSource(net, includeTypeInAddress: true);
        }

        // virDomainNetDefParseXML reads a filter reference only for these types.
        if (type is not ("network" or "bridge" or "ethernet"))
        {
            net.El("filterref")?.Remove();
        }

        NormalizeNetDriver(net, type);
        NormalizeNetModel(net);
        DeviceInfo.Normalize(net, allowBoot: true, allowRom: true);
        net.OrderAttributes(["type", "managed", "trustGuestRxFilters"]);
        if (type == "hostdev" && net.Elements("driver").Any(d => d.A("name") is "vfio" or "kvm" or "xen"))
        {
            // The PCI backend of a hostdev interface is written before its source.
            var backend = net.Elements("driver").First(d => d.A("name") is "vfio" or "kvm" or "xen");
            backend.Remove();
            net.OrderChildren(InterfaceChildOrder);
            net.El("mac")!.AddAfterSelf(backend);
        }
        else
        {
            net.OrderChildren(InterfaceChildOrder);
        }
    }
}

internal static partial class DomainDefaults
{
    /// <summary>
    /// virNetDevVPortProfileParse with VIR_VPORT_XML_GENERATE_MISSING_DEFAULTS (the interface types that take a
    /// virtual port), then virNetDevVPortProfileFormat: an 802.1Qbg (or untyped) port gets an instance ID and an
    /// Open vSwitch (or untyped) port an interface ID; only the parameters of the type are kept.
    /// </summary>
    private static void NormalizeVirtualPort(SpecContext context, XElement net, string type)
    {
        if (type is not ("network" or "bridge" or "direct" or "hostdev") || net.El("virtualport") is not { } element ||
            NetdevParser.VirtualPort(element, requireType: false, out var port) is not null)
        {
            return;
        }

        var typeName = element.A("type") ?? "none";
        var identity = context.Options.Identity;
        var instance = port?.InstanceId ?? (typeName is "802.1Qbg" or "none" ? identity.NewUuid() : null);
        var iface = port?.InterfaceId ?? (typeName is "openvswitch" or "none" ? identity.NewUuid() : null);
        var formatted = new XElement("virtualport");
        formatted.Set("type", typeName == "none" ? null : typeName);
        var parameters = new XElement("parameters");
        parameters.Set("managerid", port?.ManagerId?.ToString(CultureInfo.InvariantCulture));
        parameters.Set("typeid", port?.TypeId?.ToString(CultureInfo.InvariantCulture));
        parameters.Set("typeidversion", port?.TypeIdVersion?.ToString(CultureInfo.InvariantCulture));
        parameters.Set("instanceid", instance is { } i ? Identifiers.FormatUuid(i) : null);
        parameters.Set("interfaceid", iface is { } f ? Identifiers.FormatUuid(f) : null);
        parameters.Set("profileid", port?.ProfileId);
        if (parameters.HasAttributes)
        {
            formatted.Add(parameters);
        }

        element.ReplaceWith(formatted);
    }

    private static readonly string[] VirtioOptionAttributes = ["iommu", "ats", "packed", "page_per_vq"];

    /// <summary>
    /// virDomainNetDefParseXMLDriver: the virtio-net driver settings are only read for virtio models on
    /// non-hostdev interfaces; the virtio options are read for all.
    /// </summary>
    private static void NormalizeNetDriver(XElement net, string type)
    {
        var model = net.El("model")?.A("type");
        var isVirtio = model is "virtio" or "virtio-transitional" or "virtio-non-transitional";
        foreach (var driver in net.Els("driver").ToList())
        {
            var isHostdevBackend = type == "hostdev" && driver.A("name") is "vfio" or "kvm" or "xen";
            if (isHostdevBackend)
            {
                continue;
            }

            if (type == "hostdev" || !isVirtio)
            {
                foreach (var a in driver.Attributes().Where(a => Array.IndexOf(VirtioOptionAttributes, a.Name.LocalName) < 0).ToList())
                {
                    a.Remove();
                }

                driver.RemoveNodes();
            }

            if (!driver.HasAttributes && !driver.HasElements)
            {
                driver.Remove();
            }
        }

        var backend = net.El("backend");
        if (backend is not null)
        {
            if (backend.A("vhost") is not null && (type == "hostdev" || !isVirtio))
            {
                backend.Set("vhost", null);
            }

            if (!backend.HasAttributes)
            {
                backend.Remove();
            }
        }
    }
}
