using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Host;

namespace Reconciler.Runtime;

/// <summary>How a <see cref="Hypervisor"/> is set up.</summary>
public sealed record HypervisorOptions
{
    /// <summary>Where every definition, flag, run record and saved image lives.</summary>
    public required string StateDirectory { get; init; }

    /// <summary>The host: its name and node information. Read from the real machine when left out.</summary>
    public HostInfo? Host { get; init; }

    /// <summary>
    /// How far the memory of running domains may exceed the host's: 1.0 admits exactly the host's memory,
    /// 1.5 half as much again. Starting a domain beyond it is refused.
    /// </summary>
    public double MemoryOvercommit { get; init; } = 1.0;

    /// <summary>The first port VNC autoport hands out (libvirt's remote_display_port_min).</summary>
    public int VncPortMin { get; init; } = 5900;

    /// <summary>The last port VNC autoport hands out (libvirt's remote_display_port_max).</summary>
    public int VncPortMax { get; init; } = 65535;

    /// <summary>
    /// Whether autoport skips ports some other program on the machine is listening on (checked by binding,
    /// as libvirt's port allocator does).
    /// </summary>
    public bool ProbeVncPorts { get; init; } = true;

    /// <summary>
    /// Directories outside the storage pools where domains may keep disk images. A file disk whose source
    /// is neither in a running pool nor in one of these is refused at start.
    /// </summary>
    public IReadOnlyList<string> AllowedImageDirectories { get; init; } = [];

    /// <summary>
    /// Bridges the host has of its own (for example br0 over the uplink), for networks with forward
    /// mode='bridge' and for type='bridge' interfaces.
    /// </summary>
    public IReadOnlyList<string> HostBridges { get; init; } = [];

    /// <summary>Where the storage backends' host commands go: recorded in process by default.</summary>
    public Storage.IStorageHost? StorageHost { get; init; }

    /// <summary>What the storage commands need to know of the host (tool paths, users, secrets).</summary>
    public Storage.HostCommands.StorageHostOptions StorageHostOptions { get; init; } = Storage.HostCommands.StorageHostOptions.Default;

    /// <summary>Faults to inject on purpose (tests and drills); none by default.</summary>
    public FaultInjector? Faults { get; init; }

    /// <summary>What runs guests; the in-process simulated guests by default.</summary>
    public IGuestFactory? Guests { get; init; }

    /// <summary>The workload a freshly booted simulated guest runs (idle by default; drills and benchmarks make it busy).</summary>
    public WorkloadSettings GuestWorkload { get; init; } = WorkloadSettings.Idle;

    /// <summary>
    /// Whether <see cref="Hypervisor.OpenAsync"/> returns once the state is loaded and brings back the saved
    /// and autostart domains afterwards (<see cref="Hypervisor.StartedUp"/>), as libvirt-guests resumes guests
    /// once libvirtd answers — so that a host with thousands of saved domains answers at once. By default it
    /// returns only when they are back.
    /// </summary>
    public bool StartUpInBackground { get; init; }

    /// <summary>
    /// Asked once the saved domains are back and before the autostart domains start: which of them should
    /// start (true) — the controller leaves out those whose spec was removed while it was down, so that they
    /// do not boot only to be shut down. Null: every autostart domain starts, as libvirtd starts them.
    /// </summary>
    public Func<CancellationToken, Task<Func<string, bool>>>? AutostartFilter { get; init; }

    /// <summary>How long a graceful stop of the runtime may take before domains are left as they are.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(25);

    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
}
