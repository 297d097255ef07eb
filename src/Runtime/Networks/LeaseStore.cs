using System.Net;
using System.Numerics;
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
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
    private readonly Lock _sync = new();
    private readonly string _dir;
    private readonly Dictionary<string, List<DhcpLeaseInfo>> _byNetwork = new(StringComparer.Ordinal);

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
                var reserved = new HashSet<string>(dhcp.Hosts.Where(h => h.Ip is not null).Select(h => h.Ip!.ToString()), StringComparer.Ordinal)
                {
                    dhcp.Address.ToString(),
                };
                reserved.UnionWith(leases.Where(l => !string.Equals(l.Mac, mac, StringComparison.OrdinalIgnoreCase)).Select(l => l.Address));
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

            Save(network.Name, leases);
            return lease;
        }
    }

    /// <summary>Releases every lease of a domain (when it is undefined, or when a transient one stops).</summary>
    public void ReleaseDomain(Guid domain)
    {
        lock (_sync)
        {
            foreach (var (network, leases) in _byNetwork)
            {
                if (leases.RemoveAll(l => l.Domain == domain) > 0)
                {
                    Save(network, leases);
                }
            }
        }
    }

    /// <summary>Releases the lease of one MAC (an interface detached from the definition).</summary>
    public void ReleaseMac(Guid domain, string mac)
    {
        lock (_sync)
        {
            foreach (var (network, leases) in _byNetwork)
            {
                if (leases.RemoveAll(l => l.Domain == domain && string.Equals(l.Mac, mac, StringComparison.OrdinalIgnoreCase)) > 0)
                {
                    Save(network, leases);
                }
            }
        }
    }

    /// <summary>Releases every lease <paramref name="release"/> selects; returns how many.</summary>
    public int ReleaseWhere(Func<DhcpLeaseInfo, bool> release)
    {
        var count = 0;
        lock (_sync)
        {
            foreach (var (network, leases) in _byNetwork)
            {
                var removed = leases.RemoveAll(l => release(l));
                if (removed > 0)
                {
                    count += removed;
                    Save(network, leases);
                }
            }
        }

        return count;
    }

    /// <summary>Forgets the leases of a network that is undefined.</summary>
    public void DropNetwork(string network)
    {
        lock (_sync)
        {
            if (_byNetwork.Remove(network))
            {
                StateDirectory.Delete(Path.Combine(_dir, network + ".json"));
            }
        }
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

    private void Save(string network, List<DhcpLeaseInfo> leases) =>
        StateDirectory.WriteAtomic(Path.Combine(_dir, network + ".json"), JsonSerializer.Serialize(leases, Json));

    private static bool InRanges(NetworkIp ip, IPAddress address)
    {
        var value = ToNumber(address);
        return ip.Ranges.Any(r => ToNumber(r.Start) <= value && value <= ToNumber(r.End));
    }

    private static string? FirstFree(NetworkIp ip, HashSet<string> reserved)
    {
        foreach (var range in ip.Ranges)
        {
            var end = ToNumber(range.End);
            for (var value = ToNumber(range.Start); value <= end; value++)
            {
                var address = FromNumber(value, range.Start.AddressFamily).ToString();
                if (!reserved.Contains(address))
                {
                    return address;
                }
            }
        }

        return null;
    }

    private static BigInteger ToNumber(IPAddress address) => new(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true);

    private static IPAddress FromNumber(BigInteger value, System.Net.Sockets.AddressFamily family)
    {
        var length = family == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 16;
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var full = new byte[length];
        bytes.CopyTo(full, length - bytes.Length);
        return new IPAddress(full);
    }
}
