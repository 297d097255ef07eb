using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Host;
using Reconciler.Runtime.Persistence;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime;

/// <summary>
/// The in-process KVM hypervisor: domains with libvirt's semantics (define, start, shutdown, save, ...),
/// their guests, and their state kept in a state directory. Thread-safe: operations on one domain run one
/// at a time (libvirt's domain job), operations on different domains run in parallel. Changes that
/// happen by themselves (a guest powers off, crashes, reboots) are raised as <see cref="DomainEvent"/>s.
/// Nothing here knows about spec files or reconciling.
/// </summary>
public sealed partial class Hypervisor : IAsyncDisposable
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, DomainObject> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, DomainObject> _byUuid = [];
    private readonly HashSet<int> _usedPorts = [];
    private int _portsTakenBelow; // every autoport candidate below it is in _usedPorts
    private long? _lastOvercommitWarning;
    private long _overcommittedStarts;
    private readonly Networks.MacTable _macs = new();
    private readonly List<Channel<DomainEvent>> _subscribers = [];
    private readonly List<string> _loadProblems = [];
    private readonly IGuestFactory _guests;
    private readonly IDisposable? _ownedGuests;
    private readonly StateDirectory _state;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _stateLock;
    private readonly ILogger _log;
    private int _nextId = 1;
    private ulong _usedMemoryKiB;
    private int _usedVcpus;
    private bool _closing;
    private bool _closed;
    private Task _startUp = Task.CompletedTask;
    private Dictionary<Guid, ResumeEntry> _resuming = [];
    private readonly CancellationTokenSource _startUpCancel = new();

    private Hypervisor(HypervisorOptions options)
    {
        Options = options;
        Host = options.Host ?? HostInfo.Detect();
        _state = new StateDirectory(options.StateDirectory);
        _log = options.LoggerFactory.CreateLogger<Hypervisor>();
        if (options.Guests is { } guests)
        {
            _guests = guests;
        }
        else
        {
            var simulated = new SimulatedGuestFactory();
            _guests = simulated;
            _ownedGuests = simulated;
        }
    }

    public HypervisorOptions Options { get; }

    public HostInfo Host { get; }

    /// <summary>State files that were damaged when the runtime opened: each was set aside in quarantine/ and is named here.</summary>
    public IReadOnlyList<string> LoadProblems
    {
        get
        {
            lock (_sync)
            {
                return [.. _loadProblems];
            }
        }
    }

    /// <summary>Raised for every lifecycle change, on the thread that made it.</summary>
    public event Action<DomainEvent>? DomainChanged;

    /// <summary>
    /// Opens the runtime over its state directory: loads every definition (damaged files are set aside and
    /// reported), marks domains that were running when the process died as shut off (crashed), restores the
    /// domains a graceful stop saved, then starts the autostart domains — all before it returns, or after it
    /// with <see cref="HypervisorOptions.StartUpInBackground"/> (<see cref="StartedUp"/> says when).
    /// </summary>
    public static async Task<Hypervisor> OpenAsync(HypervisorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var opening = System.Diagnostics.Stopwatch.StartNew();
        var hypervisor = new Hypervisor(options);
        try
        {
            hypervisor._stateLock = StateLock.Acquire(options.StateDirectory, "runtime");
            hypervisor.LoadState();
            hypervisor.LoadPools();
            hypervisor.LoadNetworks();
            hypervisor.LoadResumeList();
            hypervisor._log.LogInformation("Loaded {Domains} domains, {Networks} networks and {Pools} pools in {Seconds:0.00} s",
                hypervisor._byUuid.Count, hypervisor._networksByUuid.Count, hypervisor._poolsByUuid.Count, opening.Elapsed.TotalSeconds);
            if (options.StartUpInBackground)
            {
                hypervisor._startUp = Task.Run(hypervisor.StartUpInBackgroundAsync, CancellationToken.None);
            }
            else
            {
                await hypervisor.StartUpAsync(cancellationToken).ConfigureAwait(false);
            }

            return hypervisor;
        }
        catch
        {
            hypervisor.Abandon();
            throw;
        }
    }

    private async Task StartUpInBackgroundAsync()
    {
        try
        {
            await StartUpAsync(_startUpCancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_startUpCancel.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or RuntimeException)
        {
            _log.LogError(e, "Bringing back the saved and autostart domains failed");
            ReportProblem($"Bringing back the saved and autostart domains failed: {e.Message}");
        }
    }

    /// <summary>Every lifecycle event from now on, until <paramref name="cancellationToken"/> is cancelled.</summary>
    public async IAsyncEnumerable<DomainEvent> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<DomainEvent>(new UnboundedChannelOptions { SingleReader = true });
        lock (_sync)
        {
            _subscribers.Add(channel);
        }

        try
        {
            await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return e;
            }
        }
        finally
        {
            lock (_sync)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    /// <summary>Node information (virsh nodeinfo).</summary>
    public NodeInfo GetNodeInfo() => Host.Node;

    /// <summary>Memory of the host not taken by running domains, in KiB, counting the overcommit.</summary>
    public ulong FreeMemoryKiB
    {
        get
        {
            lock (_sync)
            {
                var limit = MemoryLimitKiB;
                return limit > _usedMemoryKiB ? limit - _usedMemoryKiB : 0;
            }
        }
    }

    private ulong MemoryLimitKiB => (ulong)(Host.Node.MemoryKiB * Math.Max(Options.MemoryOvercommit, 0));

    /// <summary>
    /// Stops gracefully: every running domain is saved (a persistent one to its managed-save image, a
    /// transient one to an image of its own) and comes back with its memory when the runtime opens again.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed)
        {
            return;
        }

        // A start-up still bringing domains back stops where it is (the resume in flight finishes): what it
        // has not resumed stays saved and on the list for the next start.
        await _startUpCancel.CancelAsync().ConfigureAwait(false);
        await _startUp.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_sync)
        {
            _closing = true;
        }

        using var timeout = new CancellationTokenSource(Options.CloseTimeout);
        try
        {
            await SaveAllForShutdownAsync(timeout.Token).ConfigureAwait(false);
            lock (_sync)
            {
                _resuming.Clear(); // on the list for the next start
            }
        }
        catch (OperationCanceledException)
        {
            _log.LogError("Graceful stop took longer than {Timeout}: the domains not yet saved will come back as crashed", Options.CloseTimeout);
        }

        StopGuests();
        _closed = true;
    }

    /// <summary>
    /// Drops everything without writing anything, as if the process had died: guests stop, the state
    /// directory stays as it is. Used by tests of crash recovery.
    /// </summary>
    internal void Abandon()
    {
        lock (_sync)
        {
            _closing = true;
        }

        _startUpCancel.Cancel();
        try
        {
            _startUp.Wait(TimeSpan.FromSeconds(30));
        }
        catch (AggregateException)
        {
        }

        StopGuests();
        _closed = true;
    }

    private void StopGuests()
    {
        List<DomainObject> all;
        lock (_sync)
        {
            all = [.. _byUuid.Values];
        }

        foreach (var dom in all)
        {
            dom.Guest?.Stop();
        }

        _ownedGuests?.Dispose();
        lock (_sync)
        {
            foreach (var channel in _subscribers)
            {
                channel.Writer.TryComplete();
            }
        }

        _stateLock?.Dispose(); // another runtime may open the state directory now
    }

    private DomainObject Find(string name) => TryFind(name) ?? throw RuntimeException.NoDomain(name);

    /// <summary>The domain of this name, UUID or ID, or null (<see cref="Exists"/> asks for every new domain: no exception for that).</summary>
    private DomainObject? TryFind(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_sync)
        {
            ThrowIfClosing();
            if (_byName.TryGetValue(name, out var dom))
            {
                return dom;
            }

            if (Guid.TryParse(name, out var uuid) && _byUuid.TryGetValue(uuid, out dom))
            {
                return dom;
            }

            if (int.TryParse(name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id))
            {
                return _byUuid.Values.FirstOrDefault(d => d.Id == id);
            }
        }

        return null;
    }

    private void ThrowIfClosing()
    {
        if (_closing)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, "the hypervisor is shutting down");
        }
    }

    /// <summary>Runs <paramref name="operation"/> as a job of the domain named <paramref name="name"/> (a name, UUID or ID).</summary>
    private async Task<T> JobAsync<T>(string name, Func<DomainObject, T> operation, CancellationToken cancellationToken, [CallerMemberName] string caller = "")
    {
        Options.Faults?.Check(caller, name);
        var dom = Find(name);
        await dom.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (dom.Removed)
            {
                throw RuntimeException.NoDomain(name);
            }

            return operation(dom);
        }
        finally
        {
            dom.Job.Release();
        }
    }

    private Task JobAsync(string name, Action<DomainObject> operation, CancellationToken cancellationToken, [CallerMemberName] string caller = "") =>
        JobAsync<bool>(name, dom =>
        {
            operation(dom);
            return true;
        }, cancellationToken, caller);

    private void Raise(DomainObject dom, DomainEventType type, string detail, bool spontaneous = false)
    {
        var e = new DomainEvent(dom.Name, dom.Uuid, type, detail, spontaneous, dom.Status, DateTimeOffset.UtcNow);
        List<Channel<DomainEvent>> subscribers;
        lock (_sync)
        {
            subscribers = [.. _subscribers];
        }

        foreach (var channel in subscribers)
        {
            channel.Writer.TryWrite(e);
        }

        try
        {
            DomainChanged?.Invoke(e);
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "A DomainChanged handler failed for {Domain}", dom.Name);
        }
    }

    private void Register(DomainObject dom)
    {
        lock (_sync)
        {
            _byName[dom.Name] = dom;
            _byUuid[dom.Uuid] = dom;
            dom.Macs = _macs;
        }
    }

    private void Unregister(DomainObject dom)
    {
        lock (_sync)
        {
            dom.Removed = true;
            if (_byName.TryGetValue(dom.Name, out var named) && named == dom)
            {
                _byName.Remove(dom.Name);
            }

            if (_byUuid.TryGetValue(dom.Uuid, out var byUuid) && byUuid == dom)
            {
                _byUuid.Remove(dom.Uuid);
            }

            dom.Macs = null;
        }

        DiscardSpares(dom.Uuid);
    }
}
