using System.Net;
using System.Text.Json;
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
internal sealed class LeaseStore
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly Lock _sync = new();
    private readonly string _dir;
    private readonly Dictionary<string, List<DhcpLeaseInfo>> _byNetwork = new(StringComparer.Ordinal);

    // Each change of a network's leases gets a version (under _sync); its file is written outside _sync, by
    // one writer at a time per network, and a writer writes whatever is newest: concurrent changes share
    // one write (and the file never goes back to an older version).
    private readonly Dictionary<string, long> _versions = new(StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LeaseFile> _files = new(StringComparer.Ordinal);

    private sealed class LeaseFile
    {
        public Lock Gate { get; } = new();

        public long Written { get; set; }
    }

    public LeaseStore(string dir)
    {
        _dir = dir;
        Directory.CreateDirectory(dir);
    }

    /// <summary>Damaged lease files found while loading (set aside by the caller's state directory).</summary>
    public List<string> Damaged { get; } = [];

    public void Load()
    {
        foreach (var path in Directory.EnumerateFiles(_dir, "*.json"))
        {
            try
            {
                var leases = JsonSerializer.Deserialize<List<DhcpLeaseInfo>>(File.ReadAllText(path), Json) ?? [];
                _byNetwork[Path.GetFileNameWithoutExtension(path)] = leases;
            }
            catch (JsonException)
            {
                Damaged.Add(path);
            }
        }
    }

    /// <summary>Every lease of a network (or of all networks).</summary>
    public IReadOnlyList<DhcpLeaseInfo> List(string? network = null)
    {
        lock (_sync)
        {
            return [.. _byNetwork.Where(p => network is null || p.Key == network).SelectMany(p => p.Value)
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
            var existing = leases.FindIndex(l => string.Equals(l.Mac, mac, StringComparison.OrdinalIgnoreCase));
            var host = dhcp.Hosts.FirstOrDefault(h => h.Ip is not null && h.Mac is not null && string.Equals(h.Mac, mac, StringComparison.OrdinalIgnoreCase))
                ?? dhcp.Hosts.FirstOrDefault(h => h.Ip is not null && h.Mac is null && h.Name == hostname);
            string? address = host?.Ip?.ToString();
            if (address is null && existing >= 0 && InRanges(dhcp, IPAddress.Parse(leases[existing].Address)))
            {
                address = leases[existing].Address;
            }

            if (address is null)
            {
                var reserved = new HashSet<UInt128>(dhcp.Hosts.Where(h => h.Ip is not null).Select(h => ToNumber(h.Ip!)))
                {
                    ToNumber(dhcp.Address),
                };
                foreach (var l in leases)
                {
                    if (!string.Equals(l.Mac, mac, StringComparison.OrdinalIgnoreCase) && IPAddress.TryParse(l.Address, out var taken))
                    {
                        reserved.Add(ToNumber(taken));
                    }
                }

                address = FirstFree(dhcp, reserved)
                    ?? throw new RuntimeException(ErrorCode.OperationFailed,
                        $"network '{network.Name}' has no free DHCP address left for MAC {mac}: every address of its ranges is leased or reserved");
            }

            var lease = new DhcpLeaseInfo(network.Name, mac.ToLowerInvariant(), address, prefix, hostname, domain);
            if (existing >= 0)
            {
                if (leases[existing] == lease)
                {
                    return lease;
                }

                leases[existing] = lease;
            }
            else
            {
                leases.Add(lease);
            }

            version = Changed(network.Name);
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
                var removed = leases.RemoveAll(l => release(l));
                if (removed > 0)
                {
                    count += removed;
                    changed.Add((network, Changed(network)));
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
        long version;
        lock (_sync)
        {
            if (!_byNetwork.Remove(network))
            {
                return;
            }

            version = Changed(network);
        }

        Persist(network, version);
    }

    private List<DhcpLeaseInfo> LeasesOf(string network)
    {
        if (!_byNetwork.TryGetValue(network, out var leases))
        {
            leases = [];
            _byNetwork[network] = leases;
        }

        return leases;
    }

    /// <summary>A new version of the network's leases (under _sync).</summary>
    private long Changed(string network)
    {
        var version = _versions.GetValueOrDefault(network) + 1;
        _versions[network] = version;
        return version;
    }

    /// <summary>Returns once the network's lease file holds <paramref name="version"/> or a newer one (durably).</summary>
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
            DhcpLeaseInfo[]? snapshot;
            lock (_sync)
            {
                current = _versions[network];
                snapshot = _byNetwork.TryGetValue(network, out var leases) ? [.. leases] : null;
            }

            var path = Path.Combine(_dir, network + ".json");
            if (snapshot is null)
            {
                StateDirectory.Delete(path);
            }
            else
            {
                StateDirectory.WriteAtomic(path, JsonSerializer.SerializeToUtf8Bytes(snapshot, Json));
            }

            file.Written = current;
        }
    }

    private static bool InRanges(NetworkIp ip, IPAddress address)
    {
        var value = ToNumber(address);
        return ip.Ranges.Any(r => ToNumber(r.Start) <= value && value <= ToNumber(r.End));
    }

    private static string? FirstFree(NetworkIp ip, HashSet<UInt128> reserved)
    {
        foreach (var range in ip.Ranges)
        {
            var end = ToNumber(range.End);
            for (var value = ToNumber(range.Start); value <= end; value++)
            {
                if (!reserved.Contains(value))
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
