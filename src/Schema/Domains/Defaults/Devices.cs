using System.Xml.Linq;
using Reconciler.Schema.Domains.Devices;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>
    /// Device post-parse in libvirt's order: what the parser does while reading each device, the controller
    /// indexes, each device's own post-parse, then the implicit devices; finally each device is formatted.
    /// </summary>
    private static void ApplyDevices(SpecContext context, XElement root, XElement devices)
    {
        var arch = Arch(root);
        var osType = OsType(root);
        var hvm = osType == "hvm";

        // Parse time: disks and controllers are inserted sorted; parallel and console ports; primary video first.
        foreach (var disk in devices.Els("disk"))
        {
            ParseDisk(disk);
        }

        var disks = InsertDisks(devices);
        var controllers = ParseControllers(devices);
        var serials = devices.Els("serial").Select(ChrDevice.Parse).ToList();
        var parallels = devices.Els("parallel").Select(ChrDevice.Parse).ToList();
        var consoles = devices.Els("console").Select(ChrDevice.Parse).ToList();
        var channels = devices.Els("channel").Select(ChrDevice.Parse).ToList();
        var maxPort = -1;
        foreach (var parallel in parallels)
        {
            if (parallel.Port == -1)
            {
                // The highest port of the parallel ports before this one, plus one.
                parallel.Port = maxPort + 1;
            }

            maxPort = Math.Max(maxPort, parallel.Port);
        }

        for (var i = 0; i < consoles.Count; i++)
        {
            consoles[i].Port = i;
        }

        var videos = new List<XElement>();
        foreach (var video in devices.Els("video"))
        {
            if (video.El("model")?.A("primary") == "yes")
            {
                videos.Insert(0, video);
            }
            else
            {
                videos.Add(video);
            }
        }

        foreach (var input in devices.Els("input"))
        {
            ApplyInputBus(input, osType, arch, root.A("type"));
        }

        // Post-parse.
        AssignControllerIndexes(controllers);
        AssignIsaSerialPorts(serials);
        foreach (var disk in disks)
        {
            PostParseDisk(root, disk);
        }

        foreach (var hostdev in devices.Els("hostdev"))
        {
            PostParseHostdev(hostdev, disks, devices);
        }

        foreach (var list in (List<ChrDevice>[])[serials, parallels, channels, consoles])
        {
            foreach (var chr in list)
            {
                if (chr.DeviceType == "console" && chr.TargetType == "none")
                {
                    chr.TargetType = "serial";
                }

                if (chr.Port == -1 && chr.DeviceType is "serial" or "parallel" or "console")
                {
                    chr.Port = list.Select(c => c.Port).DefaultIfEmpty(-1).Max() + 1;
                }
            }
        }

        foreach (var fs in devices.Els("filesystem"))
        {
            if (fs.A("accessmode") is null && fs.El("source")?.A("socket") is null)
            {
                fs.Set("accessmode", "passthrough");
            }
        }

        foreach (var rng in devices.Els("rng"))
        {
            var backend = rng.El("backend");
            if (backend?.A("model") == "random" && string.IsNullOrWhiteSpace(backend.Value))
            {
                backend.SetText("/dev/random");
            }
        }

        foreach (var vsock in devices.Els("vsock"))
        {
            var cid = vsock.El("cid");
            if (cid?.A("auto") is null)
            {
                cid ??= new XElement("cid");
                if (cid.Parent is null)
                {
                    vsock.AddFirst(cid);
                }

                var address = cid.A("address");
                cid.Set("auto", address is not null && address != "0" ? "no" : "yes");
            }
        }

        // Post-parse common: implicit devices.
        ApplyConsoleCompat(hvm, serials, consoles);
        AssignSmartcardAddresses(devices);
        AddImplicitControllers(controllers, disks, devices);
        if (devices.Els("graphics").Any() && videos.Count == 0)
        {
            videos.Add(new XElement("video", new XElement("model")));
        }

        ApplyVideos(root, videos, osType, arch);

        // Formatting.
        foreach (var disk in disks)
        {
            FormatDisk(disk);
        }

        foreach (var controller in controllers)
        {
            FormatController(controller);
        }

        foreach (var graphics in devices.Els("graphics").ToList())
        {
            ApplyGraphics(root, graphics);
        }

        foreach (var net in devices.Els("interface"))
        {
            ApplyInterface(context, net);
        }

        FormatOtherDevices(devices);

        var formattedConsoles = new List<XElement>();
        for (var n = 0; n < consoles.Count; n++)
        {
            var console = consoles[n];
            if (hvm && console.TargetType is "serial" or "none" && n < serials.Count)
            {
                var alias = serials[n].Format("console", "serial");
                formattedConsoles.Add(alias);
            }
            else
            {
                formattedConsoles.Add(console.Format());
            }
        }

        ReplaceKinds(devices,
        [
            ("disk", disks),
            ("controller", controllers),
            ("serial", serials.ConvertAll(s => s.Format())),
            ("parallel", parallels.ConvertAll(s => s.Format())),
            ("console", formattedConsoles),
            ("channel", channels.ConvertAll(s => s.Format())),
            ("video", videos),
        ]);
        ApplyFeatures(root);
    }

    /// <summary>
    /// For each kind in turn, replaces every child named after it by its items, where the first such child
    /// was (at the end when there was none). The steps are played on a list of the children, which are then
    /// replaced once, and only when they changed (a definition in libvirt's form comes out as it went in):
    /// rebuilding them is costly, and removing thousands of elements one by one would be quadratic in LINQ
    /// to XML (each removal walks the sibling list).
    /// </summary>
    private static void ReplaceKinds(XElement devices, (string Name, List<XElement> Items)[] kinds)
    {
        var nodes = new List<XNode>(devices.Nodes());
        var next = new List<XNode>(nodes.Count);
        var changed = false;
        foreach (var (name, list) in kinds)
        {
            if (AlreadyInPlace(nodes, devices, name, list))
            {
                continue;
            }

            foreach (var item in list)
            {
                if (item.Parent is { } parent && parent != devices)
                {
                    item.Remove();
                }
            }

            var moving = new HashSet<XElement>(list);
            var xname = XName.Get(name);
            var placed = false;
            next.Clear();
            foreach (var node in nodes)
            {
                if (node is XElement element && (element.Name == xname || moving.Contains(element)))
                {
                    if (!placed && element.Name == xname)
                    {
                        next.AddRange(list);
                        placed = true;
                    }

                    continue;
                }

                next.Add(node);
            }

            if (!placed)
            {
                next.AddRange(list);
            }

            (nodes, next) = (next, nodes);
            changed = true;
        }

        if (changed && !SameNodes(devices, nodes))
        {
            devices.ReplaceNodes(nodes);
        }
    }

    /// <summary>
    /// Whether replacing the children named <paramref name="name"/> by <paramref name="list"/> would leave
    /// <paramref name="nodes"/> (the children as they stand) as they are: the items are the children of that
    /// name, already side by side in that order (so always on a definition read back, or stored, in
    /// libvirt's form).
    /// </summary>
    private static bool AlreadyInPlace(List<XNode> nodes, XElement devices, string name, List<XElement> list)
    {
        var i = 0;
        if (list.Count == 0 || list[0].Parent != devices || !list[0].Is(name))
        {
            if (list.Count != 0)
            {
                return false;
            }

            for (; i < nodes.Count; i++)
            {
                if ((nodes[i] as XElement).Is(name))
                {
                    return false;
                }
            }

            return true;
        }

        // Nothing of the kind before the first item, the items next to each other, nothing of the kind after.
        for (; i < nodes.Count && nodes[i] != list[0]; i++)
        {
            if ((nodes[i] as XElement).Is(name))
            {
                return false;
            }
        }

        foreach (var item in list)
        {
            if (i >= nodes.Count || nodes[i] != item)
            {
                return false;
            }

            i++;
        }

        for (; i < nodes.Count; i++)
        {
            if ((nodes[i] as XElement).Is(name))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="nodes"/> are the children of <paramref name="devices"/>, in that order.</summary>
    private static bool SameNodes(XElement devices, List<XNode> nodes)
    {
        var i = 0;
        for (var node = devices.FirstNode; node is not null; node = node.NextNode, i++)
        {
            if (i >= nodes.Count || nodes[i] != node)
            {
                return false;
            }
        }

        return i == nodes.Count;
    }

    /// <summary>virDomainChrIsaSerialDefPostParse: explicit isa-serial ports get the lowest free port.</summary>
    private static void AssignIsaSerialPorts(List<ChrDevice> serials)
    {
        var used = new bool[4];
        foreach (var s in serials.Where(s => s.TargetType == "isa-serial" && s.Port is >= 0 and < 4))
        {
            used[s.Port] = true;
        }

        foreach (var s in serials.Where(s => s.TargetType == "isa-serial" && s.Port == -1))
        {
            for (var j = 0; j < used.Length; j++)
            {
                if (!used[j])
                {
                    s.Port = j;
                    used[j] = true;
                    break;
                }
            }
        }
    }

    /// <summary>virDomainDefAddConsoleCompat: the first console of an HVM guest is an alias of the first serial port.</summary>
    private static void ApplyConsoleCompat(bool hvm, List<ChrDevice> serials, List<ChrDevice> consoles)
    {
        if (!hvm)
        {
            return;
        }

        if (consoles.Count > 0 && consoles[0].TargetType is "serial" or "none")
        {
            if (serials.Count == 0)
            {
                var moved = consoles[0];
                var serial = new ChrDevice
                {
                    DeviceType = "serial",
                    Type = moved.Type,
                    TargetType = "none",
                    Port = 0,
                    Original = moved.Original,
                    TargetExtra = moved.TargetExtra,
                    Source = moved.Source,
                };
                serials.Add(serial);
                consoles[0] = Stub(moved.Original);
            }
            else if (!serials[0].SameSourceAs(consoles[0]))
            {
                consoles[0] = Stub(consoles[0].Original);
            }
        }
        else if (serials.Count > 0 && serials[0].TargetType is "isa-serial" or "spapr-vio-serial" or "system-serial" or "sclp-serial" or "none")
        {
            consoles.Insert(0, Stub(new XElement("console")));
        }

        static ChrDevice Stub(XElement original) => new()
        {
            DeviceType = "console",
            Type = "null",
            TargetType = "serial",
            Port = 0,
            Original = new XElement("console"),
        };
    }

    /// <summary>
    /// The test driver picks the default video model (cirrus; xen for Xen guests; vga on ppc64), then
    /// virDomainVideoDefPostParse fills (V)RAM and the first video becomes the primary one.
    /// </summary>
    private static void ApplyVideos(XElement root, List<XElement> videos, string osType, string arch)
    {
        for (var i = 0; i < videos.Count; i++)
        {
            var video = videos[i];
            var model = video.El("model");
            if (model is null)
            {
                model = new XElement("model");
                video.Add(model);
            }

            var type = model.A("type");
            if (type is null or "default")
            {
                type = osType is "xen" or "linux" ? "xen" : IsPpc64(arch) ? "vga" : "cirrus";
            }

            model.Set("type", type);
            model.Set("primary", null);
            if (i == 0 && type == "none")
            {
                // A 'none' video keeps nothing but its type (and a user alias).
                video.Elements().Where(e => e.Name.LocalName is not ("model" or "alias")).Remove();
                model.RemoveAttributes();
                model.RemoveNodes();
                model.Set("type", "none");
                DeviceInfo.Normalize(video, allowBoot: false, allowRom: false);
                continue;
            }

            model.Default("heads", "1");
            var virt = root.A("type");
            if (type == "qxl" && (model.A("ram") is null or "0"))
            {
                model.Set("ram", DefaultVideoRam(type, virt));
            }

            if (model.A("vram") is null or "0")
            {
                model.Set("vram", DefaultVideoRam(type, virt));
            }

            foreach (var a in (string[])["ram", "vram"])
            {
                if (CNumber.TryParseUInt(model.A(a), 10, out var v))
                {
                    model.Set(a, v == 0 ? null : CNumber.Dec(RoundUpPowerOfTwo(v)));
                }
            }

            foreach (var a in (string[])["vram64", "vgamem", "heads"])
            {
                if (model.A(a) == "0")
                {
                    model.Set(a, null);
                }
            }

            if (i == 0)
            {
                model.Set("primary", "yes");
            }

            model.OrderAttributes(["type", "ram", "vram", "vram64", "vgamem", "heads", "primary"]);
            model.OrderChildren(["acceleration", "resolution"]);
            model.El("acceleration")?.OrderAttributes(["accel3d", "accel2d", "rendernode"]);
            var driver = video.El("driver");
            if (driver?.A("vgaconf") is { } vgaconf && Array.IndexOf(Reconciler.Schema.Validation.LibvirtEnums.DomainVideoVGAConf, vgaconf) < 0)
            {
                // libvirt ignores a driver whose vgaconf it cannot read.
                driver.Set("vgaconf", null);
            }

            driver?.OrderAttributes(["iommu", "ats", "packed", "page_per_vq", "vgaconf", "name"]);
            DeviceInfo.Normalize(video, allowBoot: false, allowRom: false);
            video.OrderChildren(["driver", "model", .. DeviceInfo.Order]);
        }
    }

    private static string? DefaultVideoRam(string type, string? virt)
    {
        var kib = type switch
        {
            "vga" or "cirrus" or "vmvga" => virt == "vbox" ? 8 * 1024 : virt == "vmware" ? 4 * 1024 : 16 * 1024,
            "bochs" => 16 * 1024,
            "xen" => 4 * 1024,
            "qxl" => 64 * 1024,
            _ => 0,
        };
        return kib == 0 ? null : kib.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static uint RoundUpPowerOfTwo(uint v)
    {
        if (v == 0)
        {
            return 0;
        }

        var p = 1u;
        while (p < v && p != 0x80000000)
        {
            p <<= 1;
        }

        return p < v ? v : p;
    }

    /// <summary>virDomainInputDefParseXML: the bus an input device gets when none is written.</summary>
    private static void ApplyInputBus(XElement input, string osType, string arch, string? virtType)
    {
        if (input.A("bus") is not null)
        {
            return;
        }

        var type = input.A("type");
        string? bus = null;
        if (osType == "hvm")
        {
            if (type is "mouse" or "keyboard" && IsX86(arch))
            {
                bus = "ps2";
            }
            else if (IsS390(arch) || type == "passthrough")
            {
                bus = "virtio";
            }
            else if (type == "evdev")
            {
                bus = null;
            }
            else
            {
                bus = "usb";
            }
        }
        else if (osType is "xen" or "xenpvh")
        {
            bus = "xen";
        }
        else if (virtType is "vz" or "parallels")
        {
            bus = "parallels";
        }

        input.Set("bus", bus);
    }

    /// <summary>virDomainHostdevDefPostParse: SCSI hostdevs get a drive address on the first free unit.</summary>
    private static void PostParseHostdev(XElement hostdev, List<XElement> disks, XElement devices)
    {
        if ((hostdev.A("mode") ?? "subsystem") != "subsystem" || hostdev.A("type") != "scsi")
        {
            return;
        }

        var source = hostdev.El("source");
        if (source?.A("protocol") == "iscsi" && source.A("name") is { } name && !name.Contains('/'))
        {
            source.Set("name", name + "/0");
        }

        if (hostdev.El("address") is not null)
        {
            return;
        }

        for (var controller = 0; ; controller++)
        {
            for (var unit = 0; unit < 7; unit++)
            {
                if (!DriveAddressUsed(devices, disks, controller, unit))
                {
                    hostdev.Add(new XElement("address",
                        new XAttribute("type", "drive"),
                        new XAttribute("controller", controller),
                        new XAttribute("bus", 0),
                        new XAttribute("target", 0),
                        new XAttribute("unit", unit)));
                    return;
                }
            }
        }
    }

    private static bool DriveAddressUsed(XElement devices, List<XElement> disks, int controller, int unit)
    {
        bool Matches(XElement? address) =>
            address?.A("type") == "drive" &&
            (CNumber.TryParseUInt(address.A("controller"), 10, out var c) ? c : 0) == controller &&
            (CNumber.TryParseUInt(address.A("bus"), 10, out var b) ? b : 0) == 0 &&
            (CNumber.TryParseUInt(address.A("target"), 10, out var t) ? t : 0) == 0 &&
            (CNumber.TryParseUInt(address.A("unit"), 10, out var u) ? u : 0) == unit;

        return disks.Any(d => d.El("target").A("bus") == "scsi" && Matches(d.El("address"))) ||
               devices.Els("hostdev").Any(h => h.A("type") == "scsi" && Matches(h.El("address")));
    }
}
