using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Domains.Devices;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>virDomainHostdevDefFormat: managed always shown for subsystem devices, driver before source.</summary>
    private static void FormatHostdev(XElement hostdev)
    {
        var mode = hostdev.A("mode") ?? "subsystem";
        hostdev.Set("mode", mode);
        if (mode == "subsystem")
        {
            hostdev.Set("managed", XmlExtensions.IsYes(hostdev.A("managed")) ? "yes" : "no");
            var type = hostdev.A("type");
            if (type != "scsi")
            {
                hostdev.Set("sgio", null);
                hostdev.Set("rawio", null);
            }

            NormalizeHostdevSource(hostdev, includeTypeInAddress: false);
        }

        DeviceInfo.Normalize(hostdev, allowBoot: true, allowRom: true);
        hostdev.OrderAttributes(["mode", "type", "managed", "sgio", "rawio", "model", "display", "ramfb"]);
        hostdev.OrderChildren(["driver", "source", "capabilities", "teaming", "readonly", "shareable", .. DeviceInfo.Order]);
    }

    /// <summary>virDomainHostdevDefFormatSubsys: the source of a host device (also used by interface type='hostdev').</summary>
    internal static void NormalizeHostdevSource(XElement owner, bool includeTypeInAddress)
    {
        var source = owner.El("source");
        var type = owner.A("type");
        if (source is null)
        {
            return;
        }

        switch (type)
        {
            case "pci" or "hostdev":
                var address = source.El("address");
                if (address is not null)
                {
                    var domain = CNumber.TryParseUInt(address.A("domain"), 0, out var d) ? d : 0;
                    var bus = CNumber.TryParseUInt(address.A("bus"), 0, out var b) ? b : 0;
                    var slot = CNumber.TryParseUInt(address.A("slot"), 0, out var s) ? s : 0;
                    var function = CNumber.TryParseUInt(address.A("function"), 0, out var f) ? f : 0;
                    var normalized = new XElement("address");
                    if (includeTypeInAddress)
                    {
                        normalized.Set("type", "pci");
                    }

                    normalized.Set("domain", CNumber.Hex(domain, 4));
                    normalized.Set("bus", CNumber.Hex(bus, 2));
                    normalized.Set("slot", CNumber.Hex(slot, 2));
                    normalized.Set("function", "0x" + CNumber.Dec(function));
                    address.ReplaceWith(normalized);
                }

                // Original states are only written to status XML.
                source.El("origstates")?.Remove();
                source.OrderAttributes(["writeFiltering"]);
                break;
            case "usb":
                var vendor = source.El("vendor");
                var product = source.El("product");
                if (vendor is not null && CNumber.TryParseUInt(vendor.A("id"), 0, out var v) && v != 0)
                {
                    vendor.Set("id", CNumber.Hex(v, 4));
                    var p = CNumber.TryParseUInt(product.A("id"), 0, out var pv) ? pv : 0;
                    if (product is null)
                    {
                        product = new XElement("product");
                        vendor.AddAfterSelf(product);
                    }

                    product.Set("id", CNumber.Hex(p, 4));
                }

                var usbAddress = source.El("address");
                if (usbAddress is not null)
                {
                    var bus = CNumber.TryParseUInt(usbAddress.A("bus"), 0, out var ub) ? ub : 0;
                    var device = CNumber.TryParseUInt(usbAddress.A("device"), 0, out var ud) ? ud : 0;
                    if (bus == 0 && device == 0)
                    {
                        usbAddress.Remove();
                    }
                    else
                    {
                        var normalized = new XElement("address");
                        if (includeTypeInAddress)
                        {
                            normalized.Set("type", "usb");
                        }

                        normalized.Set("bus", CNumber.Dec(bus));
                        normalized.Set("device", CNumber.Dec(device));
                        usbAddress.ReplaceWith(normalized);
                    }
                }

                source.Set("missing", null);
                source.Set("autoAddress", null);
                source.OrderAttributes(["startupPolicy", "guestReset"]);
                source.OrderChildren(["vendor", "product", "address"]);
                break;
            case "scsi":
                if (source.A("protocol") == "iscsi")
                {
                    var host = source.El("host");
                    if (host is not null && (host.A("port") is null or "0"))
                    {
                        host.Set("port", "3260");
                    }

                    host?.OrderAttributes(["name", "port"]);
                    source.OrderAttributes(["protocol", "name"]);
                    source.OrderChildren(["host", "auth", "initiator"]);
                }
                else
                {
                    var scsiAddress = source.El("address");
                    if (scsiAddress is not null)
                    {
                        var normalized = new XElement("address");
                        if (includeTypeInAddress)
                        {
                            normalized.Set("type", "scsi");
                        }

                        normalized.Set("bus", CNumber.Dec(CNumber.TryParseUInt(scsiAddress.A("bus"), 0, out var sb) ? sb : 0));
                        normalized.Set("target", CNumber.Dec(CNumber.TryParseUInt(scsiAddress.A("target"), 0, out var st) ? st : 0));
                        normalized.Set("unit", CNumber.Dec(CNumber.TryParseULong(scsiAddress.A("unit"), 0, out var su) ? su : 0));
                        scsiAddress.ReplaceWith(normalized);
                    }

                    source.OrderChildren(["adapter", "address"]);
                }

                break;
            case "scsi_host":
                source.OrderAttributes(["protocol", "wwpn"]);
                break;
        }
    }

    /// <summary>Character devices embedded in other devices (redirdev, smartcard, RNG EGD backend) are formatted like chardevs.</summary>
    private static void RebuildEmbeddedChardev(XElement owner, string? type)
    {
        if (type is null)
        {
            return;
        }

        var sources = ChrDevice.ParseSource(owner, type).ToList();
        foreach (var e in owner.Elements().Where(e => e.Name.LocalName is "source" or "protocol" or "log").ToList())
        {
            e.Remove();
        }

        owner.AddFirst(sources);
    }

    private static void FormatSmartcards(XElement devices)
    {
        foreach (var card in devices.Els("smartcard"))
        {
            var mode = card.A("mode");
            if (mode == "passthrough")
            {
                RebuildEmbeddedChardev(card, card.A("type") ?? "pty");
                card.Set("type", card.A("type") ?? "pty");
            }

            DeviceInfo.Normalize(card, allowBoot: false, allowRom: false);
            card.OrderAttributes(["mode", "type"]);
            card.OrderChildren(["certificate", "database", "source", "protocol", "log", .. DeviceInfo.Order]);
        }
    }

    /// <summary>virDomainDefMaybeAddSmartcardController: smartcards without an address take the next CCID slot.</summary>
    private static void AssignSmartcardAddresses(XElement devices)
    {
        var cards = devices.Els("smartcard").ToList();

        // The highest slot on CCID controller 0 (kept up to date instead of searched for each card).
        var max = -1;
        foreach (var other in cards)
        {
            max = Math.Max(max, Controller0Slot(other.El("address")));
        }

        foreach (var card in cards)
        {
            if (card.El("address") is not null)
            {
                continue;
            }

            var address = new XElement("address",
                new XAttribute("type", "ccid"),
                new XAttribute("controller", 0),
                new XAttribute("slot", unchecked(max + 1).ToString(CultureInfo.InvariantCulture)));
            card.Add(address);
            max = Math.Max(max, Controller0Slot(address));
        }
    }

    private static int Controller0Slot(XElement? a)
    {
        if (a?.A("type") == "ccid" && (CNumber.TryParseUInt(a.A("controller"), 10, out var c) ? c : 0) == 0)
        {
            return CNumber.TryParseUInt(a.A("slot"), 10, out var s) ? (int)s : 0;
        }

        return -1;
    }
}
