using Reconciler.Schema.Model;

namespace Reconciler.Schema.Storage.Model;

/// <summary>
/// A volume's &lt;target&gt;: path, format (null for pool types without volume formats), permissions,
/// encryption, qcow2 compat level, cluster size in bytes (0: not set), features (null: no &lt;features&gt;
/// element) and nocow. libvirt uses nocow when it creates the volume but does not write it back, so it is
/// true only for a definition read from a spec that asks for it.
/// </summary>
public sealed record StorageVolumeTarget(
    string? Path,
    string? Format,
    StoragePermissions Permissions,
    StorageEncryption? Encryption,
    string? Compat,
    ulong ClusterSize,
    ValueList<string>? Features,
    bool Nocow);

/// <summary>A volume's &lt;backingStore&gt;: the backing image's path, format and permissions.</summary>
public sealed record StorageVolumeBackingStore(string Path, string? Format, StoragePermissions Permissions);
