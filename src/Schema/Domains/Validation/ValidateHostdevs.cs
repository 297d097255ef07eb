using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Support;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainHostdevDefValidate and virDomainDefHostdevValidate.</summary>
internal static partial class ValidateRules
{
    /// <summary>virDomainHostdevDefValidate: the address type each kind of host device takes; teaming.</summary>
    private static Problem? Hostdev(XElement hostdev, bool parentNet)
    {
        var mode = parentNet ? "subsystem" : hostdev.A("mode") ?? "subsystem";
        var type = parentNet ? "pci" : hostdev.A("type");
        var address = hostdev.El("address");
        var addressType = address.A("type");
        if (mode == "subsystem")
        {
            switch (type)
            {
                case "pci" when addressType is not (null or "unassigned" or "pci"):
                    return P(ErrorCode.InternalError, "PCI host devices must use 'pci' or 'unassigned' address type", address);
                case "scsi":
                    if (addressType is not (null or "drive"))
                    {
                        return P(ErrorCode.ConfigUnsupported, "SCSI host device must use 'drive' address type", address);
                    }

                    if (hostdev.A("sgio") == "unfiltered")
                    {
                        return P(ErrorCode.ConfigUnsupported, "unfiltered sgio is no longer supported", hostdev);
                    }

                    break;
                case "scsi_host" when addressType is not (null or "pci" or "ccw"):
                    return P(ErrorCode.ConfigUnsupported, "SCSI_host host device must use 'pci' or 'ccw' address type", address);
                case "usb" when addressType is not (null or "usb"):
                    return P(ErrorCode.ConfigUnsupported, "USB host device must use 'usb' address type", address);
            }
        }

        var teaming = parentNet ? null : hostdev.El("teaming");
        if (teaming is not null)
        {
            if (teaming.A("type") != "transient")
            {
                return P(ErrorCode.ConfigUnsupported, "teaming hostdev devices must have type='transient'", teaming);
            }

            if (teaming.A("persistent") is null)
            {
                return P(ErrorCode.ConfigUnsupported, "missing required persistent attribute in hostdev teaming element", teaming);
            }

            if (mode != "subsystem" || type != "pci")
            {
                return P(ErrorCode.ConfigUnsupported, "teaming is only supported for pci hostdev devices", teaming);
            }
        }

        return null;
    }

    /// <summary>virDomainDefHostdevValidate: no host device twice; one vGPU with ramfb.</summary>
    private static Problem? HostdevsOnce(DomainXml d)
    {
        var hostdevs = Devices(d, allConsoles: true, missingInfo: false).Where(x => x.Kind == "hostdev").ToList();
        var ramfb = false;
        var next = Pairs.NextMatches(hostdevs, HostdevProbe, HostdevKeys);
        for (var i = 0; i < hostdevs.Count; i++)
        {
            if (next[i] >= 0)
            {
                return P(ErrorCode.XmlError, "Hostdev already exists in the domain configuration", hostdevs[next[i]].Element);
            }

            var e = hostdevs[i].Element;
            if (!hostdevs[i].ParentNet && e.A("type") == "mdev" && e.A("ramfb") == "on")
            {
                if (ramfb)
                {
                    return P(ErrorCode.ConfigUnsupported, "Only one vgpu device can have 'ramfb' enabled", e);
                }

                ramfb = true;
            }
        }

        return null;
    }

    /// <summary>
    /// virDomainHostdevMatch as keys: two host devices are the same when the key of the first is among the
    /// keys of the second. A USB device is compared by bus and device when its own address gives both, and
    /// by vendor and product otherwise, so it can be found by either.
    /// </summary>
    private static object? HostdevProbe(DomainDevice device) => HostdevKey(device, byUsbAddress: null);

    private static IEnumerable<object> HostdevKeys(DomainDevice device)
    {
        if (HostdevKey(device, byUsbAddress: true) is { } first)
        {
            yield return first;
        }

        if (HostdevKey(device, byUsbAddress: false) is { } second && !second.Equals(HostdevKey(device, byUsbAddress: true)))
        {
            yield return second;
        }
    }

    private static object? HostdevKey(DomainDevice device, bool? byUsbAddress)
    {
        var e = device.Element;
        var mode = device.ParentNet ? "subsystem" : e.A("mode") ?? "subsystem";
        var type = device.ParentNet ? "pci" : e.A("type");
        var source = e.El("source");
        if (mode != "subsystem")
        {
            var child = type switch
            {
                "storage" => "block",
                "misc" => "char",
                "net" => "interface",
                _ => null,
            };
            return child is null ? null : ("capabilities", mode, type, source.El(child)?.Value);
        }

        switch (type)
        {
            case "pci":
                return (type, Numbers(source.El("address"), "domain", "bus", "slot", "function"));
            case "usb":
                var address = source.El("address");
                var byAddress = byUsbAddress ?? (UInt(address, "bus") != 0 && UInt(address, "device") != 0);
                return byAddress
                    ? (type, "address", Numbers(address, "bus", "device"))
                    : (type, "id", UInt(source.El("vendor"), "id"), UInt(source.El("product"), "id"));
            case "scsi":
                var protocol = source.A("protocol") ?? "adapter";
                return protocol == "iscsi"
                    ? (type, protocol, source.El("host").A("name"), UInt(source.El("host"), "port"), source.A("name"))
                    : (type, protocol, source.El("adapter").A("name"), Numbers(source.El("address"), "bus", "target", "unit"));
            case "scsi_host":
                return (type, source.A("protocol"), source.A("wwpn"));
            case "mdev":
                return (type, source.El("address").A("uuid"));
            default:
                return null;
        }
    }

    /// <summary>Numbers compared as virDomainHostdevMatch compares them (any base; absent or unreadable alike).</summary>
    private static string Numbers(XElement? element, params string[] names) =>
        string.Join(',', names.Select(n => ULong(element, n, 0)?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"));
}
