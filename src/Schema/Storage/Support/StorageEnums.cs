namespace Reconciler.Schema.Storage.Support;

/// <summary>The VIR_ENUMs of libvirt 9.0.0's storage configuration (storage_conf.c, storage_source_conf.c ...).</summary>
internal static class StorageEnums
{
    /// <summary>virStoragePool: the pool types.</summary>
    public static readonly VirEnum PoolType = new(
        "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd", "sheepdog",
        "gluster", "zfs", "vstorage");

    /// <summary>virStorageVol: the volume types.</summary>
    public static readonly VirEnum VolumeType = new("file", "block", "dir", "network", "netdir", "ploop");

    public static readonly VirEnum PoolFormatFileSystem = new(
        "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2", "vfat", "hfs+", "xfs", "ocfs2", "vmfs");

    public static readonly VirEnum PoolFormatFileSystemNet = new("auto", "nfs", "glusterfs", "cifs");

    public static readonly VirEnum PoolFormatDisk = new("unknown", "dos", "dvh", "gpt", "mac", "bsd", "pc98", "sun", "lvm2");

    public static readonly VirEnum PoolFormatLogical = new("unknown", "lvm2");

    /// <summary>virStorageVolFormatDisk: partition types of volumes in a disk pool.</summary>
    public static readonly VirEnum VolumeFormatDisk = new(
        "none", "linux", "fat16", "fat32", "linux-swap", "linux-lvm", "linux-raid", "extended");

    /// <summary>virStorageFileFormat: image formats.</summary>
    public static readonly VirEnum FileFormat = new(
        "none", "raw", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow", "qcow",
        "qcow2", "qed", "vmdk");

    /// <summary>virStorageFileFeature: qcow2 features.</summary>
    public static readonly VirEnum FileFeature = new("lazy_refcounts", "extended_l2");

    public static readonly VirEnum RefreshAllocation = new("default", "capacity");

    public static readonly VirEnum AuthType = new("none", "chap", "ceph");

    public static readonly VirEnum AdapterType = new("default", "scsi_host", "fc_host");

    public static readonly VirEnum TristateBool = new("absent", "yes", "no");

    public static readonly VirEnum TristateSwitch = new("absent", "on", "off");

    public static readonly VirEnum EncryptionFormat = new("default", "qcow", "luks", "luks2");

    public static readonly VirEnum EncryptionEngine = new("default", "qemu", "librbd");

    public static readonly VirEnum EncryptionSecretType = new("passphrase");
}
