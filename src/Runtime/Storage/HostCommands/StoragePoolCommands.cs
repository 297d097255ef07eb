using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>
/// The commands libvirt 9.0.0's storage backends run on a Linux host to build, start, stop and delete a pool
/// (src/storage/storage_backend_*.c and storage_util.c), in the order they run them. Pure: what the host
/// looks like comes in through <see cref="StorageHostOptions"/>.
/// <para>
/// The commands are what libvirt runs to change the pool's state, not the probes it runs first to decide
/// whether to (the mount table, iscsiadm sessions, vgscan/pvs, blkid): <see cref="Start"/> assumes the pool
/// is not active yet, <see cref="Stop"/> that it is, and a build with <see cref="PoolBuildMode.NoOverwrite"/>
/// that the devices are empty. Work libvirt does itself (creating the target directory, zeroing partition
/// tables, sysfs writes for vHBAs, talking to librados, libgfapi, libiscsi or device-mapper) is no command,
/// so pool types that only do such work have none (dir, scsi, mpath, rbd, gluster, iscsi-direct, sheepdog).
/// </para>
/// A pool libvirt refuses to run its command for is a <see cref="RuntimeException"/> with libvirt's message.
/// </summary>
public static class StoragePoolCommands
{
    /// <summary>
    /// The commands that start the pool (the backend's startPool): <c>mount</c> for fs and netfs pools,
    /// <c>vgchange -aly</c> for logical ones, <c>iscsiadm</c> node setup and login for iscsi ones and
    /// <c>vstorage-mount</c> for vstorage ones. <paramref name="mountOptions"/> are the pool's
    /// &lt;fs:mount_opts&gt; (see Reconciler.Schema.Storage.FsMountXmlNamespace), added to the mount options.
    /// </summary>
    public static IReadOnlyList<HostCommand> Start(
        StoragePoolDefinition pool, StorageHostOptions? options = null, IReadOnlyList<string>? mountOptions = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        options ??= StorageHostOptions.Default;
        return pool.Type switch
        {
            "dir" or "fs" or "netfs" => FileSystemPoolCommands.Start(pool, options, mountOptions ?? []),
            "logical" => LogicalPoolCommands.Start(pool, options),
            "iscsi" => IscsiPoolCommands.Start(pool, options),
            "vstorage" => VstoragePoolCommands.Start(pool, options),
            _ => [],
        };
    }

    /// <summary>
    /// The commands that stop the pool (the backend's stopPool): <c>umount</c> for fs, netfs and vstorage
    /// pools, <c>vgchange -aln</c> for logical ones and the <c>iscsiadm</c> logout for iscsi ones.
    /// </summary>
    public static IReadOnlyList<HostCommand> Stop(StoragePoolDefinition pool, StorageHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        options ??= StorageHostOptions.Default;
        return pool.Type switch
        {
            "dir" or "fs" or "netfs" => FileSystemPoolCommands.Stop(pool, options),
            "logical" => LogicalPoolCommands.Stop(pool, options),
            "iscsi" => IscsiPoolCommands.Stop(pool, options),
            "vstorage" => VstoragePoolCommands.Stop(pool, options),
            _ => [],
        };
    }

    /// <summary>
    /// The commands that build the pool (the backend's buildPool): <c>mkfs</c> for fs pools built with a mode
    /// (a dir, fs or netfs pool otherwise only gets its target directory), <c>pvcreate</c> and
    /// <c>vgcreate</c> for logical pools, <c>parted mklabel</c> for disk pools and <c>zpool create</c> (or
    /// <c>zfs create</c> for a dataset) for zfs pools.
    /// </summary>
    public static IReadOnlyList<HostCommand> Build(
        StoragePoolDefinition pool, PoolBuildMode mode = PoolBuildMode.Default, StorageHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        options ??= StorageHostOptions.Default;
        return pool.Type switch
        {
            "dir" or "fs" or "netfs" => FileSystemPoolCommands.Build(pool, mode, options),
            "logical" => LogicalPoolCommands.Build(pool, options),
            "disk" => DiskPoolCommands.Build(pool, options),
            "zfs" => ZfsPoolCommands.Build(pool, options),
            _ => [],
        };
    }

    /// <summary>
    /// The commands that delete the pool's storage (the backend's deletePool): <c>vgremove</c> and
    /// <c>pvremove</c> for logical pools and <c>zpool destroy</c> (or <c>zfs destroy -r</c>) for zfs pools;
    /// the other backends remove the target directory or zero the partition table themselves.
    /// </summary>
    public static IReadOnlyList<HostCommand> Delete(StoragePoolDefinition pool, StorageHostOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pool);
        options ??= StorageHostOptions.Default;
        return pool.Type switch
        {
            "logical" => LogicalPoolCommands.Delete(pool, options),
            "zfs" => ZfsPoolCommands.Delete(pool, options),
            _ => [],
        };
    }

    /// <summary>
    /// What an fs or netfs pool mounts (virStorageBackendFileSystemGetPoolSource): the device, HOST:DIR, or
    /// //HOST/DIR for cifs; how the mount table names it when the pool is active.
    /// </summary>
    public static string MountSource(StoragePoolDefinition pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        return FileSystemPoolCommands.MountSource(pool);
    }
}
