using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Reconciler.Runtime.Persistence;

namespace Reconciler.Controller.Daemon;

/// <summary>The controller's memory of an object beyond its status: what it applied, and its restart bookkeeping.</summary>
public sealed record ObjectRecord
{
    public ObjectStatus? Status { get; init; }

    /// <summary>The spec revision last applied to the runtime.</summary>
    public string? AppliedRevision { get; init; }

    /// <summary>Whether the object came from a spec (only those are torn down when their spec goes).</summary>
    public bool Managed { get; init; }

    /// <summary>How many times the controller has reconciled the object (kept across restarts; shown in the status).</summary>
    public long Reconciles { get; init; }

    /// <summary>Unexpected stops in a row (crash-loop backoff).</summary>
    public int Failures { get; init; }

    public DateTimeOffset? LastFailure { get; init; }

    public DateTimeOffset? LastStart { get; init; }

    /// <summary>For run strategy once: the UUID it already ran as.</summary>
    public Guid? RanOnce { get; init; }

    /// <summary>Whether a changed spec waits for a restart of the domain.</summary>
    public bool RestartPending { get; init; }

    /// <summary>Failed or refused migrations in a row (backoff), and when the last one was.</summary>
    public int MigrationFailures { get; init; }

    public DateTimeOffset? LastMigrationFailure { get; init; }

    /// <summary>
    /// The spec revision at which <c>reconciler migrate</c> brought the domain here against its placement:
    /// it stays here until the spec changes.
    /// </summary>
    public string? PinnedRevision { get; init; }

    /// <summary>Which arrival (the digest of its memory at switch-over) set the pin, so that one arrival pins once.</summary>
    public string? PinnedArrival { get; init; }
}

/// <summary>Status and records of every object, persisted atomically in the state directory.</summary>
public sealed class StatusStore
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    private readonly ConcurrentDictionary<ObjectKey, ObjectRecord> _records = new();
    private readonly string _path;
    private readonly Lock _save = new();
    private readonly Lock _gate = new();
    private bool _dirty;
    private bool _pending;
    private TimeSpan _interval = TimeSpan.FromMilliseconds(100);

    public StatusStore(string stateDirectory)
    {
        _path = Path.Combine(stateDirectory, "controller-status.json");
        StateDirectory.RemoveInterruptedWrites(_path);
        if (File.Exists(_path))
        {
            try
            {
                foreach (var entry in JsonSerializer.Deserialize<List<Entry>>(File.ReadAllText(_path), Json) ?? [])
                {
                    _records[new ObjectKey(entry.Kind, entry.Name)] = entry.Record;
                }
            }
            catch (JsonException e)
            {
                var aside = _path + ".damaged-" + DateTime.UtcNow.ToString("yyyyMMddTHHmmss", System.Globalization.CultureInfo.InvariantCulture);
                File.Move(_path, aside);
                Damaged = $"the status file was damaged ({e.Message}); it was moved to {aside}";
            }
        }
    }

    public string? Damaged { get; }

    public ObjectRecord Get(ObjectKey key) => _records.GetValueOrDefault(key) ?? new ObjectRecord();

    public IEnumerable<KeyValuePair<ObjectKey, ObjectRecord>> All => _records;

    public void Update(ObjectKey key, Func<ObjectRecord, ObjectRecord> change) =>
        _records.AddOrUpdate(key, _ => change(new ObjectRecord()), (_, old) => change(old));

    public void Remove(ObjectKey key) => _records.TryRemove(key, out _);

    /// <summary>
    /// Asks for the store to be written: writes are coalesced (at most one in flight, the next one a short
    /// while after the last), so that converging thousands of objects does not write the whole file
    /// thousands of times. A crash can lose the last fraction of a second of status, which the next start
    /// recomputes from the runtime; what must not be lost goes through <see cref="SaveNow"/>.
    /// </summary>
    public void Save()
    {
        lock (_gate)
        {
            _dirty = true;
            if (_pending)
            {
                return;
            }

            _pending = true;
        }

        _ = Task.Run(async () =>
        {
            while (true)
            {
                await Task.Delay(_interval).ConfigureAwait(false);
                lock (_gate)
                {
                    if (!_dirty)
                    {
                        _pending = false;
                        return;
                    }
                }

                try
                {
                    SaveNow();
                }
                catch (IOException)
                {
                    // The next save tries again; SaveNow's callers see their own errors.
                    lock (_gate)
                    {
                        _dirty = true;
                    }
                }
            }
        });
    }

    /// <summary>Writes the store now (atomically: a crash leaves the old file or the new one).</summary>
    public void SaveNow()
    {
        lock (_save)
        {
            lock (_gate)
            {
                _dirty = false;
            }

            var clock = System.Diagnostics.Stopwatch.StartNew();

            // ConcurrentDictionary.ToArray takes a consistent snapshot; enumerating it through LINQ while
            // workers add records can throw.
            var entries = _records.ToArray().OrderBy(p => p.Key.Kind).ThenBy(p => p.Key.Name, StringComparer.Ordinal)
                .Select(p => new Entry(p.Key.Kind, p.Key.Name, p.Value)).ToList();
            StateDirectory.WriteAtomic(_path, JsonSerializer.SerializeToUtf8Bytes(entries, Json));

            // Spend at most a fifth of a core on writing status, however many objects there are.
            _interval = TimeSpan.FromMilliseconds(Math.Clamp(clock.Elapsed.TotalMilliseconds * 5, 100, 5000));
        }
    }

    private sealed record Entry(ObjectKind Kind, string Name, ObjectRecord Record);
}
