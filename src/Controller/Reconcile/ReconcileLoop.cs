using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Retry;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Specs;
using Reconciler.Runtime;
using Reconciler.Runtime.Domains;

namespace Reconciler.Controller.Reconcile;

/// <summary>
/// The reconcile loop: watches the spec directory (debounced, with periodic full resyncs and a resync after
/// a watcher overflow), listens to the runtime's events, and converges every object through a work queue
/// keyed by object — deduplicated, one worker per key, bounded parallelism, per-key backoff.
/// </summary>
public sealed partial class ReconcileLoop : BackgroundService, IControllerView
{
    private readonly ControllerOptions _options;
    private readonly ILogger<ReconcileLoop> _log;
    private readonly SpecDirectory _specs;
    private readonly DesiredState _desired;
    private readonly StatusStore _store;
    // Two queues: what something asked for (a file changed, a domain stopped, a dependency is ready, a CLI
    // verb) goes before the periodic resync's look at everything else, so that an edit does not wait behind
    // thousands of objects that did not change. _available counts the keys in both.
    private readonly Channel<ObjectKey> _queue = Channel.CreateUnbounded<ObjectKey>();
    private readonly Channel<ObjectKey> _background = Channel.CreateUnbounded<ObjectKey>();
    private readonly SemaphoreSlim _available = new(0);
    private readonly HashSet<ObjectKey> _queued = [];
    private readonly HashSet<ObjectKey> _queuedInBackground = [];
    private readonly HashSet<ObjectKey> _running = [];
    private readonly HashSet<ObjectKey> _again = [];
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _scanLock = new(1, 1);
    private readonly SemaphoreSlim _wholeScanLock = new(1, 1);
    private readonly ResiliencePipeline _retry;
    private readonly TaskCompletionSource _firstPass = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The objects found at start that this daemon has not reconciled yet (the first pass).
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ObjectKey, byte> _firstPassPending = new();

    private readonly PeerGroup _peers;

    private readonly ControllerStart _start;

    public ReconcileLoop(IOptions<ControllerOptions> options, Hypervisor hypervisor, ILogger<ReconcileLoop> log, PeerGroup? peers = null, ControllerStart? start = null)
    {
        _options = options.Value;
        _peers = peers ?? PeerGroup.None;
        _log = log;
        Hypervisor = hypervisor;
        _start = start ?? ControllerStart.Begin(_options, scanEarly: false);
        _specs = _start.Specs;
        _desired = new DesiredState(_options.AllowEmpty);
        _store = _start.Store;

        // A file broken while the daemon was down still names the object it defined (by the records).
        var fileOf = _store.All.Where(p => p.Value.Status?.File is not null && p.Value.Managed)
            .GroupBy(p => p.Value.Status!.File!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Key, StringComparer.Ordinal);
        _desired.KeyOfFileBefore = path => fileOf.TryGetValue(path, out var key) ? key : null;

        if (_store.Damaged is { } damaged)
        {
            _log.LogError("{Problem}", damaged);
        }

        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RuntimeException>(IsTransient),
                MaxRetryAttempts = 3,
                Delay = TimeSpan.FromMilliseconds(50),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
            })
            .Build();
    }

    public override void Dispose()
    {
        _start.Dispose();
        base.Dispose();
    }

    public string HostName => _options.Host;

    public Hypervisor Hypervisor { get; }

    /// <summary>Completes once every object found at start has been reconciled once (the first complete status).</summary>
    public Task FirstPass => _firstPass.Task;

    public int QueueDepth
    {
        get
        {
            lock (_sync)
            {
                return _queued.Count;
            }
        }
    }

    public void Enqueue(ObjectKey key)
    {
        lock (_sync)
        {
            if (_running.Contains(key))
            {
                _again.Add(key);
                return;
            }

            // Already queued: only a key waiting in the background queue moves ahead (its copy there is
            // skipped when it comes up).
            if (!_queued.Add(key) && !_queuedInBackground.Remove(key))
            {
                return;
            }
        }

        _queue.Writer.TryWrite(key);
        _available.Release();
    }

    /// <summary>Queues <paramref name="key"/> behind everything asked for (the periodic resync's look at an object nothing changed).</summary>
    private void EnqueueInBackground(ObjectKey key)
    {
        lock (_sync)
        {
            if (_running.Contains(key) || !_queued.Add(key))
            {
                return;
            }

            _queuedInBackground.Add(key);
        }

        _background.Writer.TryWrite(key);
        _available.Release();
    }

    public string? RunStrategyOf(string domain) =>
        _desired.Objects.TryGetValue(new ObjectKey(ObjectKind.Domain, domain), out var d)
            ? Schema.Metadata.ReconcilerMetadata.Name(Schema.Metadata.ReconcilerMetadata.FromDomain(d.Definition).RunStrategy)
            : null;

    public IReadOnlyList<ObjectStatus> Status() =>
        [.. _store.All.Where(p => p.Value.Status is not null).Select(p => p.Value.Status!)
            .OrderBy(s => s.Kind).ThenBy(s => s.Name, StringComparer.Ordinal)];

    public bool Observed => _firstPass.Task.IsCompleted;

    public (int Objects, int Converged) Counts() => _store.Counts();

    public ObjectStatus? StatusOf(ObjectKey key) => _store.Get(key).Status;

    /// <summary>Why the spec directory is not applied at all right now, or null.</summary>
    public string? Blocked => _desired.Blocked;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watcher = StartWatcher();
        using var queueGauge = Telemetry.RegisterQueueDepth(() => QueueDepth);
        using var objectsGauge = Telemetry.RegisterView(this);
        Hypervisor.DomainChanged += OnDomainChanged;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await RescanAsync(initial: true, stoppingToken).ConfigureAwait(false);
            _log.LogInformation("Read {Files} spec files in {Seconds:0.00} s", _desired.Objects.Count + _desired.Problems.Count, clock.Elapsed.TotalSeconds);
            if (_start.EarlyScan is not null)
            {
                // Read before this loop's watcher ran: what changed meanwhile is read again.
                var changes = _start.TakeChanges();
                if (changes is null || changes.Count > 0)
                {
                    await RescanAsync(initial: false, stoppingToken, everything: changes is null, paths: changes).ConfigureAwait(false);
                }
            }
            _ = _firstPass.Task.ContinueWith(
                _ => _log.LogInformation("Every object found at start reconciled in {Seconds:0.00} s", clock.Elapsed.TotalSeconds), TaskScheduler.Default);
            _ = Hypervisor.StartedUp.ContinueWith(_ => ReconcileAwaitingResume(), TaskScheduler.Default);
            var workers = Enumerable.Range(0, _options.Parallelism).Select(_ => WorkerAsync(stoppingToken)).ToList();
            var resync = ResyncLoopAsync(stoppingToken);
            var trim = TrimLoopAsync(stoppingToken);
            await Task.WhenAll(workers.Append(resync).Append(trim)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            Hypervisor.DomainChanged -= OnDomainChanged;
            _store.SaveNow();
        }
    }

    /// <summary>
    /// After a busy spell (a cold converge, a burst of edits), once the queue has stayed empty for a couple
    /// of seconds, compacts the heap and gives the memory the spell's garbage held back to the system: an
    /// idle daemon's footprint is what its objects need, not the high-water mark of its last converge.
    /// </summary>
    private async Task TrimLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        long seen = Interlocked.Read(ref _reconciled);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            var now = Interlocked.Read(ref _reconciled);
            bool idle;
            lock (_sync)
            {
                idle = _queued.Count == 0 && _running.Count == 0;
            }

            if (now - seen >= TrimAfterReconciles && idle)
            {
                // Quiet for two more ticks (4–6 s): the spell is over. (The collection stops the daemon for a
                // moment — about a second with 10,000 domains — so it waits for real quiet.)
                await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
                await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
                if (Interlocked.Read(ref _reconciled) == now)
                {
                    GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                    seen = now;
                }
            }
        }
    }

    private const long TrimAfterReconciles = 200;
    private long _reconciled;

    private async Task ResyncLoopAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.ResyncSeconds));
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            await RescanAsync(initial: false, stoppingToken, everything: true).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reads the spec directory and queues what changed (everything on a full resync); with
    /// <paramref name="paths"/>, reads only those files again (what the watcher reported).
    /// </summary>
    internal async Task RescanAsync(bool initial, CancellationToken cancellationToken, bool everything = false, IReadOnlyCollection<string>? paths = null)
    {
        var whole = paths is null || initial || everything || !Volatile.Read(ref _scanned);
        var early = initial ? _start.EarlyScan : null;
        var readsWhole = whole && early is null;
        if (readsWhole)
        {
            // A whole read (thousands of files on a periodic resync) runs outside the scan lock: the watcher's
            // edits go on meanwhile, and what they read wins over the older reading when it completes.
            await _wholeScanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var pending = readsWhole ? await Task.Run(_specs.ReadAll, cancellationToken).ConfigureAwait(false) : null;
            await _scanLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var scan = early is not null ? await early.ConfigureAwait(false)
                    : pending is not null ? _specs.Complete(pending)
                    : await Task.Run(() => _specs.ScanPaths(paths!), cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _scanned, true);
                QueueChanges(scan, whole ? null : paths, initial, everything);
            }
            finally
            {
                _scanLock.Release();
            }
        }
        finally
        {
            if (readsWhole)
            {
                _wholeScanLock.Release();
            }
        }
    }

    /// <summary>
    /// Applies a scan to the desired state (of <paramref name="paths"/> alone, when given) and queues the
    /// objects it changed — every object at the first scan and on a full resync. Under the scan lock.
    /// </summary>
    private void QueueChanges(SpecScan scan, IReadOnlyCollection<string>? paths, bool initial, bool everything)
    {
        // A scan of the watcher's paths changes only those files: only their objects are looked at again.
        var changed = _desired.Apply(scan, paths is null ? null : [.. paths.Select(Path.GetFullPath)]);
        if (_desired.Blocked is { } blocked)
        {
            _log.LogWarning("{Blocked}", blocked);
        }

        var changedKeys = new HashSet<ObjectKey>(changed);
        var keys = new HashSet<ObjectKey>(changed);
        if (initial || everything)
        {
            keys.UnionWith(_desired.Objects.Keys);
            keys.UnionWith(_desired.Problems.Keys);
            keys.UnionWith(_store.All.Where(p => p.Value.Managed).Select(p => p.Key));
        }

        if (initial)
        {
            foreach (var key in keys)
            {
                _firstPassPending.TryAdd(key, 0);
            }

            if (keys.Count == 0)
            {
                _firstPass.TrySetResult();
            }
        }

        // Networks and pools first, then volumes, then domains: the order dependencies want. On a resync,
        // what did not change waits behind whatever is asked for meanwhile.
        foreach (var key in keys.OrderBy(k => k.Kind))
        {
            if (initial || changedKeys.Contains(key))
            {
                Enqueue(key);
            }
            else
            {
                EnqueueInBackground(key);
            }
        }
    }

    private async Task WorkerAsync(CancellationToken stoppingToken)
    {
        while (true)
        {
            await _available.WaitAsync(stoppingToken).ConfigureAwait(false);
            if (!_queue.Reader.TryRead(out var key) && !_background.Reader.TryRead(out key))
            {
                continue;
            }

            lock (_sync)
            {
                if (!_queued.Remove(key))
                {
                    continue; // the background copy of a key that moved ahead and was reconciled already
                }

                _queuedInBackground.Remove(key);
                _running.Add(key);
            }

            try
            {
                await ReconcileAsync(key, stoppingToken).ConfigureAwait(false);
                Interlocked.Increment(ref _reconciled);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A bug, not a refusal: shown in the status and tried again later, never fatal to the loop.
                _log.LogError(e, "Reconciling {Key} failed unexpectedly", key);
                _store.Update(key, r => r with
                {
                    Status = new ObjectStatus(key.Kind, key.Name, r.Status?.File, r.Status?.Revision, SyncStatus.Error, HealthStatus.Unknown,
                        $"internal error while reconciling: {e.Message}", r.Status?.Conditions ?? [], e.Message, DateTimeOffset.UtcNow)
                    {
                        Reconciles = r.Reconciles,
                    },
                });
                EnqueueAfter(key, TimeSpan.FromSeconds(10), stoppingToken);
            }
            finally
            {
                bool again;
                lock (_sync)
                {
                    _running.Remove(key);
                    again = _again.Remove(key);
                }

                if (again)
                {
                    Enqueue(key);
                }

                if (key.Kind != ObjectKind.Domain)
                {
                    WakeWaiters(key);
                }

                if (_firstPassPending.TryRemove(key, out _) && _firstPassPending.IsEmpty)
                {
                    _firstPass.TrySetResult();
                }
            }
        }
    }

    /// <summary>What a domain waits for: the object, and how its status says so.</summary>
    private sealed record Dependency(ObjectKey Key, string What);

    // Domains waiting for a network, pool or volume, by that object: queued again when its reconcile ends.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ObjectKey, System.Collections.Concurrent.ConcurrentDictionary<ObjectKey, byte>> _waiters = new();

    private void WaitFor(ObjectKey dependency, ObjectKey waiter) =>
        _waiters.GetOrAdd(dependency, _ => new()).TryAdd(waiter, 0);

    private void WakeWaiters(ObjectKey dependency)
    {
        if (_waiters.TryRemove(dependency, out var waiting))
        {
            foreach (var key in waiting.Keys)
            {
                Enqueue(key);
            }
        }
    }

    /// <summary>Queues <paramref name="key"/> again after <paramref name="delay"/> (backoff, waiting for a shutdown).</summary>
    private void EnqueueAfter(ObjectKey key, TimeSpan delay, CancellationToken cancellationToken) =>
        _ = Task.Delay(delay, cancellationToken).ContinueWith(t =>
        {
            if (!t.IsCanceled)
            {
                Enqueue(key);
            }
        }, TaskScheduler.Default);

    /// <summary>Domains the controller itself is shutting down: their stop is no failure.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _stopping = new(StringComparer.Ordinal);

    private void OnDomainChanged(DomainEvent e)
    {
        if (e.Spontaneous && e.Type is DomainEventType.Stopped && !_stopping.ContainsKey(e.Name))
        {
            var key = new ObjectKey(ObjectKind.Domain, e.Name);
            var unexpected = e.Detail is "crashed" or "failed" || e.Detail == "shutdown";
            if (unexpected)
            {
                _store.Update(key, r => r with
                {
                    Failures = r.Failures + 1,
                    LastFailure = e.Time,
                    Status = r.Status,
                });
                _stopReasons[e.Name] = e.Detail;
            }
        }

        if (e.Type is DomainEventType.Stopped)
        {
            foreach (var network in _networksAwaitingRestart.Keys)
            {
                Enqueue(new ObjectKey(ObjectKind.Network, network));
            }
        }

        if (e.Spontaneous || e.Type is DomainEventType.Stopped or DomainEventType.Undefined || e.Detail == "migrated" ||
            (e.Type is DomainEventType.Started && _awaitingResume.TryRemove(e.Name, out _)))
        {
            Enqueue(new ObjectKey(ObjectKind.Domain, e.Name));
        }
    }

    /// <summary>Domains reported as resuming whose resume never came (it failed): reconciled once the runtime's start-up is over.</summary>
    private void ReconcileAwaitingResume()
    {
        foreach (var name in _awaitingResume.Keys)
        {
            if (_awaitingResume.TryRemove(name, out _))
            {
                Enqueue(new ObjectKey(ObjectKind.Domain, name));
            }
        }
    }

    // Whether a full scan was made (a scan of the watcher's paths only keeps what it read of the rest).
    private bool _scanned;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _stopReasons = new(StringComparer.Ordinal);

    // Domains reported as resuming (the runtime restores them after a restart): reconciled again when they start.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _awaitingResume = new(StringComparer.Ordinal);

    private FileSystemWatcher? StartWatcher()
    {
        // A file renamed into place is read at once unless a burst is under way, which the quiet period collects.
        var debounce = new Debouncer(TimeSpan.FromMilliseconds(_options.DebounceMilliseconds), batch => SafeRescanAsync(everything: false, batch));
        return SpecWatcher.Start(_specs.Root, debounce.Poke, e =>
        {
            _log.LogWarning(e, "The spec directory watcher overflowed or failed; resyncing everything");
            _ = SafeRescanAsync(everything: true);
        });
    }

    /// <summary>A rescan from the watcher (of <paramref name="paths"/> alone when given): its failure is logged, never thrown.</summary>
    private async Task SafeRescanAsync(bool everything, IReadOnlyCollection<string>? paths = null)
    {
        try
        {
            await RescanAsync(initial: false, CancellationToken.None, everything, paths).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _log.LogError(e, "Reading the spec directory failed");
        }
    }

    private static bool IsTransient(RuntimeException e) => e.IsTransient;

    /// <summary>Runs a runtime operation with retries of transient failures, counted and traced by <see cref="Telemetry"/>.</summary>
    private async ValueTask RetryAsync(string operation, string target, Func<CancellationToken, ValueTask> run, CancellationToken cancellationToken) =>
        await Telemetry.TraceRuntimeAsync(operation, target, async () =>
        {
            await _retry.ExecuteAsync(run, cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    /// <summary>
    /// Collects the paths the watcher reports and hands them over once the pokes stop for a while. An
    /// urgent poke (a file renamed into place) of a file that saw no event for that while is handed over at
    /// once — or, when such a hand-over is still being read, right after it, with whatever came meanwhile —
    /// so an edit is read immediately, while a burst (the same files rewritten again and again) waits for
    /// the quiet period and costs a couple of scans. A null path stands for "read everything".
    /// </summary>
    private sealed class Debouncer(TimeSpan quiet, Func<IReadOnlyCollection<string>?, Task> action)
    {
        private readonly Lock _sync = new();
        private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);
        private HashSet<string> _paths = new(StringComparer.Ordinal);
        private bool _everything;
        private bool _inFlight;
        private bool _chase;
        private Timer? _timer;

        public void Poke(string? path, bool urgent)
        {
            lock (_sync)
            {
                var now = Environment.TickCount64;
                var quietMs = (long)quiet.TotalMilliseconds;
                var recent = false;
                if (path is null)
                {
                    _everything = true;
                }
                else
                {
                    _paths.Add(path);
                    recent = _seen.TryGetValue(path, out var seen) && now - seen < quietMs;
                    if (_seen.Count > 4096)
                    {
                        foreach (var old in _seen.Where(p => now - p.Value >= quietMs).Select(p => p.Key).ToList())
                        {
                            _seen.Remove(old);
                        }
                    }

                    _seen[path] = now;
                }

                if (urgent && !recent)
                {
                    if (_inFlight)
                    {
                        _chase = true;
                    }
                    else
                    {
                        _inFlight = true;
                        var batch = Take();
                        _ = Task.Run(() => RunAtOnceAsync(batch));
                    }

                    return;
                }

                _timer ??= new Timer(_ => Fire(), null, Timeout.Infinite, Timeout.Infinite);
                _timer.Change(quiet, Timeout.InfiniteTimeSpan);
            }
        }

        private async Task RunAtOnceAsync(IReadOnlyCollection<string>? batch)
        {
            var done = false;
            try
            {
                while (!done)
                {
                    await action(batch).ConfigureAwait(false);
                    lock (_sync)
                    {
                        if (!_chase)
                        {
                            _inFlight = false;
                            done = true;
                        }
                        else
                        {
                            _chase = false;
                            batch = Take();
                        }
                    }
                }
            }
            finally
            {
                if (!done)
                {
                    // The action failed (it reports its own errors): the next poke may go at once again.
                    lock (_sync)
                    {
                        _inFlight = false;
                        _chase = false;
                    }
                }
            }
        }

        private void Fire()
        {
            IReadOnlyCollection<string>? batch;
            lock (_sync)
            {
                batch = Take();
            }

            _ = action(batch);
        }

        private IReadOnlyCollection<string>? Take()
        {
            IReadOnlyCollection<string>? batch = _everything ? null : _paths;
            _paths = new HashSet<string>(StringComparer.Ordinal);
            _everything = false;
            return batch;
        }
    }
}
