using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
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
        for (var i = 0; i < hostdevs.Count; i++)
        {
            for (var j = i + 1; j < hostdevs.Count; j++)
            {
                if (HostdevMatch(hostdevs[i], hostdevs[j]))
                {
                    return P(ErrorCode.XmlError, "Hostdev already exists in the domain configuration", hostdevs[j].Element);
                }
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

    /// <summary>virDomainHostdevMatch: the same host device (by its source).</summary>
    private static bool HostdevMatch(DomainDevice a, DomainDevice b)
    {
        var (ea, eb) = (a.Element, b.Element);
        var modeA = a.ParentNet ? "subsystem" : ea.A("mode") ?? "subsystem";
        var modeB = b.ParentNet ? "subsystem" : eb.A("mode") ?? "subsystem";
        if (modeA != modeB)
        {
            return false;
        }

        var typeA = a.ParentNet ? "pci" : ea.A("type");
        var typeB = b.ParentNet ? "pci" : eb.A("type");
        if (typeA != typeB)
        {
            return false;
        }

        var (sa, sb) = (ea.El("source"), eb.El("source"));
        if (modeA != "subsystem")
        {
            var child = typeA switch
            {
                "storage" => "block",
                "misc" => "char",
                "net" => "interface",
                _ => null,
            };
            return child is not null && sa.El(child)?.Value == sb.El(child)?.Value;
        }

        switch (typeA)
        {
            case "pci":
                return SameNumbers(sa.El("address"), sb.El("address"), "domain", "bus", "slot", "function");
            case "usb":
                var (addrA, addrB) = (sa.El("address"), sb.El("address"));
                if (UInt(addrA, "bus") != 0 && UInt(addrA, "device") != 0)
                {
                    return SameNumbers(addrA, addrB, "bus", "device");
                }

                return UInt(sa.El("vendor"), "id") == UInt(sb.El("vendor"), "id") &&
                       UInt(sa.El("product"), "id") == UInt(sb.El("product"), "id");
            case "scsi":
                var protocol = sa.A("protocol") ?? "adapter";
                if (protocol != (sb.A("protocol") ?? "adapter"))
                {
                    return false;
                }

                if (protocol == "iscsi")
                {
                    return sa.El("host").A("name") == sb.El("host").A("name") &&
                           UInt(sa.El("host"), "port") == UInt(sb.El("host"), "port") &&
                           sa.A("name") == sb.A("name");
                }

                return sa.El("adapter").A("name") == sb.El("adapter").A("name") &&
                       SameNumbers(sa.El("address"), sb.El("address"), "bus", "target", "unit");
            case "scsi_host":
                return sa.A("protocol") == sb.A("protocol") && sa.A("wwpn") == sb.A("wwpn");
            case "mdev":
                return sa.El("address").A("uuid") == sb.El("address").A("uuid");
            default:
                return false;
        }
    }

    private static bool SameNumbers(XElement? a, XElement? b, params string[] names) =>
        names.All(n => ULong(a, n, 0) == ULong(b, n, 0));
}
