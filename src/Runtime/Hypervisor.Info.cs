using System.Globalization;
using System.Xml.Linq;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

public sealed partial class Hypervisor
{
    /// <summary>
    /// The host's capabilities as libvirt formats them (virsh capabilities): the host CPU and its topology,
    /// the memory, and the guests it runs (hvm on the host's architecture, kvm and qemu domain types).
    /// </summary>
    public string GetCapabilitiesXml()
    {
        var node = Host.Node;
        var wordsize = node.Arch is "i686" or "armv7l" ? "32" : "64";
        var caps = new XElement("capabilities",
            new XElement("host",
                new XElement("cpu",
                    new XElement("arch", node.Arch),
                    new XElement("model", node.CpuModel),
                    new XElement("topology",
                        new XAttribute("sockets", node.Sockets * node.Nodes),
                        new XAttribute("dies", 1),
                        new XAttribute("cores", node.Cores),
                        new XAttribute("threads", node.Threads))),
                new XElement("topology",
                    new XElement("cells", new XAttribute("num", node.Nodes),
                        Enumerable.Range(0, node.Nodes).Select(i => new XElement("cell", new XAttribute("id", i),
                            new XElement("memory", new XAttribute("unit", "KiB"), node.MemoryKiB / (ulong)node.Nodes),
                            new XElement("cpus", new XAttribute("num", node.Cpus / node.Nodes))))))),
            new XElement("guest",
                new XElement("os_type", "hvm"),
                new XElement("arch", new XAttribute("name", node.Arch),
                    new XElement("wordsize", wordsize),
                    new XElement("emulator", $"/usr/bin/qemu-system-{node.Arch}"),
                    new XElement("domain", new XAttribute("type", "qemu")),
                    new XElement("domain", new XAttribute("type", "kvm")))));
        return LibvirtXmlWriter.Format(caps);
    }

    /// <summary>virsh dominfo: state, CPU time, maximum and used memory, vCPUs, persistence, autostart.</summary>
    public Task<DomainInfo> GetInfoAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            var (os, memory, vcpus) = DomainDefinition.Basics(dom.Current);
            var guest = dom.Guest;
            return new DomainInfo(
                dom.Id,
                dom.Name,
                dom.Uuid,
                os.Type,
                dom.Status,
                guest?.OnlineVcpus ?? vcpus.Current,
                guest?.CpuTime ?? TimeSpan.Zero,
                memory.MemoryKiB,
                guest?.BalloonKiB ?? memory.CurrentMemoryKiB,
                dom.IsPersistent,
                dom.Autostart,
                dom.HasManagedSave,
                dom.Starts);
        }, cancellationToken);

    /// <summary>virsh vcpuinfo: each online vCPU of a running domain, the host CPU it ran on, its CPU time and affinity.</summary>
    public Task<IReadOnlyList<VcpuInfo>> GetVcpusAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync<IReadOnlyList<VcpuInfo>>(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "cannot list vcpu pinning for an inactive domain");
            }

            var guest = dom.Guest!;
            var model = DomainDefinition.FromXml(dom.Live!);
            var cpus = Host.Node.Cpus;
            var affinity = model.Vcpus.CpuSet is { } set ? CpuSetAffinity(set, cpus) : new string('y', cpus);
            var times = guest.VcpuTimes;
            var state = dom.Status.State == DomainState.Running ? VcpuState.Running : VcpuState.Blocked;
            return [.. times.Select((time, i) => new VcpuInfo(i, state, i % Math.Max(cpus, 1), time, affinity))];
        }, cancellationToken);

    /// <summary>virsh domblkstat: the I/O counters of the disk with target <paramref name="disk"/>.</summary>
    public Task<BlockStats> GetBlockStatsAsync(string name, string disk, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            var target = DomainDefinition.FromXml(dom.Live!).Devices.Disks
                .FirstOrDefault(d => d.Target == disk || d.Source?.Path == disk)?.Target;
            return (target is null ? null : dom.Guest!.BlockStats(target))
                ?? throw new RuntimeException(ErrorCode.InvalidArgument, $"invalid path: {disk}");
        }, cancellationToken);

    /// <summary>virsh domifstat: the counters of an interface, named by its tap device or its MAC.</summary>
    public Task<InterfaceStats> GetInterfaceStatsAsync(string name, string device, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            var mac = dom.Taps.FirstOrDefault(t => t.Value == device).Key
                ?? DomainDefinition.FromXml(dom.Live!).Devices.Interfaces
                    .FirstOrDefault(n => string.Equals(n.Mac, device, StringComparison.OrdinalIgnoreCase) || n.TargetDev == device)?.Mac;
            return (mac is null ? null : dom.Guest!.InterfaceStats(mac))
                ?? throw new RuntimeException(ErrorCode.InvalidArgument, $"'{device}' is not a known interface");
        }, cancellationToken);

    /// <summary>The live definition as libvirt shows it: the ID, graphics ports, tap names and device aliases added.</summary>
    private static XElement LiveView(DomainObject dom)
    {
        var view = new XElement(dom.Live!);
        var attributes = view.Attributes().ToList();
        view.RemoveAttributes();
        foreach (var a in attributes)
        {
            view.Add(a);
            if (a.Name == "type")
            {
                view.Add(new XAttribute("id", dom.Id!.Value.ToString(CultureInfo.InvariantCulture)));
            }
        }

        var devices = view.El("devices");
        foreach (var disk in devices.Els("disk"))
        {
            AddAlias(disk, DiskAlias(disk));
        }

        var netIndex = 0;
        foreach (var net in devices.Els("interface"))
        {
            var mac = net.El("mac").A("address");
            if (mac is not null && dom.Taps.TryGetValue(mac, out var tap))
            {
                var target = net.El("target") ?? new XElement("target");
                target.SetAttributeValue("dev", tap);
                if (target.Parent is null)
                {
                    // After the source and the MAC, as libvirt formats it.
                    var anchor = net.El("source") ?? net.El("mac");
                    if (anchor is null)
                    {
                        net.AddFirst(target);
                    }
                    else
                    {
                        anchor.AddAfterSelf(target);
                    }
                }
            }

            AddAlias(net, $"net{netIndex++}");
        }

        return view;
    }

    /// <summary>qemuAssignDeviceDiskAlias for the usual buses.</summary>
    private static string? DiskAlias(XElement disk)
    {
        var target = disk.El("target");
        var bus = target.A("bus");
        var address = disk.El("address");
        switch (bus)
        {
            case "virtio":
                return $"virtio-disk{DiskNameToIndex(target.A("dev"))}";
            case "ide" or "sata" or "fdc" when address?.A("type") == "drive":
                var prefix = bus == "sata" ? "sata" : bus;
                return $"{prefix}{address.A("controller")}-{address.A("bus")}-{address.A("unit")}";
            case "scsi" when address?.A("type") == "drive":
                return $"scsi{address.A("controller")}-{address.A("bus")}-{address.A("target")}-{address.A("unit")}";
            case "usb":
                return $"usb-disk{DiskNameToIndex(target.A("dev"))}";
            default:
                return null;
        }
    }

    private static void AddAlias(XElement device, string? alias)
    {
        if (alias is null || device.El("alias") is not null)
        {
            return;
        }

        var element = new XElement("alias", new XAttribute("name", alias));
        var before = device.El("address") ?? device.El("rom") ?? device.El("boot");
        if (before is not null && device.El("address") is { } address)
        {
            address.AddBeforeSelf(element);
        }
        else
        {
            device.Add(element);
        }
    }

    private static string CpuSetAffinity(string cpuset, int cpus)
    {
        var chars = new char[cpus];
        Array.Fill(chars, '-');
        foreach (var part in cpuset.Split(','))
        {
            var exclude = part.StartsWith('^');
            var range = exclude ? part[1..] : part;
            var bounds = range.Split('-');
            if (!int.TryParse(bounds[0], CultureInfo.InvariantCulture, out var from))
            {
                continue;
            }

            var to = bounds.Length > 1 && int.TryParse(bounds[1], CultureInfo.InvariantCulture, out var t) ? t : from;
            for (var i = from; i <= to && i < cpus; i++)
            {
                chars[i] = exclude ? '-' : 'y';
            }
        }

        return new string(chars);
    }

    /// <summary>Test and demonstration hooks: make the guest do something by itself (power off, reboot, crash, panic).</summary>
    public Task SimulateGuestAsync(string name, GuestExit exit, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            dom.Guest!.Simulate(exit);
        }, cancellationToken);

    /// <summary>Makes the running guest write every page of its memory once (benchmarks and drills: a guest that has used all its memory).</summary>
    public async Task TouchAllMemoryAsync(string name, CancellationToken cancellationToken = default)
    {
        IGuest? guest = null;
        await JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            guest = dom.Guest!;
        }, cancellationToken).ConfigureAwait(false);
        await Task.Run(guest!.TouchAllMemory, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets how busy the guest is (pages dirtied per second, CPU load, I/O rates).</summary>
    public Task SetWorkloadAsync(string name, WorkloadSettings workload, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            dom.Guest!.Workload = workload;
        }, cancellationToken);

    /// <summary>Whether the guest OS ignores ACPI shutdown requests (as a hung guest does).</summary>
    public Task SetIgnoreShutdownAsync(string name, bool ignore, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            dom.Guest!.IgnoreShutdownRequests = ignore;
        }, cancellationToken);

    /// <summary>What the guest reports of its memory: a SHA-256 digest over its non-zero pages, and its workload counter.</summary>
    public Task<GuestMemoryReport> GetGuestMemoryAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            var guest = dom.Guest!;
            var paused = guest.Paused;
            if (!paused)
            {
                guest.Pause();
            }

            try
            {
                return new GuestMemoryReport(guest.Memory.Digest(), guest.Memory.TouchedPages, guest.WorkCounter, guest.Memory.SizeKiB);
            }
            finally
            {
                if (!paused)
                {
                    guest.Resume();
                }
            }
        }, cancellationToken);
}

/// <summary>A guest's memory as it reports it: a digest of the content, the pages written, the workload counter, the size.</summary>
public sealed record GuestMemoryReport(string Digest, long TouchedPages, long WorkCounter, ulong SizeKiB);
