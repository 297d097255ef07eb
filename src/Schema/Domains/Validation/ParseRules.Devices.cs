using System.Text.RegularExpressions;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Support;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

internal static partial class ParseRules
{
    private static readonly string[] ChrSourceModes = ["connect", "bind"];

    /// <summary>True when the domain declares &lt;controller type='usb' model='none'/&gt;.</summary>
    private static bool UsbNone(DomainXml d) =>
        d.DevicesOf("controller").Any(c => c.A("type") == "usb" && c.A("model") == "none");

    private static readonly string[] IotuneFields =
    [
        "total_bytes_sec", "read_bytes_sec", "write_bytes_sec", "total_iops_sec", "read_iops_sec", "write_iops_sec",
        "total_bytes_sec_max", "read_bytes_sec_max", "write_bytes_sec_max", "total_iops_sec_max", "read_iops_sec_max",
        "write_iops_sec_max", "size_iops_sec", "total_bytes_sec_max_length", "read_bytes_sec_max_length",
        "write_bytes_sec_max_length", "total_iops_sec_max_length", "read_iops_sec_max_length", "write_iops_sec_max_length",
    ];

    /// <summary>virDomainDiskDefParseXML and the storage source parsers, in libvirt's order.</summary>
    public static IEnumerable<Problem?> Disks(DomainXml d)
    {
        foreach (var disk in d.DevicesOf("disk"))
        {
            foreach (var p in Disk(disk))
            {
                yield return p;
            }
        }
    }

    private static IEnumerable<Problem?> Disk(XElement disk)
    {
        // virDomainDiskDefParseSourceXML: the source, auth and encryption, the backing chain.
        yield return XmlProp.Enum(disk, "type", LibvirtEnums.Storage, PropFlags.NonZero);
        var type = disk.A("type") ?? "file";
        var source = disk.El("source");
        if (source is not null)
        {
            foreach (var p in StorageSource(source, type))
            {
                yield return p;
            }
        }

        if (disk.El("auth") is { } diskAuth)
        {
            yield return source?.El("auth") is not null
                ? P(ErrorCode.ConfigUnsupported, "an <auth> definition already found for disk source", diskAuth)
                : Auth(diskAuth);
        }

        if (disk.El("encryption") is { } diskEnc)
        {
            yield return source?.El("encryption") is not null
                ? P(ErrorCode.ConfigUnsupported, "an <encryption> definition already found for disk source", diskEnc)
                : Encryption(diskEnc);
        }

        foreach (var p in BackingStore(disk))
        {
            yield return p;
        }

        yield return XmlProp.Enum(disk, "device", LibvirtEnums.DomainDiskDevice);
        yield return XmlProp.Enum(disk, "model", LibvirtEnums.DomainDiskModel);
        yield return XmlProp.Enum(disk, "snapshot", LibvirtEnums.DomainSnapshotLocation, PropFlags.NonZero);
        yield return XmlProp.YesNo(disk, "rawio");
        yield return XmlProp.Enum(disk, "sgio", LibvirtEnums.DomainDeviceSGIO, PropFlags.NonZero);
        yield return XmlProp.Enum(source, "startupPolicy", LibvirtEnums.DomainStartupPolicy, PropFlags.NonZero);
        var target = disk.El("target");
        yield return XmlProp.Enum(target, "bus", LibvirtEnums.DomainDiskBus, PropFlags.NonZero);
        yield return XmlProp.Enum(target, "tray", LibvirtEnums.DomainDiskTray);
        yield return XmlProp.OnOff(target, "removable");
        yield return XmlProp.UInt(target, "rotation_rate");
        var geometry = disk.El("geometry");
        yield return XmlProp.UInt(geometry, "cyls");
        yield return XmlProp.UInt(geometry, "heads");
        yield return XmlProp.UInt(geometry, "secs");
        yield return XmlProp.Enum(geometry, "trans", LibvirtEnums.DomainDiskGeometryTrans, PropFlags.NonZero);
        var blockio = disk.El("blockio");
        yield return XmlProp.UInt(blockio, "logical_block_size");
        yield return XmlProp.UInt(blockio, "physical_block_size");
        var driver = disk.El("driver");
        if (driver is not null)
        {
            yield return VirtioOptions(driver);
            yield return XmlProp.Enum(driver, "cache", LibvirtEnums.DomainDiskCache);
            yield return XmlProp.Enum(driver, "error_policy", LibvirtEnums.DomainDiskErrorPolicy, PropFlags.NonZero);
            yield return XmlProp.Enum(driver, "rerror_policy", LibvirtEnums.DomainDiskErrorPolicy, PropFlags.NonZero);
            if (driver.A("rerror_policy") == "enospace")
            {
                yield return P(ErrorCode.ConfigUnsupported, "Invalid disk read error policy: 'enospace'", driver.Attribute("rerror_policy"));
            }

            yield return XmlProp.Enum(driver, "io", LibvirtEnums.DomainDiskIo, PropFlags.NonZero);
            yield return XmlProp.OnOff(driver, "ioeventfd");
            yield return XmlProp.OnOff(driver, "event_idx");
            yield return XmlProp.OnOff(driver, "copy_on_read");
            yield return XmlProp.Enum(driver, "discard", LibvirtEnums.DomainDiskDiscard, PropFlags.NonZero);
            yield return XmlProp.UInt(driver, "iothread", flags: PropFlags.NonZero);
            yield return XmlProp.Enum(driver, "detect_zeroes", LibvirtEnums.DomainDiskDetectZeroes, PropFlags.NonZero);
            yield return XmlProp.UInt(driver, "queues");
            yield return XmlProp.UInt(driver, "queue_size");
            if (driver.A("type") is { } format && format != "aio" && Array.IndexOf(LibvirtEnums.StorageFileFormat, format) <= 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown driver format value '{format}'", driver.Attribute("type"));
            }

            yield return ScaledValue(driver, driver.El("metadata_cache").El("max_size"), "./metadata_cache/max_size", 1, ulong.MaxValue);
        }

        yield return XmlProp.YesNo(disk.El("transient"), "shareBacking");
        var iotune = disk.El("iotune");
        foreach (var field in IotuneFields)
        {
            if (iotune.El(field)?.Value is { Length: > 0 } value && !CNumber.TryParseULong(value, 10, out _))
            {
                yield return P(ErrorCode.XmlError, $"disk iotune field '{field}' must be an integer", iotune!.El(field));
            }
        }

        foreach (var p in Info(disk, allowBoot: true, allowRom: false))
        {
            yield return p;
        }
    }

    /// <summary>
    /// virDomainStorageSourceParse: what each source type requires, then the source's auth, encryption,
    /// persistent reservations, slices and label overrides.
    /// </summary>
    private static IEnumerable<Problem?> StorageSource(XElement source, string type)
    {
        switch (type)
        {
            case "network":
                foreach (var p in NetworkSource(source))
                {
                    yield return p;
                }

                break;
            case "volume":
                // Neither pool nor volume is a CD-ROM or floppy without media; the mode is then not read.
                if (source.A("pool") is null && source.A("volume") is null)
                {
                    break;
                }

                if (source.A("pool") is null || source.A("volume") is null)
                {
                    yield return P(ErrorCode.XmlError, "'pool' and 'volume' must be specified together for 'pool' type source", source);
                }

                var mode = source.A("mode");
                if (mode is not null && Array.IndexOf(LibvirtEnums.StorageSourcePoolMode, mode) <= 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown source mode '{mode}' for volume type disk", source.Attribute("mode"));
                }

                break;
            case "nvme":
                var nvmeType = source.A("type");
                if (nvmeType is null)
                {
                    yield return P(ErrorCode.XmlError, "missing 'type' attribute to disk source", source);
                }
                else if (nvmeType != "pci")
                {
                    yield return P(ErrorCode.XmlError, $"unsupported source type '{nvmeType}'", source.Attribute("type"));
                }

                var ns = source.A("namespace");
                if (ns is null)
                {
                    yield return P(ErrorCode.XmlError, "missing 'namespace' attribute to disk source", source);
                }
                else if (!StrToLongULong(ns))
                {
                    yield return P(ErrorCode.XmlError, $"malformed namespace '{ns}'", source.Attribute("namespace"));
                }

                yield return XmlProp.YesNo(source, "managed");
                if (source.El("address") is not { } nvmeAddress)
                {
                    yield return P(ErrorCode.XmlError, "NVMe disk source is missing address", source);
                }
                else
                {
                    yield return PciAddress(nvmeAddress) ?? Zpci(nvmeAddress.El("zpci"));
                }

                break;
            case "vhostuser":
                var vtype = source.A("type");
                if (vtype is null)
                {
                    yield return P(ErrorCode.XmlError, "missing 'type' attribute for vhostuser disk source", source);
                }
                else if (vtype != "unix")
                {
                    yield return P(ErrorCode.XmlError, "invalid 'type' attribute for vhostuser disk source", source.Attribute("type"));
                }

                if (source.A("path") is null)
                {
                    yield return P(ErrorCode.XmlError, "missing 'path' attribute for vhostuser disk source", source);
                }

                yield return Reconnect(source);
                break;
        }

        if (source.El("auth") is { } auth)
        {
            yield return Auth(auth);
        }

        if (source.El("encryption") is { } encryption)
        {
            yield return Encryption(encryption);
        }

        if (source.El("reservations") is { } reservations)
        {
            yield return Reservations(reservations);
        }

        if (source.El("slices")?.Elements("slice").FirstOrDefault(s => s.A("type") == "storage") is { } slice)
        {
            var offset = NonEmpty(slice.A("offset"));
            var size = NonEmpty(slice.A("size"));
            if (offset is null || size is null)
            {
                yield return P(ErrorCode.XmlError, "missing offset or size attribute of slice", slice);
            }
            else if (!CNumber.TryParseULong(offset, 10, out _))
            {
                yield return P(ErrorCode.XmlError, $"malformed value '{offset}' of 'offset' attribute of slice", slice.Attribute("offset"));
            }
            else if (!CNumber.TryParseULong(size, 10, out _))
            {
                yield return P(ErrorCode.XmlError, $"malformed value '{size}' of 'size' attribute of slice", slice.Attribute("size"));
            }
        }

        foreach (var p in DeviceSeclabels(source))
        {
            yield return p;
        }
    }

    /// <summary>virDomainDiskSourceNetworkParse.</summary>
    private static IEnumerable<Problem?> NetworkSource(XElement source)
    {
        var protocol = XmlProp.Enum(source, "protocol", LibvirtEnums.StorageNetProtocol, PropFlags.Required);
        if (protocol is not null)
        {
            yield return protocol;
            yield break;
        }

        var proto = source.A("protocol");
        var name = source.A("name");
        if (name is null && proto != "nbd")
        {
            yield return P(ErrorCode.XmlError, "missing name for disk source", source);
        }

        yield return XmlProp.YesNo(source, "tls");
        if (name is not null && proto is "gluster" or "rbd" && name.IndexOf('/', StringComparison.Ordinal) <= 0)
        {
            yield return P(ErrorCode.XmlError, $"can't split path '{name}' into pool name and image name", source.Attribute("name"));
        }

        foreach (var host in source.Els("host"))
        {
            yield return NetworkHost(host);
        }

        if (proto is "https" or "ftps" && source.El("ssl") is { } ssl)
        {
            yield return XmlProp.YesNo(ssl, "verify");
        }

        if (proto is "http" or "https" && source.El("cookies") is { } cookies)
        {
            yield return Cookies(cookies);
        }

        if (proto is "http" or "https" or "ftp" or "ftps")
        {
            var readahead = NonEmpty(source.El("readahead").A("size"));
            var timeout = NonEmpty(source.El("timeout").A("seconds"));
            if ((readahead is not null && !CNumber.TryParseULong(readahead, 10, out _)) ||
                (timeout is not null && !CNumber.TryParseULong(timeout, 10, out _)))
            {
                yield return P(ErrorCode.XmlError, "invalid readahead size or timeout", (XObject?)source.El("readahead") ?? source.El("timeout"));
            }
        }
    }

    /// <summary>virDomainStorageNetCookiesParse and virStorageSourceNetCookiesValidate.</summary>
    private static Problem? Cookies(XElement cookies)
    {
        var list = cookies.Elements("cookie").ToList();
        foreach (var cookie in list)
        {
            var name = NonEmpty(cookie.A("name"));
            if (name is null)
            {
                return P(ErrorCode.XmlError, "missing cookie name", cookie);
            }

            if (string.IsNullOrEmpty(cookie.Value))
            {
                return P(ErrorCode.XmlError, $"missing value for cookie '{name}'", cookie);
            }
        }

        const string valueInvalid = " \",;\\";
        const string nameInvalid = "()<>@:/[]?={}";
        var next = Pairs.NextWithSameKey(list, cookie => cookie.A("name"));
        for (var i = 0; i < list.Count; i++)
        {
            var name = list[i].A("name")!;
            if (name.Any(c => c < 0x20 || valueInvalid.Contains(c, StringComparison.Ordinal) || nameInvalid.Contains(c, StringComparison.Ordinal)))
            {
                return P(ErrorCode.XmlError, $"cookie name '{name}' contains invalid characters", list[i]);
            }

            var value = list[i].Value;
            if (value.StartsWith('"'))
            {
                if (!value.EndsWith('"') || value.Length < 2)
                {
                    return P(ErrorCode.XmlError, $"value of cookie '{name}' contains invalid characters", list[i]);
                }

                value = value[1..^1];
            }

            if (value.Any(c => (c >= 1 && c < 0x20) || valueInvalid.Contains(c, StringComparison.Ordinal)))
            {
                return P(ErrorCode.XmlError, $"value of cookie '{name}' contains invalid characters", list[i]);
            }

            if (next[i] >= 0)
            {
                return P(ErrorCode.XmlError, $"duplicate cookie '{name}'", list[next[i]]);
            }
        }

        return null;
    }

    /// <summary>virStorageEncryptionParseNode, as a volume's encryption is read.</summary>
    private static Problem? Encryption(XElement encryption) =>
        Reconciler.Schema.Storage.EncryptionXml.Check(encryption) is { } fault ? P(fault.Code, fault.Detail, fault.At) : null;

    /// <summary>virStoragePRDefParseXML: managed, and for unmanaged reservations a unix client socket.</summary>
    private static Problem? Reservations(XElement reservations)
    {
        if (XmlProp.YesNo(reservations, "managed", PropFlags.Required) is { } bad)
        {
            return bad;
        }

        var prSource = reservations.El("source");
        var type = NonEmpty(prSource.A("type"));
        var path = NonEmpty(prSource.A("path"));
        var mode = NonEmpty(prSource.A("mode"));
        if (reservations.A("managed") == "no" || type is not null || path is not null || mode is not null)
        {
            if (type is null)
            {
                return P(ErrorCode.XmlError, "missing connection type for <reservations/>", reservations);
            }

            if (path is null)
            {
                return P(ErrorCode.XmlError, "missing path for <reservations/>", reservations);
            }

            if (mode is null)
            {
                return P(ErrorCode.XmlError, "missing connection mode for <reservations/>", reservations);
            }
        }

        if (type is not null && type != "unix")
        {
            return P(ErrorCode.XmlError, $"unsupported connection type for <reservations/>: {type}", prSource);
        }

        return mode is not null && mode != "client"
            ? P(ErrorCode.XmlError, $"unsupported connection mode for <reservations/>: {mode}", prSource)
            : null;
    }

    /// <summary>virDomainStorageNetworkParseHost: transport, socket, name and port of a network source host.</summary>
    private static Problem? NetworkHost(XElement host)
    {
        var transport = host.A("transport");
        if (transport is not null && Array.IndexOf(LibvirtEnums.StorageNetHostTransport, transport) < 0)
        {
            return P(ErrorCode.ConfigUnsupported, $"unknown protocol transport type '{transport}'", host);
        }

        if (transport == "unix" && host.A("socket") is null)
        {
            return P(ErrorCode.XmlError, "missing socket for unix transport", host);
        }

        if (transport != "unix" && host.A("socket") is not null)
        {
            return P(ErrorCode.XmlError, $"transport '{transport ?? "(null)"}' does not support socket attribute", host);
        }

        if (transport == "unix")
        {
            return null;
        }

        if (host.A("name") is null)
        {
            return P(ErrorCode.XmlError, "missing name for host", host);
        }

        if (host.A("port") is not { } port)
        {
            return null;
        }

        if (!CNumber.TryParseUInt(port, 10, out var number))
        {
            return P(ErrorCode.InvalidArgument, $"failed to parse port number '{port}'", host.Attribute("port"));
        }

        return number > ushort.MaxValue ? P(ErrorCode.InvalidArgument, $"port '{port}' out of range", host.Attribute("port")) : null;
    }

    /// <summary>virStorageAuthDefParse / virSecretLookupParseSecret.</summary>
    private static Problem? Auth(XElement auth)
    {
        // virXPathString: empty values count as absent.
        if (string.IsNullOrEmpty(auth.A("username")))
        {
            return P(ErrorCode.XmlError, "missing username for auth", auth);
        }

        var authType = NonEmpty(auth.A("type"));
        if (authType is not null && Array.IndexOf(LibvirtEnums.StorageAuth, authType) < 0)
        {
            return P(ErrorCode.ConfigUnsupported, $"unknown auth type '{authType}'", auth);
        }

        var secret = auth.El("secret");
        if (secret is null)
        {
            return P(ErrorCode.XmlError, "Missing <secret> element in auth", auth);
        }

        var uuid = secret.A("uuid");
        var usage = secret.A("usage");
        if (uuid is null && usage is null)
        {
            return P(ErrorCode.XmlError, "missing secret uuid or usage attribute", secret);
        }

        if (uuid is not null && usage is not null)
        {
            return P(ErrorCode.XmlError, "either secret uuid or usage expected", secret);
        }

        return uuid is not null && !Uuids.TryParse(uuid, out _)
            ? P(ErrorCode.XmlError, $"invalid secret uuid '{uuid}'", secret)
            : null;
    }

    /// <summary>virDomainDiskBackingStoreParse: each level (up to a terminator without type) needs a format and a source.</summary>
    private static IEnumerable<Problem?> BackingStore(XElement parent)
    {
        var backing = parent.El("backingStore");
        while (backing is not null && backing.A("type") is { } type)
        {
            var format = NonEmpty(backing.El("format")?.A("type"));
            if (format is null)
            {
                yield return P(ErrorCode.XmlError, "missing disk backing store format", backing);
                yield break;
            }

            var source = backing.El("source");
            if (source is null)
            {
                yield return P(ErrorCode.XmlError, "missing disk backing store source", backing);
                yield break;
            }

            if (Array.IndexOf(LibvirtEnums.Storage, type) <= 0)
            {
                yield return P(ErrorCode.XmlError, $"unknown storage source type '{type}'", backing.Attribute("type"));
                yield break;
            }

            if (Array.IndexOf(LibvirtEnums.StorageFileFormat, format) <= 0)
            {
                yield return P(ErrorCode.XmlError, $"unknown storage source format '{format}'", backing.El("format")!.Attribute("type"));
                yield break;
            }

            yield return ScaledValue(backing, backing.El("format").El("metadata_cache").El("max_size"), "./format/metadata_cache/max_size", 1, ulong.MaxValue);
            foreach (var p in StorageSource(source, type))
            {
                yield return p;
            }

            backing = backing.El("backingStore");
        }
    }

    private static Problem? VirtioOptions(XElement driver) =>
        XmlProp.OnOff(driver, "iommu") ?? XmlProp.OnOff(driver, "ats") ?? XmlProp.OnOff(driver, "packed") ?? XmlProp.OnOff(driver, "page_per_vq");

    private static Problem? Reconnect(XElement source)
    {
        var reconnect = source.El("reconnect");
        if (reconnect is null)
        {
            return null;
        }

        return XmlProp.YesNo(reconnect, "enabled") ??
               (reconnect.A("enabled") == "yes" ? XmlProp.UInt(reconnect, "timeout", flags: PropFlags.Required) : null);
    }

    /// <summary>virDomainDefControllersParse / virDomainControllerDefParseXML.</summary>
    public static IEnumerable<Problem?> Controllers(DomainXml d)
    {
        var usbNone = false;
        var usbOther = false;
        var usbMaster = false;
        foreach (var c in d.DevicesOf("controller"))
        {
            yield return XmlProp.Enum(c, "type", LibvirtEnums.DomainController);
            var type = c.A("type") ?? "ide";
            var model = c.Attribute("model");
            if (model is not null)
            {
                var models = type switch
                {
                    "scsi" => LibvirtEnums.DomainControllerModelSCSI,
                    "usb" => LibvirtEnums.DomainControllerModelUSB,
                    "pci" => LibvirtEnums.DomainControllerModelPCI,
                    "ide" => LibvirtEnums.DomainControllerModelIDE,
                    "virtio-serial" => LibvirtEnums.DomainControllerModelVirtioSerial,
                    "isa" => LibvirtEnums.DomainControllerModelISA,
                    _ => [],
                };
                if (Array.IndexOf(models, model.Value) < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"Unknown model type '{model.Value}'", model);
                }
            }

            yield return XmlProp.Int(c, "index", PropFlags.NonNegative);
            var driver = c.El("driver");
            if (driver is not null)
            {
                yield return XmlProp.UInt(driver, "queues");
                yield return XmlProp.UInt(driver, "cmd_per_lun");
                yield return XmlProp.UInt(driver, "max_sectors");
                yield return XmlProp.OnOff(driver, "ioeventfd");
                yield return XmlProp.UInt(driver, "iothread");
                yield return VirtioOptions(driver);
            }

            var models2 = c.Els("model").ToList();
            if (models2.Count > 1)
            {
                yield return P(ErrorCode.XmlError, "Multiple <model> elements in controller definition not allowed", models2[1]);
            }

            if (type == "pci" && models2.Count == 1)
            {
                yield return XmlProp.Enum(models2[0], "name", LibvirtEnums.DomainControllerPCIModelName);
            }

            var targets = c.Els("target").ToList();
            if (targets.Count > 1)
            {
                yield return P(ErrorCode.XmlError, "Multiple <target> elements in controller definition not allowed", targets[1]);
            }

            if (type == "pci" && targets.Count == 1)
            {
                foreach (var a in (string[])["chassisNr", "chassis", "port", "busNr"])
                {
                    yield return IntBase0(targets[0], a);
                }

                yield return XmlProp.OnOff(targets[0], "hotplug");
                yield return IntBase0(targets[0], "index");
            }

            var numaNode = c.El("target").El("node");
            if (numaNode is not null && numaNode.Value.Length > 0 && (!CNumber.TryParseInt(numaNode.Value, out var nn) || nn < 0))
            {
                yield return P(ErrorCode.XmlError, "invalid NUMA node in target", numaNode);
            }

            var isUsbNone = type == "usb" && model?.Value == "none";
            if (!isUsbNone)
            {
                foreach (var p in Info(c, allowBoot: false, allowRom: false))
                {
                    yield return p;
                }
            }

            yield return XmlProp.Int(c, "ports", PropFlags.NonNegative);
            if (type == "virtio-serial")
            {
                yield return XmlProp.Int(c, "vectors", PropFlags.NonNegative);
            }

            if (type == "pci" && model?.Value is "pci-root" or "pcie-root")
            {
                // The limit is 1024 * ULONG_MAX, which wraps around on 64-bit hosts.
                yield return ScaledValue(c, c.El("pcihole64"), "./pcihole64", 1024, unchecked(1024UL * ulong.MaxValue));
            }

            if (type == "xenbus")
            {
                yield return XmlProp.Int(c, "maxGrantFrames", PropFlags.NonNegative);
                yield return XmlProp.Int(c, "maxEventChannels", PropFlags.NonNegative);
            }

            if (type == "usb")
            {
                if (isUsbNone)
                {
                    if (usbOther || usbNone)
                    {
                        yield return P(ErrorCode.XmlDetail, "Can't add another USB controller: USB is disabled for this domain", c);
                    }

                    usbNone = true;
                }
                else
                {
                    if (usbNone)
                    {
                        yield return P(ErrorCode.XmlDetail, "Can't add another USB controller: USB is disabled for this domain", c);
                    }

                    usbOther = true;
                }

                var implicitMaster = model?.Value is "ich9-uhci1" or "ich9-uhci2" or "ich9-uhci3";
                if (c.El("master") is null && !implicitMaster)
                {
                    usbMaster = true;
                }
            }
        }

        if (usbOther && !usbMaster)
        {
            yield return P(ErrorCode.XmlDetail, "No master USB controller specified", d.Devices);
        }
    }

    private static Problem? IntBase0(XElement e, string name)
    {
        var a = e.Attribute(name);
        if (a is null)
        {
            return null;
        }

        var text = a.Value.Trim();
        var negative = text.StartsWith('-');
        if (!CNumber.TryParseULong(negative ? text[1..] : text, 0, out var v) || v > int.MaxValue)
        {
            return P(ErrorCode.XmlError, $"Invalid value for attribute '{name}' in element '{e.Name.LocalName}': '{a.Value}'. Expected integer value", a);
        }

        return negative && v != 0
            ? P(ErrorCode.XmlError, $"Invalid value for attribute '{name}' in element '{e.Name.LocalName}': '{a.Value}'. Expected non-negative value", a)
            : null;
    }
}
