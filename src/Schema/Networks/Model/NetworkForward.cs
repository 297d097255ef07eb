using System.Net;
using Reconciler.Schema.Model;

namespace Reconciler.Schema.Networks.Model;

/// <summary>
/// How the network reaches the outside (&lt;forward&gt;): the mode ("none" without a &lt;forward&gt; element,
/// "nat" for one without a mode), the pool of host interfaces or PCI devices, the physical function, and NAT
/// settings. <see cref="Managed"/> and <see cref="Driver"/> only matter in hostdev mode.
/// </summary>
public sealed record NetworkForward(
    string Mode,
    bool Managed,
    string? Driver,
    ValueList<string> Interfaces,
    ValueList<PciAddress> Addresses,
    string? Pf,
    NetworkNat? Nat)
{
    public static readonly NetworkForward None = new("none", false, null, ValueList<string>.Empty, ValueList<PciAddress>.Empty, null, null);

    /// <summary>The forward device (&lt;forward dev=...&gt;): the first interface, unless there is a physical function.</summary>
    public string? Dev => Pf is null && Interfaces.Count > 0 ? Interfaces[0] : null;

    /// <summary>Modes in which libvirt creates and manages a bridge of its own (none, nat, route, open).</summary>
    public bool HasBridge => Mode is "none" or "nat" or "route" or "open";
}

/// <summary>A host PCI device of a hostdev network's pool.</summary>
public sealed record PciAddress(uint Domain, uint Bus, uint Slot, uint Function)
{
    public override string ToString() => $"{Domain:x4}:{Bus:x2}:{Slot:x2}.{Function:x}";
}

/// <summary>NAT settings: the IPv4 range for SNAT, the port range, and whether IPv6 is masqueraded too.</summary>
public sealed record NetworkNat(IPAddress? Start, IPAddress? End, NatPortRange? Ports, bool? Ipv6);

public sealed record NatPortRange(uint Start, uint End);
