using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainDiskDefValidate and the disk checks of virDomainDefValidateInternal.</summary>
internal static partial class ValidateRules
{
    private const int VendorLength = 8;
    private const int ProductLength = 16;

    private static readonly string[] DiskNamePrefixes = ["hd", "sd", "vd", "xvd", "ubd"];

    /// <summary>virDomainDiskGetSource: the path (or name) of a disk's source, or null.</summary>
    internal static string? DiskSourcePath(XElement disk)
    {
        // The path libvirt keeps: an empty one is dropped, a vhost-user socket path is not the source's path.
        var source = disk.El("source");
        var path = disk.A("type") switch
        {
            "file" => source.A("file"),
            "block" => source.A("dev"),
            "dir" => source.A("dir"),
            // Gluster and RBD keep the volume (pool) apart from the image name.
            "network" when source.A("protocol") is "gluster" or "rbd" => source.A("name") is { } name && name.IndexOf('/', StringComparison.Ordinal) is > 0 and var slash ? name[(slash + 1)..] : source.A("name"),
            "network" => source.A("name"),
            _ => null,
        };
        return string.IsNullOrEmpty(path) ? null : path;
    }

    private static bool IsLocalStorage(string? type) => type is "file" or "block" or "dir";

    /// <summary>virStorageSourceIsEmpty.</summary>
    private static bool IsEmptySource(XElement disk)
    {
        var type = disk.A("type") ?? "file";
        // An empty path is dropped while parsing (a CD-ROM without media written as source file='').
        return (IsLocalStorage(type) && string.IsNullOrEmpty(DiskSourcePath(disk))) ||
               type == "none" ||
               (type == "network" && disk.El("source")?.A("protocol") is null);
    }

    /// <summary>virDomainDiskDefValidate.</summary>
    private static IEnumerable<Problem?> Disk(DomainXml d, XElement disk)
    {
        var target = disk.El("target");
        var dst = target.A("dev");
        var source = disk.El("source");
        if (dst is null)
        {
            var path = DiskSourcePath(disk);
            var detail = disk.A("type") == "volume" && source?.A("pool") is { } pool
                ? $"pool = '{pool}', volume = '{source.A("volume")}'"
                : path ?? string.Empty;
            yield return P(ErrorCode.NoTarget, detail, (XObject?)target ?? disk);
            yield break;
        }

        // virDomainDiskDefValidateSource: the disk's source and its backing chain.
        for (var owner = disk; owner is not null; owner = owner.El("backingStore"))
        {
            if (owner != disk && owner.A("type") is null)
            {
                // <backingStore/>: the end of the chain.
                break;
            }

            yield return SourceChainOne(owner, owner == disk);
        }

        var device = disk.A("device") ?? "disk";
        var sgio = disk.A("sgio");
        if (sgio == "unfiltered")
        {
            yield return P(ErrorCode.ConfigUnsupported, "unfiltered sgio is no longer supported", disk);
        }

        var driver = disk.El("driver");
        if (device == "lun")
        {
            yield return LunSource(disk);
        }
        else
        {
            if (source.El("reservations") is not null)
            {
                yield return P(ErrorCode.ConfigUnsupported, "<reservations/> allowed only for lun devices", source.El("reservations"));
            }

            if (disk.A("rawio") is not null)
            {
                yield return P(ErrorCode.ConfigUnsupported, "rawio can be used only with device='lun'", disk);
            }

            if (sgio is not null and not "default")
            {
                yield return P(ErrorCode.ConfigUnsupported, "sgio can be used only with device='lun'", disk);
            }
        }

        var iotune = disk.El("iotune");
        foreach (var name in (string[])["bytes_sec", "iops_sec", "bytes_sec_max", "iops_sec_max"])
        {
            if (Tune(iotune, "total_" + name) && (Tune(iotune, "read_" + name) || Tune(iotune, "write_" + name)))
            {
                yield return P(ErrorCode.XmlError, $"total and read/write {name} cannot be set at the same time", iotune);
            }
        }

        var bus = target.A("bus") ?? "none";
        var addressType = disk.El("address").A("type");
        if (addressType is not null && bus is "ide" or "fdc" or "scsi" or "sata" && addressType != "drive")
        {
            yield return P(ErrorCode.ConfigUnsupported,
                $"Invalid address type '{addressType}' for the disk '{dst}' with the bus type '{bus}'", disk.El("address"));
        }

        if (bus != "virtio")
        {
            if (IsVirtioModel(disk.A("model")))
            {
                yield return P(ErrorCode.ConfigUnsupported, $"disk model '{disk.A("model")}' not supported for bus '{bus}'", disk);
            }

            if (UInt(driver, "queues") != 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, "queues attribute in disk driver element is only supported by virtio-blk", driver);
            }

            if (driver.A("event_idx") is not null)
            {
                yield return P(ErrorCode.ConfigUnsupported, "disk event_idx mode supported only for virtio bus", driver);
            }

            if (driver.A("ioeventfd") is not null)
            {
                yield return P(ErrorCode.ConfigUnsupported, "disk ioeventfd mode supported only for virtio bus", driver);
            }

            yield return VirtioOptionsAbsent(driver);
        }

        if (disk.A("type") == "nvme" && ULong(source, "namespace") == 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, "NVMe namespace can't be zero", source);
        }

        if (disk.A("type") == "vhostuser")
        {
            yield return VhostUserDisk(disk, bus);
        }

        // The label overrides as written: the inactive definition drops those with nothing to show.
        for (var owner = WrittenDomain.CopyOf(disk) ?? disk; owner is not null; owner = owner.El("backingStore"))
        {
            yield return DeviceSeclabels(d, owner.El("source"));
        }

        var written = WrittenDomain.CopyOf(disk);
        if (written.El("target").A("tray") is { } tray && tray != "closed" && device is not ("floppy" or "cdrom"))
        {
            yield return P(ErrorCode.ConfigUnsupported, "tray is only valid for cdrom and floppy", target);
        }

        foreach (var (name, max) in ((string, int)[])[("vendor", VendorLength), ("product", ProductLength)])
        {
            var text = disk.El(name)?.Value;
            if (text is null)
            {
                continue;
            }

            if (text.Any(c => c is < ' ' or > '~'))
            {
                yield return P(ErrorCode.XmlError, $"disk {name} is not printable string", disk.El(name));
            }

            if (System.Text.Encoding.UTF8.GetByteCount(text) > max)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"disk {name} is more than {max} characters", disk.El(name));
            }
        }

        if (device == "floppy" && bus != "fdc")
        {
            yield return P(ErrorCode.InternalError, $"Invalid bus type '{bus}' for floppy disk", target);
        }

        if (device != "floppy" && bus == "fdc")
        {
            yield return P(ErrorCode.InternalError, $"Invalid bus type '{bus}' for disk", target);
        }

        if (written.El("target").A("removable") is not null && bus != "usb")
        {
            yield return P(ErrorCode.XmlError, "removable is only valid for usb disks", target);
        }

        yield return StartupPolicy(disk, device);

        if (disk.El("wwn")?.Value is { } wwn && !IsValidWwn(wwn))
        {
            yield return P(ErrorCode.InternalError, $"Malformed wwn: {wwn}", disk.El("wwn"));
        }

        if (device is "disk" or "lun" && !DiskNamePrefixes.Any(p => dst.StartsWith(p, StringComparison.Ordinal)))
        {
            yield return P(ErrorCode.InternalError, $"Invalid harddisk device name: {dst}", target);
        }

        if (device == "floppy" && !dst.StartsWith("fd", StringComparison.Ordinal))
        {
            yield return P(ErrorCode.InternalError, $"Invalid floppy device name: {dst}", target);
        }

        if (device == "disk" && IsEmptySource(disk))
        {
            yield return P(ErrorCode.NoSource, dst, disk);
        }
    }

    private static bool Tune(XElement? iotune, string name) => ULongText(iotune.El(name)) > 0;

    /// <summary>virValidateWWN: 16 hexadecimal digits, optionally after "0x".</summary>
    private static bool IsValidWwn(string wwn)
    {
        var digits = wwn.StartsWith("0x", StringComparison.Ordinal) ? wwn[2..] : wwn;
        return digits.Length == 16 && digits.All(char.IsAsciiHexDigit);
    }
}
