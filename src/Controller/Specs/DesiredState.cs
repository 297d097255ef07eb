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
public sealed class DesiredState(bool allowEmpty)
{
    private readonly Dictionary<ObjectKey, DesiredObject> _objects = [];
    private readonly Dictionary<string, ObjectKey> _keyOfPath = new(StringComparer.Ordinal);
    private Dictionary<ObjectKey, SpecProblem> _problems = [];
    private int _lastFileCount;

    public IReadOnlyDictionary<ObjectKey, DesiredObject> Objects => _objects;

    /// <summary>Errors of spec files, by the object they concern.</summary>
    public IReadOnlyDictionary<ObjectKey, SpecProblem> Problems => _problems;

    /// <summary>Why the last scan changed nothing at all (the directory missing, unreadable, suddenly empty), or null.</summary>
    public string? Blocked { get; private set; }

    /// <summary>Applies a scan; returns the objects whose desired state or problem changed.</summary>
    public IReadOnlySet<ObjectKey> Apply(SpecScan scan)
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

        Blocked = null;
        _lastFileCount = scan.Files.Count;
        var problems = new Dictionary<ObjectKey, SpecProblem>();
        var byKey = scan.Files.Values.Where(f => f.IsValid).GroupBy(f => f.Key!.Value).ToDictionary(g => g.Key, g => g.ToList());
        foreach (var (key, files) in byKey)
        {
            foreach (var f in files)
            {
                _keyOfPath[f.Path] = key;
            }

            if (files.Count > 1)
            {
                foreach (var f in files)
                {
                    var others = string.Join(", ", files.Where(o => o != f).Select(o => o.Path));
                    problems[key] = new SpecProblem(key, f.Path, f.Revision,
                        $"{f.Path}: {key} is also defined in {others}; both are refused until one of them goes");
                }

                continue;
            }

            var file = files[0];
            var desired = new DesiredObject(key, file.Path, file.Revision, file.Document!.Effective!, file.DeclaresUuid) { DeclaredMacs = file.DeclaredMacs };
            if (!_objects.TryGetValue(key, out var old) || old.Revision != desired.Revision || old.File != desired.File)
            {
                _objects[key] = desired;
                changed.Add(key);
            }
        }

        foreach (var file in scan.Files.Values.Where(f => !f.IsValid))
        {
            var key = file.Key ?? (_keyOfPath.TryGetValue(file.Path, out var k) ? k : GuessKey(file));
            problems[key] = new SpecProblem(key, file.Path, file.Revision, string.Join("\n", file.Errors));
        }

        // An object is gone when no file defines it any more (an invalid file that defined it keeps it).
        foreach (var key in _objects.Keys.ToList())
        {
            if (!byKey.ContainsKey(key) && !problems.ContainsKey(key))
            {
                _objects.Remove(key);
                changed.Add(key);
            }
        }

        foreach (var path in _keyOfPath.Keys.Where(p => !scan.Files.ContainsKey(p)).ToList())
        {
            _keyOfPath.Remove(path);
        }

        foreach (var key in problems.Keys.Concat(_problems.Keys))
        {
            if (!problems.TryGetValue(key, out var now) || !_problems.TryGetValue(key, out var before) || now != before)
            {
                changed.Add(key);
            }
        }

        _problems = problems;
        return changed;
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
