namespace Reconciler.Schema.Networks.Model;

/// <summary>The host bridge: its name and firewalld zone, spanning tree settings and who manages its MAC table.</summary>
public sealed record NetworkBridge(string? Name, string? Zone, bool Stp, ulong Delay, string? MacTableManager);

/// <summary>The DNS domain of the network; <see cref="LocalOnly"/> keeps its queries from being forwarded.</summary>
public sealed record NetworkDomain(string Name, bool? LocalOnly);
