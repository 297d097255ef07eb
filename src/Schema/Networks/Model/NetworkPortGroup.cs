namespace Reconciler.Schema.Networks.Model;

/// <summary>A named set of connection settings guests can ask for (&lt;portgroup&gt;).</summary>
public sealed record NetworkPortGroup(
    string Name,
    bool IsDefault,
    bool? TrustGuestRxFilters,
    NetworkVlan? Vlan,
    NetworkVirtualPort? VirtualPort,
    NetworkBandwidth? Bandwidth);
