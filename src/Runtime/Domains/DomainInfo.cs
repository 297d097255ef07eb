namespace Reconciler.Runtime.Domains;

/// <summary>
/// What <c>virsh dominfo</c> shows, and <see cref="Starts"/>: how many times a guest of the persistent
/// domain was started (booted, restored or migrated in) since it was first defined, kept across crashes.
/// </summary>
public sealed record DomainInfo(
    int? Id,
    string Name,
    Guid Uuid,
    string OsType,
    DomainStatus Status,
    int Vcpus,
    TimeSpan CpuTime,
    ulong MaxMemoryKiB,
    ulong UsedMemoryKiB,
    bool Persistent,
    bool Autostart,
    bool ManagedSave,
    long Starts = 0);

/// <summary>virVcpuState.</summary>
public enum VcpuState
{
    Offline = 0,
    Running = 1,
    Blocked = 2,
}

/// <summary>One line of <c>virsh vcpuinfo</c>: the vCPU, its state, the host CPU it last ran on, its CPU time and affinity.</summary>
public sealed record VcpuInfo(int Number, VcpuState State, int Cpu, TimeSpan CpuTime, string Affinity);

/// <summary>A domain in a listing: what <c>virsh list --all</c> shows.</summary>
public sealed record DomainSummary(int? Id, string Name, Guid Uuid, DomainStatus Status, bool Persistent, bool Autostart);

/// <summary>Where a device change applies, as libvirt's VIR_DOMAIN_AFFECT_* flags.</summary>
[Flags]
public enum DeviceScope
{
    /// <summary>The live definition when the domain is running, else the persistent one.</summary>
    Current = 0,

    /// <summary>The running domain (refused when it is not running).</summary>
    Live = 1,

    /// <summary>The persistent definition, used from the next boot (refused for transient domains).</summary>
    Config = 2,
}

/// <summary>How a definition is taken (as libvirt's virDomainDefineXMLFlags).</summary>
[Flags]
public enum DefineFlags
{
    None = 0,

    /// <summary>
    /// The caller validated this very definition with this build's schema layer — checks, defaults,
    /// validation and the read-back of its effective form, as the controller does with its specs: only the
    /// defaults run again (no parse checks, no validation; <see cref="Reconciler.Schema.SchemaOptions.SkipChecks"/>).
    /// A definition that was not validated so may then be taken although libvirt would refuse it.
    /// </summary>
    Validated = 1,
}
