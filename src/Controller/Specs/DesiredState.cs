using System.Xml.Linq;
using Reconciler.Controller.Daemon;

namespace Reconciler.Controller.Specs;

/// <summary>What a spec asks for: the object, the file it comes from, its revision and effective definition.</summary>
public sealed record DesiredObject(ObjectKey Key, string File, string Revision, XElement Definition, bool DeclaresUuid)
{
    /// <summary>For a domain: whether each interface, in order, has its MAC written in the spec (others are the runtime's to give or keep).</summary>
    public IReadOnlyList<bool> DeclaredMacs { get; init; } = [];
}

/// <summary>An error of a spec file that keeps its object at its last valid desired state.</summary>
public sealed record SpecProblem(ObjectKey Key, string File, string Revision, string Message);

/// <summary>
/// The desired state built from successive scans of the spec directory. A file that does not parse or
/// validate never changes anything: its object keeps its last valid desired state and carries the error
/// until the file is fixed. Two files defining the same object are both refused, naming each other. When
/// the directory is missing, unreadable or suddenly empty, nothing changes (unless empty is allowed).
/// </summary>
/// <remarks>
/// Indexed by path and by object, so that a scan of a few paths (what the watcher saw) recomputes only the
/// objects those files define: an edit costs its object, not the whole directory. Applied by one caller at
/// a time; read by any thread (the maps are concurrent).
/// </remarks>
public sealed class DesiredState(bool allowEmpty)
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ObjectKey, DesiredObject> _objects = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ObjectKey, SpecProblem> _problems = new();

    // The files last applied, by path; the key each path's valid content last defined (an invalid version
    // of it keeps that object); and the paths of valid and of invalid files by the object they concern.
    private readonly Dictionary<string, SpecFile> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ObjectKey> _keyOfPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ObjectKey> _problemKeyOfPath = new(StringComparer.Ordinal);
    private readonly Dictionary<ObjectKey, SortedSet<string>> _validByKey = [];
    private readonly Dictionary<ObjectKey, SortedSet<string>> _invalidByKey = [];
    private int _lastFileCount;

    public IReadOnlyDictionary<ObjectKey, DesiredObject> Objects => _objects;

    /// <summary>
    /// The object a file defined before this process started (the controller's records say which file each
    /// object came from), for a file that is broken now: its error belongs to that object, which it keeps.
    /// </summary>
    public Func<string, ObjectKey?>? KeyOfFileBefore { get; set; }

    /// <summary>Errors of spec files, by the object they concern.</summary>
    public IReadOnlyDictionary<ObjectKey, SpecProblem> Problems => _problems;

    /// <summary>Why the last scan changed nothing at all (the directory missing, unreadable, suddenly empty), or null.</summary>
    public string? Blocked { get; private set; }

    /// <summary>
    /// Applies a scan; returns the objects whose desired state or problem changed. With
    /// <paramref name="paths"/>, only those paths changed since the last scan applied (the rest of
    /// <paramref name="scan"/> is what was read before), and only the objects they concern are looked at.
    /// </summary>
    public IReadOnlySet<ObjectKey> Apply(SpecScan scan, IReadOnlyCollection<string>? paths = null)
    {
        var changed = new HashSet<ObjectKey>();
        if (scan.DirectoryProblem is not null)
        {
            Blocked = scan.DirectoryProblem + "; nothing is changed or torn down until it is back";
            return changed;
        }

        if (scan.Files.Count == 0 && _lastFileCount > 0 && !allowEmpty)
        {
            Blocked = "the spec directory is suddenly empty; nothing is torn down (start with --allow-empty to allow it)";
            return changed;
        }

        // A scan of some paths right after a blocked one is applied whole: the paths it names are not all
        // that changed since the last scan applied.
        if (Blocked is not null)
        {
            paths = null;
        }

        Blocked = null;
        _lastFileCount = scan.Files.Count;
        var touched = new HashSet<ObjectKey>();
        var changedPaths = paths is null
            ? _files.Keys.Concat(scan.Files.Keys).Distinct(StringComparer.Ordinal).ToList()
            : [.. paths.Distinct(StringComparer.Ordinal)];
        foreach (var path in changedPaths)
        {
            var file = scan.Files.GetValueOrDefault(path);
            if (file is not null && _files.TryGetValue(path, out var applied) && ReferenceEquals(applied, file))
            {
                // The very file applied before (a scan hands back what it read before for unchanged content):
                // a periodic resync of thousands of files recomputes only what changed.
                continue;
            }

            Forget(path, touched);
            if (file is not null)
            {
                Index(file, touched);
            }
            else
            {
                _keyOfPath.Remove(path); // the key a path's valid content last defined lives as long as the path
            }
        }

        foreach (var key in touched)
        {
            Recompute(key, changed);
        }

        return changed;
    }

    /// <summary>Takes the last applied version of the file at <paramref name="path"/> out of the indexes.</summary>
    private void Forget(string path, HashSet<ObjectKey> touched)
    {
        if (!_files.Remove(path, out var old))
        {
            return;
        }

        if (old.IsValid)
        {
            Remove(_validByKey, old.Key!.Value, path, touched);
        }
        else if (_problemKeyOfPath.Remove(path, out var key))
        {
            Remove(_invalidByKey, key, path, touched);
        }
    }

    private void Index(SpecFile file, HashSet<ObjectKey> touched)
    {
        _files[file.Path] = file;
        if (file.IsValid)
        {
            var key = file.Key!.Value;
            _keyOfPath[file.Path] = key;
            Add(_validByKey, key, file.Path, touched);
        }
        else
        {
            var key = file.Key ?? (_keyOfPath.TryGetValue(file.Path, out var k) ? k : KeyOfFileBefore?.Invoke(file.Path) ?? GuessKey(file));
            _problemKeyOfPath[file.Path] = key;
            Add(_invalidByKey, key, file.Path, touched);
        }
    }

    private static void Add(Dictionary<ObjectKey, SortedSet<string>> index, ObjectKey key, string path, HashSet<ObjectKey> touched)
    {
        if (!index.TryGetValue(key, out var set))
        {
            set = new SortedSet<string>(StringComparer.Ordinal);
            index[key] = set;
        }

        set.Add(path);
        touched.Add(key);
    }

    private static void Remove(Dictionary<ObjectKey, SortedSet<string>> index, ObjectKey key, string path, HashSet<ObjectKey> touched)
    {
        if (index.TryGetValue(key, out var set) && set.Remove(path))
        {
            if (set.Count == 0)
            {
                index.Remove(key);
            }

            touched.Add(key);
        }
    }

    /// <summary>The desired state and problem of one object from the files that concern it now.</summary>
    private void Recompute(ObjectKey key, HashSet<ObjectKey> changed)
    {
        SpecProblem? problem = null;
        var valid = _validByKey.GetValueOrDefault(key);
        if (valid is { Count: > 1 })
        {
            // Two files define it: both are refused, naming each other; the object keeps its last desired state.
            foreach (var path in valid)
            {
                var f = _files[path];
                var others = string.Join(", ", valid.Where(o => o != path));
                problem = new SpecProblem(key, f.Path, f.Revision, $"{f.Path}: {key} is also defined in {others}; both are refused until one of them goes");
            }
        }
        else if (valid is { Count: 1 })
        {
            var file = _files[valid.Min!];
            var desired = new DesiredObject(key, file.Path, file.Revision, file.Document!.Effective!, file.DeclaresUuid) { DeclaredMacs = file.DeclaredMacs };
            if (!_objects.TryGetValue(key, out var old) || old.Revision != desired.Revision || old.File != desired.File)
            {
                _objects[key] = desired;
                changed.Add(key);
            }
        }

        foreach (var path in _invalidByKey.GetValueOrDefault(key) ?? [])
        {
            var file = _files[path];
            problem = new SpecProblem(key, file.Path, file.Revision, string.Join("\n", file.Errors));
        }

        // An object is gone when no file defines it any more (an invalid file that defined it keeps it).
        if (valid is null && problem is null && _objects.TryRemove(key, out _))
        {
            changed.Add(key);
        }

        var before = _problems.GetValueOrDefault(key);
        if (problem != before)
        {
            changed.Add(key);
            if (problem is null)
            {
                _problems.TryRemove(key, out _);
            }
            else
            {
                _problems[key] = problem;
            }
        }
    }

    private static ObjectKey GuessKey(SpecFile file)
    {
        var kind = file.Document?.Kind switch
        {
            Schema.SpecKind.Network => ObjectKind.Network,
            Schema.SpecKind.StoragePool => ObjectKind.Pool,
            Schema.SpecKind.StorageVolume => ObjectKind.Volume,
            _ => ObjectKind.Domain,
        };
        return new ObjectKey(kind, "file:" + Path.GetFileName(file.Path));
    }
}
