using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Migration;
using Reconciler.Runtime.Persistence;
using Reconciler.Runtime.Storage;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

/// <summary>Where to migrate to: the target's migration listener and the key the two hosts share.</summary>
public sealed record MigrationTarget(string Host, int Port, byte[] Key);

/// <summary>How to migrate (QEMU's and libvirt's parameters, the seeds' defaults).</summary>
public sealed record MigrationParameters
{
    public TimeSpan MaxDowntime { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>Bytes per second; 0 for unlimited.</summary>
    public long Bandwidth { get; init; }

    /// <summary>Throttle the guest's vCPUs when it dirties memory faster than it can be sent (20 % first, then 10 % more per pass).</summary>
    public bool AutoConverge { get; init; } = true;

    public TimeSpan CompletionTimeoutPerGiB { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>How long the migration may go without the remaining data going down.</summary>
    public TimeSpan ProgressTimeout { get; init; } = TimeSpan.FromSeconds(150);

    /// <summary>When it does not converge: pause the guest and copy what is left (true), or abort (false).</summary>
    public bool PauseOnNonConvergence { get; init; } = true;

    /// <summary>At most this many pre-copy passes before it counts as not converging.</summary>
    public int MaxIterations { get; init; } = 30;

    /// <summary>
    /// Stream the disks to the target before the memory (for hosts without shared storage): a volume of a
    /// pool goes into the target's pool of the same name, a file to the same path; nothing the target has
    /// already is ever overwritten.
    /// </summary>
    public bool CopyStorage { get; init; }

    /// <summary>An operator asked for this migration (not the placement): the target is told so.</summary>
    public bool Requested { get; init; }
}

/// <summary>What a host is asked by a peer: about one domain, and which of some paths exist there.</summary>
public sealed record PeerQuery(string? Domain = null, IReadOnlyList<string>? Paths = null);

/// <summary>A storage pool as a peer reports it.</summary>
public sealed record PeerPool(string Name, string Type, string? Path, bool Active);

/// <summary>A domain as a peer reports it: its state in virsh's words ("running", "paused", "shut off").</summary>
public sealed record PeerDomain(string Name, Guid Uuid, string State, bool Active, bool Persistent);

/// <summary>
/// What a peer reports of itself (over the authenticated migration listener): enough to check a
/// migration's preconditions, and whether it runs a given domain.
/// </summary>
public sealed record PeerReport(
    string Host,
    string Arch,
    string CpuModel,
    int Cpus,
    ulong FreeMemoryKiB,
    bool Accepting,
    IReadOnlyList<string> ActiveNetworks,
    IReadOnlyList<PeerPool> Pools,
    PeerDomain? Domain,
    IReadOnlyList<string> ExistingPaths);

/// <summary>virsh domjobinfo: the statistics of a migration (bytes; times).</summary>
public sealed record MigrationJobInfo(
    string Phase,
    TimeSpan Elapsed,
    TimeSpan? Remaining,
    long DataTotal,
    long DataProcessed,
    long DataRemaining,
    long MemoryTotal,
    long MemoryProcessed,
    long MemoryRemaining,
    double DirtyRatePagesPerSecond,
    int Iteration,
    double BandwidthBytesPerSecond,
    TimeSpan? Downtime,
    TimeSpan SetupTime,
    int ThrottlePercent,
    string? FinalDigest,
    string Operation = "Outgoing migration",
    bool Requested = false);

/// <summary>Live migration: pre-copy of guest memory over TCP, stop-and-copy, resume on the target.</summary>
public sealed partial class Hypervisor
{
    private const int PagesPerFrame = 256;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, MigrationJobInfo> _finishedJobs = new(StringComparer.Ordinal);

    /// <summary>
    /// The statistics of the migration running (or last run) for a domain, also once it has left this host
    /// (as <c>virsh domjobinfo --completed</c>); null when there is none.
    /// </summary>
    public MigrationJobInfo? GetJobInfo(string name)
    {
        lock (_sync)
        {
            if (_byName.TryGetValue(name, out var dom) && dom.MigrationJob is { } job)
            {
                return job;
            }
        }

        return _finishedJobs.GetValueOrDefault(name);
    }

    /// <summary>Asks a peer about itself (and about one domain); throws when it cannot be reached or does not authenticate.</summary>
    public async Task<PeerReport> ProbePeerAsync(MigrationTarget peer, PeerQuery query, CancellationToken cancellationToken = default)
    {
        await using var channel = await MigrationChannel.ConnectAsync(peer.Host, peer.Port, peer.Key, cancellationToken).ConfigureAwait(false);
        await channel.SendAsync(FrameType.Probe, JsonSerializer.Serialize(query, StateJson.Default.PeerQuery), cancellationToken).ConfigureAwait(false);
        var (type, payload) = await channel.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (type != FrameType.Answer)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, $"peer {peer.Host}:{peer.Port} answered {type} to a probe");
        }

        return JsonSerializer.Deserialize(payload, StateJson.Default.PeerReport)
            ?? throw new RuntimeException(ErrorCode.OperationFailed, $"peer {peer.Host}:{peer.Port} sent an empty report");
    }

    /// <summary>This host's report to a peer.</summary>
    private async Task<PeerReport> ReportAsync(PeerQuery query, CancellationToken ct)
    {
        var pools = new List<PeerPool>();
        foreach (var pool in ListPools())
        {
            string? path = null;
            try
            {
                path = XElement.Parse(await GetPoolXmlAsync(pool.Name, cancellationToken: ct).ConfigureAwait(false)).Element("target")?.Element("path")?.Value;
            }
            catch (RuntimeException)
            {
                // Undefined meanwhile.
            }

            pools.Add(new PeerPool(pool.Name, pool.Type, path, pool.State == Storage.StoragePoolState.Running));
        }

        PeerDomain? domain = null;
        if (query.Domain is { } name)
        {
            lock (_sync)
            {
                if (_byName.TryGetValue(name, out var dom))
                {
                    domain = new PeerDomain(dom.Name, dom.Uuid, dom.Status.StateName, dom.IsActive, dom.IsPersistent);
                }
            }
        }

        return new PeerReport(
            Host.Name,
            Host.Node.Arch,
            Host.Node.CpuModel,
            Host.Node.Cpus,
            FreeMemoryKiB,
            !_closing,
            [.. ListNetworks().Where(n => n.Active).Select(n => n.Name)],
            pools,
            domain,
            [.. (query.Paths ?? []).Where(File.Exists)]);
    }

    /// <summary>
    /// Offline migration of a shut-off persistent domain: its definition is defined on the target, then
    /// removed here (with its managed-save image, if any: a saved state does not travel).
    /// </summary>
    public Task MigrateOfflineAsync(string name, MigrationTarget target, CancellationToken cancellationToken = default) =>
        JobAsyncTask(name, async dom =>
        {
            if (dom.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"domain '{dom.Name}' is active: it migrates live, not offline");
            }

            if (!dom.IsPersistent)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "cannot migrate a transient domain offline");
            }

            await using (var channel = await MigrationChannel.ConnectAsync(target.Host, target.Port, target.Key, cancellationToken).ConfigureAwait(false))
            {
                var message = new XElement("offline", new XAttribute("autostart", dom.Autostart ? "yes" : "no"), new XElement(dom.Persistent!));
                await channel.SendAsync(FrameType.Define, LibvirtXmlWriter.Format(message), cancellationToken).ConfigureAwait(false);
                await channel.ExpectOkAsync(cancellationToken).ConfigureAwait(false);
            }

            RemoveDefinition(dom);
            _log.LogInformation("Moved the definition of {Domain} to {Host}:{Port} (offline migration)", dom.Name, target.Host, target.Port);
            return true;
        }, cancellationToken);

    /// <summary>
    /// Listens for incoming migrations on <paramref name="endpoint"/>; peers must prove they know
    /// <paramref name="key"/>. Dispose the result to stop listening.
    /// </summary>
    public IAsyncDisposable StartMigrationListener(IPEndPoint endpoint, byte[] key, out IPEndPoint bound)
    {
        var listener = new TcpListener(endpoint);
        listener.Start();
        bound = (IPEndPoint)listener.LocalEndpoint;
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                    return;
                }

                _ = Task.Run(() => HandleIncomingAsync(client, key, stop.Token));
            }
        });
        return new Listener(listener, stop, loop);
    }

    /// <summary>
    /// Live-migrates a running domain to <paramref name="target"/>: setup (the definition sent, a paused
    /// incoming domain prepared there), iterative pre-copy (every page first, then those dirtied since),
    /// stop-and-copy once what is left fits the maximum downtime, resume on the target, cleanup here (shut
    /// off, reason migrated; the definition removed). A failure leaves the domain running here.
    /// </summary>
    public Task<MigrationJobInfo> MigrateAsync(string name, MigrationTarget target, MigrationParameters? parameters = null, CancellationToken cancellationToken = default)
    {
        parameters ??= new MigrationParameters();
        Options.Faults?.Check("Migrate", name);
        return JobAsyncTask(name, dom => MigrateLockedAsync(dom, target, parameters, cancellationToken), cancellationToken);
    }

    private async Task<T> JobAsyncTask<T>(string name, Func<DomainObject, Task<T>> operation, CancellationToken cancellationToken)
    {
        var dom = Find(name);
        await dom.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (dom.Removed)
            {
                throw RuntimeException.NoDomain(name);
            }

            return await operation(dom).ConfigureAwait(false);
        }
        finally
        {
            dom.Job.Release();
        }
    }

    private async Task<MigrationJobInfo> MigrateLockedAsync(DomainObject dom, MigrationTarget target, MigrationParameters p, CancellationToken ct)
    {
        if (dom.Status.State != DomainState.Running)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, "domain is not running");
        }

        var guest = dom.Guest!;
        var memory = guest.Memory;
        var clock = Stopwatch.StartNew();
        var memoryTotal = memory.PageCount * GuestMemory.PageSize;
        var originalWorkload = guest.Workload;
        var throttle = 0;
        var completeSent = false;
        await using var channel = await MigrationChannel.ConnectAsync(target.Host, target.Port, target.Key, ct).ConfigureAwait(false);
        long diskBytes = 0;
        if (p.CopyStorage)
        {
            dom.MigrationJob = new MigrationJobInfo("copy-storage", clock.Elapsed, null, 0, 0, 0, memoryTotal, 0, memoryTotal, 0, 0, 0, null, TimeSpan.Zero, 0, null);
            try
            {
                diskBytes = await CopyStorageAsync(channel, dom.Live!, p.Bandwidth, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                dom.MigrationJob = dom.MigrationJob with { Phase = "failed" };
                _finishedJobs[dom.Name] = dom.MigrationJob;
                throw new RuntimeException(ErrorCode.OperationFailed, $"migration of domain '{dom.Name}' failed while copying its disks: {e.Message}; it keeps running here", e);
            }
        }

        var prepare = new XElement("migration",
            new XAttribute("persistent", dom.IsPersistent ? "yes" : "no"),
            new XAttribute("requested", p.Requested ? "yes" : "no"),
            new XElement(dom.Live!),
            dom.IsPersistent ? new XElement("persistent", new XElement(dom.Persistent!)) : null);
        await channel.SendAsync(FrameType.Prepare, LibvirtXmlWriter.Format(prepare), ct).ConfigureAwait(false);
        await channel.ExpectOkAsync(ct).ConfigureAwait(false);
        var setup = clock.Elapsed;

        memory.StartDirtyLogging();
        long sent = 0;
        var iteration = 1;
        var pending = memory.TouchedPageIndexes();
        var dirtyRate = 0.0;
        var bandwidth = 0.0;
        var best = long.MaxValue;
        var lastProgress = clock.Elapsed;
        var completionTimeout = p.CompletionTimeoutPerGiB * Math.Max(1.0, memoryTotal / (double)(1L << 30));
        void Publish(string phase, TimeSpan? downtime = null, string? digest = null)
        {
            var remaining = (long)pending.Count * GuestMemory.PageSize;
            dom.MigrationJob = new MigrationJobInfo(phase, clock.Elapsed,
                bandwidth > 0 ? TimeSpan.FromSeconds(remaining / bandwidth) : null,
                sent + remaining, sent, remaining, memoryTotal, sent, remaining, dirtyRate, iteration, bandwidth, downtime, setup, throttle, digest);
        }

        try
        {
            while (true)
            {
                Publish("pre-copy");
                var passStart = clock.Elapsed;
                var bytes = await SendPagesAsync(channel, memory, pending, p.Bandwidth, clock, ct).ConfigureAwait(false);
                sent += bytes;
                var passTime = (clock.Elapsed - passStart).TotalSeconds;
                bandwidth = passTime > 0 ? bytes / passTime : bandwidth;
                pending = memory.TakeDirtyPages();
                dirtyRate = passTime > 0 ? pending.Count / passTime : dirtyRate;
                var remainingBytes = (long)pending.Count * GuestMemory.PageSize;
                var effective = Math.Max(bandwidth, 1);
                if (remainingBytes / effective <= p.MaxDowntime.TotalSeconds)
                {
                    break;
                }

                if (remainingBytes < best)
                {
                    best = remainingBytes;
                    lastProgress = clock.Elapsed;
                }

                var stuck = iteration >= p.MaxIterations || clock.Elapsed > completionTimeout || clock.Elapsed - lastProgress > p.ProgressTimeout;
                if (stuck)
                {
                    if (!p.PauseOnNonConvergence)
                    {
                        throw new RuntimeException(ErrorCode.OperationTimeout,
                            $"migration of domain '{dom.Name}' did not converge after {iteration} passes ({remainingBytes} bytes left, {dirtyRate:0} pages/s dirtied); aborted, the domain keeps running here");
                    }

                    break;
                }

                iteration++;
                if (p.AutoConverge && iteration >= 3 && throttle < 99)
                {
                    // QEMU's auto-converge: cpu-throttle-initial 20 %, then cpu-throttle-increment 10 %.
                    throttle = throttle == 0 ? 20 : Math.Min(99, throttle + 10);
                    guest.Workload = originalWorkload with { DirtyPagesPerSecond = originalWorkload.DirtyPagesPerSecond * (100 - throttle) / 100.0 };
                }
            }

            // Stop-and-copy: the source pauses; the last pages and the state go; the target resumes.
            var pause = Stopwatch.StartNew();
            guest.Pause();
            pending.AddRange(memory.TakeDirtyPages());
            Publish("stop-and-copy");
            sent += await SendPagesAsync(channel, memory, pending.Distinct().ToList(), 0, clock, ct).ConfigureAwait(false);
            pending = [];
            var digest = memory.Digest();
            var state = guest.CaptureState() with { Workload = originalWorkload };
            completeSent = true;
            await channel.SendAsync(FrameType.Complete, JsonSerializer.Serialize(new CompleteMessage(digest, state), StateJson.Default.CompleteMessage), ct).ConfigureAwait(false);
            await channel.ExpectOkAsync(ct).ConfigureAwait(false);
            var downtime = pause.Elapsed;
            memory.StopDirtyLogging();

            // As QEMU reports a completed migration: the bandwidth is the average over the transfer (every
            // byte sent over the time since setup), no longer the rate of the last pass.
            var transfer = (clock.Elapsed - setup).TotalSeconds;
            bandwidth = transfer > 0 ? sent / transfer : bandwidth;
            Publish("completed", downtime, digest);
            var info = dom.MigrationJob!;
            _finishedJobs[dom.Name] = info;
            CleanUpMigratedSource(dom);
            _log.LogInformation("Migrated {Domain} to {Host}:{Port} in {Elapsed} ({Iterations} passes, downtime {Downtime} ms, {DiskBytes} bytes of disks copied)",
                dom.Name, target.Host, target.Port, info.Elapsed, info.Iteration, (int)downtime.TotalMilliseconds, diskBytes);
            return info;
        }
        catch (Exception e) when (e is RuntimeException or IOException or SocketException or OperationCanceledException)
        {
            memory.StopDirtyLogging();
            if (completeSent && !(e is RuntimeException { Code: ErrorCode.OperationFailed } r && r.Message.StartsWith("migration target: ", StringComparison.Ordinal)))
            {
                // The last step went out but its answer did not come back: the target may run the guest
                // already. Ask it before resuming here, and never resume while it cannot say.
                var there = await TargetRunsAsync(dom, target).ConfigureAwait(false);
                if (there == true)
                {
                    Publish("completed", null, null);
                    _finishedJobs[dom.Name] = dom.MigrationJob!;
                    CleanUpMigratedSource(dom);
                    _log.LogWarning("Migration of {Domain}: the answer of {Host}:{Port} was lost, but it runs the domain there; cleaned up here", dom.Name, target.Host, target.Port);
                    return dom.MigrationJob!;
                }

                if (there is null)
                {
                    dom.Status = DomainStatus.Paused(PausedReason.Migration);
                    dom.PendingMigration = target;
                    Publish("unknown");
                    _finishedJobs[dom.Name] = dom.MigrationJob!;
                    throw new RuntimeException(ErrorCode.OperationFailed,
                        $"migration of domain '{dom.Name}': {target.Host}:{target.Port} cannot be reached after the final step, so it is not known which host runs the guest; it stays paused here (it never runs on two hosts) until the target answers");
                }
            }

            try
            {
                await channel.SendAsync(FrameType.Abort, ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception send) when (send is IOException or SocketException or ObjectDisposedException)
            {
            }

            if (dom.Guest == guest)
            {
                guest.Workload = originalWorkload;
                guest.Resume();
                dom.Status = DomainStatus.Running(RunningReason.MigrationCanceled);
            }

            Publish("failed");
            _finishedJobs[dom.Name] = dom.MigrationJob!;
            if (e is RuntimeException)
            {
                throw;
            }

            throw new RuntimeException(ErrorCode.OperationFailed, $"migration of domain '{dom.Name}' failed: {e.Message}; it keeps running here", e);
        }
        finally
        {
            if (dom.Guest == guest)
            {
                guest.Workload = originalWorkload;
            }
        }
    }

    /// <summary>The source's last step: shut off (reason migrated), the definition removed here.</summary>
    private void CleanUpMigratedSource(DomainObject dom)
    {
        dom.PendingMigration = null;
        Stop(dom, ShutoffReason.Migrated, DomainEventType.Stopped, "migrated", spontaneous: false);
        if (dom.IsPersistent)
        {
            RemoveDefinition(dom);
        }
    }

    /// <summary>Whether the target runs the domain now: true, false, or null when it cannot be reached.</summary>
    private async Task<bool?> TargetRunsAsync(DomainObject dom, MigrationTarget target)
    {
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                var report = await ProbePeerAsync(target, new PeerQuery(dom.Name), timeout.Token).ConfigureAwait(false);
                return report.Domain is { Active: true, State: "running" } d && d.Uuid == dom.Uuid;
            }
            catch (Exception e) when (e is RuntimeException or IOException or SocketException or OperationCanceledException or JsonException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (attempt + 1))).ConfigureAwait(false);
            }
        }

        return null;
    }

    /// <summary>
    /// For a domain left paused here by a migration whose outcome was unknown: asks the target again. When
    /// it runs the domain, the domain is cleaned up here ("migrated"); when it does not, it resumes here
    /// ("resumed"); when the target still cannot be reached, nothing changes (null).
    /// </summary>
    public Task<string?> ResolveMigrationAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsyncTask(name, async dom =>
        {
            if (dom.PendingMigration is not { } target || dom.Guest is not { } guest)
            {
                return (string?)null;
            }

            switch (await TargetRunsAsync(dom, target).ConfigureAwait(false))
            {
                case true:
                    CleanUpMigratedSource(dom);
                    return "migrated";
                case false:
                    dom.PendingMigration = null;
                    guest.Resume();
                    dom.Status = DomainStatus.Running(RunningReason.MigrationCanceled);
                    Raise(dom, DomainEventType.Resumed, "migrated");
                    return "resumed";
                default:
                    return null;
            }
        }, cancellationToken);

    /// <summary>The last frame of a migration: the digest of the memory sent, and the vCPU/device state.</summary>
    private sealed record CompleteMessage(string Digest, GuestDeviceState State);

    /// <summary>A disk that copy-storage streams: where it is here, and the pool volume it is, if any.</summary>
    private sealed record DiskCopy(string Path, string? Pool, string? Volume, long Size);

    private const int DiskChunk = 1 << 20;

    /// <summary>Streams the domain's writable file and volume disks to the target (sparse: zero chunks are skipped).</summary>
    private async Task<long> CopyStorageAsync(MigrationChannel channel, XElement live, long bandwidth, CancellationToken ct)
    {
        long total = 0;
        var clock = Stopwatch.StartNew();
        foreach (var disk in live.El("devices").Els("disk"))
        {
            var source = disk.El("source");
            if (source is null || disk.El("readonly") is not null || disk.El("shareable") is not null)
            {
                continue;
            }

            DiskCopy? copy = null;
            if ((disk.A("type") ?? "file") == "file" && source.A("file") is { } file && File.Exists(file))
            {
                copy = new DiskCopy(file, null, null, new FileInfo(file).Length);
            }
            else if (disk.A("type") == "volume" && source.A("pool") is { } poolName && source.A("volume") is { } volumeName)
            {
                lock (_sync)
                {
                    if (_poolsByName.GetValueOrDefault(poolName)?.Volumes.GetValueOrDefault(volumeName) is { } volume && File.Exists(volume.Path))
                    {
                        copy = new DiskCopy(volume.Path, poolName, volumeName, new FileInfo(volume.Path).Length);
                    }
                }
            }

            if (copy is null)
            {
                continue;
            }

            await channel.SendAsync(FrameType.DiskBegin, JsonSerializer.Serialize(copy, StateJson.Default.DiskCopy), ct).ConfigureAwait(false);
            await channel.ExpectOkAsync(ct).ConfigureAwait(false);
            var buffer = new byte[8 + DiskChunk];
            await using (var stream = new FileStream(copy.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, useAsync: true))
            {
                long offset = 0;
                while (true)
                {
                    var read = await stream.ReadAtLeastAsync(buffer.AsMemory(8, DiskChunk), DiskChunk, throwOnEndOfStream: false, ct).ConfigureAwait(false);
                    if (read == 0)
                    {
                        break;
                    }

                    if (buffer.AsSpan(8, read).ContainsAnyExcept((byte)0))
                    {
                        BinaryPrimitives.WriteInt64BigEndian(buffer, offset);
                        await channel.SendAsync(FrameType.DiskData, buffer.AsMemory(0, 8 + read), ct).ConfigureAwait(false);
                        total += 8 + read;
                        if (bandwidth > 0 && TimeSpan.FromSeconds(total / (double)bandwidth) is var due && due > clock.Elapsed)
                        {
                            await Task.Delay(due - clock.Elapsed, ct).ConfigureAwait(false);
                        }
                    }

                    offset += read;
                }
            }

            await channel.SendAsync(FrameType.DiskEnd, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
            await channel.ExpectOkAsync(ct).ConfigureAwait(false);
        }

        return total;
    }

    /// <summary>Sends pages in frames: index, a zero flag, and the 4 KiB of a non-zero page.</summary>
    private static async Task<long> SendPagesAsync(MigrationChannel channel, GuestMemory memory, List<long> pages, long bandwidth, Stopwatch clock, CancellationToken ct)
    {
        long bytes = 0;
        var start = clock.Elapsed;

        // One buffer for every frame of the pass: the frame header, the page count, then per page its
        // index, a zero flag and (when not zero) its bytes, read straight into place.
        var frame = new byte[MigrationChannel.HeaderSize + 4 + (PagesPerFrame * (9 + GuestMemory.PageSize))];
        for (var i = 0; i < pages.Count; i += PagesPerFrame)
        {
            var count = Math.Min(PagesPerFrame, pages.Count - i);
            var at = MigrationChannel.HeaderSize;
            BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(at), count);
            at += 4;
            for (var j = 0; j < count; j++)
            {
                var index = pages[i + j];
                BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(at), index);
                var nonZero = memory.ReadPageHashed(index, frame.AsSpan(at + 9, GuestMemory.PageSize));
                frame[at + 8] = nonZero ? (byte)1 : (byte)0;
                at += 9 + (nonZero ? GuestMemory.PageSize : 0);
            }

            var length = at - MigrationChannel.HeaderSize;
            await channel.SendFrameAsync(FrameType.Pages, frame, length, ct).ConfigureAwait(false);
            bytes += length;
            if (bandwidth > 0)
            {
                var due = start + TimeSpan.FromSeconds(bytes / (double)bandwidth);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed, ct).ConfigureAwait(false);
                }
            }
        }

        return bytes;
    }

    /// <summary>
    /// The host side of one connection from a peer: a probe, an offline migration (a definition), or a live
    /// migration (disks when copy-storage, the definition, pages, then the last pages and the device state).
    /// </summary>
    private async Task HandleIncomingAsync(TcpClient client, byte[] key, CancellationToken ct)
    {
        var peer = client.Client.RemoteEndPoint?.ToString() ?? "an unknown peer";
        var accepted = await MigrationChannel.AcceptAsync(client, key, ct).ConfigureAwait(false);
        if (accepted is null)
        {
            _log.LogWarning("Refused a connection from {Peer}: it did not prove it knows the shared key", peer);
            client.Dispose();
            return;
        }

        await using var channel = accepted;
        var incoming = new Incoming();
        try
        {
            while (true)
            {
                var (type, frame) = await channel.ReceiveReusingAsync(ct).ConfigureAwait(false);

                // Bulk frames (pages, disk data) are used in place; the few others are copied out of the reused buffer.
                var payload = type is FrameType.Pages or FrameType.DiskData ? [] : frame.ToArray();
                switch (type)
                {
                    case FrameType.Probe:
                        var query = JsonSerializer.Deserialize(payload, StateJson.Default.PeerQuery) ?? new PeerQuery();
                        await channel.SendAsync(FrameType.Answer, JsonSerializer.SerializeToUtf8Bytes(await ReportAsync(query, ct).ConfigureAwait(false), StateJson.Default.PeerReport), ct).ConfigureAwait(false);
                        return;
                    case FrameType.Define:
                        await AnswerAsync(channel, () => DefineOfflineAsync(payload, ct), ct).ConfigureAwait(false);
                        return;
                    case FrameType.DiskBegin when incoming.Dom is null && incoming.Disk is null:
                        if (!await AnswerAsync(channel, () => BeginDiskAsync(incoming, payload), ct).ConfigureAwait(false))
                        {
                            incoming.Discard(this);
                            return;
                        }

                        break;
                    case FrameType.DiskData when incoming.Disk is { } disk:
                        var offset = BinaryPrimitives.ReadInt64BigEndian(frame.Span);
                        if (offset < 0 || offset + frame.Length - 8 > disk.Size)
                        {
                            throw new InvalidDataException($"disk data at {offset} outside the disk");
                        }

                        await RandomAccess.WriteAsync(disk.Stream.SafeFileHandle, frame[8..], offset, ct).ConfigureAwait(false);
                        break;
                    case FrameType.DiskEnd when incoming.Disk is not null:
                        if (!await AnswerAsync(channel, () => EndDiskAsync(incoming, ct), ct).ConfigureAwait(false))
                        {
                            incoming.Discard(this);
                            return;
                        }

                        break;
                    case FrameType.Prepare when incoming.Dom is null && incoming.Disk is null:
                        if (!await AnswerAsync(channel, () => PrepareIncoming(incoming, payload, ct), ct).ConfigureAwait(false))
                        {
                            incoming.Discard(this);
                            return;
                        }

                        break;
                    case FrameType.Pages when incoming.Dom?.Guest is { } guest:
                        WritePages(guest.Memory, frame.Span);
                        incoming.Received += frame.Length;
                        break;
                    case FrameType.Complete when incoming.Dom?.Guest is not null:
                        if (!await AnswerAsync(channel, () => FinishIncomingAsync(incoming, payload, ct), ct).ConfigureAwait(false))
                        {
                            incoming.Discard(this);
                        }

                        return;
                    case FrameType.Abort:
                        _log.LogWarning("The source abandoned the incoming migration of {Domain}", incoming.Dom?.Name ?? "a domain");
                        incoming.Discard(this);
                        return;
                    default:
                        throw new InvalidDataException($"unexpected {type} frame");
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException or SocketException or OperationCanceledException
            or System.Xml.XmlException or JsonException or ArgumentException)
        {
            // The source went away or sent nonsense: whatever arrived is dropped.
            incoming.Discard(this);
            _log.LogWarning("An incoming migration from {Peer} ended without completing: {Message}", peer, e.Message);
        }
    }

    /// <summary>Runs one step of the target's side and answers Ok, or Error with its message; false on error.</summary>
    private static async Task<bool> AnswerAsync(MigrationChannel channel, Func<Task> step, CancellationToken ct)
    {
        try
        {
            await step().ConfigureAwait(false);
        }
        catch (RuntimeException e)
        {
            await channel.SendAsync(FrameType.Error, e.Message, ct).ConfigureAwait(false);
            return false;
        }

        await channel.SendAsync(FrameType.Ok, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
        return true;
    }

    private async Task DefineOfflineAsync(byte[] payload, CancellationToken ct)
    {
        var message = XElement.Parse(Encoding.UTF8.GetString(payload));
        var domain = message.Element("domain") ?? throw new InvalidDataException("offline migration without a definition");
        var name = domain.Element("name")?.Value ?? string.Empty;
        if (Exists(name) && Lookup(name).Status.IsActive)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, $"domain '{name}' is already active on host '{Host.Name}'");
        }

        await DefineAsync(LibvirtXmlWriter.Format(domain), ct).ConfigureAwait(false);
        await SetAutostartAsync(name, message.Attribute("autostart")?.Value == "yes", ct).ConfigureAwait(false);
        _log.LogInformation("Took over the definition of {Domain} (offline migration)", name);
    }

    private Task BeginDiskAsync(Incoming incoming, byte[] payload)
    {
        var copy = JsonSerializer.Deserialize(payload, StateJson.Default.DiskCopy) ?? throw new InvalidDataException("empty disk header");
        string path;
        if (copy.Pool is not null && copy.Volume is not null)
        {
            PoolObject? pool;
            lock (_sync)
            {
                pool = _poolsByName.GetValueOrDefault(copy.Pool);
            }

            if (pool is not { IsActive: true } || !IsDirectoryLike(pool.Type))
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"copy-storage: storage pool '{copy.Pool}' is not running on host '{Host.Name}'");
            }

            if (copy.Volume.Contains('/', StringComparison.Ordinal) || copy.Volume is "." or "..")
            {
                throw new RuntimeException(ErrorCode.PolicyViolation, $"copy-storage: '{copy.Volume}' is not a volume name");
            }

            path = Path.Combine(pool.TargetPath!, copy.Volume);
        }
        else
        {
            path = Path.GetFullPath(copy.Path);
            if (!PathAllowed(path))
            {
                throw new RuntimeException(ErrorCode.PolicyViolation,
                    $"copy-storage: '{path}' is neither in a running storage pool nor in an allowed image directory of host '{Host.Name}'");
            }
        }

        var replace = false;
        if (File.Exists(path))
        {
            // A volume the same specs created here (each host applies them), or one left blank by an earlier
            // migration away, is taken over as libvirt pre-creates it; a disk with data never is.
            if (BlankAndUnused(path, copy.Pool) is { } why)
            {
                throw new RuntimeException(ErrorCode.StorageVolumeExists,
                    $"copy-storage: '{path}' exists already on host '{Host.Name}' and {why}; copy-storage never overwrites data (with shared storage, migrate without it)");
            }

            replace = true;
        }

        var temp = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + ".incoming-" + Guid.NewGuid().ToString("N")[..8]);
        var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, useAsync: true);
        stream.SetLength(copy.Size);
        incoming.Disk = new IncomingDisk(path, temp, copy.Pool, copy.Size, stream) { Replace = replace };
        return Task.CompletedTask;
    }

    /// <summary>Null when <paramref name="path"/> holds no data (a blank qcow2, or a raw file without a block) and no running domain uses it; else why not.</summary>
    private string? BlankAndUnused(string path, string? pool)
    {
        var blank = Storage.Images.DiskContent.Probe(path) == "qcow2" ? Storage.Images.Qcow2Image.IsBlank(path) : FileBlocks.Allocated(path) == 0;
        if (!blank)
        {
            return "holds data";
        }

        var users = ActiveUsersOf(path, pool, pool is null ? null : Path.GetFileName(path));
        return users.Count > 0 ? $"is in use by {string.Join(", ", users)}" : null;
    }

    private async Task EndDiskAsync(Incoming incoming, CancellationToken ct)
    {
        var disk = incoming.Disk!;
        incoming.Disk = null;
        await disk.Stream.FlushAsync(ct).ConfigureAwait(false);
        disk.Stream.Flush(flushToDisk: true);
        await disk.Stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            // Under its final name only when complete, and never over a file that appeared meanwhile.
            if (disk.Replace && BlankAndUnused(disk.Path, disk.Pool) is { } why)
            {
                throw new IOException($"it {why} now");
            }

            File.Move(disk.Temp, disk.Path, overwrite: disk.Replace);
            Persistence.StateDirectory.SyncDirectory(Path.GetDirectoryName(disk.Path)!);
        }
        catch (IOException e)
        {
            File.Delete(disk.Temp);
            throw new RuntimeException(ErrorCode.StorageVolumeExists, $"copy-storage: cannot put '{disk.Path}' in place: {e.Message}", e);
        }

        incoming.CopiedDisks.Add(disk.Path);
        if (disk.Pool is not null)
        {
            await RefreshPoolAsync(disk.Pool, ct).ConfigureAwait(false);
        }
    }

    private async Task PrepareIncoming(Incoming incoming, byte[] payload, CancellationToken ct)
    {
        var message = XElement.Parse(Encoding.UTF8.GetString(payload));
        var def = ParseDefinition(LibvirtXmlWriter.Format(message.Elements("domain").First()));
        incoming.Persistent = message.Element("persistent")?.Element("domain");
        incoming.Requested = message.Attribute("requested")?.Value == "yes";
        var model = DomainDefinition.FromXml(def);
        var (dom, created) = Claim(model, forStart: true);
        if (!created)
        {
            await dom.Job.WaitAsync(ct).ConfigureAwait(false);
        }

        try
        {
            Boot(dom, def, paused: true, RunningReason.Migrated, GuestMemory.FromKiB(model.Memory.MemoryKiB), incoming: true);
            incoming.Dom = dom;
            incoming.Setup = incoming.Clock.Elapsed;
        }
        catch when (created)
        {
            Unregister(dom);
            throw;
        }
        finally
        {
            dom.Job.Release();
        }
    }

    private async Task FinishIncomingAsync(Incoming incoming, byte[] payload, CancellationToken ct)
    {
        var dom = incoming.Dom!;
        var guest = dom.Guest!;
        var complete = JsonSerializer.Deserialize(payload, StateJson.Default.CompleteMessage) ?? throw new InvalidDataException("empty completion");
        await dom.Job.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (guest.Memory.Digest() != complete.Digest)
            {
                throw new RuntimeException(ErrorCode.OperationFailed, "the memory that arrived does not match the source's digest");
            }

            if (incoming.Persistent is not null)
            {
                WriteDefinition(dom.Uuid, incoming.Persistent);
                dom.Persistent = incoming.Persistent;
            }

            // The target's own digest of what arrived, recorded beside the incoming job (domjobinfo on this host).
            var arrived = guest.Memory.Digest();
            var total = guest.Memory.PageCount * GuestMemory.PageSize;
            dom.MigrationJob = new MigrationJobInfo("completed", incoming.Clock.Elapsed, TimeSpan.Zero, incoming.Received, incoming.Received, 0,
                total, incoming.Received, 0, 0, 0, incoming.Clock.Elapsed.TotalSeconds > 0 ? incoming.Received / incoming.Clock.Elapsed.TotalSeconds : 0,
                null, incoming.Setup, 0, arrived, "Incoming migration", incoming.Requested);
            guest.LoadState(complete.State);
            guest.Resume();
            dom.Status = DomainStatus.Running(RunningReason.Migrated);
            WriteRunRecord(dom);
            incoming.Dom = null;
            incoming.CopiedDisks.Clear();
            Raise(dom, DomainEventType.Resumed, "migrated");
        }
        finally
        {
            dom.Job.Release();
        }

        // QEMU's self-announce: RARP from every interface, so that the network learns where the guest is now.
        var announced = new List<string>();
        foreach (var tap in dom.Taps.Values.ToList())
        {
            if (_bridges.Announce(tap, rounds: 5) is { } bridge)
            {
                announced.Add($"{tap}@{bridge}");
            }
        }

        _log.LogInformation("Domain {Domain} migrated here and runs; announced its MACs on {Ports}", dom.Name, announced.Count == 0 ? "no bridge" : string.Join(", ", announced));
    }

    /// <summary>What one incoming migration has made so far, to be dropped if it does not complete.</summary>
    private sealed class Incoming
    {
        public DomainObject? Dom { get; set; }

        public XElement? Persistent { get; set; }

        public IncomingDisk? Disk { get; set; }

        public List<string> CopiedDisks { get; } = [];

        public Stopwatch Clock { get; } = Stopwatch.StartNew();

        public TimeSpan Setup { get; set; }

        public long Received { get; set; }

        public bool Requested { get; set; }

        public void Discard(Hypervisor hv)
        {
            if (Disk is { } disk)
            {
                disk.Stream.Dispose();
                TryDelete(disk.Temp);
                Disk = null;
            }

            if (Dom is { } dom && dom.IsActive && dom.Status.State == DomainState.Paused)
            {
                dom.Job.Wait();
                try
                {
                    hv.Stop(dom, ShutoffReason.Failed, DomainEventType.Stopped, "failed", spontaneous: false);
                }
                finally
                {
                    dom.Job.Release();
                }
            }

            Dom = null;
            foreach (var path in CopiedDisks)
            {
                // Only what this migration created: the source still has the disk.
                TryDelete(path);
            }

            CopiedDisks.Clear();
        }

        private static void TryDelete(string path)
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }

    private sealed record IncomingDisk(string Path, string Temp, string? Pool, long Size, FileStream Stream)
    {
        /// <summary>Whether the copy replaces a blank, unused volume that was there (checked again before it does).</summary>
        public bool Replace { get; init; }
    }

    private static readonly byte[] ZeroPage = new byte[GuestMemory.PageSize];

    private static void WritePages(GuestMemory memory, ReadOnlySpan<byte> span)
    {
        var count = BinaryPrimitives.ReadInt32BigEndian(span);
        var offset = 4;
        ReadOnlySpan<byte> zero = ZeroPage;
        for (var i = 0; i < count; i++)
        {
            var index = BinaryPrimitives.ReadInt64BigEndian(span[offset..]);
            var nonZero = span[offset + 8] == 1;
            offset += 9;
            if (index < 0 || index >= memory.PageCount)
            {
                throw new InvalidDataException($"page {index} outside the guest's memory");
            }

            if (nonZero)
            {
                memory.WritePageHashed(index, span.Slice(offset, GuestMemory.PageSize));
                offset += GuestMemory.PageSize;
            }
            else
            {
                memory.WritePageHashed(index, zero);
            }
        }
    }

    private sealed class Listener(TcpListener listener, CancellationTokenSource stop, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            listener.Stop();
            await loop.ConfigureAwait(false);
            stop.Dispose();
        }
    }
}
