using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Devices;

/// <summary>
/// virDomainDeviceInfo: what every device may carry — boot order, alias, USB master, ROM, ACPI index and
/// address — normalized as virDomainDeviceInfoParseXML reads it and virDomainDeviceInfoFormat writes it.
/// </summary>
internal static class DeviceInfo
{
    private const string UserAliasChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";

    /// <summary>The order of the info elements as virDomainDeviceInfoFormat writes them.</summary>
    public static readonly string[] Order = ["boot", "alias", "master", "rom", "acpi", "address"];

    /// <summary>Normalizes the info children of <paramref name="device"/> in place.</summary>
    public static void Normalize(XElement device, bool allowBoot, bool allowRom)
    {
        var alias = device.El("alias");
        if (alias is not null)
        {
            // Inactive XML keeps only user aliases ("ua-" and a restricted alphabet).
            var name = alias.A("name");
            if (name is null || !name.StartsWith("ua-", StringComparison.Ordinal) || name.Any(c => !UserAliasChars.Contains(c)))
            {
                alias.Remove();
            }
            else
            {
                alias.RemoveNodes();
                KeepOnly(alias, "name");
            }
        }

        var boot = device.El("boot");
        if (boot is not null)
        {
            if (!allowBoot || boot.A("order") is null)
            {
                boot.Remove();
            }
            else
            {
                if (CNumber.TryParseUInt(boot.A("order"), 10, out var order))
                {
                    boot.Set("order", CNumber.Dec(order));
                }

                if (boot.A("loadparm") is { } loadparm)
                {
                    boot.Set("loadparm", loadparm.ToUpperInvariant());
                }

                KeepOnly(boot, "order", "loadparm");
            }
        }

        var master = device.El("master");
        if (master is not null)
        {
            master.Set("startport", CNumber.TryParseUInt(master.A("startport"), 10, out var sp) ? CNumber.Dec(sp) : "0");
            KeepOnly(master, "startport");
        }

        var rom = device.El("rom");
        if (rom is not null)
        {
            if (!allowRom || !rom.HasAttributes)
            {
                rom.Remove();
            }
            else
            {
                rom.OrderAttributes(["enabled", "bar", "file"]);
            }
        }

        var acpi = device.El("acpi");
        if (acpi is not null)
        {
            if (acpi.A("index") is null)
            {
                acpi.Remove();
            }
            else if (CNumber.TryParseUInt(acpi.A("index"), 10, out var index))
            {
                acpi.Set("index", CNumber.Dec(index));
            }
        }

        var address = device.El("address");
        if (address is not null)
        {
            NormalizeAddress(address);
        }
    }

    /// <summary>The address type, or null when the device has none.</summary>
    public static string? AddressType(XElement device) => device.El("address").A("type");

    /// <summary>virDomainDeviceInfoFormat: each address type with its own fields and number formats.</summary>
    public static void NormalizeAddress(XElement address)
    {
        // Only the fields of the address type are read (and written).
        KeepOnly(address, address.A("type") switch
        {
            "pci" => ["type", "domain", "bus", "slot", "function", "multifunction"],
            "drive" => ["type", "controller", "bus", "target", "unit"],
            "virtio-serial" => ["type", "controller", "bus", "port"],
            "ccid" => ["type", "controller", "slot"],
            "usb" => ["type", "bus", "port"],
            "spapr-vio" => ["type", "reg"],
            "ccw" => ["type", "cssid", "ssid", "devno"],
            "isa" => ["type", "iobase", "irq"],
            "dimm" => ["type", "slot", "base"],
            "virtio-mmio" or "virtio-s390" or "unassigned" or "none" => ["type"],
            _ => [.. address.Attributes().Select(a => a.Name.LocalName)],
        });

        switch (address.A("type"))
        {
            case "pci":
                var domain = UInt(address, "domain", 0);
                var bus = UInt(address, "bus", 0);
                var slot = UInt(address, "slot", 0);
                var function = UInt(address, "function", 0);
                if (domain != 0 || bus != 0 || slot != 0)
                {
                    address.Set("domain", CNumber.Hex(domain, 4));
                    address.Set("bus", CNumber.Hex(bus, 2));
                    address.Set("slot", CNumber.Hex(slot, 2));
                    address.Set("function", "0x" + CNumber.Dec(function));
                }
                else
                {
                    address.Set("domain", null);
                    address.Set("bus", null);
                    address.Set("slot", null);
                    address.Set("function", null);
                }

                address.OrderAttributes(["type", "domain", "bus", "slot", "function", "multifunction"]);
                var zpci = address.El("zpci");
                if (zpci is not null)
                {
                    if (zpci.A("uid") is null && zpci.A("fid") is null)
                    {
                        // Both are generated by the QEMU driver; an incomplete zPCI address is not formatted.
                        zpci.Remove();
                    }
                    else
                    {
                        zpci.Set("uid", CNumber.Hex(UInt(zpci, "uid", 0), 4));
                        zpci.Set("fid", CNumber.Hex(UInt(zpci, "fid", 0), 8));
                        zpci.OrderAttributes(["uid", "fid"]);
                    }
                }

                break;
            case "drive":
                Decimal(address, "controller", "bus", "target", "unit");
                break;
            case "virtio-serial":
                Decimal(address, "controller", "bus", "port");
                break;
            case "ccid":
                Decimal(address, "controller", "slot");
                break;
            case "usb":
                address.Set("bus", CNumber.Dec(UInt(address, "bus", 0)));
                address.OrderAttributes(["type", "bus", "port"]);
                break;
            case "spapr-vio":
                if (CNumber.TryParseULong(address.A("reg"), 16, out var reg))
                {
                    address.Set("reg", CNumber.Hex(reg, 8));
                }

                break;
            case "ccw":
                address.Set("cssid", "0x" + UInt(address, "cssid", 0).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                address.Set("ssid", "0x" + UInt(address, "ssid", 0).ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                address.Set("devno", CNumber.Hex(UInt(address, "devno", 0), 4));
                address.OrderAttributes(["type", "cssid", "ssid", "devno"]);
                break;
            case "isa":
                HexIfPositive(address, "iobase");
                HexIfPositive(address, "irq");
                address.OrderAttributes(["type", "iobase", "irq"]);
                break;
            case "dimm":
                address.Set("slot", CNumber.Dec(UInt(address, "slot", 10)));
                if (CNumber.TryParseULong(address.A("base"), 16, out var b) && b != 0)
                {
                    address.Set("base", "0x" + b.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                }
                else
                {
                    address.Set("base", null);
                }

                address.OrderAttributes(["type", "slot", "base"]);
                break;
        }
    }

    private static void Decimal(XElement address, params string[] fields)
    {
        foreach (var f in fields)
        {
            address.Set(f, CNumber.Dec(UInt(address, f, 10)));
        }

        address.OrderAttributes(["type", .. fields]);
    }

    private static void HexIfPositive(XElement address, string name)
    {
        var v = UInt(address, name, 16);
        address.Set(name, v > 0 ? "0x" + v.ToString("x", System.Globalization.CultureInfo.InvariantCulture) : null);
    }

    private static uint UInt(XElement element, string name, int numberBase) =>
        CNumber.TryParseUInt(element.A(name), numberBase, out var v) ? v : 0;

    private static void KeepOnly(XElement element, params string[] names)
    {
        foreach (var a in element.Attributes().ToList())
        {
            if (!names.Contains(a.Name.LocalName))
            {
                a.Remove();
            }
        }
    }
}
