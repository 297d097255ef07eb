using System.Text.Json.Serialization;
using Reconciler.Runtime;

namespace Reconciler.Controller.Daemon;

/// <summary>The kinds of object a spec directory holds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ObjectKind>))]
public enum ObjectKind
{
    Network,
    Pool,
    Volume,
    Domain,
}

/// <summary>An object the controller manages: its kind and name (a volume's name is "pool/volume").</summary>
public readonly record struct ObjectKey(ObjectKind Kind, string Name)
{
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}/{Name}";
}

/// <summary>Whether the runtime holds what the spec says (Argo CD's sync status).</summary>
public enum SyncStatus
{
    Synced,
    OutOfSync,
    Error,
}

/// <summary>How the object is doing (Argo CD's health status).</summary>
public enum HealthStatus
{
    Healthy,
    Progressing,
    Degraded,
    Suspended,
    Missing,
    Unknown,
}

/// <summary>A condition of an object (Ready, RestartRequired, WaitingForDependency, CrashLoopBackOff, ...), as Kubernetes writes them.</summary>
public sealed record Condition(string Type, bool Status, string Reason, string Message, DateTimeOffset LastTransitionTime);

/// <summary>What the controller reports of one object; persisted in the state directory.</summary>
public sealed record ObjectStatus(
    ObjectKind Kind,
    string Name,
    string? File,
    string? Revision,
    SyncStatus Sync,
    HealthStatus Health,
    string Message,
    IReadOnlyList<Condition> Conditions,
    string? LastError,
    DateTimeOffset LastTransitionTime)
{
    public ObjectKey Key => new(Kind, Name);

    /// <summary>Synced and Healthy: the host holds what the spec says and the object is well.</summary>
    [JsonIgnore]
    public bool Converged => Sync == SyncStatus.Synced && Health == HealthStatus.Healthy;

    /// <summary>How many times the controller has reconciled the object (a burst of writes to its file should cost a few, not one per write).</summary>
    public long Reconciles { get; init; }
}

/// <summary>One thing a reconcile would do now (reconciler plan).</summary>
public sealed record PlanItem(ObjectKind Kind, string Name, string Action, string Reason);

/// <summary>
/// What the API and the CLI see of the running controller. Implemented by the reconcile loop; the API
/// server only reads it and asks for work.
/// </summary>
public interface IControllerView
{
    /// <summary>This host's name.</summary>
    string HostName { get; }

    /// <summary>The runtime the controller drives (for listings, XML, addresses, node info, events, power verbs).</summary>
    Hypervisor Hypervisor { get; }

    /// <summary>The status of every object, sorted by kind then name.</summary>
    IReadOnlyList<ObjectStatus> Status();

    /// <summary>
    /// Whether every status is this daemon's own: every object found at its start has been reconciled since
    /// (until then, some statuses are the ones the last run saved).
    /// </summary>
    bool Observed => true;

    /// <summary>How many objects have a status, and how many of them are Synced and Healthy.</summary>
    (int Objects, int Converged) Counts()
    {
        var all = Status();
        return (all.Count, all.Count(s => s.Converged));
    }

    /// <summary>The status of one object, or null when it has none.</summary>
    ObjectStatus? StatusOf(ObjectKey key);

    /// <summary>What a reconcile would do now, doing nothing.</summary>
    Task<IReadOnlyList<PlanItem>> PlanAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Whether the controller keeps this domain's power state (every run strategy but manual), and so
    /// would converge back after an imperative start, shutdown, ...; null when no spec names the domain.
    /// </summary>
    string? RunStrategyOf(string domain);

    /// <summary>Asks for a reconcile of the object soon.</summary>
    void Enqueue(ObjectKey key);

    /// <summary>Live-migrates a running domain to a peer now (reconciler migrate); it stays there until its spec changes.</summary>
    Task<MigrationJobInfo> MigrateNowAsync(string name, string host, CancellationToken cancellationToken);
}
