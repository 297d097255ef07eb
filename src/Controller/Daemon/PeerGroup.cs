using System.Globalization;
using System.Net;
using Reconciler.Runtime;

namespace Reconciler.Controller.Daemon;

/// <summary>
/// The hosts this daemon shares its spec directory with: their names and migration listeners, and the
/// key the group authenticates with (read once at start; never logged or shown).
/// </summary>
public sealed class PeerGroup
{
    private readonly Dictionary<string, MigrationTarget> _peers;

    private PeerGroup(Dictionary<string, MigrationTarget> peers) => _peers = peers;

    /// <summary>No peers: a single host.</summary>
    public static readonly PeerGroup None = new(new Dictionary<string, MigrationTarget>(StringComparer.Ordinal));

    public bool Configured => _peers.Count > 0;

    public IEnumerable<string> Names => _peers.Keys.Order(StringComparer.Ordinal);

    public bool TryGet(string name, out MigrationTarget target) => _peers.TryGetValue(name, out target!);

    public static PeerGroup From(ControllerOptions options, byte[] key)
    {
        var peers = new Dictionary<string, MigrationTarget>(StringComparer.Ordinal);
        foreach (var peer in options.Peers)
        {
            if (TryParsePeer(peer, out var name, out var endpoint))
            {
                peers[name] = new MigrationTarget(endpoint.Host, endpoint.Port, key);
            }
        }

        return new PeerGroup(peers);
    }

    /// <summary>Reads NAME=ADDR:PORT.</summary>
    public static bool TryParsePeer(string text, out string name, out (string Host, int Port) endpoint)
    {
        endpoint = default;
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        name = eq > 0 ? text[..eq].Trim() : string.Empty;
        return eq > 0 && name.Length > 0 && TryParseEndpoint(text[(eq + 1)..].Trim(), out endpoint);
    }

    /// <summary>Reads ADDR:PORT (an IPv6 address in brackets).</summary>
    public static bool TryParseEndpoint(string text, out (string Host, int Port) endpoint)
    {
        endpoint = default;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 0 or > 65535)
        {
            return false;
        }

        var host = text[..colon].Trim('[', ']');
        if (host.Length == 0 || host.Any(char.IsWhiteSpace))
        {
            return false;
        }

        endpoint = (host, port);
        return true;
    }

    /// <summary>The address to listen on: an IP address, or a name resolved once.</summary>
    public static IPEndPoint ListenEndpoint(string text)
    {
        TryParseEndpoint(text, out var e);
        var address = IPAddress.TryParse(e.Host, out var ip) ? ip : Dns.GetHostAddresses(e.Host).First();
        return new IPEndPoint(address, e.Port);
    }
}
