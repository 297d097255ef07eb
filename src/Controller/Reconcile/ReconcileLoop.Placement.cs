using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Specs;
using Reconciler.Runtime;
using Reconciler.Runtime.Domains;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Metadata;

namespace Reconciler.Controller.Reconcile;

/// <summary>
/// Placement across hosts: a domain placed on a peer is migrated there (live when it runs, its definition
/// when it is shut off) once the peer passes the preconditions; a domain placed here starts here only when
/// no peer runs it (never two), and waits while a peer cannot be asked (never a guess).
/// </summary>
public sealed partial class ReconcileLoop
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The status while placement decides it, or null when the domain is to converge here.</summary>
    private async Task<Outcome?> PlaceAsync(ObjectKey key, DesiredObject desired, ReconcilerMetadata metadata, CancellationToken ct)
    {
        var name = key.Name;
        var here = Hypervisor.Exists(name) ? Hypervisor.Lookup(name) : null;
        if (here is { Status.State: DomainState.Paused } && Hypervisor.GetJobInfo(name)?.Phase == "unknown")
        {
            switch (await Hypervisor.ResolveMigrationAsync(name, ct).ConfigureAwait(false))
            {
                case null:
                    return new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded,
                        "paused here: the answer to the last step of its migration was lost and the target cannot be reached to say whether it runs the domain (it never runs on two hosts)",
                        TimeSpan.FromSeconds(5), Cond("Migrating", "OutcomeUnknown", "waiting for the target to answer"));
                case "migrated":
                    return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"placed on host '{metadata.PlacementHost}'; the target confirmed that it runs the domain");
            }

            here = Hypervisor.Lookup(name);
        }

        var placement = metadata.PlacementHost;
        if (!_peers.Configured)
        {
            if (placement is null || placement == _options.Host)
            {
                return null;
            }

            return here is { Status.IsActive: true }
                ? new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded, $"placed on host '{placement}', but it runs here and this host has no peers (--peer) to migrate it to; it keeps running here")
                : new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"placed on host '{placement}', not on this one ('{_options.Host}')");
        }

        if (placement is null)
        {
            return new Outcome(SyncStatus.Error, HealthStatus.Degraded,
                $"with peers configured, a domain needs a placement: <rc:placement host='...'/> in its <metadata> (this host is '{_options.Host}', its peers {string.Join(", ", _peers.Names)})" +
                (here is { Status.IsActive: true } ? "; it keeps running here" : string.Empty));
        }

        if (placement != _options.Host)
        {
            if (!_peers.TryGet(placement, out var target))
            {
                return new Outcome(SyncStatus.Error, HealthStatus.Degraded,
                    $"placement names host '{placement}', which is neither this host ('{_options.Host}') nor a peer ({string.Join(", ", _peers.Names)})" +
                    (here is { Status.IsActive: true } ? "; it keeps running here" : string.Empty));
            }

            if (here is null)
            {
                return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"placed on host '{placement}'" + LastMigration(name));
            }

            var record = _store.Get(key);
            if (here.Status.IsActive)
            {
                if (Hypervisor.GetJobInfo(name) is { Operation: "Incoming migration", Requested: true, FinalDigest: { } arrival } && arrival != record.PinnedArrival)
                {
                    // Brought here by `reconciler migrate` against the spec: it stays until the spec changes.
                    _store.Update(key, r => r with { PinnedRevision = desired.Revision, PinnedArrival = arrival });
                    record = _store.Get(key);
                }

                if (record.PinnedRevision == desired.Revision)
                {
                    return new Outcome(SyncStatus.OutOfSync, HealthStatus.Healthy,
                        $"moved here by `reconciler migrate`; its spec places it on host '{placement}': it stays here until the spec changes");
                }

                return await MigrateAwayAsync(key, metadata, placement, target, ct).ConfigureAwait(false);
            }

            if (!here.Persistent)
            {
                return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"placed on host '{placement}'");
            }

            return await MoveDefinitionAsync(key, placement, target, ct).ConfigureAwait(false);
        }

        if (_store.Get(key).PinnedRevision is not null)
        {
            _store.Update(key, r => r with { PinnedRevision = null });
        }

        if (here is { Status.IsActive: true })
        {
            if (here.Status is { State: DomainState.Paused, Reason: (int)PausedReason.Migration })
            {
                return new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing, "arriving: an incoming migration is copying its memory here",
                    TimeSpan.FromSeconds(2), Cond("Migrating", "Incoming", "incoming migration"));
            }

            return null;
        }

        // Never two: not started (nor defined) here while a peer has it; never a guess: not while a peer cannot say.
        var silent = new List<string>();
        foreach (var peer in _peers.Names)
        {
            _peers.TryGet(peer, out var endpoint);
            var (report, error) = await ProbeAsync(endpoint, new PeerQuery(name), ct).ConfigureAwait(false);
            if (error is not null)
            {
                silent.Add($"'{peer}' ({error})");
            }
            else if (report!.Domain is { } there)
            {
                return there.Active
                    ? new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing,
                        $"host '{peer}' runs it ({there.State}); it comes here by migration, never by a second start", TimeSpan.FromSeconds(5),
                        Cond("WaitingForMigration", "RunsOnPeer", $"host '{peer}' runs it"))
                    : new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing,
                        $"host '{peer}' still has its definition; waiting for it to move here", TimeSpan.FromSeconds(5),
                        Cond("WaitingForMigration", "DefinedOnPeer", $"host '{peer}' has its definition"));
            }
        }

        if (silent.Count > 0)
        {
            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded,
                $"not started: peer {string.Join(", ", silent)} cannot be reached to confirm that it does not run the domain (it never runs on two hosts)",
                TimeSpan.FromSeconds(5), Cond("WaitingForPeer", "PeerUnreachable", string.Join(", ", silent)));
        }

        return null;
    }

    /// <summary>Live migration to the placement's host, after its preconditions; the status shows its progress.</summary>
    private async Task<Outcome> MigrateAwayAsync(ObjectKey key, ReconcilerMetadata metadata, string placement, MigrationTarget target, CancellationToken ct, bool imperative = false)
    {
        var name = key.Name;
        if (!imperative && MigrationBackoff(key) is { } wait)
        {
            var r = _store.Get(key);
            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded,
                $"stays on this host: {r.Status?.LastError ?? "the last migration failed"}; next attempt in {wait.TotalSeconds:0} s", wait,
                Cond("MigrationFailed", "Backoff", r.Status?.LastError ?? string.Empty));
        }

        var parameters = Parameters(metadata) with { Requested = imperative };
        if (await CheckPreconditionsAsync(name, placement, target, parameters, ct).ConfigureAwait(false) is { } refused)
        {
            var message = $"stays on this host: it cannot migrate to '{placement}': {refused}";
            var delay = RecordMigrationFailure(key);
            _log.LogWarning("{Key}: {Message}", key, message);
            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded, message, delay, Cond("MigrationBlocked", "PreconditionFailed", refused)) { Error = true };
        }

        _log.LogInformation("{Key}: migrating live to host {Host}", key, placement);
        using var progress = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var reporter = ReportProgressAsync(key, placement, progress.Token);
        MigrationJobInfo job;
        try
        {
            job = await Telemetry.TraceRuntimeAsync("migrate", key.ToString(),
                async () => await Hypervisor.MigrateAsync(name, target, parameters, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (RuntimeException e)
        {
            var delay = RecordMigrationFailure(key);
            var message = $"migration to host '{placement}' failed: {e.Message}";
            _log.LogWarning("{Key}: {Message} (next attempt in {Delay})", key, message, delay);
            var stillHere = Hypervisor.Exists(name) ? Hypervisor.Lookup(name).Status.ToString() : "gone";
            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded, $"{message} (here: {stillHere})", delay, Cond("MigrationFailed", "MigrationError", e.Message)) { Error = true };
        }
        finally
        {
            await progress.CancelAsync().ConfigureAwait(false);
            await reporter.ConfigureAwait(false);
        }

        _store.Update(key, r => r with { MigrationFailures = 0, LastMigrationFailure = null, PinnedRevision = null, AppliedRevision = null });
        return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"placed on host '{placement}'" + LastMigration(name));
    }

    /// <summary>"; migrated there live in …" when this host's last job for the domain was a completed outgoing migration.</summary>
    private string LastMigration(string name) =>
        Hypervisor.GetJobInfo(name) is { Phase: "completed", Operation: "Outgoing migration" } job
            ? string.Create(CultureInfo.InvariantCulture,
                $"; migrated there live in {job.Elapsed.TotalSeconds:0.0} s ({job.Iteration} passes, downtime {job.Downtime?.TotalMilliseconds ?? 0:0} ms)")
            : string.Empty;

    /// <summary>Offline migration: the definition of a shut-off domain moves to the placement's host.</summary>
    private async Task<Outcome> MoveDefinitionAsync(ObjectKey key, string placement, MigrationTarget target, CancellationToken ct)
    {
        if (MigrationBackoff(key) is { } wait)
        {
            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded,
                $"stays on this host: {_store.Get(key).Status?.LastError ?? "moving it failed"}; next attempt in {wait.TotalSeconds:0} s", wait);
        }

        try
        {
            await Hypervisor.MigrateOfflineAsync(key.Name, target, ct).ConfigureAwait(false);
        }
        catch (RuntimeException e)
        {
            var delay = RecordMigrationFailure(key);
            return new Outcome(SyncStatus.OutOfSync, HealthStatus.Degraded, $"its definition cannot move to host '{placement}': {e.Message}", delay,
                Cond("MigrationFailed", "OfflineMigrationError", e.Message)) { Error = true };
        }

        _store.Update(key, r => r with { MigrationFailures = 0, LastMigrationFailure = null, AppliedRevision = null });
        return new Outcome(SyncStatus.Synced, HealthStatus.Healthy, $"placed on host '{placement}'; its definition moved there (offline migration: it was shut off)");
    }

    /// <summary>
    /// The preconditions of a live migration, checked with the target's own report: reachable and
    /// accepting, the same networks active, the disks on storage it sees at the same path (or copy-storage),
    /// memory and CPUs enough, the same CPU for host CPU modes, no host devices. Null when all hold.
    /// </summary>
    private async Task<string?> CheckPreconditionsAsync(string name, string placement, MigrationTarget target, MigrationParameters parameters, CancellationToken ct)
    {
        var live = System.Xml.Linq.XElement.Parse(await Hypervisor.GetXmlAsync(name, cancellationToken: ct).ConfigureAwait(false));
        var model = DomainDefinition.FromXml(live);
        if (live.Element("devices")?.Elements("hostdev").Any() == true)
        {
            return "it has host devices (<hostdev>), which cannot migrate";
        }

        var paths = model.Devices.Disks.Where(d => d.Source?.Path is not null).Select(d => d.Source!.Path!).ToList();
        var (answer, error) = await ProbeAsync(target, new PeerQuery(name, paths), ct).ConfigureAwait(false);
        if (error is not null)
        {
            return $"host '{placement}' cannot be reached: {error}";
        }

        var report = answer!;

        if (!report.Accepting)
        {
            return $"host '{placement}' is shutting down";
        }

        if (report.Domain is { Active: true })
        {
            return $"host '{placement}' already runs a domain named '{name}'";
        }

        foreach (var network in model.Devices.Interfaces.Where(n => n.Type == "network" && n.Network is not null).Select(n => n.Network!).Distinct())
        {
            if (!report.ActiveNetworks.Contains(network))
            {
                return $"network '{network}' is not active on host '{placement}'";
            }
        }

        var node = Hypervisor.GetNodeInfo();
        if (report.Arch != node.Arch)
        {
            return $"host '{placement}' is {report.Arch}, this host {node.Arch}";
        }

        var cpuMode = live.Element("cpu")?.Attribute("mode")?.Value;
        if (cpuMode is "host-passthrough" or "host-model" && report.CpuModel != node.CpuModel)
        {
            return $"incompatible CPU: the domain's CPU mode is {cpuMode} of '{node.CpuModel}', host '{placement}' has '{report.CpuModel}'";
        }

        if (model.Memory.MemoryKiB > report.FreeMemoryKiB)
        {
            return $"not enough memory on host '{placement}': the domain needs {model.Memory.MemoryKiB} KiB, {report.FreeMemoryKiB} KiB are free there";
        }

        if (model.Vcpus.Maximum > report.Cpus)
        {
            return $"host '{placement}' has {report.Cpus} CPUs, the domain {model.Vcpus.Maximum} vCPUs";
        }

        var localPools = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var pool in Hypervisor.ListPools())
        {
            localPools[pool.Name] = System.Xml.Linq.XElement.Parse(await Hypervisor.GetPoolXmlAsync(pool.Name, cancellationToken: ct).ConfigureAwait(false))
                .Element("target")?.Element("path")?.Value;
        }

        foreach (var disk in model.Devices.Disks.Where(d => d.Source is not null))
        {
            var dev = disk.Target;
            if (disk.Source!.Pool is { } poolName)
            {
                var theirs = report.Pools.FirstOrDefault(p => p.Name == poolName);
                if (theirs is not { Active: true })
                {
                    return $"disk '{dev}': storage pool '{poolName}' is not running on host '{placement}'";
                }

                if (!parameters.CopyStorage && theirs.Path != localPools.GetValueOrDefault(poolName))
                {
                    return $"disk '{dev}': storage pool '{poolName}' is at '{theirs.Path}' on host '{placement}' and at '{localPools.GetValueOrDefault(poolName)}' here: not shared storage, and copy-storage is off";
                }
            }
            else if (disk.Source.Path is { } path && !parameters.CopyStorage && disk.Device is not ("cdrom" or "floppy"))
            {
                var pool = localPools.FirstOrDefault(p => p.Value is { } dir && path.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal));
                if (pool.Key is not null && !report.Pools.Any(p => p.Name == pool.Key && p.Path == pool.Value && p.Active))
                {
                    return $"disk '{dev}' ('{path}') is in storage pool '{pool.Key}', which host '{placement}' does not run at the same path: not shared storage, and copy-storage is off";
                }

                if (!report.ExistingPaths.Contains(path))
                {
                    return $"disk '{dev}' ('{path}') does not exist on host '{placement}': not shared storage, and copy-storage is off";
                }
            }
        }

        return null;
    }

    /// <summary>Asks a peer, within <see cref="ProbeTimeout"/>: its report, or why it could not be asked.</summary>
    private async Task<(PeerReport? Report, string? Error)> ProbeAsync(MigrationTarget peer, PeerQuery query, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ProbeTimeout);
            return (await Hypervisor.ProbePeerAsync(peer, query, timeout.Token).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is RuntimeException or IOException or SocketException or OperationCanceledException or JsonException)
        {
            ct.ThrowIfCancellationRequested();
            return (null, e.Message);
        }
    }

    /// <summary>The daemon's migration defaults with the domain's own settings over them.</summary>
    private MigrationParameters Parameters(ReconcilerMetadata metadata)
    {
        var d = _options.Migration;
        var m = metadata.Migration ?? MigrationSettings.Default;
        return new MigrationParameters
        {
            MaxDowntime = TimeSpan.FromMilliseconds(m.MaxDowntimeMs ?? d.MaxDowntimeMilliseconds),
            Bandwidth = (long)(m.BandwidthMiBps ?? d.BandwidthMiBPerSecond) << 20,
            AutoConverge = m.AutoConverge ?? d.AutoConverge,
            CompletionTimeoutPerGiB = TimeSpan.FromSeconds(m.CompletionTimeoutPerGiBSeconds ?? d.CompletionTimeoutPerGiBSeconds),
            ProgressTimeout = TimeSpan.FromSeconds(m.ProgressTimeoutSeconds ?? d.ProgressTimeoutSeconds),
            PauseOnNonConvergence = (m.OnNonConvergence ?? (d.OnNonConvergence == "abort" ? NonConvergenceAction.Abort : NonConvergenceAction.Pause)) == NonConvergenceAction.Pause,
            CopyStorage = m.CopyStorage ?? d.CopyStorage,
        };
    }

    /// <summary>Shows the migration's progress in the status (a Migrating condition) until it ends.</summary>
    private async Task ReportProgressAsync(ObjectKey key, string placement, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            do
            {
                if (Hypervisor.GetJobInfo(key.Name) is { } job)
                {
                    var text = string.Create(CultureInfo.InvariantCulture,
                        $"migrating to host '{placement}': {job.Phase}, pass {job.Iteration}, {Percent(job)} % of memory sent, {job.DataRemaining >> 10} KiB remaining");
                    _desired.Objects.TryGetValue(key, out var desired);
                    SetStatus(key, desired, null, new Outcome(SyncStatus.OutOfSync, HealthStatus.Progressing, text, null, Cond("Migrating", job.Phase, text)));
                    _store.Save();
                }
            }
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static int Percent(MigrationJobInfo job) =>
        job.DataTotal <= 0 ? 0 : (int)Math.Min(100, job.DataProcessed * 100 / job.DataTotal);

    /// <summary>Backoff of failed migrations: 5 s × 2^(failures-1), at most 300 s.</summary>
    private TimeSpan RecordMigrationFailure(ObjectKey key)
    {
        _store.Update(key, r => r with { MigrationFailures = r.MigrationFailures + 1, LastMigrationFailure = DateTimeOffset.UtcNow });
        return MigrationDelay(_store.Get(key).MigrationFailures);
    }

    private static TimeSpan MigrationDelay(int failures) => TimeSpan.FromSeconds(Math.Min(300, 5 * Math.Pow(2, Math.Max(0, failures - 1))));

    private TimeSpan? MigrationBackoff(ObjectKey key)
    {
        var r = _store.Get(key);
        if (r.MigrationFailures == 0 || r.LastMigrationFailure is not { } last)
        {
            return null;
        }

        var left = last + MigrationDelay(r.MigrationFailures) - DateTimeOffset.UtcNow;
        return left > TimeSpan.Zero ? left : null;
    }

    /// <summary>
    /// <c>reconciler migrate NAME HOST</c>: the same live migration, asked for by an operator. The domain
    /// then stays on that host until its spec changes.
    /// </summary>
    public async Task<MigrationJobInfo> MigrateNowAsync(string name, string host, CancellationToken ct)
    {
        if (!_peers.TryGet(host, out var target))
        {
            throw new RuntimeException(ErrorCode.InvalidArgument, $"host '{host}' is not a peer of this host ('{_options.Host}'; peers: {(_peers.Configured ? string.Join(", ", _peers.Names) : "none")})");
        }

        var key = new ObjectKey(ObjectKind.Domain, name);
        if (!Hypervisor.Exists(name) || !Hypervisor.Lookup(name).Status.IsActive)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, $"domain '{name}' is not running on this host");
        }

        _desired.Objects.TryGetValue(key, out var desired);
        var metadata = desired is null ? ReconcilerMetadata.Default : ReconcilerMetadata.FromDomain(desired.Definition);
        var outcome = await MigrateAwayAsync(key, metadata, host, target, ct, imperative: true).ConfigureAwait(false);
        Enqueue(key);
        if (outcome.Error)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, outcome.Message);
        }

        return Hypervisor.GetJobInfo(name) ?? throw new RuntimeException(ErrorCode.OperationFailed, outcome.Message);
    }
}
