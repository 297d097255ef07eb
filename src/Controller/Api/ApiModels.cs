using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Reconciler.Controller.Daemon;
using Reconciler.Runtime;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Host;
using Reconciler.Runtime.Storage;

namespace Reconciler.Controller.Api;

/// <summary>The JSON of the API (and of the CLI's <c>--output json</c>): camelCase, enums as their names.</summary>
public static class ApiJson
{
    /// <summary>Options for bodies on the wire.</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>The same, indented, for people.</summary>
    public static JsonSerializerOptions Indented { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true });

    /// <summary>
    /// Applies the API's conventions to <paramref name="options"/>. Its types' contracts are the ones generated
    /// at build time (<see cref="ApiJsonContext"/>), never reflection: a type the API serializes without one
    /// fails in every build, not only in the ahead-of-time compiled one.
    /// </summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        options.TypeInfoResolver = ApiJsonContext.Default;
        return options;
    }

    /// <summary>The contract of <typeparamref name="T"/> in <see cref="Options"/>.</summary>
    public static JsonTypeInfo<T> Info<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary>The contract of <typeparamref name="T"/> in <see cref="Indented"/>.</summary>
    public static JsonTypeInfo<T> IndentedInfo<T>() => (JsonTypeInfo<T>)Indented.GetTypeInfo(typeof(T));
}

/// <summary>Every type the API and the CLI put into JSON or read from it, with enums as their names.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(StatusSummaryDto))]
[JsonSerializable(typeof(ObjectStatusDto))]
[JsonSerializable(typeof(List<ObjectStatusDto>))]
[JsonSerializable(typeof(IReadOnlyList<PlanItem>))]
[JsonSerializable(typeof(List<PlanItem>))]
[JsonSerializable(typeof(List<DomainListItem>))]
[JsonSerializable(typeof(DomainInfoDto))]
[JsonSerializable(typeof(DomainStateDto))]
[JsonSerializable(typeof(XmlDto))]
[JsonSerializable(typeof(List<InterfaceAddressDto>))]
[JsonSerializable(typeof(GuestMemoryReport))]
[JsonSerializable(typeof(JobInfoDto))]
[JsonSerializable(typeof(PowerActionResult))]
[JsonSerializable(typeof(List<NetworkListItem>))]
[JsonSerializable(typeof(IReadOnlyList<Reconciler.Runtime.Networks.DhcpLeaseInfo>))]
[JsonSerializable(typeof(List<Reconciler.Runtime.Networks.DhcpLeaseInfo>))]
[JsonSerializable(typeof(BridgesDto))]
[JsonSerializable(typeof(List<PoolListItem>))]
[JsonSerializable(typeof(List<VolumeListItem>))]
[JsonSerializable(typeof(NodeInfoDto))]
[JsonSerializable(typeof(DomainEventDto))]
public sealed partial class ApiJsonContext : JsonSerializerContext;

/// <summary>An error: the message libvirt (or the API) gives and its code name (VIR_ERR_NO_DOMAIN, ...).</summary>
public sealed record ApiError(string Error, string Code);

/// <summary>A condition of an object's status.</summary>
public sealed record ConditionDto(string Type, bool Status, string Reason, string Message, DateTimeOffset LastTransitionTime)
{
    public static ConditionDto From(Condition c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return new(c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime);
    }
}

/// <summary>
/// How many objects have a status, how many of them are Synced and Healthy, and whether every status is the
/// running daemon's own (false until it has reconciled every object found at its start; before, some are
/// what the last run saved) (<c>GET v1/summary</c>).
/// </summary>
public sealed record StatusSummaryDto(int Objects, int Converged, bool Observed);

/// <summary>One object of <c>reconciler status</c>.</summary>
public sealed record ObjectStatusDto(
    ObjectKind Kind,
    string Name,
    string? File,
    string? Revision,
    SyncStatus Sync,
    HealthStatus Health,
    string Message,
    IReadOnlyList<ConditionDto> Conditions,
    string? LastError,
    DateTimeOffset LastTransitionTime,
    long Reconciles = 0)
{
    public static ObjectStatusDto From(ObjectStatus s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Kind, s.Name, s.File, s.Revision, s.Sync, s.Health, s.Message, [.. s.Conditions.Select(ConditionDto.From)], s.LastError, s.LastTransitionTime, s.Reconciles);
    }
}

/// <summary>One domain of <c>reconciler list</c>: virsh's words for the state and its reason; id is null when inactive.</summary>
public sealed record DomainListItem(int? Id, string Name, Guid Uuid, string State, string Reason, bool Autostart, bool Persistent, string Host)
{
    public static DomainListItem From(DomainSummary d, string host)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new(d.Id, d.Name, d.Uuid, d.Status.StateName, d.Status.ReasonName, d.Autostart, d.Persistent, host);
    }
}

/// <summary>What <c>virsh dominfo</c> shows; memory in KiB, CPU time in seconds.</summary>
public sealed record DomainInfoDto(
    int? Id,
    string Name,
    Guid Uuid,
    string OsType,
    string State,
    string Reason,
    int Cpus,
    double CpuTime,
    ulong MaxMemoryKiB,
    ulong UsedMemoryKiB,
    bool Persistent,
    bool Autostart,
    bool ManagedSave,
    string Host)
{
    public static DomainInfoDto From(DomainInfo d, string host)
    {
        ArgumentNullException.ThrowIfNull(d);
        return new(d.Id, d.Name, d.Uuid, d.OsType, d.Status.StateName, d.Status.ReasonName, d.Vcpus, d.CpuTime.TotalSeconds,
            d.MaxMemoryKiB, d.UsedMemoryKiB, d.Persistent, d.Autostart, d.ManagedSave, host);
    }
}

/// <summary>What <c>virsh domstate --reason</c> shows.</summary>
public sealed record DomainStateDto(string Name, string State, string Reason);

/// <summary>An XML document of an object (dumpxml, net-dumpxml).</summary>
public sealed record XmlDto(string Name, string Xml);

/// <summary>One address of <c>virsh domifaddr</c>.</summary>
public sealed record InterfaceAddressDto(string Name, string Mac, string Protocol, string Address, int Prefix)
{
    public static InterfaceAddressDto From(InterfaceAddress a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new(a.Interface, a.Mac, a.Protocol, a.Address, a.Prefix);
    }
}

/// <summary>One network of <c>virsh net-list</c>.</summary>
public sealed record NetworkListItem(string Name, Guid Uuid, string State, bool Active, bool Autostart, bool Persistent, string? Bridge, string ForwardMode)
{
    public static NetworkListItem From(NetworkInfo n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return new(n.Name, n.Uuid, n.Active ? "active" : "inactive", n.Active, n.Autostart, n.Persistent, n.Bridge, n.ForwardMode);
    }
}

/// <summary>One pool of <c>virsh pool-list --details</c>; sizes in bytes.</summary>
public sealed record PoolListItem(string Name, Guid Uuid, string Type, string State, bool Active, bool Autostart, bool Persistent, ulong Capacity, ulong Allocation, ulong Available)
{
    public static PoolListItem From(StoragePoolInfo p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(p.Name, p.Uuid, p.Type, p.StateName, p.State != StoragePoolState.Inactive, p.Autostart, p.Persistent, p.Capacity, p.Allocation, p.Available);
    }
}

/// <summary>One volume of <c>virsh vol-list --details</c>; sizes in bytes.</summary>
public sealed record VolumeListItem(string Name, string Pool, string Path, string Type, string Format, ulong Capacity, ulong Allocation)
{
    public static VolumeListItem From(StorageVolumeInfo v)
    {
        ArgumentNullException.ThrowIfNull(v);
        return new(v.Name, v.Pool, v.Path, v.Type, v.Format, v.Capacity, v.Allocation);
    }
}

/// <summary>What <c>virsh nodeinfo</c> shows, with the host's name and its free memory.</summary>
public sealed record NodeInfoDto(string Host, string Model, string CpuModel, int Cpus, int Mhz, int Sockets, int Cores, int Threads, int Nodes, ulong MemoryKiB, ulong FreeMemoryKiB)
{
    public static NodeInfoDto From(NodeInfo n, string host, ulong freeKiB)
    {
        ArgumentNullException.ThrowIfNull(n);
        return new(host, n.Arch, n.CpuModel, n.Cpus, n.Mhz, n.Sockets, n.Cores, n.Threads, n.Nodes, n.MemoryKiB, freeKiB);
    }
}

/// <summary>A lifecycle event of a domain, one line of the event stream.</summary>
public sealed record DomainEventDto(string Host, string Name, Guid Uuid, DomainEventType Type, string Detail, bool Spontaneous, string State, string Reason, DateTimeOffset Time)
{
    public static DomainEventDto From(DomainEvent e, string host)
    {
        ArgumentNullException.ThrowIfNull(e);
        return new(host, e.Name, e.Uuid, e.Type, e.Detail, e.Spontaneous, e.Status.StateName, e.Status.ReasonName, e.Time);
    }
}

/// <summary>
/// The answer to a power action: virsh's message, the domain's state afterwards, and — when a spec names the
/// domain with a run strategy other than manual — a note that the controller will converge it back.
/// </summary>
public sealed record PowerActionResult(string Domain, string Action, string Message, string? State, string? Reason, string? RunStrategy, bool WillConverge, string? Note);

/// <summary>The host's bridges with their ports, the taps of running domains, and the table brctl show prints.</summary>
public sealed record BridgesDto(
    IReadOnlyList<Reconciler.Runtime.Networks.BridgeInfo> Bridges,
    IReadOnlyList<Reconciler.Runtime.Networks.TapInfo> Taps,
    string Table,
    IReadOnlyList<Reconciler.Runtime.Networks.FdbEntry>? Fdb = null);

/// <summary>
/// virsh domjobinfo: the job of a domain (None, Unbounded while a migration runs, Completed or Failed after
/// it), in bytes, milliseconds, pages per second and percent.
/// </summary>
public sealed record JobInfoDto(
    string Domain,
    string JobType,
    string? Operation,
    string? Phase,
    long TimeElapsedMs,
    long? TimeRemainingMs,
    long DataProcessed,
    long DataRemaining,
    long DataTotal,
    long MemoryProcessed,
    long MemoryRemaining,
    long MemoryTotal,
    double MemoryBandwidth,
    double DirtyRate,
    int Iteration,
    long? DowntimeMs,
    long SetupTimeMs,
    int Throttle,
    string? Digest = null)
{
    public static JobInfoDto From(string domain, Reconciler.Runtime.MigrationJobInfo? job) => job is null
        ? new JobInfoDto(domain, "None", null, null, 0, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, 0, 0, null)
        : new JobInfoDto(
            domain,
            job.Phase switch
            {
                "completed" => "Completed",
                "failed" => "Failed",
                "unknown" => "Unbounded",
                _ => "Unbounded",
            },
            job.Operation,
            job.Phase,
            (long)job.Elapsed.TotalMilliseconds,
            job.Remaining is { } r ? (long)r.TotalMilliseconds : null,
            job.DataProcessed,
            job.DataRemaining,
            job.DataTotal,
            job.MemoryProcessed,
            job.MemoryRemaining,
            job.MemoryTotal,
            job.BandwidthBytesPerSecond,
            job.DirtyRatePagesPerSecond,
            job.Iteration,
            job.Downtime is { } d ? (long)d.TotalMilliseconds : null,
            (long)job.SetupTime.TotalMilliseconds,
            job.ThrottlePercent,
            job.FinalDigest);
}
