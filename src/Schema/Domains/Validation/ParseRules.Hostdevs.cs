using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

internal static partial class ParseRules
{
    /// <summary>virDomainHostdevDefParseXML: mode, subsystem or capabilities source, device info, teaming; no USB hostdev without USB.</summary>
    public static IEnumerable<Problem?> Hostdevs(DomainXml d)
    {
        var usbNone = UsbNone(d);
        foreach (var hostdev in d.DevicesOf("hostdev"))
        {
            var mode = hostdev.A("mode") ?? "subsystem";
            if (Array.IndexOf(LibvirtEnums.DomainHostdevMode, mode) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown hostdev mode '{mode}'", hostdev);
                continue;
            }

            var type = hostdev.A("type");
            var source = mode == "subsystem" ? HostdevSubsys(hostdev, type) : HostdevCaps(hostdev, type);
            foreach (var p in source)
            {
                yield return p;
            }

            foreach (var p in Info(hostdev, allowBoot: true, allowRom: true))
            {
                yield return p;
            }

            yield return Teaming(hostdev);
            if (mode == "subsystem" && type == "usb" && usbNone)
            {
                yield return P(ErrorCode.ConfigUnsupported, "Can't add host USB device: USB is disabled in this host", hostdev);
            }
        }
    }

    /// <summary>
    /// virDomainHostdevDefParseXMLSubsys: the subsystem type (given by the caller: the hostdev's type, or
    /// the source address type of an &lt;interface type='hostdev'&gt;), the source and its attributes.
    /// </summary>
    private static IEnumerable<Problem?> HostdevSubsys(XElement node, string? type)
    {
        // libvirt reads managed with its error ignored.
        if (type is null)
        {
            yield return P(ErrorCode.XmlError, "missing source address type", node);
            yield break;
        }

        if (Array.IndexOf(LibvirtEnums.DomainHostdevSubsys, type) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown host device source address type '{type}'", node);
            yield break;
        }

        var source = node.El("source");
        if (source is null)
        {
            yield return P(ErrorCode.XmlError, "Missing <source> element in hostdev device", node);
            yield break;
        }

        if (type != "usb" && source.Attribute("startupPolicy") is { } policy)
        {
            yield return P(ErrorCode.ConfigUnsupported, "Setting startupPolicy is only allowed for USB devices", policy);
        }

        yield return XmlProp.Enum(node, "sgio", LibvirtEnums.DomainDeviceSGIO, PropFlags.NonZero);
        if (type != "scsi" && node.Attribute("sgio") is { } sgio)
        {
            yield return P(ErrorCode.XmlError, "sgio is only supported for scsi host device", sgio);
        }

        yield return XmlProp.YesNo(node, "rawio");
        if (type != "scsi" && node.Attribute("rawio") is { } rawio)
        {
            yield return P(ErrorCode.XmlError, "rawio is only supported for scsi host device", rawio);
        }

        if (type is not ("mdev" or "scsi_host") && node.Attribute("model") is { } model)
        {
            yield return P(ErrorCode.XmlError, $"'model' attribute in <hostdev> is only supported when type='{type}'", model);
        }

        if (type == "scsi_host")
        {
            yield return XmlProp.Enum(node, "model", LibvirtEnums.DomainHostdevSubsysSCSIVHostModel);
        }
        else if (type == "mdev")
        {
            yield return XmlProp.Enum(node, "model", LibvirtEnums.MediatedDeviceModel, PropFlags.Required);
            yield return XmlProp.OnOff(node, "display");
            yield return XmlProp.OnOff(node, "ramfb");
        }

        var sourceChecks = type switch
        {
            "pci" => HostdevPci(node, source),
            "usb" => HostdevUsb(source),
            "scsi" => HostdevScsi(source),
            "scsi_host" => HostdevScsiHost(source),
            _ => HostdevMdev(source),
        };
        foreach (var p in sourceChecks)
        {
            yield return p;
        }
    }

    private static IEnumerable<Problem?> HostdevPci(XElement node, XElement source)
    {
        yield return XmlProp.YesNo(source, "writeFiltering");
        if (source.El("address") is { } address)
        {
            yield return PciAddress(address) ?? Zpci(address.El("zpci"));
        }

        yield return XmlProp.Enum(node.El("driver"), "name", LibvirtEnums.DomainHostdevSubsysPCIBackend, PropFlags.NonZero);
    }

    /// <summary>virDomainHostdevSubsysUSBDefParseXML.</summary>
    private static IEnumerable<Problem?> HostdevUsb(XElement source)
    {
        yield return XmlProp.Enum(source, "startupPolicy", LibvirtEnums.DomainStartupPolicy, PropFlags.NonZero);
        yield return XmlProp.YesNo(source, "autoAddress");
        yield return XmlProp.Enum(source, "guestReset", LibvirtEnums.DomainHostdevSubsysUSBGuestReset, PropFlags.NonZero);
        var vendor = source.El("vendor");
        var product = source.El("product");
        if (vendor is not null)
        {
            yield return XmlProp.UInt(vendor, "id", 0, PropFlags.Required | PropFlags.NonZero);
            if (product is null)
            {
                yield return P(ErrorCode.InternalError, "missing product", vendor);
            }
        }

        if (product is not null)
        {
            yield return XmlProp.UInt(product, "id", 0, PropFlags.Required);
            if (vendor is null)
            {
                yield return P(ErrorCode.InternalError, "missing vendor", product);
            }
        }

        if (source.El("address") is { } address)
        {
            yield return XmlProp.UInt(address, "bus", 0, PropFlags.Required);
            yield return XmlProp.UInt(address, "device", 0, PropFlags.Required);
        }
    }

    /// <summary>virDomainHostdevSubsysSCSIDefParseXML: a host adapter or an iSCSI target.</summary>
    private static IEnumerable<Problem?> HostdevScsi(XElement source)
    {
        var protocol = source.A("protocol");
        if (protocol is not null && Array.IndexOf(LibvirtEnums.DomainHostdevSubsysSCSIProtocol, protocol) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"Unknown SCSI subsystem protocol '{protocol}'", source.Attribute("protocol"));
            yield break;
        }

        if (protocol != "iscsi")
        {
            var address = source.El("address");
            if (address is null)
            {
                yield return P(ErrorCode.XmlError, "'address' must be specified for scsi hostdev source", source);
                yield break;
            }

            yield return XmlProp.UInt(address, "bus", 0, PropFlags.Required);
            yield return XmlProp.UInt(address, "target", 0, PropFlags.Required);
            yield return XmlProp.UInt(address, "unit", 0, PropFlags.Required, ulong.MaxValue);
            if (string.IsNullOrEmpty(source.El("adapter").A("name")))
            {
                yield return P(ErrorCode.XmlError, "'adapter' name must be specified for scsi hostdev source", (XObject?)source.El("adapter") ?? source);
            }

            yield break;
        }

        if (source.A("name") is null)
        {
            yield return P(ErrorCode.XmlError, "missing iSCSI hostdev source path name", source);
        }

        var hosts = source.Els("host").ToList();
        foreach (var host in hosts)
        {
            yield return NetworkHost(host);
        }

        if (hosts.Count < 1)
        {
            yield return P(ErrorCode.XmlError, "missing the host address for the iSCSI hostdev", source);
        }

        if (hosts.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one source host address may be specified for the iSCSI hostdev", hosts[1]);
        }

        if (source.El("auth") is { } auth)
        {
            yield return Auth(auth);
            var secretType = auth.El("secret").A("type");
            if (secretType is null || Array.IndexOf(LibvirtEnums.SecretUsage, secretType) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"invalid secret type {secretType ?? "(null)"}", auth);
            }
            else if (secretType != "iscsi")
            {
                yield return P(ErrorCode.InternalError, $"hostdev invalid secret type '{secretType}'", auth);
            }
        }
    }

    /// <summary>virDomainHostdevSubsysSCSIVHostDefParseXML: a vhost-scsi target named by its WWPN.</summary>
    private static IEnumerable<Problem?> HostdevScsiHost(XElement source)
    {
        var protocol = source.A("protocol");
        if (protocol is null)
        {
            yield return P(ErrorCode.XmlError, "Missing scsi_host subsystem protocol", source);
            yield break;
        }

        if (Array.IndexOf(LibvirtEnums.DomainHostdevSubsysSCSIHostProtocol, protocol) <= 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"Unknown scsi_host subsystem protocol '{protocol}'", source.Attribute("protocol"));
            yield break;
        }

        var wwpn = source.A("wwpn");
        if (wwpn is null)
        {
            yield return P(ErrorCode.XmlError, "missing vhost-scsi hostdev source wwpn", source);
        }
        else if (!wwpn.StartsWith("naa.", StringComparison.Ordinal) || !ValidWwn(wwpn[4..]))
        {
            yield return P(ErrorCode.XmlError, "malformed 'wwpn' value", source.Attribute("wwpn"));
        }
    }

    /// <summary>virDomainHostdevSubsysMediatedDevDefParseXML: the mediated device's UUID.</summary>
    private static IEnumerable<Problem?> HostdevMdev(XElement source)
    {
        var address = source.El("address");
        if (address is null)
        {
            yield return P(ErrorCode.ConfigUnsupported, "Missing <address> element", source);
            yield break;
        }

        var uuid = address.A("uuid");
        if (uuid is null)
        {
            yield return P(ErrorCode.ConfigUnsupported, "Missing 'uuid' attribute for element <address>", address);
        }
        else if (!Uuids.TryParse(uuid, out _))
        {
            yield return P(ErrorCode.InternalError, "Cannot parse uuid attribute of element <address>", address.Attribute("uuid"));
        }
    }

    /// <summary>virDomainHostdevDefParseXMLCaps: a block device, a character device or a network interface.</summary>
    private static IEnumerable<Problem?> HostdevCaps(XElement node, string? type)
    {
        if (type is null)
        {
            yield return P(ErrorCode.XmlError, "missing source address type", node);
            yield break;
        }

        if (Array.IndexOf(LibvirtEnums.DomainHostdevCaps, type) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown host device source address type '{type}'", node);
            yield break;
        }

        var source = node.El("source");
        if (source is null)
        {
            yield return P(ErrorCode.XmlError, "Missing <source> element in hostdev device", node);
            yield break;
        }

        var (child, what) = type switch
        {
            "storage" => ("block", "Missing <block> element in hostdev storage device"),
            "misc" => ("char", "Missing <char> element in hostdev character device"),
            _ => ("interface", "Missing <interface> element in hostdev net device"),
        };
        if (string.IsNullOrEmpty(source.El(child)?.Value))
        {
            yield return P(ErrorCode.XmlError, what, source);
        }
    }

    /// <summary>virDomainNetTeamingInfoParseXML: a known teaming type when teaming is given.</summary>
    private static Problem? Teaming(XElement device)
    {
        var teaming = device.El("teaming");
        var type = teaming.A("type");
        if (string.IsNullOrEmpty(type) && string.IsNullOrEmpty(teaming.A("persistent")))
        {
            return null;
        }

        return Array.IndexOf(LibvirtEnums.DomainNetTeaming, type ?? string.Empty) <= 0
            ? P(ErrorCode.ConfigUnsupported, $"unknown teaming type '{(string.IsNullOrEmpty(type) ? "(null)" : type)}'", teaming!)
            : null;
    }

    /// <summary>virValidateWWN: 16 hexadecimal digits, optionally after 0x.</summary>
    private static bool ValidWwn(string wwn)
    {
        var digits = wwn.StartsWith("0x", StringComparison.Ordinal) ? wwn[2..] : wwn;
        return digits.Length == 16 && digits.All(char.IsAsciiHexDigit);
    }
}
