using System.Net;
using Reconciler.Schema.Model;

namespace Reconciler.Schema.Networks.Model;

/// <summary>The network's DNS server settings and records (&lt;dns&gt;).</summary>
public sealed record NetworkDns(
    bool? Enable,
    bool? ForwardPlainNames,
    ValueList<DnsForwarder> Forwarders,
    ValueList<DnsTxt> Txts,
    ValueList<DnsSrv> Srvs,
    ValueList<DnsHost> Hosts);

/// <summary>An upstream server, for all names or only those of a domain.</summary>
public sealed record DnsForwarder(string? Domain, IPAddress? Address);

public sealed record DnsTxt(string Name, string Value);

/// <summary>An SRV record; port, priority and weight are null when libvirt does not keep them (unset or 0).</summary>
public sealed record DnsSrv(string Service, string Protocol, string? Domain, string? Target, uint? Port, uint? Priority, uint? Weight);

public sealed record DnsHost(IPAddress Ip, ValueList<string> Hostnames);
