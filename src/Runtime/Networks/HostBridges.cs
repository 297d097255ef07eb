using System.Globalization;
using System.Text;

namespace Reconciler.Runtime.Networks;

/// <summary>A bridge of the host and the ports on it, as <c>brctl show</c> and <c>ip addr</c> show them.</summary>
public sealed record BridgeInfo(string Name, string Id, bool Stp, ulong Delay, string? Mac, IReadOnlyList<string> Addresses, IReadOnlyList<string> Interfaces, bool Managed);

/// <summary>A tap (or macvtap) device of a running domain's interface.</summary>
public sealed record TapInfo(string Name, string Mac, string Domain, string? Bridge, string? Network);

/// <summary>
/// A forwarding-database entry of a bridge (<c>bridge fdb show</c>): a MAC the bridge learned on a port,
/// from a guest's own traffic or from the announcements (RARP) it sends after an incoming migration.
/// </summary>
public sealed record FdbEntry(string Bridge, string Mac, string Port, int Announcements, DateTimeOffset Learned);

/// <summary>
/// The host's bridges and tap devices, modelled in process: bridges the host declares (for forward
/// mode='bridge' networks and type='bridge' interfaces) and those networks create (virbrN), with the taps
/// of running domains on them. Thread-safe.
/// </summary>
internal sealed class HostBridges
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Bridge> _bridges = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TapInfo> _taps = new(StringComparer.Ordinal);

    // The taps of each network by MAC (lower case), so that a start checks its MACs without a scan of every tap.
    private readonly Dictionary<(string Network, string Mac), List<string>> _byNetworkMac = [];
    private int _nextVnet;
    private int _nextMacvtap;

    public HostBridges(IEnumerable<string> declared)
    {
        foreach (var name in declared)
        {
            _bridges[name] = new Bridge(name, Managed: false) { Stp = false };
        }
    }

    /// <summary>Whether a network device of this name exists on the host (a bridge or a tap).</summary>
    public bool DeviceExists(string name)
    {
        lock (_sync)
        {
            return _bridges.ContainsKey(name) || _taps.ContainsKey(name);
        }
    }

    public bool BridgeExists(string name)
    {
        lock (_sync)
        {
            return _bridges.ContainsKey(name);
        }
    }

    /// <summary>Creates a network's bridge (virNetDevBridgeCreate), refused when a device has the name already.</summary>
    public void Create(string name, bool stp, ulong delay, string? mac, IEnumerable<string> addresses)
    {
        lock (_sync)
        {
            if (_bridges.ContainsKey(name) || _taps.ContainsKey(name))
            {
                throw new RuntimeException(Schema.Diagnostics.ErrorCode.SystemError, $"Unable to create bridge {name}: File exists");
            }

            var bridge = new Bridge(name, Managed: true) { Stp = stp, Delay = delay, Mac = mac };
            bridge.Addresses.AddRange(addresses);
            _bridges[name] = bridge;
        }
    }

    /// <summary>Deletes a network's bridge and detaches whatever was still on it.</summary>
    public void Delete(string name)
    {
        lock (_sync)
        {
            if (_bridges.TryGetValue(name, out var bridge) && bridge.Managed)
            {
                _bridges.Remove(name);
                foreach (var port in bridge.Ports)
                {
                    if (_taps.TryGetValue(port, out var tap))
                    {
                        _taps[port] = tap with { Bridge = null };
                    }
                }
            }
        }
    }

    /// <summary>
    /// Creates a tap for an interface and attaches it to <paramref name="bridge"/> (none for ethernet and
    /// direct interfaces): the requested name when it is free and not of the automatic kind, else the
    /// first free vnetN (macvtapN for direct interfaces).
    /// </summary>
    public TapInfo AddTap(string domain, string mac, string? bridge, string? network, bool macvtap, string? requested)
    {
        lock (_sync)
        {
            string name;
            if (requested is not null && !requested.StartsWith("vnet", StringComparison.Ordinal) &&
                !requested.StartsWith("macvtap", StringComparison.Ordinal) && !_taps.ContainsKey(requested) && !_bridges.ContainsKey(requested))
            {
                name = requested;
            }
            else
            {
                do
                {
                    name = macvtap
                        ? "macvtap" + (_nextMacvtap++).ToString(CultureInfo.InvariantCulture)
                        : "vnet" + (_nextVnet++).ToString(CultureInfo.InvariantCulture);
                }
                while (_taps.ContainsKey(name) || _bridges.ContainsKey(name));
            }

            if (bridge is not null && !_bridges.ContainsKey(bridge))
            {
                throw new RuntimeException(Schema.Diagnostics.ErrorCode.SystemError, $"Cannot get interface MTU on '{bridge}': No such device");
            }

            var tap = new TapInfo(name, mac, domain, bridge, network);
            _taps[name] = tap;
            if (network is not null)
            {
                var key = (network, mac.ToLowerInvariant());
                if (!_byNetworkMac.TryGetValue(key, out var names))
                {
                    _byNetworkMac[key] = names = [];
                }

                names.Add(name);
            }
            if (bridge is not null)
            {
                _bridges[bridge].Ports.Add(name);
            }

            return tap;
        }
    }

    public void RemoveTap(string name)
    {
        lock (_sync)
        {
            if (!_taps.Remove(name, out var tap))
            {
                return;
            }

            if (tap.Network is { } network && _byNetworkMac.TryGetValue((network, tap.Mac.ToLowerInvariant()), out var names))
            {
                names.Remove(name);
                if (names.Count == 0)
                {
                    _byNetworkMac.Remove((network, tap.Mac.ToLowerInvariant()));
                }
            }

            if (tap.Bridge is { } bridge && _bridges.TryGetValue(bridge, out var b))
            {
                b.Ports.Remove(name);
                b.Fdb.Remove(tap.Mac);
            }
        }
    }

    /// <summary>
    /// QEMU's self-announcement after an incoming migration: <paramref name="rounds"/> RARP frames from the
    /// tap's MAC, so that the bridge (and the switches behind it) learn at once where the guest now is.
    /// Returns the bridge that learned it, or null for a tap on no bridge.
    /// </summary>
    public string? Announce(string tapName, int rounds)
    {
        lock (_sync)
        {
            if (!_taps.TryGetValue(tapName, out var tap) || tap.Bridge is not { } bridge || !_bridges.TryGetValue(bridge, out var b))
            {
                return null;
            }

            var count = b.Fdb.TryGetValue(tap.Mac, out var old) && old.Port == tapName ? old.Announcements : 0;
            b.Fdb[tap.Mac] = new FdbEntry(bridge, tap.Mac, tapName, count + rounds, DateTimeOffset.UtcNow);
            return bridge;
        }
    }

    /// <summary>The forwarding databases of every bridge, as <c>bridge fdb show</c> lists them.</summary>
    public IReadOnlyList<FdbEntry> ForwardingDatabase()
    {
        lock (_sync)
        {
            return [.. _bridges.Values.OrderBy(b => b.Name, StringComparer.Ordinal)
                .SelectMany(b => b.Fdb.Values.OrderBy(e => e.Mac, StringComparer.OrdinalIgnoreCase))];
        }
    }

    /// <summary>The tap with <paramref name="mac"/> on <paramref name="network"/>, if any (without copying every tap).</summary>
    public TapInfo? TapWith(string network, string mac)
    {
        lock (_sync)
        {
            return _byNetworkMac.TryGetValue((network, mac.ToLowerInvariant()), out var names) ? _taps[names[0]] : null;
        }
    }

    public IReadOnlyList<TapInfo> Taps()
    {
        lock (_sync)
        {
            return [.. _taps.Values.OrderBy(t => t.Name, StringComparer.Ordinal)];
        }
    }

    public IReadOnlyList<BridgeInfo> List()
    {
        lock (_sync)
        {
            return [.. _bridges.Values.OrderBy(b => b.Name, StringComparer.Ordinal).Select(b => new BridgeInfo(
                b.Name,
                "8000." + (b.Mac ?? "00:00:00:00:00:00").Replace(":", string.Empty, StringComparison.Ordinal),
                b.Stp,
                b.Delay,
                b.Mac,
                [.. b.Addresses],
                [.. b.Ports.Order(StringComparer.Ordinal)],
                b.Managed))];
        }
    }

    /// <summary>The table <c>brctl show</c> prints.</summary>
    public string FormatBrctlShow()
    {
        var sb = new StringBuilder("bridge name\tbridge id\t\tSTP enabled\tinterfaces\n");
        foreach (var b in List())
        {
            sb.Append(b.Name).Append("\t\t").Append(b.Id).Append('\t').Append(b.Stp ? "yes" : "no").Append("\t\t");
            sb.Append(b.Interfaces.Count > 0 ? b.Interfaces[0] : string.Empty).Append('\n');
            foreach (var port in b.Interfaces.Skip(1))
            {
                sb.Append("\t\t\t\t\t\t\t").Append(port).Append('\n');
            }
        }

        return sb.ToString();
    }

    private sealed record Bridge(string Name, bool Managed)
    {
        public bool Stp { get; set; }

        public ulong Delay { get; set; }

        public string? Mac { get; set; }

        public List<string> Addresses { get; } = [];

        public HashSet<string> Ports { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, FdbEntry> Fdb { get; } = new(StringComparer.OrdinalIgnoreCase);
    }
}
