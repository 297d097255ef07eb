using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Parsing;

namespace Reconciler.Schema.Networks.Model;

/// <summary>
/// A virtual network as libvirt 9.0.0 holds it (virNetworkDef), read from its effective XML (what
/// <c>virsh net-dumpxml</c> shows), which it keeps in <see cref="Xml"/> so that nothing is lost. It holds
/// what libvirt's formatter writes back, so it compares by value across a round trip (compare two
/// definitions with <c>a with { Xml = b.Xml }</c> when only their content matters).
/// </summary>
public sealed record NetworkDefinition(
    XElement Xml,
    string Name,
    Guid Uuid,
    bool Ipv6WithoutGateway,
    bool? TrustGuestRxFilters,
    NetworkForward Forward,
    NetworkBridge? Bridge,
    uint? Mtu,
    string? Mac,
    NetworkDomain? Domain,
    NetworkDns? Dns,
    NetworkVlan? Vlan,
    NetworkBandwidth? Bandwidth,
    bool? IsolatedPort,
    ValueList<NetworkIp> Ips,
    ValueList<NetworkRoute> Routes,
    NetworkVirtualPort? VirtualPort,
    ValueList<NetworkPortGroup> PortGroups)
{
    /// <summary>
    /// Reads an effective network definition (one that passed validation). It is read the way libvirt reads
    /// it; a definition libvirt would refuse is an <see cref="ArgumentException"/> with libvirt's message.
    /// </summary>
    public static NetworkDefinition FromXml(XElement network)
    {
        var state = NetworkParser.Parse(network, out var fault);
        if (state is null)
        {
            throw new ArgumentException(fault!.Code.Format(fault.Detail), nameof(network));
        }

        return state.ToDefinition(state.Uuid ?? Guid.Empty);
    }

    /// <summary>The network of a valid spec document.</summary>
    public static NetworkDefinition FromDocument(SpecDocument document) =>
        document is { Kind: SpecKind.Network, Effective: { } xml }
            ? FromXml(xml)
            : throw new InvalidOperationException($"{document.Path} is not a valid network");

    /// <summary>The IP definitions of one family ("ipv4" or "ipv6").</summary>
    public IEnumerable<NetworkIp> IpsOf(string family) => Ips.Where(ip => ip.IpFamily == family);
}
