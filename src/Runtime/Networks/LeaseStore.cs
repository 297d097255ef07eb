using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Reconciler.Runtime.Persistence;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Model;

namespace Reconciler.Runtime.Networks;

/// <summary>A DHCP lease: which address a MAC holds on a network, for which domain.</summary>
public sealed record DhcpLeaseInfo(string Network, string Mac, string Address, int Prefix, string? Hostname, Guid Domain);

/// <summary>
/// The DHCP leases of the networks, as dnsmasq hands them out: a static host (by MAC, else by name) gets
/// its address, a MAC that had a lease keeps it, anyone else gets the lowest free address of the ranges.
/// Leases are kept in the state directory, survive restarts, and are released when their domain goes.
/// </summary>
/// <remarks>
/// Each network's leases are a snapshot (<c>NETWORK.json</c>, written atomically) and a journal of the changes
/// since (<c>NETWORK.journal</c>, one JSON line per lease set or released, appended and synced before the
/// change is acknowledged; changes made at the same time share one append). A change costs a line, not a
/// rewrite of every lease of the network; the journal is folded into the snapshot once it is longer than
/// the leases it describes. A line cut short by a crash was never acknowledged and is dropped at load;
/// replaying a journal over a snapshot that already holds it changes nothing (a lease is set by MAC).
/// </remarks>
internal sealed partial class LeaseStore
{
    private readonly Lock _sync = new();
    private readonly string _dir;
    private readonly Dictionary<string, NetworkLeases> _byNetwork = new(StringComparer.Ordinal);

    // Each change of a network's leases gets a version (under _sync) and waits in Pending; the journal is
    // appended outside _sync by one writer at a time per network, which takes whatever is pending: changes
    // made side by side share one write and one sync.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LeaseFile> _files = new(StringComparer.Ordinal);

    /// <summary>A network's leases by MAC, and the addresses they hold.</summary>
    private sealed class NetworkLeases
    {
        public Dictionary<string, DhcpLeaseInfo> ByMac { get; } = new(StringComparer.OrdinalIgnoreCase);

        public HashSet<UInt128> Taken { get; } = [];

        public long Version { get; set; }

        public List<LeaseChange> Pending { get; } = [];

        public void Set(DhcpLeaseInfo lease)
        {
            Release(lease.Mac);
            ByMac[lease.Mac] = lease;
            if (IPAddress.TryParse(lease.Address, out var address))
            {
                Taken.Add(ToNumber(address));
            }
        }

        public bool Release(string mac)
        {
            if (!ByMac.Remove(mac, out var old))
            {
                return false;
            }

            if (IPAddress.TryParse(old.Address, out var address))
            {
                Taken.Remove(ToNumber(address));
            }

            return true;
        }
    }

    /// <summary>One line of a journal: a lease set (taken or changed) or released (by MAC).</summary>
    private sealed record LeaseChange(DhcpLeaseInfo? Set, string? Release);

    /// <summary>The JSON of the lease files (camelCase), generated at build time: no reflection at run time.</summary>
    [JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(List<DhcpLeaseInfo>))]
    [JsonSerializable(typeof(DhcpLeaseInfo[]))]
    [JsonSerializable(typeof(LeaseChange))]
    private sealed partial class LeaseJson : JsonSerializerContext;

    private sealed class LeaseFile
    {
        public Lock Gate { get; } = new();

        public long Written { get; set; }

        /// <summary>Lines in the journal (to know when to fold it into the snapshot).</summary>
        public long Lines { get; set; }
    }

    public LeaseStore(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
    }

    /// <summary>Damaged lease files found while loading (set aside by the caller's state directory).</summary>
    public List<string> Damaged { get; } = [];

    private string SnapshotPath(string network) => Path.Combine(_dir, network + ".json");

    private string JournalPath(string network) => Path.Combine(_dir, network + ".journal");

    public void Load()
    {
        foreach (var (network, leases, lines, damaged) in ReadAll(_dir))
        {
            var entry = new NetworkLeases();
            foreach (var lease in leases)
            {
                entry.Set(lease);
            }

            _byNetwork[network] = entry;
            _files[network] = new LeaseFile { Lines = lines };
            Damaged.AddRange(damaged);
        }
    }

    /// <summary>
    /// Every network's leases as the files in <paramref name="dir"/> hold them (snapshot and journal), how
    /// long each journal is, and the files that are damaged. A journal's last line cut short by a crash is
    /// cut off the file (it was never acknowledged).
    /// </summary>
    internal static IEnumerable<(string Network, List<DhcpLeaseInfo> Leases, long JournalLines, List<string> Damaged)> ReadAll(string dir)
    {
        var names = Directory.EnumerateFiles(dir, "*.json").Concat(Directory.EnumerateFiles(dir, "*.journal"))
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().Where(n => !n.StartsWith('.')).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
        foreach (var network in names)
        {
            var damaged = new List<string>();
            var leases = new Dictionary<string, DhcpLeaseInfo>(StringComparer.OrdinalIgnoreCase);
            var snapshot = Path.Combine(dir, network + ".json");
            if (File.Exists(snapshot))
            {
                try
                {
                    foreach (var lease in JsonSerializer.Deserialize(File.ReadAllText(snapshot), LeaseJson.Default.ListDhcpLeaseInfo) ?? [])
                    {
                        leases[lease.Mac] = lease;
                    }
                }
                catch (JsonException)
                {
                    damaged.Add(snapshot);
                }
            }

            long lines = 0;
            var journal = Path.Combine(dir, network + ".journal");
            if (File.Exists(journal))
            {
                var bytes = File.ReadAllBytes(journal);
                var at = 0;
                while (at < bytes.Length)
                {
                    var end = Array.IndexOf(bytes, (byte)'\n', at);
                    LeaseChange? change = null;
                    if (end >= 0)
                    {
                        try
                        {
                            change = JsonSerializer.Deserialize(bytes.AsSpan(at, end - at), LeaseJson.Default.LeaseChange);
                        }
                        catch (JsonException)
                        {
                        }
                    }

                    if (change is null)
                    {
                        if (end < 0 || end == bytes.Length - 1)
                        {
                            // The last line, cut short by a crash before its sync returned: never acknowledged.
                            using var file = new FileStream(journal, FileMode.Open, FileAccess.Write);
                            file.SetLength(at);
                            file.Flush(flushToDisk: true);
                        }
                        else
                        {
                            damaged.Add(journal);
                        }

                        break;
                    }

                    if (change.Set is { } set)
                    {
                        leases[set.Mac] = set;
                    }
                    else if (change.Release is { } mac)
                    {
                        leases.Remove(mac);
                    }

                    lines++;
                    at = end + 1;
                }
            }

            yield return (network, [.. leases.Values], lines, damaged);
        }
    }

    /// <summary>Every lease of a network (or of all networks).</summary>
    public IReadOnlyList<DhcpLeaseInfo> List(string? network = null)
    {
        lock (_sync)
        {
            return [.. _byNetwork.Where(p => network is null || p.Key == network).SelectMany(p => p.Value.ByMac.Values)
                .OrderBy(l => l.Network, StringComparer.Ordinal).ThenBy(l => l.Address, StringComparer.Ordinal)];
        }
    }

    /// <summary>The lease for <paramref name="mac"/> on <paramref name="network"/>, taking one when it has none; null when the network has no DHCP.</summary>
    public DhcpLeaseInfo? Acquire(NetworkDefinition network, string mac, string hostname, Guid domain)
    {
        var dhcp = network.Ips.FirstOrDefault(ip => ip.IpFamily == "ipv4" && ip.HasDhcp)
            ?? network.Ips.FirstOrDefault(ip => ip.HasDhcp);
        if (dhcp is null)
        {
            return null;
        }

        long version;
        DhcpLeaseInfo result;
        lock (_sync)
        {
            var leases = LeasesOf(network.Name);
            var prefix = dhcp.PrefixLength;
            leases.ByMac.TryGetValue(mac, out var existing);
            var host = dhcp.Hosts.FirstOrDefault(h => h.Ip is not null && h.Mac is not null && string.Equals(h.Mac, mac, StringComparison.OrdinalIgnoreCase))
                ?? dhcp.Hosts.FirstOrDefault(h => h.Ip is not null && h.Mac is null && h.Name == hostname);
            string? address = host?.Ip?.ToString();
            if (address is null && existing is not null && InRanges(dhcp, IPAddress.Parse(existing.Address)))
            {
                address = existing.Address;
            }

            if (address is null)
            {
                var reserved = new HashSet<UInt128>(dhcp.Hosts.Where(h => h.Ip is not null).Select(h => ToNumber(h.Ip!)))
                {
                    ToNumber(dhcp.Address),
                };
                address = FirstFree(dhcp, value => reserved.Contains(value) || leases.Taken.Contains(value))
                    ?? throw new RuntimeException(ErrorCode.OperationFailed,
                        $"network '{network.Name}' has no free DHCP address left for MAC {mac}: every address of its ranges is leased or reserved");
            }

            var lease = new DhcpLeaseInfo(network.Name, mac.ToLowerInvariant(), address, prefix, hostname, domain);
            if (existing == lease)
            {
                return lease;
            }

            leases.Set(lease);
            version = Changed(leases, new LeaseChange(lease, null));
            result = lease;
        }

        Persist(network.Name, version);
        return result;
    }

    /// <summary>Releases every lease of a domain (when it is undefined, or when a transient one stops).</summary>
    public void ReleaseDomain(Guid domain) => ReleaseWhere(l => l.Domain == domain);

    /// <summary>Releases the lease of one MAC (an interface detached from the definition).</summary>
    public void ReleaseMac(Guid domain, string mac) =>
        ReleaseWhere(l => l.Domain == domain && string.Equals(l.Mac, mac, StringComparison.OrdinalIgnoreCase));

    /// <summary>Releases every lease <paramref name="release"/> selects; returns how many.</summary>
    public int ReleaseWhere(Func<DhcpLeaseInfo, bool> release)
    {
        var count = 0;
        var changed = new List<(string Network, long Version)>();
        lock (_sync)
        {
            foreach (var (network, leases) in _byNetwork)
            {
                long version = 0;
                foreach (var lease in leases.ByMac.Values.Where(release).ToList())
                {
                    leases.Release(lease.Mac);
                    version = Changed(leases, new LeaseChange(null, lease.Mac));
                    count++;
                }

                if (version > 0)
                {
                    changed.Add((network, version));
                }
            }
        }

        foreach (var (network, version) in changed)
        {
            Persist(network, version);
        }

        return count;
    }

    /// <summary>Forgets the leases of a network that is undefined.</summary>
    public void DropNetwork(string network)
    {
        lock (_sync)
        {
            if (!_byNetwork.Remove(network))
            {
                return;
            }
        }

        var file = _files.GetOrAdd(network, _ => new LeaseFile());
        lock (file.Gate)
        {
            StateDirectory.Delete(JournalPath(network));
            StateDirectory.Delete(SnapshotPath(network));
            _files.TryRemove(network, out _);
        }
    }

    private NetworkLeases LeasesOf(string network)
    {
        if (!_byNetwork.TryGetValue(network, out var leases))
        {
            leases = new NetworkLeases();
            _byNetwork[network] = leases;
        }

        return leases;
    }

    /// <summary>Records a change of the network's leases for the journal; returns its version (under _sync).</summary>
    private static long Changed(NetworkLeases leases, LeaseChange change)
    {
        leases.Pending.Add(change);
        return ++leases.Version;
    }

    /// <summary>Returns once the network's files hold <paramref name="version"/> or a newer one (durably).</summary>
    private void Persist(string network, long version)
    {
        var file = _files.GetOrAdd(network, _ => new LeaseFile());
        lock (file.Gate)
        {
            if (file.Written >= version)
            {
                return; // someone else's write carried this change
            }

            long current;
            LeaseChange[] pending;
            DhcpLeaseInfo[]? snapshot = null;
            lock (_sync)
            {
                if (!_byNetwork.TryGetValue(network, out var leases))
                {
                    return; // dropped meanwhile
                }

                current = leases.Version;
                pending = [.. leases.Pending];
                leases.Pending.Clear();
                if (file.Lines + pending.Length > 64 + (2L * leases.ByMac.Count))
                {
                    snapshot = [.. leases.ByMac.Values];
                }
            }

            if (snapshot is not null)
            {
                // Folded: the snapshot holds every change so far, then the journal starts again empty (a
                // crash in between replays it over the snapshot, which changes nothing).
                StateDirectory.WriteAtomic(SnapshotPath(network), JsonSerializer.SerializeToUtf8Bytes(snapshot, LeaseJson.Default.DhcpLeaseInfoArray));
                using var journal = new FileStream(JournalPath(network), FileMode.OpenOrCreate, FileAccess.Write);
                journal.SetLength(0);
                journal.Flush(flushToDisk: true);
                file.Lines = 0;
            }
            else
            {
                var created = !File.Exists(JournalPath(network));
                using (var journal = new FileStream(JournalPath(network), FileMode.Append, FileAccess.Write, FileShare.Read, 1 << 14))
                {
                    foreach (var change in pending)
                    {
                        JsonSerializer.Serialize(journal, change, LeaseJson.Default.LeaseChange);
                        journal.WriteByte((byte)'\n');
                    }

                    journal.Flush(flushToDisk: true);
                }

                if (created)
                {
                    StateDirectory.SyncDirectory(_dir);
                }

                file.Lines += pending.Length;
            }

            file.Written = current;
        }
    }

    private static bool InRanges(NetworkIp ip, IPAddress address)
    {
        var value = ToNumber(address);
        return ip.Ranges.Any(r => ToNumber(r.Start) <= value && value <= ToNumber(r.End));
    }

    private static string? FirstFree(NetworkIp ip, Func<UInt128, bool> taken)
    {
        foreach (var range in ip.Ranges)
        {
            var end = ToNumber(range.End);
            for (var value = ToNumber(range.Start); value <= end; value++)
            {
                if (!taken(value))
                {
                    return FromNumber(value, range.Start.AddressFamily).ToString();
                }

                if (value == UInt128.MaxValue)
                {
                    break;
                }
            }
        }

        return null;
    }

    private static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        UInt128 value = 0;
        for (var i = 0; i < written; i++)
        {
            value = (value << 8) | bytes[i];
        }

        return value;
    }

    private static IPAddress FromNumber(UInt128 value, System.Net.Sockets.AddressFamily family)
    {
        var length = family == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 16;
        var full = new byte[length];
        for (var i = length - 1; i >= 0; i--)
        {
            full[i] = (byte)(value & 0xFF);
            value >>= 8;
        }

        return new IPAddress(full);
    }
}
