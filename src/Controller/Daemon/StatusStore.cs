using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Reconciler.Runtime.Persistence;

namespace Reconciler.Controller.Daemon;

/// <summary>The controller's memory of an object beyond its status: what it applied, and its restart bookkeeping.</summary>
public sealed record ObjectRecord
{
    public ObjectStatus? Status { get; init; }

    /// <summary>The spec revision last applied to the runtime.</summary>
    public string? AppliedRevision { get; init; }

    /// <summary>
    /// A digest of the spec file, revision and schema build (<see cref="Specs.SpecDirectory.ValidatedMark"/>)
    /// that last validated this object's spec: at the next start, that same file, unchanged, is read without being
    /// validated again by that same build (the verdict would be the same).
    /// </summary>
    public string? ValidatedSpec { get; init; }

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
public sealed partial class StatusStore
{
    // The status file leaves out what reads back as it is anyway (nulls) and a status's key, which its kind
    // and name give: at 20,000 objects the file was 17 MB, a third of it such values. (Enums and numbers
    // stay, default or not: people and tools read this file.)
    private static readonly JsonSerializerOptions Json = new(StatusJson.Default.Options)
    {
        TypeInfoResolver = StatusJson.Default.WithAddedModifier(info =>
        {
            if (info.Type == typeof(ObjectStatus) && info.Properties.FirstOrDefault(p => p.Name == "key") is { } key)
            {
                info.Properties.Remove(key);
            }
        }),
    };

    private static readonly JsonTypeInfo<List<Entry>> EntriesJson = (JsonTypeInfo<List<Entry>>)Json.GetTypeInfo(typeof(List<Entry>));
    private static readonly JsonTypeInfo<Entry> EntryJson = (JsonTypeInfo<Entry>)Json.GetTypeInfo(typeof(Entry));

    private readonly ConcurrentDictionary<ObjectKey, ObjectRecord> _records = new();
    private readonly Lock _counting = new();
    private int _withStatus;
    private int _converged;
    private readonly string _path;
    private readonly Lock _save = new();
    private readonly Lock _gate = new();
    private bool _dirty;
    private bool _pending;
    private TimeSpan _interval = TimeSpan.FromMilliseconds(100);

    // The write-ahead journal of objects a spec made: one line per object ("Kind<TAB>name"), appended and
    // synced before the object is created, so that marking it costs one small append (shared by whoever
    // marks at the same time) instead of a rewrite of the whole status file. It is folded into the status
    // file at load and emptied whenever a full save has caught up with it.
    private readonly string _journalPath;
    private readonly Lock _journalGate = new();
    private readonly SemaphoreSlim _journalSync = new(1, 1);
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _journal;
    private long _journalLength;
    private long _journalSynced;
    private bool _journalNew;

    public StatusStore(string stateDirectory)
    {
        _path = Path.Combine(stateDirectory, "controller-status.json");
        _journalPath = Path.Combine(stateDirectory, "controller-managed.journal");
        StateDirectory.RemoveInterruptedWrites(_path);
        if (File.Exists(_path))
        {
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                using var file = File.OpenRead(_path);
                foreach (var entry in JsonSerializer.Deserialize(file, EntriesJson) ?? [])
                {
                    Update(new ObjectKey(entry.Kind, entry.Name), _ => entry.Record);
                }

                // Writing the file costs about what reading it did: the first background save keeps to the
                // same tenth of a core as the later ones (at start, every object's status changes at once).
                _interval = TimeSpan.FromMilliseconds(Math.Clamp(clock.Elapsed.TotalMilliseconds * 10, 100, 5000));
            }
            catch (JsonException e)
            {
                var aside = _path + ".damaged-" + DateTime.UtcNow.ToString("yyyyMMddTHHmmss", System.Globalization.CultureInfo.InvariantCulture);
                File.Move(_path, aside);
                Damaged = $"the status file was damaged ({e.Message}); it was moved to {aside}";
            }
        }

        if (File.Exists(_journalPath))
        {
            foreach (var line in File.ReadAllLines(_journalPath))
            {
                // A line cut short by a crash has no tab or an unknown kind: it was never acknowledged.
                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                if (tab > 0 && Enum.TryParse<ObjectKind>(line[..tab], out var kind) && tab + 1 < line.Length)
                {
                    Update(new ObjectKey(kind, line[(tab + 1)..]), r => r with { Managed = true });
                }
            }

            SaveNow();
            StateDirectory.Delete(_journalPath);
        }
    }

    public string? Damaged { get; }

    public ObjectRecord Get(ObjectKey key) => _records.GetValueOrDefault(key) ?? new ObjectRecord();

    public IEnumerable<KeyValuePair<ObjectKey, ObjectRecord>> All => _records;

    public void Update(ObjectKey key, Func<ObjectRecord, ObjectRecord> change)
    {
        // Under a lock (changes are record copies, never slow) so that the counts stay exact.
        lock (_counting)
        {
            var old = _records.GetValueOrDefault(key);
            var now = change(old ?? new ObjectRecord());
            _records[key] = now;
            Count(old, -1);
            Count(now, +1);
        }
    }

    public void Remove(ObjectKey key)
    {
        lock (_counting)
        {
            if (_records.TryRemove(key, out var old))
            {
                Count(old, -1);
            }
        }
    }

    /// <summary>How many objects have a status and how many of them are Synced and Healthy, without a walk over every record.</summary>
    public (int Objects, int Converged) Counts()
    {
        lock (_counting)
        {
            return (_withStatus, _converged);
        }
    }

    private void Count(ObjectRecord? record, int delta)
    {
        if (record?.Status is { } status)
        {
            _withStatus += delta;
            _converged += status.Converged ? delta : 0;
        }
    }

    /// <summary>
    /// Records durably that a spec made the object, before it is created: were the daemon killed right after
    /// the creation, removing the spec still removes the object. Callers marking at the same time share one
    /// sync of the journal (group commit).
    /// </summary>
    public async Task MarkManagedAsync(ObjectKey key, CancellationToken ct)
    {
        Update(key, r => r with { Managed = true });
        var line = System.Text.Encoding.UTF8.GetBytes(key.Kind + "\t" + key.Name + "\n");
        long mine;
        lock (_journalGate)
        {
            if (_journal is null)
            {
                _journalNew = !File.Exists(_journalPath);
                _journal = File.OpenHandle(_journalPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
            }

            RandomAccess.Write(_journal, line, _journalLength);
            _journalLength += line.Length;
            mine = _journalLength;
        }

        await _journalSync.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _journalSynced) >= mine)
            {
                return;
            }

            Microsoft.Win32.SafeHandles.SafeFileHandle handle;
            long covered;
            bool created;
            lock (_journalGate)
            {
                handle = _journal!;
                covered = _journalLength;
                created = _journalNew;
                _journalNew = false;
            }

            RandomAccess.FlushToDisk(handle);
            if (created)
            {
                StateDirectory.SyncDirectory(Path.GetDirectoryName(_journalPath)!);
            }

            Volatile.Write(ref _journalSynced, Math.Max(Volatile.Read(ref _journalSynced), covered));
        }
        finally
        {
            _journalSync.Release();
        }
    }

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
            long journaled;
            lock (_journalGate)
            {
                journaled = _journalLength;
            }

            // ConcurrentDictionary.ToArray takes a consistent snapshot; enumerating it through LINQ while
            // workers add records can throw.
            var entries = _records.ToArray().OrderBy(p => p.Key.Kind).ThenBy(p => p.Key.Name, StringComparer.Ordinal)
                .Select(p => new Entry(p.Key.Kind, p.Key.Name, p.Value));
            StateDirectory.WriteAtomic(_path, stream => WriteEntries(stream, entries));

            // Every line journaled before the snapshot is in the file now: when nothing was appended since,
            // the journal starts over.
            lock (_journalGate)
            {
                if (_journal is not null && _journalLength == journaled && journaled > 0)
                {
                    RandomAccess.SetLength(_journal, 0);
                    _journalLength = 0;
                    Volatile.Write(ref _journalSynced, 0);
                }
            }

            // Spend at most a tenth of a core on writing status, however many objects there are (at 20,000
            // objects: during a converge of 10,000 domains, a fifth of a core was ≈ 7 % of the daemon's CPU).
            _interval = TimeSpan.FromMilliseconds(Math.Clamp(clock.Elapsed.TotalMilliseconds * 10, 100, 5000));
        }
    }

    /// <summary>
    /// Streams the entries into the file a few hundred at a time: at 20,000 objects the whole text is
    /// ≈ 17 MB, which built in memory first cost a large-object-heap buffer (grown by doubling) per save.
    /// </summary>
    private static void WriteEntries(Stream stream, IEnumerable<Entry> entries)
    {
        using var writer = new Utf8JsonWriter(stream);
        writer.WriteStartArray();
        var count = 0;
        foreach (var entry in entries)
        {
            JsonSerializer.Serialize(writer, entry, EntryJson);
            if (++count % 256 == 0)
            {
                writer.Flush();
            }
        }

        writer.WriteEndArray();
        writer.Flush();
    }

    private sealed record Entry(ObjectKind Kind, string Name, ObjectRecord Record);

    /// <summary>The status file's JSON, generated at build time (camelCase, enums by name, nulls left out).</summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
    [JsonSerializable(typeof(List<Entry>))]
    private sealed partial class StatusJson : JsonSerializerContext;
}
