using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Model;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>
/// A network document while libvirt's parser (virNetworkDefParseXML) goes through it: the root, and what
/// each step has read so far (the fields of virNetworkDef). Each step of <see cref="NetworkParser"/> fills
/// its part; <see cref="ToDefinition"/> gives the definition as libvirt keeps it.
/// </summary>
internal sealed class NetworkXml(XElement root)
{
    public XElement Root { get; } = root;

    public string Name { get; set; } = string.Empty;

    /// <summary>The UUID as written; null when the definition leaves it out (libvirt then generates one).</summary>
    public Guid? Uuid { get; set; }

    public bool Ipv6WithoutGateway { get; set; }

    public bool? TrustGuestRxFilters { get; set; }

    public NetworkDomain? Domain { get; set; }

    public NetworkBandwidth? Bandwidth { get; set; }

    public NetworkVlan? Vlan { get; set; }

    public bool? IsolatedPort { get; set; }

    public string? BridgeName { get; set; }

    public string? BridgeZone { get; set; }

    /// <summary>The stp attribute as written (libvirt only refuses it being there in some modes).</summary>
    public string? Stp { get; set; }

    public ulong Delay { get; set; }

    public string? MacTableManager { get; set; }

    public string? Mac { get; set; }

    public uint Mtu { get; set; }

    public NetworkDns? Dns { get; set; }

    public NetworkVirtualPort? VirtualPort { get; set; }

    public List<NetworkPortGroup> PortGroups { get; } = [];

    public List<NetworkIp> Ips { get; } = [];

    public List<NetworkRoute> Routes { get; } = [];

    public NetworkForward Forward { get; set; } = NetworkForward.None;

    /// <summary>The number of forward devices (virNetworkForwardDef.nifs): interfaces or PCI addresses.</summary>
    public int ForwardIfCount => Forward.Interfaces.Count + Forward.Addresses.Count;

    public XElement? Metadata { get; set; }

    /// <summary>The definition as libvirt keeps it: only what its formatter writes back.</summary>
    public NetworkDefinition ToDefinition(Guid uuid)
    {
        var forward = Forward;
        var bridge = forward.HasBridge || BridgeName is not null || MacTableManager is not null
            ? new NetworkBridge(BridgeName, BridgeZone, Stp != "off", Delay, MacTableManager)
            : null;
        return new NetworkDefinition(
            Root,
            Name,
            uuid,
            Ipv6WithoutGateway,
            TrustGuestRxFilters,
            forward,
            bridge,
            Mtu == 0 ? null : Mtu,
            Mac,
            Domain,
            Dns,
            Vlan,
            Bandwidth,
            IsolatedPort,
            Ips.ToValueList(),
            Routes.ToValueList(),
            VirtualPort,
            PortGroups.ToValueList());
    }
}
