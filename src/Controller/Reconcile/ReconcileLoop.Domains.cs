using System.Xml.Linq;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Specs;
using Reconciler.Runtime;
using Reconciler.Runtime.Domains;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Metadata;
using Reconciler.Schema.Xml;

namespace Reconciler.Controller.Reconcile;

/// <summary>Domains: definition, live changes, restart-required, run strategies with crash-loop backoff, removal.</summary>
public sealed partial class ReconcileLoop
{
    private async Task<Outcome> ReconcileDomainAsync(ObjectKey key, DesiredObject? desired, CancellationToken ct)
    {
        var name = key.Name;
        var exists = Hypervisor.Exists(name);
        if (desired is null)
        {
            if (exists && _store.Get(key).Managed)
            {
                await StopDomainAsync(name, ct).ConfigureAwait(false);
                if (Hypervisor.Exists(name) && Hypervisor.Lookup(name).Persistent)
                {
                    // Its disks stay.
                    await Hypervisor.UndefineAsync(name, removeManagedSave: true, ct).ConfigureAwait(false);
                }
            }

            return new Outcome(SyncStatus.Synced, HealthStatus.Missing, "removed (its disks are kept)");
        }

        var metadata = ReconcilerMetadata.FromDomain(desired.Definition);
        if (await PlaceAsync(key, desired, metadata, ct).ConfigureAwait(false) is { } placed)
        {
            return placed;
        }

        if (MissingDependency(desired.Definition) is { } waiting)
        {
            // Woken as soon as the dependency's own reconcile ends; looked at again after registering, in
            // case it ended in between (and every 5 s all the same).
            WaitFor(waiting.Key, key);
            if (MissingDependency(desired.Definition) is not { } still || still.Key != waiting.Key)
            {
                return new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing, "waiting for " + waiting.What, TimeSpan.Zero,
                    Cond("WaitingForDependency", "DependencyNotReady", waiting.What));
            }

            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing, "waiting for " + waiting.What, TimeSpan.FromSeconds(5),
                Cond("WaitingForDependency", "DependencyNotReady", waiting.What));
        }

        var record = _store.Get(key);
        var conditions = new List<Condition>();
        string? applied = null;
        if (!exists || record.AppliedRevision != desired.Revision || !Hypervisor.Lookup(name).Persistent)
        {
            var before = exists ? await Hypervisor.GetXmlAsync(name, inactive: true, ct).ConfigureAwait(false) : null;
            var existingUuid = exists ? Hypervisor.Lookup(name).Uuid : (Guid?)null;
            await RetryAsync("define", key.ToString(), async c => await Hypervisor.DefineAsync(WithUuid(desired, existingUuid), DefineFlags.Validated, c).ConfigureAwait(false), ct).ConfigureAwait(false);
            _store.Update(key, r => r with { AppliedRevision = desired.Revision, Managed = true });
            var info = await Hypervisor.GetInfoAsync(name, ct).ConfigureAwait(false);
            if (before is not null && info.Status.IsActive)
            {
                applied = await ApplyLiveAsync(name, XElement.Parse(before), metadata, ct).ConfigureAwait(false);
            }
        }

        record = _store.Get(key);
        var state = await Hypervisor.GetInfoAsync(name, ct).ConfigureAwait(false);
        if (state.Autostart != metadata.Autostart)
        {
            await Hypervisor.SetAutostartAsync(name, metadata.Autostart, ct).ConfigureAwait(false);
        }

        if (record.RestartPending && !state.Status.IsActive)
        {
            _store.Update(key, r => r with { RestartPending = false });
            record = _store.Get(key);
        }

        var power = await ConvergePowerAsync(key, metadata.RunStrategy, state, record, ct).ConfigureAwait(false);
        if (power is not null)
        {
            return power;
        }

        state = await Hypervisor.GetInfoAsync(name, ct).ConfigureAwait(false);
        record = _store.Get(key);
        if (record.RestartPending)
        {
            conditions.Add(Cond("RestartRequired", "DefinitionChanged", "the spec changed in a way that applies only when the domain restarts (rc:restartOnChange='yes' lets the controller do it)"));
        }

        var health = state.Status.State switch
        {
            DomainState.Running => HealthStatus.Healthy,
            DomainState.Paused => HealthStatus.Suspended,
            DomainState.Shutoff when metadata.RunStrategy is RunStrategy.Halted or RunStrategy.Manual or RunStrategy.Once or RunStrategy.RerunOnFailure => HealthStatus.Healthy,
            DomainState.Crashed => HealthStatus.Degraded,
            _ => HealthStatus.Progressing,
        };
        var message = $"{state.Status} (run strategy {ReconcilerMetadata.Name(metadata.RunStrategy)})" + (applied is null ? string.Empty : "; applied live: " + applied);
        return new Outcome(SyncStatus.Synced, health, message, Conditions: [.. conditions]);
    }

    /// <summary>The network, pool or volume the domain waits for, or null when all are there and running.</summary>
    private Dependency? MissingDependency(XElement def)
    {
        // Lookups, not listings: every domain's reconcile asks, thousands of times in a converge.
        var model = DomainDefinition.FromXml(def);
        foreach (var net in model.Devices.Interfaces.Where(n => n.Type == "network" && n.Network is not null))
        {
            if (Hypervisor.IsNetworkActive(net.Network!) is not true and var active)
            {
                return new(new ObjectKey(ObjectKind.Network, net.Network!), $"network '{net.Network}' ({(active is null ? "not defined" : "not active")})");
            }
        }

        foreach (var disk in model.Devices.Disks.Where(d => d.Source?.Pool is not null))
        {
            var pool = disk.Source!.Pool!;
            if (Hypervisor.PoolState(pool) is not Runtime.Storage.StoragePoolState.Running and var state)
            {
                return new(new ObjectKey(ObjectKind.Pool, pool), $"pool '{pool}' ({(state is null ? "not defined" : "not running")})");
            }

            if (disk.Source!.Volume is not { } volume || !Hypervisor.HasVolume(pool, volume))
            {
                return new(new ObjectKey(ObjectKind.Volume, pool + "/" + disk.Source!.Volume), $"volume '{disk.Source!.Volume}' of pool '{pool}'");
            }
        }

        foreach (var disk in model.Devices.Disks.Where(d => d.Type == "file" && d.Source?.Path is not null))
        {
            foreach (var (name, _) in Hypervisor.PoolStates().Where(p => p.State == Runtime.Storage.StoragePoolState.Inactive))
            {
                var key = new ObjectKey(ObjectKind.Pool, name);
                if (_desired.Objects.TryGetValue(key, out var desired) &&
                    desired.Definition.Element("target")?.Element("path")?.Value is { } target && disk.Source!.Path!.StartsWith(target.TrimEnd('/') + "/", StringComparison.Ordinal))
                {
                    return new(key, $"pool '{name}' (not running)");
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Applies what can change on a running domain (balloon, vCPUs, disks and interfaces attached or
    /// detached); anything else waits for a restart — done at once when the domain asks for restart on change.
    /// </summary>
    private async Task<string?> ApplyLiveAsync(string name, XElement before, ReconcilerMetadata metadata, CancellationToken ct)
    {
        var after = XElement.Parse(await Hypervisor.GetXmlAsync(name, inactive: true, ct).ConfigureAwait(false));
        var done = new List<string>();
        var restart = Strip(before) != Strip(after);
        var oldModel = DomainDefinition.FromXml(before);
        var newModel = DomainDefinition.FromXml(after);
        try
        {
            if (newModel.Memory.CurrentMemoryKiB != oldModel.Memory.CurrentMemoryKiB)
            {
                await Hypervisor.SetMemoryAsync(name, newModel.Memory.CurrentMemoryKiB, DeviceScope.Live, ct).ConfigureAwait(false);
                done.Add($"memory {newModel.Memory.CurrentMemoryKiB} KiB");
            }

            if (newModel.Vcpus.Current != oldModel.Vcpus.Current)
            {
                await Hypervisor.SetVcpusAsync(name, newModel.Vcpus.Current, DeviceScope.Live, ct).ConfigureAwait(false);
                done.Add($"{newModel.Vcpus.Current} vCPUs");
            }

            foreach (var (kind, id) in new[] { ("disk", (Func<XElement, string?>)(d => d.Element("target")?.Attribute("dev")?.Value)), ("interface", d => d.Element("mac")?.Attribute("address")?.Value) })
            {
                var oldDevices = before.Element("devices")!.Elements(kind).ToDictionary(d => id(d) ?? string.Empty, StringComparer.OrdinalIgnoreCase);
                var newDevices = after.Element("devices")!.Elements(kind).ToDictionary(d => id(d) ?? string.Empty, StringComparer.OrdinalIgnoreCase);
                foreach (var (device, element) in oldDevices.Where(p => !newDevices.ContainsKey(p.Key)))
                {
                    await Hypervisor.DetachDeviceAsync(name, LibvirtXmlWriter.Format(element), DeviceScope.Live, ct).ConfigureAwait(false);
                    done.Add($"{kind} {device} detached");
                }

                foreach (var (device, element) in newDevices.Where(p => !oldDevices.ContainsKey(p.Key)))
                {
                    await Hypervisor.AttachDeviceAsync(name, LibvirtXmlWriter.Format(element), DeviceScope.Live, ct).ConfigureAwait(false);
                    done.Add($"{kind} {device} attached");
                }

                foreach (var (device, element) in newDevices.Where(p => oldDevices.TryGetValue(p.Key, out var o) && LibvirtXmlWriter.Format(o) != LibvirtXmlWriter.Format(p.Value)))
                {
                    restart = true;
                }
            }
        }
        catch (RuntimeException e) when (!e.IsTransient)
        {
            // What cannot be done live waits for the restart.
            done.Add("not live: " + e.Message);
            restart = true;
        }

        if (restart)
        {
            var key = new ObjectKey(ObjectKind.Domain, name);
            if (metadata.RestartOnChange)
            {
                await StopDomainAsync(name, ct).ConfigureAwait(false);
                done.Add("restarted");
            }
            else
            {
                _store.Update(key, r => r with { RestartPending = true });
            }
        }

        return done.Count == 0 ? null : string.Join(", ", done);
    }

    /// <summary>The definition without what can change live, to tell whether anything else changed.</summary>
    private static string Strip(XElement def)
    {
        var copy = new XElement(def);
        copy.Element("currentMemory")?.Remove();
        copy.Element("vcpu")?.Attribute("current")?.Remove();
        copy.Element("devices")?.Elements("disk").Remove();
        copy.Element("devices")?.Elements("interface").Remove();
        return LibvirtXmlWriter.Format(copy);
    }

    /// <summary>The power state the run strategy wants; an outcome when it decides the status, else null.</summary>
    private async Task<Outcome?> ConvergePowerAsync(ObjectKey key, RunStrategy strategy, DomainInfo info, ObjectRecord record, CancellationToken ct)
    {
        var name = key.Name;
        var active = info.Status.IsActive;
        if (!active && Hypervisor.IsResuming(name))
        {
            // Saved at the last stop, and being brought back by the runtime right now (as libvirt-guests does):
            // reported, not started a second time; its start is reconciled when it comes (looked at again after
            // registering, in case it came in between).
            _awaitingResume.TryAdd(name, 0);
            if (Hypervisor.IsResuming(name))
            {
                return new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing, "resuming: saved at the host's last stop, the runtime is restoring it");
            }
        }

        var unexpectedStop = _stopReasons.TryRemove(name, out var reason) ? reason : null;
        switch (strategy)
        {
            case RunStrategy.Manual:
                return null;
            case RunStrategy.Halted:
                if (active)
                {
                    await StopDomainAsync(name, ct).ConfigureAwait(false);
                }

                return null;
            case RunStrategy.Once:
                // The runtime's count of the domain's starts, kept durably before its guest runs, says whether
                // it ran: the controller's own record of the start is lost when the daemon dies before saving it.
                if (record.RanOnce != info.Uuid && info.Starts > 0)
                {
                    _store.Update(key, r => r with { RanOnce = info.Uuid });
                }
                else if (!active && record.RanOnce != info.Uuid)
                {
                    await StartDomainAsync(key, ct).ConfigureAwait(false);
                    _store.Update(key, r => r with { RanOnce = info.Uuid });
                    _store.SaveNow();
                }

                return null;
            case RunStrategy.RerunOnFailure:
                if (!active && info.Status.State == DomainState.Shutoff && info.Status.Reason == (int)ShutoffReason.Shutdown && (record.LastStart is not null || info.Starts > 0))
                {
                    // The guest shut itself down: done, not a failure (the runtime keeps the reason and the
                    // count of starts across restarts; the controller's own record may have died with it).
                    return null;
                }

                break;
        }

        if (info.Status.State == DomainState.Crashed)
        {
            await Hypervisor.DestroyAsync(name, ct).ConfigureAwait(false);
            active = false;
        }

        if (active)
        {
            if (record.Failures > 0 && record.LastStart is { } started && DateTimeOffset.UtcNow - started > TimeSpan.FromMinutes(5))
            {
                _store.Update(key, r => r with { Failures = 0 });
            }

            return null;
        }

        // KubeVirt's crash-loop backoff: 10 s × failures², with jitter, at most 300 s.
        if (record.Failures > 0 && record.LastFailure is { } last && (unexpectedStop is not null || record.LastStart is not null))
        {
            var wait = TimeSpan.FromSeconds(Math.Min(300, 10.0 * record.Failures * record.Failures) * (0.9 + (Random.Shared.NextDouble() * 0.2)));
            var due = last + wait;
            if (record.Failures > 1 && DateTimeOffset.UtcNow < due)
            {
                var left = due - DateTimeOffset.UtcNow;
                return new Outcome(SyncStatus.Synced, HealthStatus.Degraded, $"crash loop: {record.Failures} unexpected stops in a row; next start in {left.TotalSeconds:0} s",
                    left, Cond("CrashLoopBackOff", "RepeatedFailures", $"{record.Failures} unexpected stops"));
            }
        }

        await StartDomainAsync(key, ct).ConfigureAwait(false);
        return null;
    }

    private async Task StartDomainAsync(ObjectKey key, CancellationToken ct)
    {
        await RetryAsync("start", key.ToString(), async c => await Hypervisor.StartAsync(key.Name, cancellationToken: c).ConfigureAwait(false), ct).ConfigureAwait(false);
        _store.Update(key, r => r with { LastStart = DateTimeOffset.UtcNow, RestartPending = false });
    }

    /// <summary>Graceful shutdown, destroy after the timeout.</summary>
    private async Task StopDomainAsync(string name, CancellationToken ct)
    {
        var info = await Hypervisor.GetInfoAsync(name, ct).ConfigureAwait(false);
        if (!info.Status.IsActive)
        {
            return;
        }

        _stopping[name] = true;
        try
        {
            if (info.Status.State == DomainState.Running)
            {
                try
                {
                    await Hypervisor.ShutdownAsync(name, TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds), ct).ConfigureAwait(false);
                    return;
                }
                catch (RuntimeException e) when (e.Code is ErrorCode.OperationTimeout or ErrorCode.OperationInvalid)
                {
                }
            }

            if (Hypervisor.Exists(name) && (await Hypervisor.GetInfoAsync(name, ct).ConfigureAwait(false)).Status.IsActive)
            {
                await Hypervisor.DestroyAsync(name, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _stopping.TryRemove(name, out _);
        }
    }
}
