using System.Net;

namespace Reconciler.Schema.Networks.Model;

/// <summary>A static route the host adds for the network (&lt;route&gt;); the family as written, null when left out.</summary>
public sealed record NetworkRoute(string? Family, IPAddress Address, IPAddress? Netmask, uint? Prefix, IPAddress Gateway, uint? Metric);
