using System.Security.Cryptography;
using Reconciler.Controller.Daemon;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;

namespace Reconciler.Controller.Specs;

/// <summary>
/// One spec file as last read: its revision (content hash), what it defines, its errors, and whether it
/// writes a &lt;uuid&gt; and its interfaces' MACs itself (the effective definition always has them).
/// </summary>
public sealed record SpecFile(string Path, string Revision, ObjectKey? Key, SpecDocument? Document, IReadOnlyList<string> Errors, bool DeclaresUuid = false)
{
    /// <summary>For a domain: whether each &lt;interface&gt;, in order, writes its own &lt;mac&gt; (the effective definition always has one).</summary>
    public IReadOnlyList<bool> DeclaredMacs { get; init; } = [];

    public bool IsValid => Errors.Count == 0 && Document is { IsValid: true } && Key is not null;
}

/// <summary>A read of the whole spec directory.</summary>
public sealed record SpecScan(IReadOnlyDictionary<string, SpecFile> Files, string? DirectoryProblem)
{
    public static readonly SpecScan Empty = new(new Dictionary<string, SpecFile>(), null);
}

/// <summary>A whole read of the spec directory not yet taken into its view (<see cref="SpecDirectory.Complete"/>).</summary>
public sealed record PendingScan(IReadOnlyList<SpecFile> Files, long Began, string? DirectoryProblem);

/// <summary>
/// Reads a spec directory: recursively, dot files and directories, <c>*.tmp</c> and <c>*~</c> skipped;
/// the kind comes from the root element; volumes live in <c>pools/&lt;pool-name&gt;/</c>. A file whose
/// content did not change since the last scan is not parsed again.
/// </summary>
public sealed class SpecDirectory(string root)
{
    // The files as last read, and when a path scan last changed each path (its own reading, or its removal):
    // a whole read runs beside path scans, and what they learnt while it read wins over its older reading.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, SpecFile> _cache = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _changedAt = new(StringComparer.Ordinal);
    private long _clock;

    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Reads the whole directory: <see cref="ReadAll"/> and <see cref="Complete"/> in one.</summary>
    public SpecScan Scan() => Complete(ReadAll());

    /// <summary>
    /// Reads, hashes and (when new or changed) parses every file, on every core — the long part of a whole
    /// scan, which <see cref="ScanPaths"/> may run beside: a periodic resync of thousands of files never
    /// holds an edit up. Nothing is taken into the directory's view until <see cref="Complete"/>. One whole
    /// read at a time (the caller's to ensure), completed before the next begins.
    /// </summary>
    public PendingScan ReadAll()
    {
        long began;
        lock (_gate)
        {
            began = _clock;
        }

        if (!Directory.Exists(Root))
        {
            return new PendingScan([], began, $"the spec directory {Root} does not exist");
        }

        List<string> paths;
        try
        {
            paths = [.. Enumerate(Root)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new PendingScan([], began, $"the spec directory {Root} cannot be read: {e.Message}");
        }

        // Read, hashed and (when new or changed) parsed on every core: a start reads thousands of files.
        return new PendingScan(paths.AsParallel().AsOrdered().Select(ReadFile).ToList(), began, null);
    }

    /// <summary>
    /// Takes a whole read into the directory's view and gives the scan: a path that a path scan read again
    /// (or found gone) after the whole read began keeps that newer reading. Not to run beside
    /// <see cref="ScanPaths"/> (the caller orders them), so that each scan it gives follows the one before.
    /// </summary>
    public SpecScan Complete(PendingScan pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (pending.DirectoryProblem is { } problem)
        {
            return new SpecScan(new Dictionary<string, SpecFile>(), problem);
        }

        lock (_gate)
        {
            var files = new Dictionary<string, SpecFile>(StringComparer.Ordinal);
            foreach (var file in pending.Files)
            {
                // Every file is kept, an unreadable one too: a later scan of the watcher's paths alone starts
                // from here, and a file missing from it would read as a removed spec.
                if (!ChangedSince(file.Path, pending.Began))
                {
                    files[file.Path] = file;
                }
            }

            foreach (var (path, at) in _changedAt)
            {
                if (at > pending.Began && _cache.TryGetValue(path, out var newer))
                {
                    files[path] = newer;
                }
            }

            _cache.Clear();
            foreach (var (path, file) in files)
            {
                _cache[path] = file;
            }

            // What path scans learnt before this read began, the read has seen on disk itself.
            foreach (var path in _changedAt.Where(p => p.Value <= pending.Began).Select(p => p.Key).ToList())
            {
                _changedAt.Remove(path);
            }

            return new SpecScan(files, null);
        }
    }

    /// <summary>
    /// Reads again only <paramref name="paths"/> (files the watcher saw change, appear or go), keeping what
    /// the last scan read of every other file: an edit costs one file, not the whole directory. Only valid
    /// after a full <see cref="Scan"/>; a directory among the paths needs a full scan instead.
    /// </summary>
    public SpecScan ScanPaths(IEnumerable<string> paths)
    {
        if (!Directory.Exists(Root))
        {
            return Scan();
        }

        foreach (var path in paths.Select(System.IO.Path.GetFullPath).Distinct(StringComparer.Ordinal))
        {
            SpecFile? file = null;
            if (IsSpecPath(Root, path) && File.Exists(path))
            {
                file = ReadFile(path);
                if (file.Errors.Count > 0 && !File.Exists(path))
                {
                    file = null; // gone while it was read
                }
            }

            lock (_gate)
            {
                if (file is null)
                {
                    _cache.Remove(path);
                }
                else
                {
                    _cache[path] = file;
                }

                _changedAt[path] = ++_clock;
            }
        }

        lock (_gate)
        {
            return new SpecScan(new Dictionary<string, SpecFile>(_cache, StringComparer.Ordinal), null);
        }
    }

    private bool ChangedSince(string path, long began) => _changedAt.TryGetValue(path, out var at) && at > began;

    /// <summary>A file as the last scan read it when its content is the same, else read and parsed again.</summary>
    private SpecFile ReadFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new SpecFile(path, string.Empty, null, null, [$"{path}: cannot read the file: {e.Message}"]);
        }

        var revision = RevisionOf(bytes);
        SpecFile? cached;
        lock (_gate)
        {
            _cache.TryGetValue(path, out cached);
        }

        return cached is not null && cached.Revision == revision ? cached : Read(path, revision, bytes);
    }

    /// <summary>
    /// Whether this build of the schema layer validated the file at a path with this revision before (the
    /// controller remembers it across restarts): such a file is read without validation — parse checks and
    /// defaults only, as libvirtd reads what it stored — since its verdict cannot have changed. Set before
    /// the first scan.
    /// </summary>
    public Func<string, string, bool>? ValidatedBefore { get; set; }

    /// <summary>What <see cref="ValidatedBefore"/> compares: a digest of the file's path, its revision and the schema build.</summary>
    public static string ValidatedMark(string path, string revision) => RevisionOf(System.Text.Encoding.UTF8.GetBytes($"{path}|{revision}|{LibvirtSchema.Build}"));

    /// <summary>A spec file's revision: the start of the SHA-256 of its content.</summary>
    public static string RevisionOf(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content))[..16];

    /// <summary>Whether a path is a spec file the directory holds (not a dot file, temporary or backup file).</summary>
    public static bool IsSpecPath(string root, string path)
    {
        var relative = System.IO.Path.GetRelativePath(root, path);
        if (relative.StartsWith("..", StringComparison.Ordinal))
        {
            return false;
        }

        var parts = relative.Split(System.IO.Path.DirectorySeparatorChar);
        if (parts.Any(p => p.StartsWith('.')))
        {
            return false;
        }

        var name = parts[^1];
        return name.EndsWith(".xml", StringComparison.Ordinal) && !name.EndsWith(".tmp", StringComparison.Ordinal) && !name.EndsWith('~');
    }

    private IEnumerable<string> Enumerate(string dir)
    {
        foreach (var file in Directory.EnumerateFiles(dir).Order(StringComparer.Ordinal))
        {
            if (IsSpecPath(Root, file))
            {
                yield return file;
            }
        }

        foreach (var sub in Directory.EnumerateDirectories(dir).Order(StringComparer.Ordinal))
        {
            if (!System.IO.Path.GetFileName(sub).StartsWith('.'))
            {
                foreach (var file in Enumerate(sub))
                {
                    yield return file;
                }
            }
        }
    }

    private SpecFile Read(string path, string revision, byte[] bytes)
    {
        var relative = System.IO.Path.GetRelativePath(Root, path);
        var parts = relative.Split(System.IO.Path.DirectorySeparatorChar);
        string? pool = parts.Length == 3 && parts[0] == "pools" ? parts[1] : null;
        // The trees are kept as long as their files do not change: their line information goes once they are read.
        var options = pool is null ? new SchemaOptions { Compact = true } : new SchemaOptions { VolumePoolPath = "/" + pool, Compact = true };
        if (ValidatedBefore?.Invoke(path, revision) == true)
        {
            options = options with { SkipChecks = true };
        }

        // What the file itself declares (a UUID, interfaces' MACs), read before the defaults fill them in.
        var declaresUuid = false;
        bool[] declaredMacs = [];
        var doc = LibvirtSchema.Load(path, bytes, options, asWritten: written =>
        {
            declaresUuid = written.Element("uuid") is not null;
            declaredMacs = [.. written.Element("devices")?.Elements("interface").Select(i => i.Element("mac")?.Attribute("address") is not null) ?? []];
        });
        if (!doc.IsValid)
        {
            return new SpecFile(path, revision, null, doc, [.. doc.Errors.Select(e => e.ToString(path))]);
        }

        ObjectKey key;
        switch (doc.Kind)
        {
            case SpecKind.Domain:
                key = new ObjectKey(ObjectKind.Domain, doc.Name!);
                break;
            case SpecKind.Network:
                key = new ObjectKey(ObjectKind.Network, doc.Name!);
                break;
            case SpecKind.StoragePool:
                key = new ObjectKey(ObjectKind.Pool, doc.Name!);
                break;
            case SpecKind.StorageVolume when pool is not null:
                key = new ObjectKey(ObjectKind.Volume, pool + "/" + doc.Name);
                break;
            case SpecKind.StorageVolume:
                return new SpecFile(path, revision, null, doc,
                    [$"{path}:1:1: error: {ErrorCode.PolicyViolation.Format("a volume spec lives in pools/<pool-name>/ of the spec directory, which names its pool")}"]);
            default:
                return new SpecFile(path, revision, null, doc, [$"{path}:1:1: error: not a spec this controller knows"]);
        }

        return new SpecFile(path, revision, key, doc, [], declaresUuid) { DeclaredMacs = declaredMacs };
    }
}
