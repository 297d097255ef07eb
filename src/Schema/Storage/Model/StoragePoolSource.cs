using Reconciler.Schema.Model;

namespace Reconciler.Schema.Storage.Model;

/// <summary>
/// A pool's &lt;source&gt; (virStoragePoolSource). <see cref="Format"/> is the name of the source format for
/// the pool types that have one; <see cref="Name"/> is the source name (a volume group, an RBD pool ...).
/// </summary>
public sealed record StoragePoolSource(
    ValueList<StoragePoolHost> Hosts,
    ValueList<StoragePoolDevice> Devices,
    string? Dir,
    StorageAdapter? Adapter,
    string? Name,
    string? Format,
    StorageAuth? Auth,
    string? InitiatorIqn,
    string? ProtocolVersion,
    string? Vendor,
    string? Product)
{
    public static readonly StoragePoolSource Empty = new(
        ValueList<StoragePoolHost>.Empty, ValueList<StoragePoolDevice>.Empty, null, null, null, null, null, null, null, null, null);
}

/// <summary>A source &lt;host&gt;: its name and port (null when libvirt has 0, which it does not write).</summary>
public sealed record StoragePoolHost(string Name, int? Port);

/// <summary>A source &lt;device&gt;: its path and the disk pool's part_separator (null when absent).</summary>
public sealed record StoragePoolDevice(string Path, bool? PartSeparator);
