using System.Diagnostics;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Specs;
using Reconciler.Runtime;
using Reconciler.Runtime.Domains;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Metadata;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Controller.Reconcile;

/// <summary>What converging each kind of object means.</summary>
public sealed partial class ReconcileLoop
{
    /// <summary>A reconcile step's outcome: the status to show, and when to look again (null: on the next change).</summary>
    private sealed record Outcome(SyncStatus Sync, HealthStatus Health, string Message, TimeSpan? Requeue = null, params Condition[] Conditions)
    {
        /// <summary>Whether the message is an error to show as the status's last error.</summary>
        public bool Error { get; init; }
    }

    private async Task ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.StartReconcile(key);
        var clock = Stopwatch.StartNew();
        _desired.Objects.TryGetValue(key, out var desired);
        _desired.Problems.TryGetValue(key, out var problem);
        activity?.SetTag("reconciler.revision", desired?.Revision);
        if (_desired.Blocked is not null && desired is null)
        {
            // Nothing is torn down while the directory cannot be trusted.
            return;
        }

        var validated = desired is null ? null : Specs.SpecDirectory.ValidatedMark(desired.File, desired.Revision);
        _store.Update(key, r => r with { Reconciles = r.Reconciles + 1, ValidatedSpec = validated ?? r.ValidatedSpec });
        if (desired is not null && !_store.Get(key).Managed && !Exists(key))
        {
            // Written ahead of creating the object: were the daemon killed right after the creation, the
            // record would still say that its spec made it, so that removing the spec removes it. (An object
            // that exists already becomes managed only once the spec has been applied to it.)
            await _store.MarkManagedAsync(key, cancellationToken).ConfigureAwait(false);
        }

        Outcome outcome;
        try
        {
            // A spec that is broken, of an object with no valid spec in this process yet (broken while the
            // daemon was down), changes nothing: the object stays as it is, with the error.
            outcome = desired is null && problem is not null
                ? new Outcome(SyncStatus.Error, HealthStatus.Unknown, problem.Message)
                : key.Kind switch
                {
                    ObjectKind.Network => await ReconcileNetworkAsync(key, desired, cancellationToken).ConfigureAwait(false),
                    ObjectKind.Pool => await ReconcilePoolAsync(key, desired, cancellationToken).ConfigureAwait(false),
                    ObjectKind.Volume => await ReconcileVolumeAsync(key, desired, cancellationToken).ConfigureAwait(false),
                    _ => await ReconcileDomainAsync(key, desired, cancellationToken).ConfigureAwait(false),
                };
        }
        catch (RuntimeException e)
        {
            var record = _store.Get(key);
            var attempts = record.Failures + 1;
            var delay = TimeSpan.FromSeconds(Math.Min(300, Math.Pow(2, Math.Min(attempts, 9))));
            outcome = new Outcome(SyncStatus.Error, HealthStatus.Degraded, e.Message, delay);
            if (key.Kind != ObjectKind.Domain)
            {
                _store.Update(key, r => r with { Failures = attempts });
            }

            _log.LogWarning("{Key}: {Message} (retry in {Delay})", key, e.Message, delay);
        }

        activity?.SetTag("reconciler.outcome", outcome.Sync.ToString());
        Telemetry.RecordReconcile(key.Kind, outcome.Sync.ToString().ToLowerInvariant(), clock.Elapsed);

        if (problem is not null && desired is not null && outcome.Sync != SyncStatus.Error)
        {
            outcome = outcome with { Sync = SyncStatus.Error, Message = problem.Message + " (the last valid spec, revision " + desired.Revision + ", stays applied)" };
        }
        else if (problem is not null && desired is null)
        {
            outcome = new Outcome(SyncStatus.Error, HealthStatus.Unknown, problem.Message);
        }

        if (outcome.Health == HealthStatus.Missing && desired is null && problem is null)
        {
            _store.Remove(key);
        }
        else
        {
            SetStatus(key, desired, problem, outcome);
        }

        _store.Save();
        if (outcome.Requeue is { } again)
        {
            EnqueueAfter(key, again, cancellationToken);
        }
    }

    private void SetStatus(ObjectKey key, DesiredObject? desired, SpecProblem? problem, Outcome outcome)
    {
        _store.Update(key, r =>
        {
            var old = r.Status;
            var now = DateTimeOffset.UtcNow;
            var conditions = outcome.Conditions.Select(c =>
                old?.Conditions.FirstOrDefault(o => o.Type == c.Type && o.Status == c.Status) is { } same ? c with { LastTransitionTime = same.LastTransitionTime } : c).ToList();
            var ready = outcome.Sync == SyncStatus.Synced && outcome.Health is HealthStatus.Healthy or HealthStatus.Suspended;
            conditions.Insert(0, new Condition("Ready", ready, ready ? "Converged" : outcome.Sync.ToString(), ready ? string.Empty : outcome.Message, now));
            var changed = old is null || old.Sync != outcome.Sync || old.Health != outcome.Health || old.Message != outcome.Message;
            return r with
            {
                Managed = r.Managed || desired is not null,
                Status = new ObjectStatus(
                    key.Kind,
                    key.Name,
                    desired?.File ?? problem?.File ?? old?.File,
                    desired?.Revision ?? old?.Revision,
                    outcome.Sync,
                    outcome.Health,
                    outcome.Message,
                    conditions,
                    outcome.Sync == SyncStatus.Error || outcome.Error ? outcome.Message : null,
                    changed ? now : old!.LastTransitionTime)
                {
                    Reconciles = r.Reconciles,
                },
            };
        });
    }

    private static Condition Cond(string type, string reason, string message) => new(type, true, reason, message, DateTimeOffset.UtcNow);

    private async Task<Outcome> ReconcileNetworkAsync(ObjectKey key, DesiredObject? desired, CancellationToken ct)
    {
        var exists = Hypervisor.ListNetworks().FirstOrDefault(n => n.Name == key.Name);
        if (desired is null)
        {
            if (exists is not null && _store.Get(key).Managed)
            {
                if (exists.Active)
                {
                    await Hypervisor.StopNetworkAsync(key.Name, ct).ConfigureAwait(false);
                }

                if (exists.Persistent)
                {
                    await Hypervisor.UndefineNetworkAsync(key.Name, ct).ConfigureAwait(false);
                }
            }

            return new Outcome(SyncStatus.Synced, HealthStatus.Missing, "removed");
        }

        var record = _store.Get(key);
        if (exists is null || record.AppliedRevision != desired.Revision || !exists.Persistent)
        {
            var xml = WithUuid(desired, exists?.Uuid);
            await RetryAsync("define-network", key.ToString(), async c => await Hypervisor.DefineNetworkAsync(xml, c).ConfigureAwait(false), ct).ConfigureAwait(false);
            _store.Update(key, r => r with { AppliedRevision = desired.Revision, Managed = true, Failures = 0 });
        }

        var info = await Hypervisor.GetNetworkInfoAsync(key.Name, ct).ConfigureAwait(false);
        var applied = string.Empty;
        if (!info.Active)
        {
            await RetryAsync("start-network", key.ToString(), async c => await Hypervisor.StartNetworkAsync(key.Name, c).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        else
        {
            // A running network whose definition changed: what libvirt's net-update does live is applied live;
            // anything else restarts the network, but only while no domain is connected to it (a restart
            // tears its bridge down under them). Until then it runs the old definition, and says so.
            var change = await Hypervisor.ApplyNetworkDefinitionAsync(key.Name, restartWhenUnused: true, ct).ConfigureAwait(false);
            if (change.Pending)
            {
                _networksAwaitingRestart[key.Name] = 0;
                var users = change.Users.Count switch
                {
                    0 => "a domain is",
                    1 => $"domain {change.Users[0]} is",
                    _ => $"domains {string.Join(", ", change.Users)} are",
                };
                return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"active on bridge {info.Bridge ?? "(none)"} with its previous definition: the new one needs a restart of the network",
                    Conditions: Cond("RestartRequired", "DefinitionChanged", $"the change needs the network restarted, which waits while {users} connected to it"));
            }

            _networksAwaitingRestart.TryRemove(key.Name, out _);
            applied = change.Applied ? "; the change to DHCP and DNS applied live" : change.Restarted ? "; restarted with its new definition" : string.Empty;
        }

        if (!info.Autostart)
        {
            await Hypervisor.SetNetworkAutostartAsync(key.Name, true, ct).ConfigureAwait(false);
        }

        return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"active on bridge {info.Bridge ?? "(none)"}{applied}");
    }

    /// <summary>Networks whose change waits for their domains to let go of them: reconciled again whenever a domain stops.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _networksAwaitingRestart = new(StringComparer.Ordinal);

    private async Task<Outcome> ReconcilePoolAsync(ObjectKey key, DesiredObject? desired, CancellationToken ct)
    {
        var exists = Hypervisor.ListPools().FirstOrDefault(p => p.Name == key.Name);
        if (desired is null)
        {
            if (exists is not null && _store.Get(key).Managed)
            {
                if (exists.State != Runtime.Storage.StoragePoolState.Inactive)
                {
                    await Hypervisor.StopPoolAsync(key.Name, ct).ConfigureAwait(false);
                }

                if (exists.Persistent)
                {
                    // The pool's data stays: never deleted.
                    await Hypervisor.UndefinePoolAsync(key.Name, ct).ConfigureAwait(false);
                }
            }

            return new Outcome(SyncStatus.Synced, HealthStatus.Missing, "removed (its data is kept)");
        }

        var record = _store.Get(key);
        if (exists is null || record.AppliedRevision != desired.Revision)
        {
            await RetryAsync("define-pool", key.ToString(), async c => await Hypervisor.DefinePoolAsync(WithUuid(desired, exists?.Uuid), c).ConfigureAwait(false), ct).ConfigureAwait(false);
            _store.Update(key, r => r with { AppliedRevision = desired.Revision, Managed = true, Failures = 0 });
        }

        var info = await Hypervisor.GetPoolInfoAsync(key.Name, ct).ConfigureAwait(false);
        if (info.State == Runtime.Storage.StoragePoolState.Inactive)
        {
            var model = StoragePoolDefinition.FromXml(desired.Definition);
            var build = model.Type is "dir" or "fs" or "netfs" && model.Target is { } t && !Directory.Exists(t.Path);
            await RetryAsync("start-pool", key.ToString(), async c => await Hypervisor.StartPoolAsync(key.Name, build, c).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        else
        {
            // Volumes made or removed behind the runtime's back show up at the latest at the next resync; a
            // pool listed moments ago (the runtime's start) is not listed again.
            await Hypervisor.RefreshPoolAsync(key.Name, TimeSpan.FromSeconds(_options.ResyncSeconds / 2.0), ct).ConfigureAwait(false);
        }

        if (!info.Autostart)
        {
            await Hypervisor.SetPoolAutostartAsync(key.Name, true, ct).ConfigureAwait(false);
        }

        // Volumes wait for their pool: look at them again now that it runs.
        foreach (var volume in _desired.Objects.Keys.Where(k => k.Kind == ObjectKind.Volume && k.Name.StartsWith(key.Name + "/", StringComparison.Ordinal)))
        {
            Enqueue(volume);
        }

        return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, "running");
    }

    private async Task<Outcome> ReconcileVolumeAsync(ObjectKey key, DesiredObject? desired, CancellationToken ct)
    {
        var slash = key.Name.IndexOf('/', StringComparison.Ordinal);
        var pool = key.Name[..slash];
        var name = key.Name[(slash + 1)..];
        var poolState = Hypervisor.PoolState(pool);
        if (desired is null)
        {
            if (poolState is Runtime.Storage.StoragePoolState.Running &&
                await Hypervisor.GetVolumeAsync(pool, name, ct).ConfigureAwait(false) is not null)
            {
                if (_options.PruneVolumes && _store.Get(key).Managed)
                {
                    await Hypervisor.DeleteVolumeAsync(pool, name, cancellationToken: ct).ConfigureAwait(false);
                    return new Outcome(SyncStatus.Synced, HealthStatus.Missing, "removed (--prune-volumes)");
                }

                return new Outcome(SyncStatus.OutOfSync, HealthStatus.Healthy, "orphaned: its spec was removed; the volume stays (--prune-volumes deletes such volumes)",
                    Conditions: Cond("Orphaned", "SpecRemoved", "no spec names this volume any more"));
            }

            return new Outcome(SyncStatus.Synced, HealthStatus.Missing, "removed");
        }

        if (poolState is not Runtime.Storage.StoragePoolState.Running)
        {
            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing, $"waiting for pool '{pool}'", TimeSpan.FromSeconds(5),
                Cond("WaitingForDependency", "PoolNotRunning", $"pool '{pool}' is {(poolState is null ? "not defined" : "not running")}"));
        }

        var existing = await Hypervisor.GetVolumeAsync(pool, name, ct).ConfigureAwait(false);
        var wanted = StorageVolumeDefinition.FromXml(desired.Definition);
        if (existing is null)
        {
            try
            {
                await RetryAsync("create-volume", key.ToString(), async c => await Hypervisor.CreateVolumeAsync(pool, LibvirtXmlWriter.Format(desired.Definition), c).ConfigureAwait(false), ct).ConfigureAwait(false);
                _store.Update(key, r => r with { AppliedRevision = desired.Revision, Managed = true });
                return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, "created");
            }
            catch (RuntimeException e) when (e.Code == ErrorCode.StorageVolumeExists)
            {
                // Someone else made it meanwhile (a peer, on shared storage): it is never overwritten, only listed
                // (unless volumes of the pool are being built: then it is listed at a later pass).
                await Hypervisor.RefreshPoolAsync(pool, TimeSpan.Zero, ct).ConfigureAwait(false);
                existing = await Hypervisor.GetVolumeAsync(pool, name, ct).ConfigureAwait(false);
                if (existing is null)
                {
                    throw;
                }
            }
        }

        _store.Update(key, r => r with { Managed = true });
        if (wanted.Capacity > existing.Capacity)
        {
            await Hypervisor.ResizeVolumeAsync(pool, name, wanted.Capacity, cancellationToken: ct).ConfigureAwait(false);
            _store.Update(key, r => r with { AppliedRevision = desired.Revision });
            return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"grown to {wanted.Capacity} bytes");
        }

        if (wanted.Capacity < existing.Capacity)
        {
            return new Outcome(SyncStatus.Error, HealthStatus.Degraded,
                $"the spec asks for {wanted.Capacity} bytes but the volume has {existing.Capacity}: a volume is never shrunk by the controller");
        }

        // Also when the creation's own record was lost to a crash: the volume is there as the spec says.
        _store.Update(key, r => r with { AppliedRevision = desired.Revision });
        return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, "present");
    }

    /// <summary>
    /// The desired definition with the existing object's UUID when the spec does not write one, and without
    /// the MACs the schema layer generated for interfaces whose spec writes none: the runtime keeps the MAC
    /// such an interface already has, or gives a new one a MAC no other domain of the host has. UUIDs and
    /// MACs are inherited, never regenerated.
    /// </summary>
    private static string WithUuid(DesiredObject desired, Guid? existing)
    {
        var def = new XElement(desired.Definition);
        if (!desired.DeclaresUuid && existing is { } uuid && def.Element("uuid") is { } element)
        {
            element.Value = uuid.ToString("D");
        }

        var interfaces = def.Element("devices")?.Elements("interface").ToList() ?? [];
        for (var i = 0; i < interfaces.Count && i < desired.DeclaredMacs.Count; i++)
        {
            if (!desired.DeclaredMacs[i])
            {
                interfaces[i].Element("mac")?.Remove();
            }
        }

        return LibvirtXmlWriter.Format(def);
    }

    public async Task<IReadOnlyList<PlanItem>> PlanAsync(CancellationToken cancellationToken)
    {
        var plan = new List<PlanItem>();
        foreach (var (key, desired) in _desired.Objects.OrderBy(p => p.Key.Kind).ThenBy(p => p.Key.Name, StringComparer.Ordinal))
        {
            var record = _store.Get(key);
            if (key.Kind == ObjectKind.Volume)
            {
                // What the pool holds decides, not the record: a volume created just before a crash is there
                // although the record of its creation was never saved.
                var capacity = await VolumeCapacityAsync(key, cancellationToken).ConfigureAwait(false);
                var wanted = StorageVolumeDefinition.FromXml(desired.Definition).Capacity;
                if (capacity is null)
                {
                    plan.Add(new PlanItem(key.Kind, key.Name, "create", $"defined in {desired.File}"));
                }
                else if (wanted > capacity)
                {
                    plan.Add(new PlanItem(key.Kind, key.Name, "grow", $"{desired.File} asks for {wanted} bytes, the volume has {capacity}"));
                }

                continue;
            }

            var present = key.Kind switch
            {
                ObjectKind.Network => Hypervisor.ListNetworks().Any(n => n.Name == key.Name),
                ObjectKind.Pool => Hypervisor.ListPools().Any(p => p.Name == key.Name),
                _ => Hypervisor.Exists(key.Name),
            };
            if (!present)
            {
                plan.Add(new PlanItem(key.Kind, key.Name, "create", $"defined in {desired.File}"));
            }
            else if (record.AppliedRevision != desired.Revision)
            {
                plan.Add(new PlanItem(key.Kind, key.Name, "update", $"{desired.File} changed (revision {desired.Revision})"));
            }

            if (key.Kind == ObjectKind.Network && _networksAwaitingRestart.ContainsKey(key.Name))
            {
                plan.Add(new PlanItem(key.Kind, key.Name, "restart", "its changed definition needs a restart, which waits while domains are connected to it"));
            }

            if (key.Kind == ObjectKind.Domain && present)
            {
                var strategy = ReconcilerMetadata.FromDomain(desired.Definition).RunStrategy;
                var state = (await Hypervisor.GetInfoAsync(key.Name, cancellationToken).ConfigureAwait(false)).Status;
                if (strategy is RunStrategy.Always && !state.IsActive)
                {
                    plan.Add(new PlanItem(key.Kind, key.Name, "start", "run strategy always"));
                }
                else if (strategy is RunStrategy.Halted && state.IsActive)
                {
                    plan.Add(new PlanItem(key.Kind, key.Name, "shutdown", "run strategy halted"));
                }
            }
        }

        foreach (var (key, record) in _store.All.Where(p => p.Value.Managed && !_desired.Objects.ContainsKey(p.Key)))
        {
            if (_desired.Blocked is null && !_desired.Problems.ContainsKey(key))
            {
                plan.Add(new PlanItem(key.Kind, key.Name, key.Kind == ObjectKind.Volume && !_options.PruneVolumes ? "orphan" : "remove", "its spec was removed"));
            }
        }

        return plan;
    }

    /// <summary>Whether the runtime has the object (a volume: in its running pool). Lookups, no listing.</summary>
    private bool Exists(ObjectKey key) => key.Kind switch
    {
        ObjectKind.Network => Hypervisor.IsNetworkActive(key.Name) is not null,
        ObjectKind.Pool => Hypervisor.PoolState(key.Name) is not null,
        ObjectKind.Volume => key.Name.IndexOf('/', StringComparison.Ordinal) is var slash and > 0 &&
            Hypervisor.HasVolume(key.Name[..slash], key.Name[(slash + 1)..]),
        _ => Hypervisor.Exists(key.Name),
    };

    private async Task<ulong?> VolumeCapacityAsync(ObjectKey key, CancellationToken ct)
    {
        var slash = key.Name.IndexOf('/', StringComparison.Ordinal);
        var pool = key.Name[..slash];
        if (Hypervisor.PoolState(pool) is not Runtime.Storage.StoragePoolState.Running)
        {
            return null;
        }

        return (await Hypervisor.GetVolumeAsync(pool, key.Name[(slash + 1)..], ct).ConfigureAwait(false))?.Capacity;
    }
}
