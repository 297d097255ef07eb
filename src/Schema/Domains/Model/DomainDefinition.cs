using System.Xml.Linq;
using Reconciler.Schema.Metadata;
using Reconciler.Schema.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Model;

/// <summary>
/// The typed view of an effective (normalized) domain definition: what the runtime and the controller
/// need, with units applied. It compares by value. Everything else stays in the XML it was read from
/// (<see cref="SpecDocument.Effective"/>), which is what gets written back, so nothing is lost.
/// </summary>
public sealed record DomainDefinition(
    string Name,
    Guid Uuid,
    string VirtType,
    string? Title,
    string? Description,
    DomainMemory Memory,
    DomainVcpus Vcpus,
    DomainCpu? Cpu,
    DomainOs Os,
    ValueList<string> Features,
    DomainLifecycle Lifecycle,
    DomainClock Clock,
    DomainDevices Devices,
    ReconcilerMetadata Metadata)
{
    /// <summary>Reads the typed model from an effective domain definition (one that passed validation).</summary>
    public static DomainDefinition FromXml(XElement domain)
    {
        _ = Uuids.TryParse(domain.Text("uuid"), out var uuid);
        return new DomainDefinition(
            domain.Text("name") ?? string.Empty,
            uuid,
            domain.A("type") ?? string.Empty,
            domain.El("title")?.Value,
            domain.El("description")?.Value,
            DomainMemory.FromXml(domain),
            DomainVcpus.FromXml(domain),
            DomainCpu.FromXml(domain.El("cpu")),
            DomainOs.FromXml(domain.El("os")),
            (domain.El("features")?.Elements().Select(f => f.Name.LocalName) ?? []).ToValueList(),
            new DomainLifecycle(
                domain.Text("on_poweroff") ?? "destroy",
                domain.Text("on_reboot") ?? "restart",
                domain.Text("on_crash") ?? "destroy"),
            DomainClock.FromXml(domain.El("clock")),
            DomainDevices.FromXml(domain.El("devices")),
            ReconcilerMetadata.FromDomain(domain));
    }

    /// <summary>
    /// The part of <see cref="FromXml"/> that dominfo needs — the OS type, memory and vCPUs — without reading
    /// the devices and the rest (asked for every domain on every resync).
    /// </summary>
    public static (DomainOs Os, DomainMemory Memory, DomainVcpus Vcpus) Basics(XElement domain) =>
        (DomainOs.FromXml(domain.El("os")), DomainMemory.FromXml(domain), DomainVcpus.FromXml(domain));
}

/// <summary>Memory sizes in KiB: the maximum for hotplug, the boot-time size and the balloon target.</summary>
public sealed record DomainMemory(ulong MemoryKiB, ulong CurrentMemoryKiB, ulong? MaxMemoryKiB, uint? Slots)
{
    internal static DomainMemory FromXml(XElement domain)
    {
        var max = domain.El("maxMemory");
        return new DomainMemory(
            XmlNumbers.ULong(domain.Text("memory")),
            XmlNumbers.ULong(domain.Text("currentMemory")),
            max is null ? null : XmlNumbers.ULong(max.Value),
            max is null ? null : (uint)XmlNumbers.ULong(max.A("slots")));
    }
}

/// <summary>vCPUs: the maximum, how many are online, their placement and host CPU set.</summary>
public sealed record DomainVcpus(int Maximum, int Current, string Placement, string? CpuSet)
{
    internal static DomainVcpus FromXml(XElement domain)
    {
        var vcpu = domain.El("vcpu");
        var max = (int)XmlNumbers.ULong(vcpu?.Value, 1);
        return new DomainVcpus(max, (int)XmlNumbers.ULong(vcpu.A("current"), (ulong)max), vcpu.A("placement") ?? "static", vcpu.A("cpuset"));
    }
}

/// <summary>The guest CPU: mode, model and topology.</summary>
public sealed record DomainCpu(string Mode, string? Match, string? Model, CpuTopology? Topology, ValueList<CpuFeature> Features)
{
    internal static DomainCpu? FromXml(XElement? cpu)
    {
        if (cpu is null)
        {
            return null;
        }

        var topology = cpu.El("topology");
        return new DomainCpu(
            cpu.A("mode") ?? "custom",
            cpu.A("match"),
            cpu.El("model")?.Value is { Length: > 0 } m ? m : null,
            topology is null
                ? null
                : new CpuTopology(
                    (int)XmlNumbers.ULong(topology.A("sockets"), 1),
                    (int)XmlNumbers.ULong(topology.A("dies"), 1),
                    (int)XmlNumbers.ULong(topology.A("cores"), 1),
                    (int)XmlNumbers.ULong(topology.A("threads"), 1)),
            cpu.Els("feature").Select(f => new CpuFeature(f.A("name") ?? string.Empty, f.A("policy") ?? "require")).ToValueList());
    }
}

public sealed record CpuTopology(int Sockets, int Dies, int Cores, int Threads);

public sealed record CpuFeature(string Name, string Policy);

/// <summary>How the guest boots: OS type, architecture, machine, boot devices and firmware.</summary>
public sealed record DomainOs(string Type, string Arch, string? Machine, ValueList<string> BootDevices, DomainLoader? Loader, string? Kernel, string? Initrd, string? Cmdline)
{
    internal static DomainOs FromXml(XElement? os)
    {
        var type = os.El("type");
        var loader = os.El("loader");
        return new DomainOs(
            type?.Value ?? "hvm",
            type.A("arch") ?? "i686",
            type.A("machine"),
            os.Els("boot").Select(b => b.A("dev") ?? string.Empty).ToValueList(),
            loader is null ? null : new DomainLoader(loader.Value.Length > 0 ? loader.Value : null, loader.A("type"), loader.A("readonly") == "yes", loader.A("secure") == "yes"),
            os.Text("kernel"),
            os.Text("initrd"),
            os.Text("cmdline"));
    }
}

public sealed record DomainLoader(string? Path, string? Type, bool ReadOnly, bool Secure);

/// <summary>What happens when the guest powers off, reboots or crashes (libvirt's lifecycle actions).</summary>
public sealed record DomainLifecycle(string OnPoweroff, string OnReboot, string OnCrash);

/// <summary>The guest clock: offset and timers.</summary>
public sealed record DomainClock(string Offset, ValueList<ClockTimer> Timers)
{
    internal static DomainClock FromXml(XElement? clock) =>
        new(clock.A("offset") ?? "utc",
            clock.Els("timer").Select(t => new ClockTimer(t.A("name") ?? string.Empty, t.A("present"), t.A("tickpolicy"))).ToValueList());
}

public sealed record ClockTimer(string Name, string? Present, string? TickPolicy);
