using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>The storage source parts of virDomainDiskDefValidate: authentication, LUNs, startup policy, vhost-user, labels.</summary>
internal static partial class ValidateRules
{
    /// <summary>virDomainDiskDefValidateSourceChainOne: authentication and encryption of one storage source.</summary>
    private static Problem? SourceChainOne(XElement owner, bool isDisk)
    {
        var type = owner.A("type") ?? "file";
        var source = owner.El("source");
        var auth = source.El("auth") ?? (isDisk ? owner.El("auth") : null);
        var protocol = source.A("protocol");
        if (type == "network" && auth is not null)
        {
            if (protocol is "nbd" or "sheepdog" or "gluster" or "tftp" or "vxhs" or "nfs")
            {
                return P(ErrorCode.ConfigUnsupported, $"authentication is not supported for protocol '{protocol}'", auth);
            }

            var secretType = auth.El("secret").A("type");
            if (Array.IndexOf(SecretUsageTypes, secretType) < 0)
            {
                return P(ErrorCode.ConfigUnsupported, $"unknown secret type '{secretType ?? "<null>"}'", auth);
            }

            if ((protocol == "iscsi" && secretType != "iscsi") || (protocol == "rbd" && secretType != "ceph"))
            {
                return P(ErrorCode.ConfigUnsupported, $"invalid secret type '{secretType}'", auth);
            }
        }

        var encryption = source.El("encryption") ?? (isDisk ? owner.El("encryption") : null);
        if (encryption?.A("format") == "luks" && encryption.El("cipher") is not null)
        {
            return P(ErrorCode.ConfigUnsupported, "supplying <cipher> for domain disk definition is unnecessary", encryption);
        }

        return null;
    }

    private static readonly string[] SecretUsageTypes = ["none", "volume", "ceph", "iscsi", "tls", "vtpm"];

    /// <summary>virDomainDiskDefSourceLUNValidate.</summary>
    private static Problem? LunSource(XElement disk)
    {
        var source = disk.El("source");
        var type = disk.A("type") ?? "file";
        if (type == "network")
        {
            if (source.A("protocol") is { } protocol && protocol != "iscsi")
            {
                return P(ErrorCode.ConfigUnsupported, $"disk device='lun' is not supported for protocol='{protocol}'", source);
            }
        }
        else if (type is not ("block" or "volume"))
        {
            return P(ErrorCode.ConfigUnsupported, "disk device='lun' is only valid for block type disk source", disk);
        }

        if (disk.El("driver").A("type") is { } format && format is not ("raw" or "none"))
        {
            return P(ErrorCode.ConfigUnsupported, "disk device 'lun' must use 'raw' format", disk.El("driver"));
        }

        if (source.El("slices").Els("slice").Any(s => s.A("type") == "storage"))
        {
            return P(ErrorCode.ConfigUnsupported, "disk device 'lun' doesn't support storage slice", source.El("slices"));
        }

        var encryption = source.El("encryption") ?? disk.El("encryption");
        if (encryption?.A("format") is { } f && f != "default")
        {
            return P(ErrorCode.ConfigUnsupported, "disk device 'lun' doesn't support encryption", encryption);
        }

        return null;
    }

    /// <summary>virDomainDiskDefValidateStartupPolicy.</summary>
    private static Problem? StartupPolicy(XElement disk, string device)
    {
        var policy = disk.El("source").A("startupPolicy");
        if (policy is null or "default")
        {
            return null;
        }

        var type = disk.A("type") ?? "file";
        if (type != "volume" && !IsLocalStorage(type))
        {
            return P(ErrorCode.XmlError, $"disk startupPolicy '{policy}' is not allowed for disk of '{type}' type", disk.El("source"));
        }

        if (device is not ("cdrom" or "floppy") && policy == "requisite")
        {
            return P(ErrorCode.XmlError, "disk startupPolicy 'requisite' is allowed only for cdrom or floppy", disk.El("source"));
        }

        return null;
    }

    /// <summary>virDomainCheckVirtioOptionsAreAbsent: the virtio-only driver options.</summary>
    private static Problem? VirtioOptionsAbsent(XElement? driver)
    {
        foreach (var (name, what) in (ReadOnlySpan<(string, string)>)[("iommu", "iommu driver option is"), ("ats", "ats driver option is"), ("packed", "packed driver option is")])
        {
            if (driver.A(name) is not null)
            {
                return P(ErrorCode.ConfigUnsupported, $"{what} only supported for virtio devices", driver);
            }
        }

        return driver.A("page_per_vq") is not null
            ? P(ErrorCode.ConfigUnsupported, "page_per_vq option is only supported for virtio devices", driver)
            : null;
    }

    /// <summary>virSecurityDeviceLabelDefValidate: a device label overrides a domain label that relabels.</summary>
    private static Problem? DeviceSeclabels(DomainXml d, XElement? source)
    {
        foreach (var seclabel in source.Els("seclabel"))
        {
            foreach (var domainLabel in d.Root.Els("seclabel"))
            {
                if (domainLabel.A("model") != seclabel.A("model"))
                {
                    continue;
                }

                if (domainLabel.A("type") == "none" || domainLabel.A("relabel") == "no")
                {
                    return P(ErrorCode.ConfigUnsupported, "label overrides require relabeling to be enabled at the domain level", WrittenDomain.At(seclabel));
                }
            }
        }

        return null;
    }

    /// <summary>virDomainDiskVhostUserValidate: what a vhost-user disk cannot have.</summary>
    private static Problem? VhostUserDisk(XElement disk, string bus)
    {
        if (bus != "virtio")
        {
            return P(ErrorCode.ConfigUnsupported, "vhostuser disk supports only virtio bus", disk);
        }

        if (disk.A("snapshot") is { } snapshot && snapshot != "no")
        {
            return P(ErrorCode.ConfigUnsupported, "only snapshot=no is supported with vhostuser disk", disk);
        }

        var driver = disk.El("driver");
        (string Attribute, string Name)[] driverAttributes =
        [
            ("cache", "cache"), ("error_policy", "error_policy"), ("rerror_policy", "error_policy"), ("io", "io"),
            ("ioeventfd", "ioeventfd"), ("copy_on_read", "copy_on_read"), ("discard", "discard"), ("iothread", "iothread"),
            ("detect_zeroes", "detect_zeroes"),
        ];
        foreach (var (attribute, name) in driverAttributes)
        {
            if (driver.A(attribute) is { } value && value != "default" && !(attribute == "iothread" && value == "0"))
            {
                return P(ErrorCode.ConfigUnsupported, $"{name} is not supported with vhostuser disk", driver);
            }
        }

        if (ULongText(driver.El("metadata_cache").El("max_size")) > 0)
        {
            return P(ErrorCode.ConfigUnsupported, "metadata_cache is not supported with vhostuser disk", driver);
        }

        var iotune = disk.El("iotune");
        if (iotune is not null && (iotune.El("group_name") is not null || iotune.Elements().Any(e => ULongText(e) > 0)))
        {
            return P(ErrorCode.ConfigUnsupported, "iotune is not supported with vhostuser disk", iotune);
        }

        var source = disk.El("source");
        (XElement? Element, string Name)[] elements =
        [
            (disk.El("backingStore"), "backingStore"), (source.El("encryption") ?? disk.El("encryption"), "encryption"),
            (disk.El("readonly"), "readonly"), (disk.El("shareable"), "shareable"), (disk.El("transient"), "transient"),
            (disk.El("serial"), "serial"), (disk.El("wwn"), "wwn"), (disk.El("vendor"), "vendor"), (disk.El("product"), "product"),
            (source.El("auth") ?? disk.El("auth"), "auth"),
        ];
        foreach (var (element, name) in elements)
        {
            if (element is not null)
            {
                return P(ErrorCode.ConfigUnsupported, $"{name} is not supported with vhostuser disk", element);
            }
        }

        var geometry = disk.El("geometry");
        if (UInt(geometry, "cyls") > 0 || UInt(geometry, "heads") > 0 || UInt(geometry, "secs") > 0 ||
            geometry.A("trans") is { } trans && trans != "default")
        {
            return P(ErrorCode.ConfigUnsupported, "geometry is not supported with vhostuser disk", geometry);
        }

        var blockio = disk.El("blockio");
        if (UInt(blockio, "logical_block_size") > 0 || UInt(blockio, "physical_block_size") > 0)
        {
            return P(ErrorCode.ConfigUnsupported, "blockio is not supported with vhostuser disk", blockio);
        }

        return null;
    }
}
