using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;
using Reconciler.Runtime.Persistence;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Controller.Tests.Reliability;

/// <summary>
/// Reads what a daemon left in its state directory and its pools — after a SIGKILL, with nothing running —
/// and says what is wrong with it: a file that does not parse, anything quarantined, two definitions of
/// one name or UUID, a lease, run record, tap, port or ID that nothing owns, a volume that fails
/// <c>qemu-img check</c> or has a size no spec asked for, a volume recreated under the same name.
/// </summary>
internal sealed partial class StateInspector(string state, Fleet fleet)
{
    private readonly Dictionary<string, (ulong Inode, long Length, DateTime Modified)> _checkedVolumes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _inodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ulong> _capacities = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Guid> _uuids = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _macs = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, long> _starts = [];

    public string Runtime => Path.Combine(state, "runtime");

    /// <summary>The MAC of each bridge as last seen (a redefinition keeps it).</summary>
    public Dictionary<string, string> BridgeMacs { get; } = new(StringComparer.Ordinal);

    /// <summary><c>qemu-img check</c> runs so far (a volume is checked again only when its file changed).</summary>
    public int ImageChecks { get; private set; }

    /// <summary>The API socket's staging directories found after kills (a known, harmless leftover).</summary>
    public int SocketStagingLeftovers { get; private set; }

    /// <summary>Volume files seen created (each exactly once).</summary>
    public int VolumesCreated => _inodes.Count;

    /// <summary>Guest starts seen in all (boots, restores), from the runtime's durable counters.</summary>
    public long Starts => _starts.Values.Sum();

    public sealed record Definition(string Name, Guid Uuid, IReadOnlyList<(string Network, string Mac)> Interfaces, long Starts, bool Autostart);

    /// <summary>A run record; a persistent domain's holds its count of starts until the flags file takes it at the stop.</summary>
    public sealed record RunRecord(string Name, Guid Uuid, int Id, bool Persistent, int[] VncPorts, string[] Taps, long Starts = 0);

    public sealed record Lease(string Network, string Mac, string Address, Guid Domain);

    private sealed record JournalLine(Lease? Set, string? Release);

    /// <summary>What the state directory holds: definitions by name, run records, leases, interrupted writes.</summary>
    public sealed record Snapshot(
        Dictionary<string, Definition> Domains,
        List<RunRecord> Running,
        List<Lease> Leases,
        List<string> InterruptedWrites,
        List<string> Problems);

    /// <summary>
    /// Whether a spare lies in run/ or save/, where a run record or save image retired while its domain lives
    /// keeps its inode (and one of a domain undefined just before a kill waits for the next open, which
    /// removes it: a runtime test proves that).
    /// </summary>
    private static bool Retired(string relative) =>
        relative.StartsWith("runtime/run/", StringComparison.Ordinal) || relative.StartsWith("runtime/save/", StringComparison.Ordinal);

    /// <summary>
    /// Every leftover of an interrupted write, which the next open must remove: the state directory's temporary
    /// files, the pools' half-created volumes, and the flags an undefine killed between its two deletes left.
    /// </summary>
    public List<string> TemporaryFiles()
    {
        var found = new List<string>();
        if (Directory.Exists(state))
        {
            found.AddRange(Directory.EnumerateFiles(state, "*", SearchOption.AllDirectories)
                .Where(p => Path.GetFileName(p) is var n && n.StartsWith('.') && n.EndsWith(".tmp", StringComparison.Ordinal)));
        }

        foreach (var pool in fleet.Pools.Where(p => Directory.Exists(p.Path)))
        {
            found.AddRange(Directory.EnumerateFiles(pool.Path, ".rc-creating-*"));
        }

        var domains = Path.Combine(Runtime, "domains");
        if (Directory.Exists(domains))
        {
            found.AddRange(Directory.EnumerateFiles(domains, "*.json").Where(flags => !File.Exists(Path.ChangeExtension(flags, ".xml"))));
        }

        return found;
    }

    /// <summary>Reads the state directory (the daemon must not run) and checks each file and what they say together.</summary>
    public Snapshot Read()
    {
        var problems = new List<string>();
        var interrupted = new List<string>();
        Directory.CreateDirectory(state); // a kill before the daemon made it
        foreach (var path in Directory.EnumerateFiles(state, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            var relative = Path.GetRelativePath(state, path);
            if (relative.StartsWith(".rc-", StringComparison.Ordinal))
            {
                continue; // the socket's staging directory (below)
            }

            if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                interrupted.Add(relative);
                continue;
            }

            if (StateDirectory.FileOfSpare(path) is { } file)
            {
                // The previous inode of a rewritten file, kept for its next write (its content may be cut
                // short by a kill and is never read); it goes with its file, but for retired names.
                if (!File.Exists(file) && !Retired(relative))
                {
                    problems.Add($"{relative}: the spare of a file that is gone");
                }

                continue;
            }

            if (relative.StartsWith("runtime/quarantine/", StringComparison.Ordinal) || name.Contains(".damaged-", StringComparison.Ordinal))
            {
                problems.Add($"{relative}: a damaged state file was set aside ({(File.Exists(path + ".reason") ? File.ReadAllText(path + ".reason").Trim() : "no reason")})");
                continue;
            }

            try
            {
                if (name.EndsWith(".json", StringComparison.Ordinal))
                {
                    using var _ = JsonDocument.Parse(File.ReadAllBytes(path));
                }
                else if (name.EndsWith(".xml", StringComparison.Ordinal))
                {
                    _ = XDocument.Parse(File.ReadAllText(path));
                }
                else if (name == "controller-managed.journal")
                {
                    // Lines "Kind<TAB>name"; only the last may be cut short by the kill.
                    var lines = File.ReadAllText(path).Split('\n');
                    if (lines[..^1].FirstOrDefault(l => l.Split('\t') is not [var kind, { Length: > 0 }] || !Enum.TryParse<Reconciler.Controller.Daemon.ObjectKind>(kind, out _)) is { } bad)
                    {
                        problems.Add($"{relative}: a damaged line '{bad}'");
                    }
                }
                else if (relative.StartsWith("runtime/networks/leases/", StringComparison.Ordinal) && name.EndsWith(".journal", StringComparison.Ordinal))
                {
                    // A network's lease journal: read (and each line checked) with the leases below.
                }
                else if (!relative.StartsWith("runtime/networks/dnsmasq/", StringComparison.Ordinal) && name is not "reconciler.sock" and not ".lock")
                {
                    problems.Add($"{relative}: a file the state directory should not hold");
                }
            }
            catch (Exception e) when (e is JsonException or System.Xml.XmlException or IOException)
            {
                problems.Add($"{relative}: does not parse: {e.Message}");
            }
        }

        foreach (var dir in Directory.EnumerateDirectories(state, ".*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(dir).StartsWith(".rc-", StringComparison.Ordinal))
            {
                // The API socket's private staging directory, which lives for a moment at start: a kill in
                // that moment leaves it (a known leftover, counted; see docs/reliability.md).
                SocketStagingLeftovers++;
                continue;
            }

            problems.Add($"{Path.GetRelativePath(state, dir)}: a leftover directory");
        }

        var domains = ReadDefinitions(problems);
        var running = ReadRunRecords(domains, problems);
        var leases = ReadLeases(domains, problems);
        CheckStrategyStarts(domains, problems);
        CheckIdentity(domains, problems);
        CheckVolumes(problems);
        return new Snapshot(domains, running, leases, interrupted, problems);
    }

    private Dictionary<string, Definition> ReadDefinitions(List<string> problems)
    {
        var byName = new Dictionary<string, Definition>(StringComparer.Ordinal);
        var dir = Path.Combine(Runtime, "domains");
        if (!Directory.Exists(dir))
        {
            return byName;
        }

        var uuids = new HashSet<Guid>();
        foreach (var path in Directory.EnumerateFiles(dir, "*.xml"))
        {
            XElement root;
            try
            {
                root = XDocument.Parse(File.ReadAllText(path)).Root!;
            }
            catch (System.Xml.XmlException)
            {
                continue; // reported above
            }

            var name = root.Element("name")?.Value ?? "?";
            var uuid = Guid.Parse(root.Element("uuid")!.Value);
            if (Path.GetFileNameWithoutExtension(path) != uuid.ToString("D"))
            {
                problems.Add($"{path}: the definition of {name} has UUID {uuid}, not its file name");
            }

            var interfaces = root.Element("devices")?.Elements("interface")
                .Select(i => (i.Element("source")?.Attribute("network")?.Value ?? "?", i.Element("mac")?.Attribute("address")?.Value ?? "?")).ToList() ?? [];
            long starts = 0;
            var autostart = false;
            var flags = Path.ChangeExtension(path, ".json");
            if (File.Exists(flags))
            {
                try
                {
                    using var doc = JsonDocument.Parse(File.ReadAllBytes(flags));
                    starts = doc.RootElement.TryGetProperty("starts", out var s) ? s.GetInt64() : 0;
                    autostart = doc.RootElement.TryGetProperty("autostart", out var a) && a.GetBoolean();
                }
                catch (JsonException)
                {
                    // reported above
                }
            }

            if (!uuids.Add(uuid))
            {
                problems.Add($"two definitions with UUID {uuid}");
            }

            if (byName.TryGetValue(name, out var other))
            {
                problems.Add($"domain {name} is defined twice: UUIDs {other.Uuid} and {uuid}");
            }

            byName[name] = new Definition(name, uuid, interfaces, starts, autostart);
        }

        // Flags of a domain without a definition are what an undefine killed between its two deletes leaves
        // (each delete is synced): the runtime removes them when it opens, which TemporaryFiles makes the
        // harness check after the restart.

        var known = fleet.Domains.Concat(fleet.Removed).Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in byName.Keys.Where(n => !known.Contains(n)))
        {
            problems.Add($"domain {name} is defined but no spec ever named it");
        }

        return byName;
    }

    private List<RunRecord> ReadRunRecords(Dictionary<string, Definition> domains, List<string> problems)
    {
        var records = new List<RunRecord>();
        var dir = Path.Combine(Runtime, "run");
        if (!Directory.Exists(dir))
        {
            return records;
        }

        foreach (var path in Directory.EnumerateFiles(dir, "*.json"))
        {
            RunRecord? record;
            try
            {
                record = JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), JsonOptions);
            }
            catch (JsonException)
            {
                continue; // reported above
            }

            if (record is null)
            {
                continue;
            }

            records.Add(record);
            if (record.Persistent && (!domains.TryGetValue(record.Name, out var def) || def.Uuid != record.Uuid))
            {
                problems.Add($"run record of {record.Name} ({record.Uuid}): no such persistent domain is defined");
            }
            else if (record.Persistent && domains[record.Name] is var known && record.Starts > known.Starts)
            {
                domains[record.Name] = known with { Starts = record.Starts };
            }
            else if (domains.TryGetValue(record.Name, out var d) && d.Interfaces.Count != record.Taps.Length)
            {
                problems.Add($"run record of {record.Name}: {record.Taps.Length} taps for {d.Interfaces.Count} interfaces");
            }

            if (fleet.Domains.FirstOrDefault(f => f.Name == record.Name) is { } spec && (spec.Vnc ? 1 : 0) != record.VncPorts.Length)
            {
                problems.Add($"run record of {record.Name}: {record.VncPorts.Length} VNC ports for {(spec.Vnc ? 1 : 0)} graphics devices");
            }
        }

        Duplicates(records.Select(r => r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "domain ID", problems);
        Duplicates(records.SelectMany(r => r.VncPorts).Select(p => p.ToString(System.Globalization.CultureInfo.InvariantCulture)), "VNC port", problems);
        Duplicates(records.SelectMany(r => r.Taps), "tap", problems);
        Duplicates(records.Select(r => r.Name), "running domain", problems);
        return records;
    }

    private List<Lease> ReadLeases(Dictionary<string, Definition> domains, List<string> problems)
    {
        var leases = new List<Lease>();
        var dir = Path.Combine(Runtime, "networks", "leases");
        if (!Directory.Exists(dir))
        {
            return leases;
        }

        // A network's leases: its snapshot, then its journal of changes (one JSON line each: {"set": lease} or
        // {"release": mac}; a last line cut short by a kill was never acknowledged).
        var networks = Directory.EnumerateFiles(dir, "*.json").Concat(Directory.EnumerateFiles(dir, "*.journal"))
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().Where(n => !n.StartsWith('.')).Distinct(StringComparer.Ordinal);
        foreach (var network in networks)
        {
            var byMac = new Dictionary<string, Lease>(StringComparer.OrdinalIgnoreCase);
            var snapshot = Path.Combine(dir, network + ".json");
            try
            {
                foreach (var lease in File.Exists(snapshot) ? JsonSerializer.Deserialize<List<Lease>>(File.ReadAllText(snapshot), JsonOptions) ?? [] : [])
                {
                    byMac[lease.Mac] = lease;
                }
            }
            catch (JsonException)
            {
                // reported above
            }

            var journal = Path.Combine(dir, network + ".journal");
            var lines = File.Exists(journal) ? File.ReadAllText(journal).Split('\n') : [];
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length == 0)
                {
                    continue;
                }

                try
                {
                    var change = JsonSerializer.Deserialize<JournalLine>(lines[i], JsonOptions)!;
                    if (change.Set is { } set)
                    {
                        byMac[set.Mac] = set;
                    }
                    else if (change.Release is { } mac)
                    {
                        byMac.Remove(mac);
                    }
                }
                catch (JsonException) when (i == lines.Length - 1)
                {
                    // cut short by the kill: never acknowledged
                }
                catch (JsonException e)
                {
                    problems.Add($"{Path.GetRelativePath(state, journal)}: line {i + 1} is damaged ({e.Message})");
                }
            }

            leases.AddRange(byMac.Values);
        }

        CheckLeases(leases, domains.Values, problems);
        return leases;
    }

    /// <summary>Each lease belongs to a defined domain that has that MAC on that network; no address or MAC twice on a network.</summary>
    public static void CheckLeases(IEnumerable<Lease> leases, IEnumerable<Definition> domains, List<string> problems)
    {
        var byUuid = domains.ToDictionary(d => d.Uuid);
        var list = leases.ToList();
        foreach (var lease in list)
        {
            if (!byUuid.TryGetValue(lease.Domain, out var owner))
            {
                problems.Add($"lease {lease.Address} ({lease.Mac}) on {lease.Network} belongs to domain {lease.Domain}, which is not defined: leaked");
            }
            else if (!owner.Interfaces.Any(i => i.Network == lease.Network && string.Equals(i.Mac, lease.Mac, StringComparison.OrdinalIgnoreCase)))
            {
                problems.Add($"lease {lease.Address} ({lease.Mac}) on {lease.Network}: domain {owner.Name} has no such interface: leaked");
            }
        }

        Duplicates(list.Select(l => $"{l.Network} {l.Address}"), "leased address", problems);
        Duplicates(list.Select(l => $"{l.Network} {l.Mac.ToLowerInvariant()}"), "lease of a MAC", problems);
    }

    /// <summary>Starts against the run strategies: once runs once ever, halted and manual never, the others at most once a round.</summary>
    private void CheckStrategyStarts(Dictionary<string, Definition> domains, List<string> problems)
    {
        foreach (var spec in fleet.Domains.Concat(fleet.Removed))
        {
            if (!domains.TryGetValue(spec.Name, out var def))
            {
                continue;
            }

            var before = _starts.GetValueOrDefault(def.Uuid);
            var removed = fleet.Removed.Contains(spec);
            if (def.Starts < before)
            {
                problems.Add($"domain {spec.Name}: its start count went down from {before} to {def.Starts}");
            }
            else if (spec.Strategy is "halted" or "manual" && def.Starts > 0)
            {
                problems.Add($"domain {spec.Name} (run strategy {spec.Strategy}) was started {def.Starts} times; never expected");
            }
            else if (spec.Strategy == "once" && def.Starts > 1)
            {
                problems.Add($"domain {spec.Name} (run strategy once) was started {def.Starts} times");
            }
            else if (def.Starts - before > (removed || (spec.Completed && !spec.CompletedThisRound) ? 0 : 1))
            {
                var why = removed ? ", spec removed" : spec.Completed ? ", its guest shut down cleanly before" : string.Empty;
                problems.Add($"domain {spec.Name} (run strategy {spec.Strategy}{why}) was started {def.Starts - before} times in one round");
            }

            _starts[def.Uuid] = def.Starts;
        }
    }

    /// <summary>A domain keeps its UUID and its interfaces their MACs from round to round; no MAC is used twice.</summary>
    private void CheckIdentity(Dictionary<string, Definition> domains, List<string> problems)
    {
        foreach (var def in domains.Values)
        {
            if (_uuids.TryGetValue(def.Name, out var uuid) && uuid != def.Uuid)
            {
                problems.Add($"domain {def.Name} changed its UUID from {uuid} to {def.Uuid}");
            }

            _uuids[def.Name] = def.Uuid;
            for (var i = 0; i < def.Interfaces.Count; i++)
            {
                var key = $"{def.Name}#{i}";
                if (_macs.TryGetValue(key, out var mac) && !string.Equals(mac, def.Interfaces[i].Mac, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"domain {def.Name}: interface {i} changed its MAC from {mac} to {def.Interfaces[i].Mac}");
                }

                _macs[key] = def.Interfaces[i].Mac;
            }

            var spec = fleet.Domains.FirstOrDefault(d => d.Name == def.Name);
            for (var i = 0; spec is not null && i < spec.Interfaces.Count && i < def.Interfaces.Count; i++)
            {
                if (spec.Interfaces[i].Mac is { } wanted && !string.Equals(wanted, def.Interfaces[i].Mac, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"domain {def.Name}: interface {i} has MAC {def.Interfaces[i].Mac}, its spec says {wanted}");
                }
            }
        }

        Duplicates(domains.Values.SelectMany(d => d.Interfaces.Select(i => i.Mac.ToLowerInvariant())), "MAC", problems);
    }

    /// <summary>
    /// Every file of a pool is a volume some spec named, created once (its inode never changes), with a
    /// capacity its spec asked for at some point and never smaller than before; qcow2 files pass
    /// <c>qemu-img check</c> (checked again only when the file changed).
    /// </summary>
    private void CheckVolumes(List<string> problems)
    {
        var specs = fleet.Volumes.ToDictionary(fleet.ImagePath, StringComparer.Ordinal);
        foreach (var pool in fleet.Pools.Where(p => Directory.Exists(p.Path)))
        {
            foreach (var path in Directory.EnumerateFiles(pool.Path))
            {
                if (Path.GetFileName(path).StartsWith(".rc-creating-", StringComparison.Ordinal))
                {
                    continue; // an interrupted creation: must be gone after the next start (checked by the caller)
                }

                if (!specs.TryGetValue(path, out var spec))
                {
                    problems.Add($"{path}: a file in pool {pool.Name} that no volume spec names");
                    continue;
                }

                var inode = Inode(path);
                if (_inodes.TryGetValue(path, out var first) && first != inode)
                {
                    problems.Add($"{path}: volume {spec.Key} was created again (inode {first}, now {inode})");
                }

                _inodes[path] = inode;
                var info = new FileInfo(path);
                var stamp = (inode, info.Length, info.LastWriteTimeUtc);
                if (_checkedVolumes.TryGetValue(path, out var seen) && seen == stamp)
                {
                    continue;
                }

                ulong capacity;
                if (spec.Format == "qcow2")
                {
                    ImageChecks++;
                    var (code, output) = HostTool.QemuImg("check", "-f", "qcow2", path);
                    if (code != 0)
                    {
                        problems.Add($"{path}: qemu-img check exits {code}: {output.Trim()}");
                    }

                    capacity = Qcow2VirtualSize(path);
                }
                else
                {
                    capacity = (ulong)info.Length;
                }

                var asked = spec.CapacitiesMiB.Select(c => c * 1024 * 1024).ToList();
                if (!asked.Contains(capacity))
                {
                    problems.Add($"{path}: capacity {capacity} bytes, but its spec only ever asked for {string.Join(", ", asked)}");
                }

                if (_capacities.TryGetValue(path, out var before) && capacity < before)
                {
                    problems.Add($"{path}: capacity went down from {before} to {capacity} bytes");
                }

                _capacities[path] = capacity;
                _checkedVolumes[path] = stamp;
            }
        }
    }

    public static ulong Qcow2VirtualSize(string path)
    {
        Span<byte> header = stackalloc byte[32];
        using var stream = File.OpenRead(path);
        stream.ReadExactly(header);
        return BinaryPrimitives.ReadUInt64BigEndian(header[24..]);
    }

    private static void Duplicates(IEnumerable<string> values, string what, List<string> problems)
    {
        foreach (var group in values.GroupBy(v => v, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"{what} {group.Key} is held {group.Count()} times");
        }
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>The file's inode number (stat(2)), which tells a file created again from the same one.</summary>
    private static unsafe ulong Inode(string path)
    {
        var buffer = stackalloc byte[256];
        if (Stat(path, buffer) != 0)
        {
            throw new IOException($"stat {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }

        // struct stat on Linux (x86_64 and aarch64): st_dev, then st_ino, both 64-bit.
        return BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(buffer + 8, 8));
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
