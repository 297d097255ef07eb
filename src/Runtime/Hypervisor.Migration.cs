using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Migration;
using Reconciler.Runtime.Persistence;
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
}

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
    string? FinalDigest);

/// <summary>Live migration: pre-copy of guest memory over TCP, stop-and-copy, resume on the target.</summary>
public sealed partial class Hypervisor
{
    private const int PagesPerFrame = 256;

    /// <summary>The statistics of the migration running (or last run) for a domain; null when there is none.</summary>
    public MigrationJobInfo? GetJobInfo(string name) => Find(name).MigrationJob;

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
        return JobAsyncTask(name, dom => MigrateLockedAsync(dom, target, parameters, cancellationToken), cancellationToken);
    }

    private async Task<T> JobAsyncTask<T>(string name, Func<DomainObject, Task<T>> operation, CancellationToken cancellationToken)
    {
        Options.Faults?.Check("Migrate", name);
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
        await using var channel = await MigrationChannel.ConnectAsync(target.Host, target.Port, target.Key, ct).ConfigureAwait(false);
        var prepare = new XElement("migration",
            new XAttribute("persistent", dom.IsPersistent ? "yes" : "no"),
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
            await channel.SendAsync(FrameType.Complete, digest, ct).ConfigureAwait(false);
            await channel.ExpectOkAsync(ct).ConfigureAwait(false);
            var downtime = pause.Elapsed;
            memory.StopDirtyLogging();
            Publish("completed", downtime, digest);
            var info = dom.MigrationJob!;
            Stop(dom, ShutoffReason.Migrated, DomainEventType.Stopped, "migrated", spontaneous: false);
            if (dom.IsPersistent)
            {
                StateDirectory.Delete(DefinitionPath(dom.Uuid));
                StateDirectory.Delete(FlagsPath(dom.Uuid));
                StateDirectory.Delete(ManagedSavePath(dom.Uuid));
                dom.Persistent = null;
                Raise(dom, DomainEventType.Undefined, "removed");
                Unregister(dom);
            }

            _log.LogInformation("Migrated {Domain} to {Host}:{Port} in {Elapsed} ({Iterations} passes, downtime {Downtime} ms)",
                dom.Name, target.Host, target.Port, info.Elapsed, info.Iteration, (int)downtime.TotalMilliseconds);
            return info;
        }
        catch (Exception e) when (e is RuntimeException or IOException or SocketException or OperationCanceledException)
        {
            memory.StopDirtyLogging();
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

    /// <summary>Sends pages in frames: index, a zero flag, and the 4 KiB of a non-zero page.</summary>
    private static async Task<long> SendPagesAsync(MigrationChannel channel, GuestMemory memory, List<long> pages, long bandwidth, Stopwatch clock, CancellationToken ct)
    {
        long bytes = 0;
        var start = clock.Elapsed;
        var page = new byte[GuestMemory.PageSize];
        var head = new byte[9];
        for (var i = 0; i < pages.Count; i += PagesPerFrame)
        {
            var count = Math.Min(PagesPerFrame, pages.Count - i);
            using var frame = new MemoryStream();
            BinaryPrimitives.WriteInt32BigEndian(head, count);
            frame.Write(head, 0, 4);
            for (var j = 0; j < count; j++)
            {
                var index = pages[i + j];
                var nonZero = memory.ReadPage(index, page);
                BinaryPrimitives.WriteInt64BigEndian(head, index);
                head[8] = nonZero ? (byte)1 : (byte)0;
                frame.Write(head);
                if (nonZero)
                {
                    frame.Write(page);
                }
            }

            await channel.SendAsync(FrameType.Pages, frame.GetBuffer().AsMemory(0, (int)frame.Length), ct).ConfigureAwait(false);
            bytes += frame.Length;
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

    /// <summary>The target side of one migration connection.</summary>
    private async Task HandleIncomingAsync(TcpClient client, byte[] key, CancellationToken ct)
    {
        var peer = client.Client.RemoteEndPoint?.ToString() ?? "an unknown peer";
        var accepted = await MigrationChannel.AcceptAsync(client, key, ct).ConfigureAwait(false);
        if (accepted is null)
        {
            _log.LogWarning("Refused a migration connection from {Peer}: it did not prove it knows the shared key", peer);
            client.Dispose();
            return;
        }

        await using var channel = accepted;

        DomainObject? dom = null;
        var created = false;
        XElement? persistent = null;
        try
        {
            while (true)
            {
                var (type, payload) = await channel.ReceiveAsync(ct).ConfigureAwait(false);
                switch (type)
                {
                    case FrameType.Prepare:
                        try
                        {
                            var message = XElement.Parse(Encoding.UTF8.GetString(payload));
                            var def = ParseDefinition(LibvirtXmlWriter.Format(message.Elements("domain").First()));
                            persistent = message.Element("persistent")?.Element("domain");
                            (dom, created) = Claim(DomainDefinition.FromXml(def), forStart: true);
                            if (!created)
                            {
                                await dom.Job.WaitAsync(ct).ConfigureAwait(false);
                            }

                            try
                            {
                                Boot(dom, def, paused: true, RunningReason.Migrated, GuestMemory.FromKiB(DomainDefinition.FromXml(def).Memory.MemoryKiB), incoming: true);
                                dom.Status = DomainStatus.Paused(PausedReason.Migration);
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

                            await channel.SendAsync(FrameType.Ok, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
                        }
                        catch (RuntimeException e)
                        {
                            dom = null;
                            await channel.SendAsync(FrameType.Error, e.Message, ct).ConfigureAwait(false);
                            return;
                        }

                        break;
                    case FrameType.Pages when dom?.Guest is { } guest:
                        WritePages(guest.Memory, payload);
                        break;
                    case FrameType.Complete when dom?.Guest is { } guest:
                        await dom.Job.WaitAsync(ct).ConfigureAwait(false);
                        try
                        {
                            var digest = Encoding.ASCII.GetString(payload);
                            if (guest.Memory.Digest() != digest)
                            {
                                throw new RuntimeException(ErrorCode.OperationFailed, "the memory that arrived does not match the source's digest");
                            }

                            if (persistent is not null)
                            {
                                WriteDefinition(dom.Uuid, persistent);
                                dom.Persistent = persistent;
                            }

                            guest.Resume();
                            dom.Status = DomainStatus.Running(RunningReason.Migrated);
                            WriteRunRecord(dom);
                            Raise(dom, DomainEventType.Resumed, "migrated");
                        }
                        catch (RuntimeException e)
                        {
                            Stop(dom, ShutoffReason.Failed, DomainEventType.Stopped, "failed", spontaneous: false);
                            await channel.SendAsync(FrameType.Error, e.Message, ct).ConfigureAwait(false);
                            return;
                        }
                        finally
                        {
                            dom.Job.Release();
                        }

                        await channel.SendAsync(FrameType.Ok, ReadOnlyMemory<byte>.Empty, ct).ConfigureAwait(false);
                        return;
                    default:
                        throw new InvalidDataException($"unexpected {type} frame");
                }
            }
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException or SocketException or OperationCanceledException or System.Xml.XmlException)
        {
            // The source went away or gave up: the incoming domain goes.
            if (dom is not null && dom.IsActive && dom.Status.State == DomainState.Paused)
            {
                await dom.Job.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                try
                {
                    Stop(dom, ShutoffReason.Failed, DomainEventType.Stopped, "failed", spontaneous: false);
                }
                finally
                {
                    dom.Job.Release();
                }
            }

            _log.LogWarning("An incoming migration ended without completing: {Message}", e.Message);
        }
    }

    private static void WritePages(GuestMemory memory, byte[] payload)
    {
        var span = payload.AsSpan();
        var count = BinaryPrimitives.ReadInt32BigEndian(span);
        var offset = 4;
        var zero = new byte[GuestMemory.PageSize];
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
                memory.WritePage(index, span.Slice(offset, GuestMemory.PageSize));
                offset += GuestMemory.PageSize;
            }
            else
            {
                memory.WritePage(index, zero);
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
