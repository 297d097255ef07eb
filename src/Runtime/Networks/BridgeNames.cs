using System.Globalization;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Model;

namespace Reconciler.Runtime.Networks;

/// <summary>
/// How libvirt's network driver names the bridge of a network that does not name one
/// (networkBridgeNameValidate and networkFindUnusedBridgeName in bridge_driver.c).
/// </summary>
public static class BridgeNames
{
    /// <summary>The template libvirt uses when the network gives none of its own.</summary>
    public const string DefaultTemplate = "virbr%d";

    /// <summary>The highest number libvirt tries (MAX_BRIDGE_ID).</summary>
    public const int MaxId = 256;

    /// <summary>
    /// Whether libvirt picks the bridge name itself: only for the modes in which it manages the bridge, when
    /// the network names none or gives a template with "%d".
    /// </summary>
    public static bool NeedsName(NetworkDefinition network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.Forward.HasBridge && (network.Bridge?.Name is not { } name || name.Contains("%d", StringComparison.Ordinal));
    }

    /// <summary>
    /// The first name of the template not in use: the network's own name when it has exactly one '%' and
    /// that is "%d", else <see cref="DefaultTemplate"/>, with 0, 1, ... up to <see cref="MaxId"/>.
    /// <paramref name="inUse"/> says whether another network or a host device already has a name. When all
    /// are taken, a <see cref="RuntimeException"/> with libvirt's message.
    /// </summary>
    public static string Allocate(string? requested, Func<string, bool> inUse)
    {
        ArgumentNullException.ThrowIfNull(inUse);
        var template = DefaultTemplate;
        if (requested is not null)
        {
            var first = requested.IndexOf('%', StringComparison.Ordinal);
            if (first >= 0 && first == requested.LastIndexOf('%') && first + 1 < requested.Length && requested[first + 1] == 'd')
            {
                template = requested;
            }
        }

        for (var id = 0; id <= MaxId; id++)
        {
            var name = template.Replace("%d", id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
            if (!inUse(name))
            {
                return name;
            }
        }

        throw new RuntimeException(ErrorCode.InternalError, $"Bridge generation exceeded max id {MaxId}");
    }

    /// <summary>The network with <paramref name="name"/> as its bridge (a new &lt;bridge&gt; when it had none).</summary>
    public static NetworkDefinition WithBridgeName(NetworkDefinition network, string name)
    {
        ArgumentNullException.ThrowIfNull(network);
        var bridge = network.Bridge is { } b ? b with { Name = name } : new NetworkBridge(name, null, true, 0, null);
        return network with { Bridge = bridge };
    }
}
