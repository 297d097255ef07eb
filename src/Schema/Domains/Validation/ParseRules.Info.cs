using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

internal static partial class ParseRules
{
    /// <summary>virDomainDeviceInfoParseXML: master, boot order and loadparm, ROM, ACPI index and the address.</summary>
    private static IEnumerable<Problem?> Info(XElement device, bool allowBoot, bool allowRom)
    {
        yield return XmlProp.UInt(device.El("master"), "startport");
        var boot = allowBoot ? device.El("boot") : null;
        if (boot is not null)
        {
            yield return XmlProp.UInt(boot, "order", flags: PropFlags.Required | PropFlags.NonZero);
            if (boot.A("loadparm") is { } loadparm)
            {
                var upper = loadparm.ToUpperInvariant();
                if (upper.Length is 0 or > 8)
                {
                    yield return P(ErrorCode.InternalError, $"loadparm value '{upper}' must be between 1 and 8 characters", boot);
                }
                else if (upper.Any(c => !(char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c is '.' or ' ')))
                {
                    yield return P(ErrorCode.InternalError, $"invalid loadparm value '{upper}', expecting chars in set of [a-zA-Z0-9.] and blank spaces", boot);
                }
            }
        }

        var rom = allowRom ? device.El("rom") : null;
        if (rom is not null)
        {
            yield return XmlProp.YesNo(rom, "enabled");
            yield return XmlProp.OnOff(rom, "bar");
            if (rom.A("enabled") == "no" && (rom.A("bar") is not null || rom.A("file") is not null))
            {
                yield return P(ErrorCode.ConfigUnsupported, "ROM tuning is not supported when ROM is disabled", rom);
            }
        }

        yield return XmlProp.UInt(device.El("acpi"), "index", flags: PropFlags.NonZero);
        var address = device.El("address");
        if (address is not null)
        {
            yield return Address(address);
        }
    }

    /// <summary>virDomainDeviceAddressParseXML.</summary>
    private static Problem? Address(XElement address)
    {
        var type = address.A("type");
        if (type is null)
        {
            return P(ErrorCode.InternalError, "No type specified for device address", address);
        }

        if (Array.IndexOf(LibvirtEnums.DomainDeviceAddress, type) <= 0)
        {
            return P(ErrorCode.ConfigUnsupported, $"unknown address type '{type}'", address);
        }

        switch (type)
        {
            case "pci":
                return PciAddress(address) ?? Zpci(address.El("zpci"));
            case "drive":
                return XmlProp.UInt(address, "controller") ?? XmlProp.UInt(address, "bus") ??
                       XmlProp.UInt(address, "target") ?? XmlProp.UInt(address, "unit");
            case "virtio-serial":
                return XmlProp.UInt(address, "controller") ?? XmlProp.UInt(address, "bus") ?? XmlProp.UInt(address, "port");
            case "ccid":
                return XmlProp.UInt(address, "controller") ?? XmlProp.UInt(address, "slot");
            case "usb":
                if (address.A("port") is { } port && !ValidUsbPort(port))
                {
                    return P(ErrorCode.InternalError, "Cannot parse <address> 'port' attribute", address);
                }

                return XmlProp.UInt(address, "bus");
            case "spapr-vio":
                return XmlProp.UInt(address, "reg", 16, max: ulong.MaxValue);
            case "ccw":
                var p = XmlProp.UInt(address, "cssid", 0) ?? XmlProp.UInt(address, "ssid", 0) ?? XmlProp.UInt(address, "devno", 0);
                if (p is not null)
                {
                    return p;
                }

                var cssid = CNumber.TryParseUInt(address.A("cssid"), 0, out var c) ? c : 0;
                var ssid = CNumber.TryParseUInt(address.A("ssid"), 0, out var s) ? s : 0;
                var devno = CNumber.TryParseUInt(address.A("devno"), 0, out var n) ? n : 0;
                if (cssid > 0xfe || ssid > 3 || devno > 0xffff)
                {
                    return P(ErrorCode.InternalError, string.Create(CultureInfo.InvariantCulture,
                        $"Invalid specification for virtio ccw address: cssid='0x{cssid:x}' ssid='0x{ssid:x}' devno='0x{devno:x4}'"), address);
                }

                var set = (address.A("cssid") is not null ? 1 : 0) + (address.A("ssid") is not null ? 1 : 0) + (address.A("devno") is not null ? 1 : 0);
                return set is > 0 and < 3 ? P(ErrorCode.InternalError, "Invalid partial specification for virtio ccw address", address) : null;
            case "isa":
                return XmlProp.UInt(address, "iobase", 16) ?? XmlProp.UInt(address, "irq", 16);
            case "virtio-s390":
                return P(ErrorCode.XmlError, "virtio-s390 bus doesn't have an address", address);
            case "dimm":
                return XmlProp.UInt(address, "slot", flags: PropFlags.Required) ?? XmlProp.UInt(address, "base", 16, max: ulong.MaxValue);
            default:
                return null;
        }
    }

    /// <summary>virPCIDeviceAddressParseXML + virPCIDeviceAddressIsValid.</summary>
    private static Problem? PciAddress(XElement address)
    {
        var p = XmlProp.UInt(address, "domain", 0) ?? XmlProp.UInt(address, "bus", 0) ??
                XmlProp.UInt(address, "slot", 0) ?? XmlProp.UInt(address, "function", 0) ??
                XmlProp.OnOff(address, "multifunction");
        if (p is not null)
        {
            return p;
        }

        var domain = CNumber.TryParseUInt(address.A("domain"), 0, out var d) ? d : 0;
        var bus = CNumber.TryParseUInt(address.A("bus"), 0, out var b) ? b : 0;
        var slot = CNumber.TryParseUInt(address.A("slot"), 0, out var s) ? s : 0;
        var function = CNumber.TryParseUInt(address.A("function"), 0, out var f) ? f : 0;
        if (domain == 0 && bus == 0 && slot == 0)
        {
            return null;
        }

        string Hex(uint v) => v.ToString("x", CultureInfo.InvariantCulture);
        if (bus > 0xFF)
        {
            return P(ErrorCode.XmlError, $"Invalid PCI address bus='0x{Hex(bus)}', must be <= 0xFF", address);
        }

        if (slot > 0x1F)
        {
            return P(ErrorCode.XmlError, $"Invalid PCI address slot='0x{Hex(slot)}', must be <= 0x1F", address);
        }

        return function > 7 ? P(ErrorCode.XmlError, $"Invalid PCI address function=0x{Hex(function)}, must be <= 7", address) : null;
    }

    private static Problem? Zpci(XElement? zpci) =>
        zpci is null ? null : XmlProp.UInt(zpci, "uid", 0) ?? XmlProp.UInt(zpci, "fid", 0);

    /// <summary>A USB port path: up to four dot-separated numbers.</summary>
    private static bool ValidUsbPort(string port)
    {
        var parts = port.Split('.');
        return parts.Length <= 4 && parts.All(part => CNumber.TryParseUInt(part, 10, out _));
    }
}
