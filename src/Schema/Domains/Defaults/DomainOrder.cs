using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

/// <summary>The order in which libvirt's virDomainDefFormatInternal writes a domain's elements.</summary>
internal static class DomainOrder
{
    public static readonly string[] Top =
    [
        "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory", "currentMemory",
        "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads", "iothreadids", "defaultiothread",
        "cputune", "numatune", "resource", "sysinfo", "bootloader", "bootloader_args", "os", "idmap", "features",
        "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "on_lockfailure", "pm", "perf", "devices",
        "seclabel", "keywrap", "launchSecurity",
    ];

    public static readonly string[] Devices =
    [
        "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial", "parallel",
        "console", "channel", "input", "tpm", "graphics", "sound", "audio", "video", "hostdev", "redirdev",
        "redirfilter", "hub", "watchdog", "memballoon", "rng", "nvram", "panic", "shmem", "memory", "iommu",
        "vsock", "crypto",
    ];

    public static void Apply(XElement root)
    {
        root.OrderAttributes(["type", "id"]);
        root.OrderChildren(Top);
        root.El("devices")?.OrderChildren(Devices);
        MoveNamespacedAfterDevices(root);
    }

    /// <summary>
    /// Elements of a hypervisor namespace (qemu:commandline and the like) follow the devices and
    /// security labels, as libvirt's namespace formatter writes them.
    /// </summary>
    private static void MoveNamespacedAfterDevices(XElement root)
    {
        var foreign = root.NamespacedChildren();
        if (foreign.Count == 0)
        {
            return;
        }

        var anchor = root.Elements().LastOrDefault(e => e.Name.Namespace == XNamespace.None && e.Name.LocalName is "devices" or "seclabel");
        if (anchor is null)
        {
            return;
        }

        foreach (var f in foreign)
        {
            f.Remove();
        }

        anchor.AddAfterSelf(foreign);
    }
}
