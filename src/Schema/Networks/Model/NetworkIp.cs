using System.Net;
using Reconciler.Schema.Model;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Schema.Networks.Model;

/// <summary>
/// An address of the network's bridge (&lt;ip&gt;) with its DHCP service. <see cref="Family"/> is the family
/// as written (null when left out); <see cref="IpFamily"/> is the address's own.
/// </summary>
public sealed record NetworkIp(
    string? Family,
    IPAddress Address,
    IPAddress? Netmask,
    uint? Prefix,
    bool? LocalPtr,
    string? TftpRoot,
    ValueList<DhcpRange> Ranges,
    ValueList<DhcpHost> Hosts,
    DhcpBootp? Bootp)
{
    /// <summary>"ipv4" or "ipv6".</summary>
    public string IpFamily => AddressMath.IsIPv6(Address) ? "ipv6" : "ipv4";

    /// <summary>The prefix length in effect (virNetworkIPDefPrefix): the prefix, the netmask's, or the address class's; -1 when there is none.</summary>
    public int PrefixLength => AddressMath.GetIpPrefix(Address, Netmask, Prefix ?? 0);

    /// <summary>Whether the network runs a DHCP service on this address.</summary>
    public bool HasDhcp => Ranges.Count > 0 || Hosts.Count > 0;
}

public sealed record DhcpRange(IPAddress Start, IPAddress End, DhcpLease? Lease);

/// <summary>A static DHCP host; the MAC address, id and name are kept as written.</summary>
public sealed record DhcpHost(string? Mac, string? Id, string? Name, IPAddress? Ip, DhcpLease? Lease);

/// <summary>A lease time; an expiry of 0 means an infinite lease (and has no unit).</summary>
public sealed record DhcpLease(ulong Expiry, string? Unit)
{
    public bool IsInfinite => Expiry == 0;
}

/// <summary>The PXE boot file and server given to DHCP clients (IPv4 only).</summary>
public sealed record DhcpBootp(string File, IPAddress? Server);
