using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Support;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainDefValidateInternal: the checks on the definition as a whole, in libvirt's order.</summary>
internal static partial class ValidateRules
{
    private const int AppIdMinLength = 1;
    private const int AppIdMaxLength = 128;

    public static IEnumerable<Problem?> DefinitionValidate(DomainXml d)
    {
        yield return Resource(d);
        yield return DuplicateDiskTargets(d);
        yield return HostdevsOnce(d);
        yield return DuplicateDriveAddresses(d);
        yield return VcpuTopology(d);
        yield return Aliases(d);
        yield return IommuDefinition(d);
        yield return Lifecycle(d);
        yield return Hugepages(d);
        yield return Os(d);
        yield return Cputune(d);
        yield return BootOptions(d);
        yield return PrimaryVideo(d);
        yield return BlkioDevices(d);
        yield return IdMap(d);
        yield return Numa(d);
        yield return VirtiofsTargets(d);
        yield return IoThreads(d);
    }

    /// <summary>virDomainDefResourceValidate: the Fibre Channel application id.</summary>
    private static Problem? Resource(DomainXml d)
    {
        var fc = d.Root.El("resource").El("fibrechannel");
        if (fc?.A("appid") is not { } appid)
        {
            return null;
        }

        if (appid.Any(c => c is < ' ' or > '~'))
        {
            return P(ErrorCode.XmlError, "Fibre Channel 'appid' is not a printable string", fc);
        }

        var length = System.Text.Encoding.UTF8.GetByteCount(appid);
        return length is < AppIdMinLength or > AppIdMaxLength
            ? P(ErrorCode.InvalidArgument, $"Fibre Channel 'appid' string length must be between [{AppIdMinLength}, {AppIdMaxLength}]", fc)
            : null;
    }

    /// <summary>virDomainDefDuplicateDiskInfoValidate: each target name once.</summary>
    private static Problem? DuplicateDiskTargets(DomainXml d)
    {
        var disks = d.DevicesOf("disk").ToList();
        if (Pairs.FirstWithSameKey(disks, disk => disk.El("target").A("dev")) is not var (i, j))
        {
            return null;
        }

        return P(ErrorCode.XmlError,
            $"target '{disks[i].El("target").A("dev")}' duplicated for disk sources '{DiskSourcePath(disks[i]) ?? "<null>"}' and '{DiskSourcePath(disks[j]) ?? "<null>"}'",
            disks[j].El("target"));
    }

    /// <summary>virDomainDefDuplicateDriveAddressesValidate: disks and SCSI hostdevs each on their own drive address.</summary>
    private static Problem? DuplicateDriveAddresses(DomainXml d)
    {
        var disks = d.DevicesOf("disk").ToList();
        if (Pairs.FirstWithSameKey(disks, disk => DriveAddress.Of(disk) is { } a ? (disk.El("target").A("bus"), a) : null) is var (i, j))
        {
            return P(ErrorCode.ConfigUnsupported,
                $"Found duplicate drive address for disk with target name '{disks[i].El("target").A("dev")}' {DriveAddress.Of(disks[i])}",
                disks[j].El("address"));
        }

        var hostdevs = d.DevicesOf("hostdev").Where(IsScsiHostdev).ToList();
        var next = Pairs.NextWithSameKey(hostdevs, hostdev => DriveAddress.Of(hostdev));
        var scsiDisks = ScsiDiskAddresses(d);
        for (i = 0; i < hostdevs.Count; i++)
        {
            if (DriveAddress.Of(hostdevs[i]) is not { } a)
            {
                continue;
            }

            // libvirt names the bus 'controller' and the controller 'bus' in these two messages.
            var swapped = $"controller='{a.Bus}' bus='{a.Controller}' target='{a.Target}' unit='{a.Unit}'";
            if (next[i] >= 0)
            {
                return P(ErrorCode.ConfigUnsupported, $"SCSI host address {swapped} in use by another SCSI host device", hostdevs[next[i]].El("address"));
            }

            if (scsiDisks.Contains(a))
            {
                return P(ErrorCode.ConfigUnsupported, $"SCSI host address {swapped} in use by another SCSI disk", hostdevs[i].El("address"));
            }
        }

        return null;
    }

    /// <summary>virDomainDefGetVcpusTopology: the topology's product fits in an unsigned int.</summary>
    private static Problem? VcpuTopology(DomainXml d)
    {
        var topology = d.Root.El("cpu").El("topology");
        var sockets = ULong(topology, "sockets") ?? 0;
        if (sockets == 0)
        {
            return null;
        }

        var product = (UInt128)sockets * (ULong(topology, "dies") ?? 1) * (ULong(topology, "cores") ?? 0) * (ULong(topology, "threads") ?? 0);
        return product > uint.MaxValue
            ? P(ErrorCode.ConfigUnsupported, $"cpu topology results in more than {uint.MaxValue} cpus", topology)
            : null;
    }

    /// <summary>virDomainDefValidateAliases: user aliases ("ua-") are unique.</summary>
    private static Problem? Aliases(DomainXml d)
    {
        var serials = d.DevicesOf("serial").ToList();
        var consoles = d.DevicesOf("console").ToList();
        var serialConsole = serials.Count > 0 && consoles.Count > 0 && consoles[0].El("target").A("type") == "serial";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in Devices(d, allConsoles: true, missingInfo: false))
        {
            if (serialConsole && device.Element == serials[0])
            {
                // libvirt skips the serial port the first console stands for.
                continue;
            }

            var info = IsCompatConsole(d, device.Element) ? CompatConsole(d) : device.Element;
            var alias = info.El("alias");
            if (alias?.A("name") is not { } name || !name.StartsWith("ua-", StringComparison.Ordinal) || device.ParentNet || !device.HasInfo)
            {
                continue;
            }

            if (!seen.Add(name))
            {
                return P(ErrorCode.ConfigUnsupported, $"non unique alias detected: {name}", info == device.Element ? alias : WrittenDomain.At(alias));
            }
        }

        return null;
    }

    /// <summary>virDomainDefIOMMUValidate: interrupt remapping needs the split I/O APIC; EIM needs remapping.</summary>
    private static Problem? IommuDefinition(DomainXml d)
    {
        var iommu = d.DevicesOf("iommu").FirstOrDefault();
        var driver = iommu.El("driver");
        if (driver.A("intremap") == "on" && d.Root.El("features").El("ioapic").A("driver") != "qemu")
        {
            return P(ErrorCode.ConfigUnsupported, "IOMMU interrupt remapping requires split I/O APIC (ioapic driver='qemu')", driver);
        }

        return driver.A("eim") == "on" && driver.A("intremap") != "on"
            ? P(ErrorCode.ConfigUnsupported, "IOMMU eim requires interrupt remapping to be enabled", driver)
            : null;
    }

    /// <summary>virDomainDefLifecycleActionValidate: no core dumps on power-off or reboot.</summary>
    private static Problem? Lifecycle(DomainXml d)
    {
        foreach (var (element, lifecycle) in (ReadOnlySpan<(string, string)>)[("on_poweroff", "poweroff"), ("on_reboot", "reboot")])
        {
            var action = d.Root.El(element);
            if (action?.Value.Trim() is "coredump-destroy" or "coredump-restart")
            {
                return P(ErrorCode.ConfigUnsupported, $"Lifecycle event '{lifecycle}' doesn't support '{action.Value.Trim()}' action", action);
            }
        }

        return null;
    }

    /// <summary>virDomainDefCputuneValidate: the cgroup ranges of shares, periods and quotas.</summary>
    private static Problem? Cputune(DomainXml d)
    {
        var cputune = d.Root.El("cputune");
        if (cputune is null)
        {
            return null;
        }

        var shares = ULongText(cputune.El("shares")) ?? 0;
        if (shares > 0 && shares is < 2 or > 262144)
        {
            return P(ErrorCode.ConfigUnsupported, "Value of cputune 'shares' must be in range [2, 262144]", cputune.El("shares"));
        }

        foreach (var name in (string[])["period", "global_period", "emulator_period", "iothread_period"])
        {
            var value = ULongText(cputune.El(name)) ?? 0;
            if (value > 0 && value is < 1000 or > 1000000)
            {
                return P(ErrorCode.ConfigUnsupported, $"Value of cputune '{name}' must be in range [1000, 1000000]", cputune.El(name));
            }
        }

        foreach (var name in (string[])["quota", "global_quota", "emulator_quota", "iothread_quota"])
        {
            var value = cputune.El(name) is { } e && CNumber.TryParseLong(e.Value.Trim(), out var v) ? v : 0;
            if (value > 0 && value is < 1000 or > 17592186044415)
            {
                return P(ErrorCode.ConfigUnsupported, $"Value of cputune '{name}' must be in range [1000, 17592186044415]", cputune.El(name));
            }
        }

        return null;
    }

    /// <summary>virDomainDefBootValidate: boot menu timeout and BIOS reboot timeout ranges.</summary>
    private static Problem? BootOptions(DomainXml d)
    {
        var menu = d.Os.El("bootmenu");
        if (menu.A("enable") == "yes" && ULong(menu, "timeout") > 65535)
        {
            return P(ErrorCode.ConfigUnsupported, "invalid value for boot menu timeout, must be in range [0,65535]", menu);
        }

        var bios = d.Os.El("bios");
        return Long(bios, "rebootTimeout") is { } delay && delay is < -1 or > 65535
            ? P(ErrorCode.ConfigUnsupported, "invalid value for rebootTimeout, must be in range [-1,65535]", bios)
            : null;
    }

    /// <summary>virDomainDefTunablesValidate: each blkio device path once.</summary>
    private static Problem? BlkioDevices(DomainXml d)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var device in d.Root.El("blkiotune").Els("device"))
        {
            var path = device.Text("path");
            if (path is not null && !seen.Add(path))
            {
                return P(ErrorCode.ConfigUnsupported, $"duplicate blkio device path '{path}'", device);
            }
        }

        return null;
    }

    /// <summary>virDomainDefIdMapValidate: users and groups mapped together, root mapped.</summary>
    private static Problem? IdMap(DomainXml d)
    {
        var idmap = d.Root.El("idmap");
        var uids = idmap.Els("uid").ToList();
        var gids = idmap.Els("gid").ToList();
        if ((uids.Count > 0) != (gids.Count > 0))
        {
            return P(ErrorCode.ConfigUnsupported, "uid and gid should be mapped both", idmap);
        }

        ulong? First(List<XElement> map) => map.Count == 0 ? null : map.Min(m => ULong(m, "start") ?? 0);
        return First(uids) is not (null or 0) || First(gids) is not (null or 0)
            ? P(ErrorCode.ConfigUnsupported, "You must map the root user of container", idmap)
            : null;
    }

    /// <summary>virDomainDefFSValidate: each virtiofs target once.</summary>
    private static Problem? VirtiofsTargets(DomainXml d)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fs in d.DevicesOf("filesystem"))
        {
            if (fs.El("driver").A("type") != "virtiofs" || fs.El("target").A("dir") is not { } dst)
            {
                continue;
            }

            if (!seen.Add(dst))
            {
                return P(ErrorCode.ConfigUnsupported, $"filesystem target '{dst}' specified twice", fs.El("target"));
            }
        }

        return null;
    }

    /// <summary>virDomainDefValidateIOThreads: the thread pool bounds of each iothread and the default one.</summary>
    private static Problem? IoThreads(DomainXml d)
    {
        var pools = d.Root.El("iothreadids").Els("iothread").ToList();
        if (d.Root.El("defaultiothread") is { } defaultThread && (defaultThread.A("thread_pool_min") is not null || defaultThread.A("thread_pool_max") is not null))
        {
            pools.Add(defaultThread);
        }

        foreach (var pool in pools)
        {
            var min = Long(pool, "thread_pool_min") ?? -1;
            var max = Long(pool, "thread_pool_max") ?? -1;
            if (max == 0)
            {
                return P(ErrorCode.ConfigUnsupported, "thread_pool_max must be a positive integer", pool);
            }

            if (min > max)
            {
                return P(ErrorCode.ConfigUnsupported, "thread_pool_min must be smaller or equal to thread_pool_max", pool);
            }
        }

        return null;
    }
}
