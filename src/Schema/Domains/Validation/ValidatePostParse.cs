using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Defaults;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>The errors of libvirt's virDomainDefPostParse (domain_postparse.c) the defaults do not report.</summary>
internal static partial class ValidateRules
{
    private const int MaxIsaSerialPorts = 4;

    /// <summary>virDomainChrIsaSerialDefPostParse: at most four ISA serial ports, each port used once.</summary>
    public static IEnumerable<Problem?> IsaSerialPorts(DomainXml d)
    {
        var count = 0;
        var used = new bool[MaxIsaSerialPorts];
        foreach (var serial in d.DevicesOf("serial"))
        {
            var target = serial.El("target");
            if (target.A("type") != "isa-serial")
            {
                continue;
            }

            var port = Long(target, "port") ?? -1;
            if (count++ >= MaxIsaSerialPorts || port >= MaxIsaSerialPorts)
            {
                yield return P(ErrorCode.InternalError, $"Maximum supported number of ISA serial ports is '{MaxIsaSerialPorts}'", serial);
                yield break;
            }

            if (port >= 0)
            {
                if (used[port])
                {
                    yield return P(ErrorCode.InternalError, $"target port '{port}' already allocated", target);
                    yield break;
                }

                used[port] = true;
            }
        }
    }

    /// <summary>
    /// virDomainDeviceDefPostParse for each device: disk addresses from target names, SCSI hostdev and
    /// mediated device addresses, controller iothreads, isa-debug serials, and the features the test
    /// driver lacks (FD passing for disks).
    /// </summary>
    public static IEnumerable<Problem?> DevicePostParse(DomainXml d)
    {
        var arch = Arch(d);
        foreach (var device in Devices(d, allConsoles: true, missingInfo: true))
        {
            var e = device.Element;
            switch (device.Kind)
            {
                case "disk":
                    yield return DiskAssignAddress(d, e);
                    if (e.El("source")?.A("fdgroup") is not null && e.A("type") == "file")
                    {
                        yield return P(ErrorCode.ConfigUnsupported, $"driver does not support FD passing for disk '{e.El("target").A("dev") ?? "(null)"}'", e.El("source"));
                    }

                    break;
                case "hostdev" when !device.ParentNet:
                    yield return HostdevPostParse(d, e);
                    break;
                case "controller":
                    if (e.El("driver") is { } driver && UInt(driver, "iothread") != 0 && !IsVirtioScsiModel(e))
                    {
                        yield return P(ErrorCode.XmlError, "'iothread' attribute only supported for virtio scsi controllers", driver);
                    }

                    break;
                case "serial":
                    if (e.El("target").A("type") == "isa-debug" && !DomainDefaults.IsX86(arch))
                    {
                        yield return P(ErrorCode.ConfigUnsupported, "isa-debug serial type only valid on x86 architecture", e.El("target"));
                    }

                    break;
            }
        }
    }

    /// <summary>virDomainDiskDefAssignAddress, for a disk written without an address.</summary>
    private static Problem? DiskAssignAddress(DomainXml d, XElement disk)
    {
        var dst = disk.El("target").A("dev");
        if (dst is null || HasWrittenAddress(disk))
        {
            return null;
        }

        var idx = DomainDefaults.DiskNameToIndex(dst);
        if (idx < 0)
        {
            return P(ErrorCode.XmlError, $"Unknown disk name '{dst}' and no address specified", disk.El("target"));
        }

        if (disk.El("target").A("bus") != "scsi")
        {
            return null;
        }

        // The narrow SCSI bus of the test driver: 7 units per controller.
        var assigned = new DriveAddress((uint)(idx / 7), 0, 0, (uint)(idx % 7));
        foreach (var hostdev in d.DevicesOf("hostdev"))
        {
            // Hostdevs are post-parsed after disks: only addresses written in the file exist yet.
            if (IsScsiHostdev(hostdev) && HasWrittenAddress(hostdev) && DriveAddress.Of(hostdev) == assigned)
            {
                return P(ErrorCode.ConfigUnsupported,
                    $"using disk target name '{dst}' conflicts with SCSI host device address controller='{assigned.Controller}' bus='0' target='0' unit='{assigned.Unit}",
                    disk.El("target"));
            }
        }

        return null;
    }

    /// <summary>True when the device's address was in the file rather than assigned by the post-parse.</summary>
    private static bool HasWrittenAddress(XElement device) =>
        WrittenDomain.CopyOf(device) is { } written ? written.El("address") is not null : IsWritten(device.El("address"));

    /// <summary>The drive addresses of the SCSI disks (asked for each SCSI host device).</summary>
    internal static HashSet<DriveAddress> ScsiDiskAddresses(DomainXml d) =>
        d.Memo("disk: SCSI drive addresses", static d => d.DevicesOf("disk")
            .Where(disk => disk.El("target").A("bus") == "scsi")
            .Select(DriveAddress.Of).OfType<DriveAddress>().ToHashSet());

    internal static bool IsScsiHostdev(XElement hostdev) =>
        hostdev.Is("hostdev") && (hostdev.A("mode") ?? "subsystem") == "subsystem" && hostdev.A("type") == "scsi";

    /// <summary>virDomainHostdevDefPostParse: a SCSI hostdev's address must be free of SCSI disks; mdev address types.</summary>
    private static Problem? HostdevPostParse(DomainXml d, XElement hostdev)
    {
        if ((hostdev.A("mode") ?? "subsystem") != "subsystem")
        {
            return null;
        }

        switch (hostdev.A("type"))
        {
            case "scsi":
                if (DriveAddress.Of(hostdev) is { } addr && ScsiDiskAddresses(d).Contains(addr))
                {
                    return P(ErrorCode.XmlError, $"SCSI host address {addr} in use by a SCSI disk", hostdev.El("address"));
                }

                break;
            case "mdev":
                var type = hostdev.El("address").A("type");
                var model = hostdev.A("model");
                if (type is not null && ((model == "vfio-pci" && type != "pci") || (model == "vfio-ccw" && type != "ccw")))
                {
                    return P(ErrorCode.XmlError, $"Unsupported address type '{type}' with mediated device model '{model}'", hostdev.El("address"));
                }

                break;
        }

        return null;
    }

    /// <summary>
    /// The controller's model is one of virtio-scsi's: libvirt compares the model number with the SCSI
    /// values whatever the controller type, so other types match when their model has the same number.
    /// </summary>
    private static bool IsVirtioScsiModel(XElement controller)
    {
        var models = (controller.A("type") ?? "ide") switch
        {
            "scsi" => LibvirtEnums.DomainControllerModelSCSI,
            "usb" => LibvirtEnums.DomainControllerModelUSB,
            "pci" => LibvirtEnums.DomainControllerModelPCI,
            "ide" => LibvirtEnums.DomainControllerModelIDE,
            "virtio-serial" => LibvirtEnums.DomainControllerModelVirtioSerial,
            _ => [],
        };
        var index = controller.A("model") is { } m ? Array.IndexOf(models, m) : -1;
        var scsi = LibvirtEnums.DomainControllerModelSCSI;
        return index >= 0 && (index == Array.IndexOf(scsi, "virtio-scsi") ||
                              index == Array.IndexOf(scsi, "virtio-transitional") ||
                              index == Array.IndexOf(scsi, "virtio-non-transitional"));
    }
}
