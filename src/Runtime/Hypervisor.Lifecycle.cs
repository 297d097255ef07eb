using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Persistence;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

public sealed partial class Hypervisor
{
    /// <summary>
    /// Starts a defined domain (virDomainCreate). A managed-save image, when there is one, is restored
    /// instead of booting (unless <paramref name="forceBoot"/>, which discards it).
    /// </summary>
    public Task StartAsync(string name, bool paused = false, bool forceBoot = false, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (dom.IsActive)
            {
                throw RuntimeException.AlreadyRunning();
            }

            StartInactive(dom, paused, forceBoot);
        }, cancellationToken);

    /// <summary>
    /// Asks the guest to shut down (ACPI power button); it powers off a short while later unless it ignores
    /// the request. With <paramref name="wait"/>, waits that long for the domain to shut off and fails with
    /// a timeout error when it does not.
    /// </summary>
    public async Task ShutdownAsync(string name, TimeSpan? wait = null, CancellationToken cancellationToken = default)
    {
        var uuid = await JobAsync(name, dom =>
        {
            if (dom.Status.State != DomainState.Running)
            {
                throw RuntimeException.NotRunning();
            }

            dom.Guest!.RequestShutdown();
            return dom.Uuid;
        }, cancellationToken).ConfigureAwait(false);

        if (wait is { } timeout)
        {
            await WaitUntilAsync(uuid, name, s => !s.IsActive, timeout, "shut down", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Powers the domain off at once (virDomainDestroy); a transient domain disappears.</summary>
    public Task DestroyAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            Stop(dom, ShutoffReason.Destroyed, DomainEventType.Stopped, "destroyed", spontaneous: false);
        }, cancellationToken);

    /// <summary>
    /// Asks the guest to reboot. When on_reboot is destroy the request becomes a shutdown, as libvirt's
    /// QEMU driver does.
    /// </summary>
    public Task RebootAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            if (DomainDefinition.FromXml(dom.Live!).Lifecycle.OnReboot is "destroy" or "preserve")
            {
                dom.Guest!.RequestShutdown();
            }
            else
            {
                dom.Guest!.RequestReboot();
            }
        }, cancellationToken);

    /// <summary>Resets the guest at once, as the reset button does; the domain stays in its state.</summary>
    public Task ResetAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            dom.Guest!.Reset();
            Raise(dom, DomainEventType.Rebooted, "reset");
        }, cancellationToken);

    /// <summary>Pauses the vCPUs (virDomainSuspend); suspending a paused domain does nothing.</summary>
    public Task SuspendAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            if (dom.Status.State == DomainState.PmSuspended)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "domain is pmsuspended");
            }

            if (dom.Status.State != DomainState.Paused)
            {
                dom.Guest!.Pause();
                dom.Status = DomainStatus.Paused(PausedReason.User);
                Raise(dom, DomainEventType.Suspended, "paused");
            }
        }, cancellationToken);

    /// <summary>Resumes paused vCPUs (virDomainResume).</summary>
    public Task ResumeAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            switch (dom.Status.State)
            {
                case DomainState.PmSuspended:
                    throw new RuntimeException(ErrorCode.OperationInvalid, "domain is pmsuspended");
                case DomainState.Running:
                    throw RuntimeException.AlreadyRunning();
            }

            dom.Guest!.Resume();
            dom.Status = DomainStatus.Running(RunningReason.Unpaused);
            Raise(dom, DomainEventType.Resumed, "unpaused");
        }, cancellationToken);

    /// <summary>Waits until the domain's state satisfies <paramref name="condition"/> (a gone transient domain counts as shut off).</summary>
    public Task WaitForStateAsync(string name, Func<DomainStatus, bool> condition, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        WaitUntilAsync(Find(name).Uuid, name, condition, timeout, "reach the state asked for", cancellationToken);

    private async Task WaitUntilAsync(Guid uuid, string name, Func<DomainStatus, bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChange(DomainEvent e)
        {
            if (e.Uuid == uuid && condition(e.Status))
            {
                reached.TrySetResult();
            }
        }

        DomainChanged += OnChange;
        try
        {
            DomainStatus now;
            lock (_sync)
            {
                now = _byUuid.TryGetValue(uuid, out var dom) ? dom.Status : DomainStatus.Shutoff(ShutoffReason.Unknown);
            }

            if (condition(now))
            {
                return;
            }

            try
            {
                await reached.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new RuntimeException(ErrorCode.OperationTimeout, $"domain '{name}' did not {what} within {timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
            }
        }
        finally
        {
            DomainChanged -= OnChange;
        }
    }

    /// <summary>Starts an inactive persistent domain: from its managed-save image when it has one, else a fresh boot.</summary>
    private void StartInactive(DomainObject dom, bool paused, bool forceBoot)
    {
        if (dom.HasManagedSave)
        {
            var path = ManagedSavePath(dom.Uuid);
            if (forceBoot)
            {
                StateDirectory.Retire(path);
                dom.HasManagedSave = false;
            }
            else
            {
                SaveImage.Contents? image = null;
                try
                {
                    using var stream = File.OpenRead(path);
                    image = SaveImage.Read(stream);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    var aside = _state.SetAside(path, $"managed-save image of domain '{dom.Name}' could not be restored: {e.Message}");
                    dom.HasManagedSave = false;
                    ReportProblem($"Unable to restore from managed state {path}: {e.Message}; the image was moved to {aside} and the domain boots afresh");
                }

                if (image is not null)
                {
                    var def = ParseSavedDefinition(image.DomainXml, dom);
                    Boot(dom, def, paused || !image.Running, RunningReason.Restored, image.Memory);
                    StateDirectory.Retire(path);
                    dom.HasManagedSave = false;
                    return;
                }
            }
        }

        Boot(dom, new XElement(dom.Persistent!), paused, RunningReason.Booted, memory: null);
    }

    /// <summary>
    /// Starts a guest for <paramref name="def"/> (which becomes the live definition): admission of its
    /// memory, an ID, VNC ports, taps, the guest itself, the run record, the events.
    /// </summary>
    private void Boot(DomainObject dom, XElement def, bool paused, RunningReason reason, GuestMemory? memory, bool incoming = false)
    {
        var model = DomainDefinition.FromXml(def);
        CheckDiskSources(def);
        var memoryKiB = model.Memory.MemoryKiB;
        var vcpus = model.Vcpus.Current;
        int id;
        (int Used, long Others)? overcommitWarning = null;
        lock (_sync)
        {
            ThrowIfClosing();
            var limit = MemoryLimitKiB;
            if (_usedMemoryKiB + memoryKiB > limit)
            {
                var free = limit > _usedMemoryKiB ? limit - _usedMemoryKiB : 0;
                dom.Status = DomainStatus.Shutoff(ShutoffReason.Failed);
                throw new RuntimeException(ErrorCode.OperationFailed,
                    $"not enough memory on host '{Host.Name}' to start domain '{model.Name}': it needs {memoryKiB} KiB, {free} KiB of {limit} KiB are free " +
                    $"(host memory {Host.Node.MemoryKiB} KiB, overcommit ratio {Options.MemoryOvercommit.ToString(CultureInfo.InvariantCulture)})");
            }

            _usedMemoryKiB += memoryKiB;
            _usedVcpus += vcpus;
            dom.ReservedMemoryKiB = memoryKiB;
            dom.ReservedVcpus = vcpus;
            if (_usedVcpus > Host.Node.Cpus)
            {
                // Said once a minute at most (with how many other starts overcommitted meanwhile): a host that
                // starts thousands of small guests would otherwise log a line for each one.
                _overcommittedStarts++;
                if (_lastOvercommitWarning is null || Environment.TickCount64 - _lastOvercommitWarning >= 60_000)
                {
                    overcommitWarning = (_usedVcpus, _overcommittedStarts - 1);
                    _overcommittedStarts = 0;
                    _lastOvercommitWarning = Environment.TickCount64;
                }
            }

            id = _nextId++;
        }

        if (overcommitWarning is var (usedVcpus, others))
        {
            _log.LogWarning(
                "Starting domain {Domain} overcommits vCPUs: {Used} vCPUs of running domains on {Cpus} host CPUs; guests will compete for CPU time{Others}",
                model.Name, usedVcpus, Host.Node.Cpus, others > 0 ? $" ({others} other starts overcommitted since the last such warning)" : string.Empty);
        }

        var live = new XElement(def);
        IGuest? guest = null;
        try
        {
            AllocatePorts(dom, live);
            PlugInterfaces(dom, model);
            memory ??= GuestMemory.FromKiB(memoryKiB);
            var config = new GuestConfig(
                model.Name, model.Uuid, memoryKiB, Math.Min(model.Memory.CurrentMemoryKiB, memoryKiB), model.Vcpus.Maximum, vcpus,
                [.. model.Devices.Disks.Select(d => d.Target)], [.. model.Devices.Interfaces.Select(n => n.Mac)], Options.GuestWorkload, incoming);
            guest = _guests.Create(config, memory, (g, exit) => OnGuestExit(dom, g, exit));
            if (dom.IsPersistent)
            {
                // Counted durably before the guest runs, by the run record written next: after a crash, the
                // count says whether it ever ran. (The flags file takes it when the domain stops.)
                dom.Starts++;
            }

            dom.Live = live;
            dom.Id = id;
            dom.Guest = guest;
            // An incoming migration's domain reads as paused for the migration from its first moment: whoever
            // looks at it (the controller, woken by the event below) must never take it for a paused guest.
            dom.Status = paused ? DomainStatus.Paused(incoming ? PausedReason.Migration : PausedReason.User) : DomainStatus.Running(reason);
            WriteRunRecord(dom);
        }
        catch
        {
            guest?.Stop();
            dom.Guest = null;
            dom.Live = null;
            dom.Id = null;
            dom.Status = DomainStatus.Shutoff(ShutoffReason.Failed);
            ReleaseResources(dom);
            throw;
        }

        if (!paused)
        {
            guest.Resume();
        }

        Raise(dom, DomainEventType.Started, reason switch
        {
            RunningReason.Restored => "restored",
            RunningReason.Migrated => "migrated",
            _ => "booted",
        });
        if (paused)
        {
            Raise(dom, DomainEventType.Suspended, "paused");
        }
    }

    /// <summary>Shuts the domain off: the guest stops, what it held is released, a transient domain disappears.</summary>
    private void Stop(DomainObject dom, ShutoffReason reason, DomainEventType eventType, string detail, bool spontaneous)
    {
        dom.Guest?.Stop();
        dom.Guest = null;
        ReleaseResources(dom);
        dom.Id = null;
        dom.Live = null;
        dom.Status = DomainStatus.Shutoff(reason);
        if (dom.IsPersistent && reason != ShutoffReason.Migrated &&
            (reason != ShutoffReason.Saved || dom.Starts != dom.StartsInFlags))
        {
            // The reason, and the count of starts the run record held. (A migrated domain's definition goes
            // next; a saved one is told by its managed-save image.)
            try
            {
                WriteFlags(dom, dom.Autostart, dom.Starts);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Only the reason is lost (the domain reads as shut off after a restart); the stop itself stands.
                _log.LogWarning("Could not record why domain {Domain} shut off: {Message}", dom.Name, e.Message);
            }
        }

        RetireRunRecord(dom.Uuid);
        if (!dom.IsPersistent)
        {
            // A transient domain is gone before anyone hears that it stopped (libvirt queues the event after
            // removing it): whoever reacts to the event never finds it shut off and still listed.
            _leases.ReleaseDomain(dom.Uuid);
            Unregister(dom);
        }

        Raise(dom, eventType, detail, spontaneous);
    }

    private void ReleaseResources(DomainObject dom)
    {
        lock (_sync)
        {
            _usedMemoryKiB -= Math.Min(_usedMemoryKiB, dom.ReservedMemoryKiB);
            _usedVcpus -= Math.Min(_usedVcpus, dom.ReservedVcpus);
            dom.ReservedMemoryKiB = 0;
            dom.ReservedVcpus = 0;
            foreach (var port in dom.VncPorts)
            {
                _usedPorts.Remove(port);
                _portsTakenBelow = Math.Min(_portsTakenBelow, port);
            }
        }

        foreach (var mac in dom.Taps.Keys.Concat(dom.NetworkDevices.Keys).Distinct(StringComparer.OrdinalIgnoreCase).ToList())
        {
            UnplugInterface(dom, mac);
        }

        dom.VncPorts.Clear();
    }

    /// <summary>
    /// VNC ports: a fixed port is reserved as given (refused when another domain has it); autoport takes the
    /// lowest free port from 5900 up that no domain holds and nothing on the machine listens on.
    /// </summary>
    private void AllocatePorts(DomainObject dom, XElement live)
    {
        foreach (var graphics in live.El("devices").Els("graphics").Where(g => g.A("type") is "vnc" or "spice"))
        {
            var autoport = graphics.A("autoport") == "yes" || graphics.A("port") is null or "-1" or "0";
            if (graphics.A("socket") is not null || graphics.El("listen")?.A("type") is "socket" or "none")
            {
                continue;
            }

            int port;
            lock (_sync)
            {
                if (!autoport)
                {
                    port = int.Parse(graphics.A("port")!, CultureInfo.InvariantCulture);
                    if (!_usedPorts.Add(port))
                    {
                        throw new RuntimeException(ErrorCode.InternalError, $"Failed to reserve port {port}");
                    }
                }
                else
                {
                    // The lowest free port, as libvirt's allocator: every port below _portsTakenBelow is this
                    // host's already, so the search starts there (not at the minimum: thousands of domains
                    // with VNC made each start scan every port taken before it, under the host's lock).
                    port = -1;
                    for (var candidate = Math.Max(Options.VncPortMin, _portsTakenBelow); candidate <= Options.VncPortMax; candidate++)
                    {
                        if (!_usedPorts.Contains(candidate) && (!Options.ProbeVncPorts || PortIsFree(candidate)))
                        {
                            port = candidate;
                            break;
                        }
                    }

                    if (port < 0)
                    {
                        throw new RuntimeException(ErrorCode.InternalError,
                            $"Unable to find an unused port in range 'display' ({Options.VncPortMin}-{Options.VncPortMax})");
                    }

                    _usedPorts.Add(port);
                    if (port == Math.Max(Options.VncPortMin, _portsTakenBelow))
                    {
                        _portsTakenBelow = port + 1;
                    }
                }
            }

            dom.VncPorts.Add(port);
            graphics.SetAttributeValue("port", port.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static bool PortIsFree(int port)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Any, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Connects every interface of a starting domain; on failure, what was connected is disconnected again.</summary>
    private void PlugInterfaces(DomainObject dom, DomainDefinition model)
    {
        try
        {
            foreach (var net in model.Devices.Interfaces)
            {
                if (PlugInterface(dom, net) is { } tap)
                {
                    dom.Taps[net.Mac] = tap;
                }
            }
        }
        catch
        {
            foreach (var mac in dom.Taps.Keys.ToList())
            {
                UnplugInterface(dom, mac);
            }

            throw;
        }
    }

    /// <summary>A guest did something by itself: powered off, rebooted, crashed or panicked.</summary>
    private void OnGuestExit(DomainObject dom, IGuest guest, GuestExit exit) =>
        _ = Task.Run(async () =>
        {
            await dom.Job.WaitAsync().ConfigureAwait(false);
            try
            {
                if (dom.Guest != guest || !dom.IsActive || dom.Removed)
                {
                    return;
                }

                HandleGuestExit(dom, exit);
            }
            catch (Exception e)
            {
                _log.LogError(e, "Handling {Exit} of domain {Domain} failed", exit, dom.Name);
            }
            finally
            {
                dom.Job.Release();
            }
        });

    private void HandleGuestExit(DomainObject dom, GuestExit exit)
    {
        var lifecycle = DomainDefinition.FromXml(dom.Live!).Lifecycle;
        switch (exit)
        {
            case GuestExit.PowerOff when lifecycle.OnPoweroff == "restart":
                dom.Guest!.Reset();
                dom.Status = DomainStatus.Running(RunningReason.Booted);
                Raise(dom, DomainEventType.Rebooted, "on_poweroff restart", spontaneous: true);
                break;
            case GuestExit.PowerOff:
                Raise(dom, DomainEventType.Shutdown, "finished", spontaneous: true);
                Stop(dom, ShutoffReason.Shutdown, DomainEventType.Stopped, "shutdown", spontaneous: true);
                break;
            case GuestExit.Reboot when lifecycle.OnReboot == "destroy":
                Raise(dom, DomainEventType.Shutdown, "finished", spontaneous: true);
                Stop(dom, ShutoffReason.Shutdown, DomainEventType.Stopped, "shutdown", spontaneous: true);
                break;
            case GuestExit.Reboot:
                dom.Guest!.Reset();
                Raise(dom, DomainEventType.Rebooted, "guest", spontaneous: true);
                break;
            case GuestExit.Crash:
                // The emulator died: nothing is left to act on on_crash; libvirt reports it as failed.
                Stop(dom, ShutoffReason.Crashed, DomainEventType.Stopped, "failed", spontaneous: true);
                break;
            case GuestExit.Panic:
                dom.Guest!.Pause();
                dom.Status = DomainStatus.Crashed(CrashedReason.Panicked);
                Raise(dom, DomainEventType.Crashed, "panicked", spontaneous: true);
                switch (lifecycle.OnCrash)
                {
                    case "destroy" or "coredump-destroy":
                        Stop(dom, ShutoffReason.Crashed, DomainEventType.Stopped, "crashed", spontaneous: true);
                        break;
                    case "restart" or "coredump-restart":
                        dom.Guest.Reset();
                        dom.Guest.Resume();
                        dom.Status = DomainStatus.Running(RunningReason.Crashed);
                        Raise(dom, DomainEventType.Rebooted, "on_crash restart", spontaneous: true);
                        break;
                    default:
                        // preserve: the guest stays as it crashed, for inspection.
                        break;
                }

                break;
        }
    }

    private void ReportProblem(string problem)
    {
        lock (_sync)
        {
            _loadProblems.Add(problem);
        }

        _log.LogError("{Problem}", problem);
    }
}
