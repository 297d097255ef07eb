namespace Reconciler.Schema;

/// <summary>The four kinds of libvirt object a spec file can define; the root element says which.</summary>
public enum SpecKind
{
    Domain,
    Network,
    StoragePool,
    StorageVolume,
}

public static class SpecKinds
{
    /// <summary>The short name used by the CLI and in JSON: domain, network, pool, volume.</summary>
    public static string Name(this SpecKind kind) => kind switch
    {
        SpecKind.Domain => "domain",
        SpecKind.Network => "network",
        SpecKind.StoragePool => "pool",
        SpecKind.StorageVolume => "volume",
        _ => "unknown",
    };

    /// <summary>The root element libvirt expects for a kind.</summary>
    public static string RootElement(this SpecKind kind) => kind switch
    {
        SpecKind.Domain => "domain",
        SpecKind.Network => "network",
        SpecKind.StoragePool => "pool",
        _ => "volume",
    };

    public static SpecKind? FromRootElement(string localName) => localName switch
    {
        "domain" => SpecKind.Domain,
        "network" => SpecKind.Network,
        "pool" => SpecKind.StoragePool,
        "volume" => SpecKind.StorageVolume,
        _ => null,
    };
}
