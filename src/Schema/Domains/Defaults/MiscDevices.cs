using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Domains.Devices;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    private static readonly string[] NetModels =
    [
        "netfront", "rtl8139", "virtio", "e1000", "e1000e", "virtio-transitional", "virtio-non-transitional",
        "usb-net", "spapr-vlan", "lan9118", "scm91c111", "vlance", "vmxnet", "vmxnet2", "vmxnet3", "Am79C970A",
        "Am79C973", "82540EM", "82545EM", "82543GC",
    ];

    /// <summary>Known interface models are matched case-insensitively and written in libvirt's spelling.</summary>
    private static void NormalizeNetModel(XElement net)
    {
        var model = net.El("model");
        if (model?.A("type") is { } type)
        {
            var known = NetModels.FirstOrDefault(m => m.Equals(type, StringComparison.OrdinalIgnoreCase));
            if (known is not null)
            {
                model.Set("type", known);
            }
        }
    }

    /// <summary>Device kinds with small format rules: device info, defaults and child order.</summary>
    private static void FormatOtherDevices(XElement devices)
    {
        FormatSmartcards(devices);
        foreach (var device in devices.Elements().ToList())
        {
            switch (device.Name.LocalName)
            {
                case "hostdev":
                    FormatHostdev(device);
                    break;
                case "redirdev":
                    device.Set("bus", device.A("bus") ?? "usb");
                    RebuildEmbeddedChardev(device, device.A("type") ?? "null");
                    DeviceInfo.Normalize(device, allowBoot: true, allowRom: false);
                    device.OrderAttributes(["bus", "type"]);
                    device.OrderChildren(["source", "protocol", "log", .. DeviceInfo.Order]);
                    break;
                case "redirfilter":
                    foreach (var usbdev in device.Els("usbdev"))
                    {
                        FormatRedirFilterUsbdev(usbdev);
                    }

                    if (!device.HasElements)
                    {
                        device.Remove();
                    }

                    break;
                case "filesystem":
                    device.Set("type", device.A("type") ?? "mount");
                    foreach (var mode in (string[])["fmode", "dmode"])
                    {
                        if (TryOctal(device.A(mode), out var m))
                        {
                            device.Set(mode, m == 0 ? null : Convert.ToString(m, 8).PadLeft(4, '0'));
                        }
                    }

                    DeviceInfo.Normalize(device, allowBoot: true, allowRom: false);
                    device.OrderAttributes(["type", "accessmode", "model", "multidevs", "fmode", "dmode"]);
                    device.OrderChildren(["driver", "binary", "idmap", "source", "target", "readonly", "space_hard_limit", "space_soft_limit", .. DeviceInfo.Order]);
                    break;
                case "input":
                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    device.OrderAttributes(["type", "bus", "model"]);
                    device.OrderChildren(["driver", "source", .. DeviceInfo.Order]);
                    break;
                case "sound":
                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    device.OrderAttributes(["model", "streams"]);
                    device.OrderChildren(["codec", "audio", .. DeviceInfo.Order]);
                    break;
                case "memballoon":
                    if (device.A("model") == "none")
                    {
                        // The device info of a balloon of model none is not read.
                        foreach (var name in DeviceInfo.Order)
                        {
                            device.Elements(name).Remove();
                        }
                    }

                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    device.OrderAttributes(["model", "autodeflate", "freePageReporting"]);
                    device.OrderChildren(["stats", .. DeviceInfo.Order, "driver"]);
                    break;
                case "rng":
                    var backend = device.El("backend");
                    if (backend?.A("model") == "egd")
                    {
                        var type = backend.A("type");
                        RebuildEmbeddedChardev(backend, type);
                    }

                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    device.OrderChildren(["rate", "backend", "driver", .. DeviceInfo.Order]);
                    device.El("rate")?.OrderAttributes(["bytes", "period"]);
                    break;
                case "shmem":
                    var model = device.El("model");
                    if (model is null)
                    {
                        model = new XElement("model", new XAttribute("type", "ivshmem"));
                        device.AddFirst(model);
                    }

                    model.Default("type", "ivshmem");
                    var size = device.El("size");
                    if (size is not null && ScaledInteger.TryParseULong(size.Value.Trim(), out var sv) &&
                        ScaledInteger.TryScale(sv, size.A("unit"), 1, ulong.MaxValue, out var bytes, out _))
                    {
                        size.SetText((bytes >> 20).ToString(CultureInfo.InvariantCulture));
                        size.Set("unit", "M");
                    }

                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    device.OrderAttributes(["name", "role"]);
                    device.OrderChildren(["model", "size", "server", "msi", .. DeviceInfo.Order]);
                    break;
                case "panic":
                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    if (!device.HasAttributes && !device.HasElements)
                    {
                        // virXMLFormatElement writes nothing for an empty element.
                        device.Remove();
                    }

                    break;
                case "watchdog":
                    device.Set("action", device.A("action") ?? "reset");
                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    device.OrderAttributes(["model", "action"]);
                    break;
                case "smartcard" or "hub" or "tpm" or "memory" or "iommu" or "vsock" or "nvram" or "lease" or "audio" or "crypto":
                    DeviceInfo.Normalize(device, allowBoot: false, allowRom: false);
                    break;
            }
        }
    }

    private static bool TryOctal(string? text, out uint value)
    {
        value = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (c is < '0' or > '7')
            {
                return false;
            }

            value = (value * 8) + (uint)(c - '0');
        }

        return true;
    }

    /// <summary>virDomainRedirFilterDefFormat: -1 means "any" and is not written; hex ids, BCD versions.</summary>
    private static void FormatRedirFilterUsbdev(XElement usbdev)
    {
        foreach (var (attr, width) in (ReadOnlySpan<(string, int)>)[("class", 2), ("vendor", 4), ("product", 4)])
        {
            var v = usbdev.A(attr);
            if (v is null || v == "-1")
            {
                usbdev.Set(attr, null);
            }
            else if (CNumber.TryParseUInt(v, 0, out var n))
            {
                usbdev.Set(attr, "0x" + n.ToString("X" + width.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
            }
        }

        var version = usbdev.A("version");
        if (version is "-1")
        {
            usbdev.Set("version", null);
        }
        else if (version is not null && version.Split('.') is [var major, var minor] &&
                 uint.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out var ma) &&
                 uint.TryParse(minor, NumberStyles.None, CultureInfo.InvariantCulture, out var mi))
        {
            // virDomainRedirFilterUSBVersionHelper reads "JJ.M" as JJ.M0; the BCD value is written as %d.%02d.
            if (minor.Length == 1)
            {
                mi *= 10;
            }

            usbdev.Set("version", string.Create(CultureInfo.InvariantCulture, $"{ma}.{mi:D2}"));
        }

        usbdev.Set("allow", XmlExtensions.IsYes(usbdev.A("allow")) ? "yes" : "no");
        usbdev.OrderAttributes(["class", "vendor", "product", "version", "allow"]);
    }
}
