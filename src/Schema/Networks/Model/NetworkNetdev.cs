using Reconciler.Schema.Model;

namespace Reconciler.Schema.Networks.Model;

/// <summary>
/// A &lt;virtualport&gt; profile with the parameters libvirt keeps for its type (a null type is "none", only
/// allowed in a port group).
/// </summary>
public sealed record NetworkVirtualPort(
    string? Type,
    uint? ManagerId,
    uint? TypeId,
    uint? TypeIdVersion,
    Guid? InstanceId,
    Guid? InterfaceId,
    string? ProfileId);

/// <summary>Traffic shaping (&lt;bandwidth&gt;); a direction is null when libvirt does not keep it.</summary>
public sealed record NetworkBandwidth(BandwidthRate? Inbound, BandwidthRate? Outbound);

/// <summary>Rates in kilobytes per second and burst in kilobytes; each null when not set (or 0).</summary>
public sealed record BandwidthRate(ulong? Average, ulong? Peak, ulong? Floor, ulong? Burst);

/// <summary>VLAN tagging: the tags, whether the port is a trunk, and the native VLAN's mode on its tag.</summary>
public sealed record NetworkVlan(bool Trunk, ValueList<VlanTag> Tags);

public sealed record VlanTag(uint Id, string? NativeMode);
