using System.Xml.Linq;
using Reconciler.Schema.Domains.Devices;
using Reconciler.Schema.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    private static readonly string[] DiskChildOrder =
    [
        "driver", "auth", "source", "backingStore", "backenddomain", "geometry", "blockio", "mirror", "target",
        "iotune", "readonly", "shareable", "transient", "serial", "wwn", "vendor", "product", "encryption",
        .. DeviceInfo.Order,
    ];

    private static readonly string[] DriverAttributeOrder =
    [
        "name", "type", "cache", "error_policy", "rerror_policy", "io", "ioeventfd", "event_idx", "copy_on_read",
        "discard", "iothread", "detect_zeroes", "queues", "queue_size", "iommu", "ats", "packed", "page_per_vq",
    ];

    /// <summary>virDiskNameToIndex: "sda" → 0, "hdz" → 25, "vdaa" → 26; -1 when the name is not a disk name.</summary>
    internal static int DiskNameToIndex(string? name)
    {
        if (name is null)
        {
            return -1;
        }

        string[] prefixes = ["fd", "hd", "vd", "sd", "xvd", "ubd"];
        var start = -1;
        foreach (var p in prefixes)
        {
            if (name.StartsWith(p, StringComparison.Ordinal))
            {
                start = p.Length;
                break;
            }
        }

        if (start < 0 || start >= name.Length || name[start] is < 'a' or > 'z')
        {
            return -1;
        }

        var idx = 0;
        var i = 0;
        var pos = start;
        for (; pos < name.Length && name[pos] is >= 'a' and <= 'z'; pos++, i++)
        {
            idx = (idx + (i < 1 ? 0 : 1)) * 26;
            idx += name[pos] - 'a';
        }

        for (; pos < name.Length; pos++)
        {
            if (!char.IsAsciiDigit(name[pos]))
            {
                return -1;
            }
        }

        return idx;
    }

    /// <summary>virDomainDiskInsert: disks on the same (written) bus are kept in the order of their target names.</summary>
    private static List<XElement> InsertDisks(XElement devices) =>
        SortedInsertion.Order(
            devices.Els("disk"),
            disk => disk.El("target").A("bus"),
            disk => disk.El("target").A("dev") is { } dst ? DiskNameToIndex(dst) : (int?)null);

    /// <summary>The bus libvirt infers from a disk's target name when none is given (virDomainDiskDefPostParse).</summary>
    internal static string DefaultDiskBus(string device, string? dst)
    {
        if (device == "floppy")
        {
            return "fdc";
        }

        if (dst is null)
        {
            return "ide";
        }

        return dst switch
        {
            _ when dst.StartsWith("hd", StringComparison.Ordinal) => "ide",
            _ when dst.StartsWith("sd", StringComparison.Ordinal) => "scsi",
            _ when dst.StartsWith("vd", StringComparison.Ordinal) => "virtio",
            _ when dst.StartsWith("xvd", StringComparison.Ordinal) => "xen",
            _ when dst.StartsWith("ubd", StringComparison.Ordinal) => "uml",
            _ => "ide",
        };
    }

    /// <summary>Parse-time disk normalization (virDomainDiskDefParseXML and the storage source parser).</summary>
    private static void ParseDisk(XElement disk)
    {
        var source = disk.El("source");
        var type = disk.A("type") ?? "file";
        if (source is null)
        {
            // Without <source> the type is reset to file.
            type = "file";
        }

        disk.Set("type", type);
        disk.Set("device", disk.A("device") ?? "disk");

        var target = disk.El("target");
        if (target?.A("dev") is { } dev && dev.StartsWith("ioemu:", StringComparison.Ordinal))
        {
            target.Set("dev", dev["ioemu:".Length..]);
        }

        // Mirrors are only read from live XML.
        disk.El("mirror")?.Remove();

        if (source is not null)
        {
            source.Set("index", null);
            NormalizeStorageSource(source, type, isDiskSource: true);
        }

        var driver = disk.El("driver");
        if (driver is not null)
        {
            if (driver.A("type") == "aio")
            {
                driver.Set("type", "raw");
            }

            if (driver.A("iothread") == "0")
            {
                driver.Set("iothread", null);
            }

            foreach (var zero in (string[])["queues", "queue_size"])
            {
                if (driver.A(zero) == "0")
                {
                    driver.Set(zero, null);
                }
            }

            NormalizeMetadataCache(driver);
            driver.OrderAttributes(DriverAttributeOrder);
            if (!driver.HasAttributes && !driver.HasElements)
            {
                driver.Remove();
            }
        }

        NormalizeBackingStore(disk);
    }

    /// <summary>virDomainDiskDefPostParse: bus from the target name, CD-ROMs read-only, snapshot and addresses.</summary>
    private static void PostParseDisk(XElement root, XElement disk)
    {
        var device = disk.A("device") ?? "disk";
        var target = disk.El("target");
        if (target is not null)
        {
            if (target.A("bus") is null)
            {
                target.Set("bus", DefaultDiskBus(device, target.A("dev")));
            }

            if (device is not ("floppy" or "cdrom") || target.A("tray") == "closed")
            {
                target.Set("tray", null);
            }

            if (target.A("bus") != "usb")
            {
                target.Set("removable", null);
            }

            if (target.A("rotation_rate") == "0")
            {
                target.Set("rotation_rate", null);
            }

            target.OrderAttributes(["dev", "bus", "tray", "removable", "rotation_rate"]);
        }

        if (device == "cdrom" && disk.El("readonly") is null)
        {
            disk.Add(new XElement("readonly"));
        }

        var readOnly = disk.El("readonly") is not null;
        if (disk.A("type") == "vhostuser" && disk.A("snapshot") is null)
        {
            disk.Set("snapshot", "no");
        }

        if (readOnly && disk.A("snapshot") is null or "no")
        {
            // snapshot='no' is the default for read-only disks and is not formatted for them.
            disk.Set("snapshot", null);
        }

        if (disk.A("type") == "network" && disk.El("source") is { } source && source.A("protocol") == "iscsi" &&
            source.A("name") is { } name && !name.Contains('/'))
        {
            source.Set("name", name + "/0");
        }

        if (disk.A("type") == "nvme")
        {
            disk.El("source")?.Default("managed", "yes");
        }

        if (disk.El("address") is null && target?.A("dev") is { } dst)
        {
            AssignDriveAddress(root, disk, target.A("bus")!, dst);
        }
    }

    /// <summary>virDomainDiskDefAssignAddress: the drive address a disk's target name implies on its bus.</summary>
    private static void AssignDriveAddress(XElement root, XElement disk, string bus, string dst)
    {
        var idx = DiskNameToIndex(dst);
        if (idx < 0)
        {
            return;
        }

        (int Controller, int Bus, int Unit)? addr = bus switch
        {
            "scsi" => (idx / 7, 0, idx % 7),
            "ide" => (idx / 4, (idx % 4) / 2, idx % 2),
            "sata" => (idx / 6, 0, idx % 6),
            "fdc" => (idx / 2, 0, idx % 2),
            _ => null,
        };

        if (addr is null)
        {
            return;
        }

        disk.Add(new XElement("address",
            new XAttribute("type", "drive"),
            new XAttribute("controller", addr.Value.Controller),
            new XAttribute("bus", addr.Value.Bus),
            new XAttribute("target", 0),
            new XAttribute("unit", addr.Value.Unit)));
    }

    /// <summary>Formatting of a disk once everything is known: child order and the device info.</summary>
    private static void FormatDisk(XElement disk)
    {
        DeviceInfo.Normalize(disk, allowBoot: true, allowRom: false);
        foreach (var name in (string[])["serial", "wwn", "vendor", "product"])
        {
            var e = disk.El(name);
            if (e is not null && e.Value.Length == 0)
            {
                e.Remove();
            }
        }

        var geometry = disk.El("geometry");
        geometry?.OrderAttributes(["cyls", "heads", "secs", "trans"]);
        var blockio = disk.El("blockio");
        if (blockio is not null)
        {
            foreach (var a in (string[])["logical_block_size", "physical_block_size"])
            {
                if (blockio.A(a) == "0")
                {
                    blockio.Set(a, null);
                }
            }

            blockio.OrderAttributes(["logical_block_size", "physical_block_size"]);
            if (!blockio.HasAttributes)
            {
                blockio.Remove();
            }
        }

        var transient = disk.El("transient");
        if (transient is not null && transient.A("shareBacking") != "yes")
        {
            transient.Set("shareBacking", null);
        }

        disk.OrderAttributes(["type", "device", "model", "rawio", "sgio", "snapshot"]);
        disk.OrderChildren(DiskChildOrder);
    }

    /// <summary>metadata_cache/max_size is stored in bytes.</summary>
    private static void NormalizeMetadataCache(XElement parent)
    {
        var size = parent.El("metadata_cache")?.El("max_size");
        if (size is null)
        {
            return;
        }

        if (ScaledInteger.TryParseULong(size.Value.Trim(), out var v) &&
            ScaledInteger.TryScale(v, size.A("unit"), 1, ulong.MaxValue, out var bytes, out _) && bytes > 0)
        {
            size.SetText(ScaledInteger.Format(bytes));
            size.Set("unit", "bytes");
        }
        else
        {
            parent.El("metadata_cache")!.Remove();
        }
    }

    /// <summary>A backing chain written by the user: no index in inactive XML, format before source.</summary>
    private static void NormalizeBackingStore(XElement parent)
    {
        var backing = parent.El("backingStore");
        if (backing is null)
        {
            return;
        }

        backing.Set("index", null);
        if (backing.A("type") is null && !backing.HasElements)
        {
            backing.RemoveAttributes();
            return;
        }

        var type = backing.A("type") ?? "file";
        var source = backing.El("source");
        if (source is not null)
        {
            source.Set("index", null);
            NormalizeStorageSource(source, type, isDiskSource: false);
        }

        var format = backing.El("format");
        if (format is not null)
        {
            NormalizeMetadataCache(format);
        }

        backing.OrderAttributes(["type", "index"]);
        backing.OrderChildren(["format", "source", "backingStore"]);
        NormalizeBackingStore(backing);
    }

    /// <summary>virDomainDiskSourceFormat: attributes and children of a storage source in libvirt's order.</summary>
    internal static void NormalizeStorageSource(XElement source, string type, bool isDiskSource)
    {
        if (type == "network")
        {
            var defaultPort = source.A("protocol") switch
            {
                "http" => 80,
                "https" => 443,
                "ftp" => 21,
                "ftps" => 990,
                "tftp" => 69,
                "sheepdog" => 7000,
                "nbd" => 10809,
                "ssh" => 22,
                "iscsi" => 3260,
                "gluster" => 24007,
                "vxhs" => 9999,
                _ => 0,
            };
            foreach (var host in source.Els("host"))
            {
                // virStorageSourceNetworkAssignDefaultPorts: TCP hosts without a port get the protocol's.
                if ((host.A("port") is null or "0") && host.A("transport") is null or "tcp" && defaultPort != 0)
                {
                    host.Set("port", defaultPort);
                }

                if (host.A("port") == "0")
                {
                    host.Set("port", null);
                }

                if (host.A("transport") == "tcp")
                {
                    host.Set("transport", null);
                }

                host.OrderAttributes(["name", "port", "transport", "socket"]);
            }

            // Cookies are secrets: inactive XML without --security-info does not show them.
            source.El("cookies")?.Remove();
            source.El("identity")?.OrderAttributes(["user", "group"]);
            source.OrderAttributes(["protocol", "name", "query", "tls", "tlsHostname", "index"]);
            source.OrderChildren(["host", "identity", "snapshot", "config", "initiator", "ssl", "cookies", "readahead", "timeout", "slices", "seclabel", "auth", "encryption", "reservations"]);
        }
        else
        {
            source.OrderAttributes(["file", "fdgroup", "dev", "dir", "pool", "volume", "mode", "type", "path", "managed", "namespace", "startupPolicy", "index"]);
            source.OrderChildren(["address", "reconnect", "slices", "seclabel", "auth", "encryption", "reservations"]);
        }

        NormalizeDeviceSeclabels(source);

        var auth = source.El("auth");
        auth?.OrderAttributes(["username"]);
        auth?.El("secret")?.OrderAttributes(["type", "usage", "uuid"]);
    }
}

internal static partial class DomainDefaults
{
    /// <summary>
    /// virSecurityDeviceLabelDefFormat for inactive XML: a label that only says it was skipped is runtime
    /// state and is not shown.
    /// </summary>
    internal static void NormalizeDeviceSeclabels(XElement parent)
    {
        foreach (var seclabel in parent.Els("seclabel").ToList())
        {
            if (seclabel.A("labelskip") == "yes")
            {
                seclabel.Remove();
                continue;
            }

            seclabel.Set("labelskip", null);
            seclabel.OrderAttributes(["model", "relabel"]);
            seclabel.OrderChildren(["label"]);
        }
    }
}
