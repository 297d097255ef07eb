namespace Reconciler.Runtime.Domains;

/// <summary>virDomainState, with libvirt's numbering.</summary>
public enum DomainState
{
    NoState = 0,
    Running = 1,
    Blocked = 2,
    Paused = 3,
    Shutdown = 4,
    Shutoff = 5,
    Crashed = 6,
    PmSuspended = 7,
}

/// <summary>virDomainRunningReason.</summary>
public enum RunningReason
{
    Unknown = 0,
    Booted = 1,
    Migrated = 2,
    Restored = 3,
    FromSnapshot = 4,
    Unpaused = 5,
    MigrationCanceled = 6,
    SaveCanceled = 7,
    Wakeup = 8,
    Crashed = 9,
    Postcopy = 10,
    PostcopyFailed = 11,
}

/// <summary>virDomainPausedReason.</summary>
public enum PausedReason
{
    Unknown = 0,
    User = 1,
    Migration = 2,
    Save = 3,
    Dump = 4,
    IoError = 5,
    Watchdog = 6,
    FromSnapshot = 7,
    ShuttingDown = 8,
    Snapshot = 9,
    Crashed = 10,
    StartingUp = 11,
    Postcopy = 12,
    PostcopyFailed = 13,
    ApiError = 14,
}

/// <summary>virDomainShutdownReason.</summary>
public enum ShutdownReason
{
    Unknown = 0,
    User = 1,
}

/// <summary>virDomainShutoffReason.</summary>
public enum ShutoffReason
{
    Unknown = 0,
    Shutdown = 1,
    Destroyed = 2,
    Crashed = 3,
    Migrated = 4,
    Saved = 5,
    Failed = 6,
    FromSnapshot = 7,
    Daemon = 8,
}

/// <summary>virDomainCrashedReason.</summary>
public enum CrashedReason
{
    Unknown = 0,
    Panicked = 1,
}

/// <summary>A state and its reason, as virDomainGetState returns them, with virsh's words for both.</summary>
public readonly record struct DomainStatus(DomainState State, int Reason)
{
    public static DomainStatus Shutoff(ShutoffReason reason) => new(DomainState.Shutoff, (int)reason);

    public static DomainStatus Running(RunningReason reason) => new(DomainState.Running, (int)reason);

    public static DomainStatus Paused(PausedReason reason) => new(DomainState.Paused, (int)reason);

    public static DomainStatus Crashed(CrashedReason reason) => new(DomainState.Crashed, (int)reason);

    public bool IsActive => State is not (DomainState.Shutoff or DomainState.NoState);

    /// <summary>virsh's name for the state: "running", "paused", "shut off", ...</summary>
    public string StateName => State switch
    {
        DomainState.NoState => "no state",
        DomainState.Running => "running",
        DomainState.Blocked => "idle",
        DomainState.Paused => "paused",
        DomainState.Shutdown => "in shutdown",
        DomainState.Shutoff => "shut off",
        DomainState.Crashed => "crashed",
        DomainState.PmSuspended => "pmsuspended",
        _ => "unknown",
    };

    /// <summary>virsh's name for the reason ("booted", "destroyed", "panicked", ...).</summary>
    public string ReasonName => State switch
    {
        DomainState.Running => ((RunningReason)Reason) switch
        {
            RunningReason.Booted => "booted",
            RunningReason.Migrated => "migrated",
            RunningReason.Restored => "restored",
            RunningReason.FromSnapshot => "from snapshot",
            RunningReason.Unpaused => "unpaused",
            RunningReason.MigrationCanceled => "migration canceled",
            RunningReason.SaveCanceled => "save canceled",
            RunningReason.Wakeup => "event wakeup",
            RunningReason.Crashed => "crashed",
            RunningReason.Postcopy => "post-copy",
            RunningReason.PostcopyFailed => "post-copy failed",
            _ => "unknown",
        },
        DomainState.Paused => ((PausedReason)Reason) switch
        {
            PausedReason.User => "user",
            PausedReason.Migration => "migrating",
            PausedReason.Save => "saving",
            PausedReason.Dump => "dumping",
            PausedReason.IoError => "I/O error",
            PausedReason.Watchdog => "watchdog",
            PausedReason.FromSnapshot => "from snapshot",
            PausedReason.ShuttingDown => "shutting down",
            PausedReason.Snapshot => "creating snapshot",
            PausedReason.Crashed => "crashed",
            PausedReason.StartingUp => "starting up",
            PausedReason.Postcopy => "post-copy",
            PausedReason.PostcopyFailed => "post-copy failed",
            PausedReason.ApiError => "api error",
            _ => "unknown",
        },
        DomainState.Shutdown => ((ShutdownReason)Reason) == ShutdownReason.User ? "user" : "unknown",
        DomainState.Shutoff => ((ShutoffReason)Reason) switch
        {
            ShutoffReason.Shutdown => "shutdown",
            ShutoffReason.Destroyed => "destroyed",
            ShutoffReason.Crashed => "crashed",
            ShutoffReason.Migrated => "migrated",
            ShutoffReason.Saved => "saved",
            ShutoffReason.Failed => "failed",
            ShutoffReason.FromSnapshot => "from snapshot",
            ShutoffReason.Daemon => "daemon",
            _ => "unknown",
        },
        DomainState.Crashed => ((CrashedReason)Reason) == CrashedReason.Panicked ? "panicked" : "unknown",
        _ => "unknown",
    };

    public override string ToString() => $"{StateName} ({ReasonName})";
}
