namespace Reconciler.Runtime.Guests;

/// <summary>What ends a guest's run by the guest's own doing.</summary>
public enum GuestExit
{
    /// <summary>The guest powered itself off (or acknowledged a shutdown request).</summary>
    PowerOff,

    /// <summary>The guest rebooted itself.</summary>
    Reboot,

    /// <summary>The guest's emulator died.</summary>
    Crash,

    /// <summary>The guest OS panicked (reported through a panic device).</summary>
    Panic,
}

/// <summary>How busy a guest is: the rate at which it dirties memory, its CPU load and its I/O.</summary>
public sealed record WorkloadSettings(
    double DirtyPagesPerSecond = 0,
    double CpuLoad = 0.02,
    double DiskOpsPerSecond = 0,
    double PacketsPerSecond = 0)
{
    public static readonly WorkloadSettings Idle = new();

    public bool IsBusy => DirtyPagesPerSecond > 0 || DiskOpsPerSecond > 0 || PacketsPerSecond > 0;
}

/// <summary>I/O counters of one block device (virDomainBlockStats).</summary>
public sealed record BlockStats(long ReadRequests, long ReadBytes, long WriteRequests, long WriteBytes, long Errors);

/// <summary>I/O counters of one network interface (virDomainInterfaceStats).</summary>
public sealed record InterfaceStats(
    long RxBytes, long RxPackets, long RxErrors, long RxDrops, long TxBytes, long TxPackets, long TxErrors, long TxDrops);

/// <summary>
/// The vCPU and device state that goes with a guest's memory in the last step of a migration: what its
/// workload is doing and how far it got, and the CPU time it has used.
/// </summary>
public sealed record GuestDeviceState(long WorkCounter, WorkloadSettings Workload, TimeSpan CpuTime, ulong BalloonKiB, int OnlineVcpus);

/// <summary>What a guest is started with.</summary>
public sealed record GuestConfig(
    string Name,
    Guid Uuid,
    ulong MemoryKiB,
    ulong BalloonKiB,
    int MaxVcpus,
    int OnlineVcpus,
    IReadOnlyList<string> Disks,
    IReadOnlyList<string> Interfaces,
    WorkloadSettings Workload,
    bool Incoming = false);

/// <summary>
/// A running guest. The in-process backend simulates one (sparse memory, a workload, ACPI behaviour); a
/// later backend runs a real guest on /dev/kvm behind the same interface.
/// </summary>
public interface IGuest : IAsyncDisposable
{
    GuestMemory Memory { get; }

    bool Paused { get; }

    /// <summary>Pages the workload has written so far: a counter that keeps growing while the guest runs.</summary>
    long WorkCounter { get; }

    TimeSpan CpuTime { get; }

    /// <summary>CPU time per vCPU (virDomainGetVcpus).</summary>
    IReadOnlyList<TimeSpan> VcpuTimes { get; }

    ulong BalloonKiB { get; }

    int OnlineVcpus { get; }

    /// <summary>Whether the guest OS ignores ACPI shutdown requests (as a hung or unconfigured guest does).</summary>
    bool IgnoreShutdownRequests { get; set; }

    WorkloadSettings Workload { get; set; }

    void Pause();

    void Resume();

    /// <summary>The guest writes every page of its memory once (as a program that fills its heap); counts as work.</summary>
    void TouchAllMemory();

    /// <summary>The vCPU and device state (take it paused, so that it matches the memory).</summary>
    GuestDeviceState CaptureState();

    /// <summary>Takes over the state a migration source captured (before the first resume).</summary>
    void LoadState(GuestDeviceState state);

    void SetBalloon(ulong kib);

    void SetOnlineVcpus(int count);

    /// <summary>Presses the ACPI power button; the guest powers off after a short delay unless it ignores it.</summary>
    void RequestShutdown();

    /// <summary>Asks the guest to reboot (ACPI); it reboots after a short delay.</summary>
    void RequestReboot();

    /// <summary>Hard reset: the guest restarts at once, memory is kept.</summary>
    void Reset();

    /// <summary>Stops the guest's activity for good (destroy).</summary>
    void Stop();

    /// <summary>Counters of the disk with target <paramref name="disk"/>; null when the guest has no such disk.</summary>
    BlockStats? BlockStats(string disk);

    /// <summary>Counters of the interface with MAC <paramref name="nic"/>; null when the guest has no such interface.</summary>
    InterfaceStats? InterfaceStats(string nic);

    /// <summary>Adds or removes hot-plugged devices (disks by target, interfaces by MAC); kept devices keep their counters.</summary>
    void SetDevices(IReadOnlyList<string> disks, IReadOnlyList<string> nics);

    /// <summary>Makes the guest do something by itself: power off, reboot, crash or panic.</summary>
    void Simulate(GuestExit exit);
}

/// <summary>Creates guests for the runtime.</summary>
public interface IGuestFactory
{
    /// <summary>
    /// Creates a guest over <paramref name="memory"/> (empty for a boot, filled for a restore or an
    /// incoming migration), started paused; <paramref name="onExit"/> is called when the guest exits by itself.
    /// </summary>
    IGuest Create(GuestConfig config, GuestMemory memory, Action<IGuest, GuestExit> onExit);
}
