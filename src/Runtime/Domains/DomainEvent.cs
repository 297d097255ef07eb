namespace Reconciler.Runtime.Domains;

/// <summary>virDomainEventType: what happened to a domain.</summary>
public enum DomainEventType
{
    Defined = 0,
    Undefined = 1,
    Started = 2,
    Suspended = 3,
    Resumed = 4,
    Stopped = 5,
    Shutdown = 6,
    PmSuspended = 7,
    Crashed = 8,

    /// <summary>The guest rebooted or was reset while staying active (libvirt's separate reboot event).</summary>
    Rebooted = 100,
}

/// <summary>
/// A lifecycle event as libvirt raises it: the domain, the event and its detail (for example Stopped with
/// detail "destroyed"), and whether it happened by itself (the guest powered off or crashed) rather than
/// because an API call asked for it.
/// </summary>
public sealed record DomainEvent(
    string Name,
    Guid Uuid,
    DomainEventType Type,
    string Detail,
    bool Spontaneous,
    DomainStatus Status,
    DateTimeOffset Time);
