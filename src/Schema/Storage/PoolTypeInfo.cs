using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage;

/// <summary>
/// What libvirt 9.0.0 knows about one pool type (poolTypeInfo in storage_conf.c): the source parts it
/// uses, the source formats with their default, and the formats of the volumes it holds.
/// </summary>
internal sealed record PoolTypeInfo(
    string Type,
    PoolSourceFlags Flags,
    VirEnum? PoolFormats = null,
    int DefaultPoolFormat = 0,
    VirEnum? VolumeFormats = null,
    int DefaultVolumeFormat = 0,
    bool VolumeFormatNoneInvalid = false)
{
    private static readonly PoolTypeInfo[] Table =
    [
        new("logical", PoolSourceFlags.Name | PoolSourceFlags.Device, StorageEnums.PoolFormatLogical, 1),
        new("dir", PoolSourceFlags.None, VolumeFormats: StorageEnums.FileFormat, DefaultVolumeFormat: 1, VolumeFormatNoneInvalid: true),
        new("fs", PoolSourceFlags.Device, StorageEnums.PoolFormatFileSystem, 0, StorageEnums.FileFormat, 1, true),
        new("netfs", PoolSourceFlags.Host | PoolSourceFlags.Dir, StorageEnums.PoolFormatFileSystemNet, 0, StorageEnums.FileFormat, 1, true),
        new("iscsi", PoolSourceFlags.Host | PoolSourceFlags.Device | PoolSourceFlags.InitiatorIqn),
        new("iscsi-direct", PoolSourceFlags.Host | PoolSourceFlags.Device | PoolSourceFlags.Network | PoolSourceFlags.InitiatorIqn),
        new("scsi", PoolSourceFlags.Adapter),
        new("rbd", PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name,
            VolumeFormats: StorageEnums.FileFormat, DefaultVolumeFormat: 1, VolumeFormatNoneInvalid: true),
        new("sheepdog", PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name),
        new("gluster", PoolSourceFlags.Host | PoolSourceFlags.Network | PoolSourceFlags.Name | PoolSourceFlags.Dir,
            VolumeFormats: StorageEnums.FileFormat, DefaultVolumeFormat: 1, VolumeFormatNoneInvalid: true),
        new("mpath", PoolSourceFlags.None),
        new("disk", PoolSourceFlags.Device, StorageEnums.PoolFormatDisk, 0, StorageEnums.VolumeFormatDisk, 0),
        new("zfs", PoolSourceFlags.Name | PoolSourceFlags.Device),
        new("vstorage", PoolSourceFlags.Name, VolumeFormats: StorageEnums.FileFormat, DefaultVolumeFormat: 1, VolumeFormatNoneInvalid: true),
    ];

    /// <summary>The pool libvirt's test driver creates volumes in ('default-pool') is a dir pool.</summary>
    public static PoolTypeInfo TestDriverDefaultPool { get; } = Find("dir")!;

    public static PoolTypeInfo? Find(string? type) => Array.Find(Table, t => t.Type == type);

    public bool Has(PoolSourceFlags flag) => (Flags & flag) != 0;

    /// <summary>RBD, Sheepdog, Gluster and iSCSI-direct pools are not local, so they have no target.</summary>
    public bool HasTarget => Type is not ("rbd" or "sheepdog" or "gluster" or "iscsi-direct");

    /// <summary>The volume format parser of this pool type: the index, or -1 when the name is unknown.</summary>
    public int VolumeFormatFromString(string name)
    {
        var value = VolumeFormats?.FromString(name) ?? -1;
        return VolumeFormatNoneInvalid && value == 0 ? -1 : value;
    }
}
