using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Domains.Devices;
using Reconciler.Schema.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    private static int ControllerIndex(XElement controller) =>
        CNumber.TryParseInt(controller.A("index"), out var i) && i >= 0 ? i : -1;

    private static string ControllerType(XElement controller) => controller.A("type") ?? "ide";

    private static bool IsUsb2Companion(XElement c) =>
        ControllerType(c) == "usb" && c.A("model") is "ich9-ehci1" or "ich9-uhci1" or "ich9-uhci2" or "ich9-uhci3";

    private static bool HasMaster(XElement c) =>
        c.El("master") is not null || (ControllerType(c) == "usb" && c.A("model") is "ich9-uhci1" or "ich9-uhci2" or "ich9-uhci3");

    /// <summary>
    /// virDomainControllerInsertPreAlloced: controllers of one type are kept sorted by index, a master before
    /// the companions of the same index; a controller without an index goes after the last of its type.
    /// </summary>
    private static List<XElement> InsertControllers(IEnumerable<XElement> controllers) =>
        SortedInsertion.Order(
            controllers,
            ControllerType,
            c => ControllerIndex(c) is var index and >= 0 ? (index, HasMaster(c) ? 1 : 0) : ((int, int)?)null);

    /// <summary>Parse-time controller handling: USB2 companions get their master port; sorted insertion.</summary>
    private static List<XElement> ParseControllers(XElement devices)
    {
        var all = devices.Els("controller").ToList();
        foreach (var c in all)
        {
            var type = ControllerType(c);
            c.Set("type", type);
            if (type == "usb" && c.A("model") == "none")
            {
                // The address of a 'none' USB controller is ignored.
                foreach (var e in c.Elements().Where(e => e.Name.LocalName is "address" or "alias" or "master" or "boot" or "acpi").ToList())
                {
                    e.Remove();
                }
            }

            if (type == "usb" && c.El("master") is null)
            {
                var port = c.A("model") switch
                {
                    "ich9-uhci1" => 0,
                    "ich9-uhci2" => 2,
                    "ich9-uhci3" => 4,
                    _ => -1,
                };
                if (port >= 0)
                {
                    c.Add(new XElement("master", new XAttribute("startport", port)));
                }
            }
        }

        return InsertControllers(all);
    }

    /// <summary>
    /// virDomainAssignControllerIndexes: the lowest free index; USB2 companions share their master's. (In
    /// 9.0.0 the controllers keep the order they were inserted in.)
    /// </summary>
    private static void AssignControllerIndexes(List<XElement> controllers)
    {
        for (var outer = 0; outer < controllers.Count; outer++)
        {
            var cont = controllers[outer];
            if (ControllerIndex(cont) != -1)
            {
                continue;
            }

            XElement? prev = null;
            if (outer > 0 && IsUsb2Companion(cont))
            {
                var prevIdx = outer - 1;
                while (prevIdx >= 0 && ControllerType(controllers[prevIdx]) != "usb")
                {
                    prevIdx--;
                }

                if (prevIdx >= 0)
                {
                    prev = controllers[prevIdx];
                }

                if (prev is not null && !IsUsb2Companion(prev))
                {
                    prev = null;
                }

                if (prev is not null && controllers.Any(c => ControllerType(c) == "usb" &&
                        ControllerIndex(c) == ControllerIndex(prev) && c.A("model") == cont.A("model")))
                {
                    prev = null;
                }

                if (prev is not null)
                {
                    cont.Set("index", ControllerIndex(prev));
                }
            }

            if (prev is null)
            {
                cont.Set("index", FindUnusedControllerIndex(controllers, ControllerType(cont)));
            }
        }
    }

    private static int FindUnusedControllerIndex(IReadOnlyList<XElement> controllers, string type)
    {
        var used = new HashSet<int>();
        foreach (var c in controllers)
        {
            if (ControllerType(c) == type)
            {
                used.Add(ControllerIndex(c));
            }
        }

        var idx = 0;
        while (used.Contains(idx))
        {
            idx++;
        }

        return idx;
    }

    /// <summary>virDomainDefMaybeAddController: appends a controller unless one of that type and index exists.</summary>
    private static void MaybeAddController(List<XElement> controllers, string type, int index)
    {
        if (index >= 0 && controllers.Any(c => ControllerType(c) == type && ControllerIndex(c) == index))
        {
            return;
        }

        if (index < 0)
        {
            index = FindUnusedControllerIndex(controllers, type);
        }

        controllers.Add(new XElement("controller", new XAttribute("type", type), new XAttribute("index", index)));
    }

    /// <summary>virDomainDefAddImplicitControllers: one per drive-address controller in use, virtio-serial, ccid, SCSI hostdevs.</summary>
    private static void AddImplicitControllers(List<XElement> controllers, List<XElement> disks, XElement devices)
    {
        foreach (var (controllerType, bus) in (ReadOnlySpan<(string, string)>)[("scsi", "scsi"), ("fdc", "fdc"), ("ide", "ide"), ("sata", "sata")])
        {
            var max = -1;
            foreach (var disk in disks)
            {
                if (disk.El("target").A("bus") != bus || DeviceInfo.AddressType(disk) != "drive")
                {
                    continue;
                }

                max = Math.Max(max, CNumber.TryParseUInt(disk.El("address").A("controller"), 10, out var c) ? (int)c : 0);
            }

            for (var i = 0; i <= max; i++)
            {
                MaybeAddController(controllers, controllerType, i);
            }
        }

        foreach (var chr in devices.Els("channel").Concat(devices.Els("console")))
        {
            if (chr.El("target").A("type") == "virtio")
            {
                var idx = DeviceInfo.AddressType(chr) == "virtio-serial" && CNumber.TryParseUInt(chr.El("address").A("controller"), 10, out var c) ? (int)c : 0;
                MaybeAddController(controllers, "virtio-serial", idx);
            }
        }

        foreach (var card in devices.Els("smartcard"))
        {
            var idx = 0;
            if (DeviceInfo.AddressType(card) == "ccid")
            {
                idx = CNumber.TryParseUInt(card.El("address").A("controller"), 10, out var c) ? (int)c : 0;
            }

            MaybeAddController(controllers, "ccid", idx);
        }

        var maxScsi = -1;
        string? model = null;
        foreach (var hostdev in devices.Els("hostdev"))
        {
            if (hostdev.A("mode") is not (null or "subsystem") || hostdev.A("type") != "scsi" || DeviceInfo.AddressType(hostdev) != "drive")
            {
                continue;
            }

            var c = CNumber.TryParseUInt(hostdev.El("address").A("controller"), 10, out var v) ? (int)v : 0;
            if (c > maxScsi)
            {
                maxScsi = c;
                var cont = controllers.FirstOrDefault(x => ControllerType(x) == "scsi" && ControllerIndex(x) == c);
                if (cont?.A("model") is { } m)
                {
                    model = m;
                }
            }
        }

        for (var i = 0; i <= maxScsi; i++)
        {
            if (!controllers.Any(c => ControllerType(c) == "scsi" && ControllerIndex(c) == i))
            {
                var added = new XElement("controller", new XAttribute("type", "scsi"), new XAttribute("index", i));
                if (model is not null)
                {
                    added.Set("model", model);
                }

                controllers.Add(added);
            }
        }
    }

    /// <summary>virDomainControllerDefFormat: attributes, the PCI model name and target, driver and info.</summary>
    private static void FormatController(XElement c)
    {
        var type = ControllerType(c);
        if (type == "pci")
        {
            var target = c.El("target");
            if (target is not null)
            {
                if (CNumber.TryParseInt(target.A("port"), out _) || target.A("port") is { } p && p.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                {
                    if (CNumber.TryParseUInt(target.A("port"), 0, out var port))
                    {
                        target.Set("port", "0x" + port.ToString("x", CultureInfo.InvariantCulture));
                    }
                }

                foreach (var a in (string[])["chassisNr", "chassis", "busNr", "index"])
                {
                    if (CNumber.TryParseUInt(target.A(a), 0, out var v))
                    {
                        target.Set(a, CNumber.Dec(v));
                    }
                }

                target.OrderAttributes(["chassisNr", "chassis", "port", "busNr", "index", "hotplug"]);
                if (!target.HasAttributes && !target.HasElements)
                {
                    target.Remove();
                }
            }

            var hole = c.El("pcihole64");
            if (hole is not null)
            {
                var kib = KiB(hole);
                if (kib is not null)
                {
                    SetKiB(hole, kib.Value);
                }
            }
        }
        else
        {
            c.El("target")?.Remove();
            c.El("model")?.Remove();
            c.El("pcihole64")?.Remove();
        }

        var driver = c.El("driver");
        if (driver is not null)
        {
            foreach (var a in (string[])["queues", "cmd_per_lun", "max_sectors", "iothread"])
            {
                if (driver.A(a) == "0")
                {
                    driver.Set(a, null);
                }
            }

            driver.OrderAttributes(["queues", "cmd_per_lun", "max_sectors", "ioeventfd", "iothread", "iommu", "ats", "packed", "page_per_vq"]);
            if (!driver.HasAttributes)
            {
                driver.Remove();
            }
        }

        if (type is not ("virtio-serial" or "usb"))
        {
            c.Set("ports", null);
        }

        if (type != "virtio-serial")
        {
            c.Set("vectors", null);
        }

        if (type != "xenbus")
        {
            c.Set("maxGrantFrames", null);
            c.Set("maxEventChannels", null);
        }

        DeviceInfo.Normalize(c, allowBoot: false, allowRom: false);
        c.OrderAttributes(["type", "index", "model", "ports", "vectors", "maxGrantFrames", "maxEventChannels"]);
        c.OrderChildren(["model", "target", "driver", .. DeviceInfo.Order, "pcihole64"]);
    }
}
