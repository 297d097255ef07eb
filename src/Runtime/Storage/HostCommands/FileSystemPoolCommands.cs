using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>The dir, fs and netfs backends (storage_backend_fs.c and the mount helpers of storage_util.c).</summary>
internal static class FileSystemPoolCommands
{
    /// <summary>virStorageBackendFileSystemStart: mount the source on the target (nothing for a dir pool).</summary>
    public static IReadOnlyList<HostCommand> Start(StoragePoolDefinition pool, StorageHostOptions options, IReadOnlyList<string> mountOptions)
    {
        if (pool.Type == "dir")
        {
            return [];
        }

        CheckSource(pool);
        return [MountCommand(pool, options, mountOptions)];
    }

    /// <summary>virStorageBackendFileSystemStop: unmount the target (nothing for a dir pool).</summary>
    public static IReadOnlyList<HostCommand> Stop(StoragePoolDefinition pool, StorageHostOptions options)
    {
        if (pool.Type == "dir")
        {
            return [];
        }

        CheckSource(pool);
        return [new HostCommand(options.Tools.Umount, TargetPath(pool))];
    }

    /// <summary>
    /// virStorageBackendFileSystemBuild: the target directory (made by libvirt itself), and with a build mode
    /// a new file system on the source device (mkfs, forced for the types that need it).
    /// </summary>
    public static IReadOnlyList<HostCommand> Build(StoragePoolDefinition pool, PoolBuildMode mode, StorageHostOptions options)
    {
        if (mode == PoolBuildMode.Default)
        {
            return [];
        }

        if (pool.Source.Devices.Count == 0)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, $"No source device specified when formatting pool '{pool.Name}'");
        }

        var format = pool.Source.Format ?? "auto";
        var mkfs = new HostCommand(options.Tools.Mkfs, "-t", format);
        mkfs = format switch
        {
            "xfs" => mkfs.With("-f"),
            "ext2" or "ext3" or "ext4" => mkfs.With("-F"),
            "vfat" => mkfs.With("-I"),
            _ => mkfs,
        };
        return [mkfs.With(pool.Source.Devices[0].Path)];
    }

    /// <summary>virStorageBackendFileSystemGetPoolSource: what is mounted, //HOST/DIR (cifs), HOST:DIR (netfs) or the device.</summary>
    public static string MountSource(StoragePoolDefinition pool)
    {
        var source = pool.Source;
        if (pool.Type == "netfs")
        {
            var host = source.Hosts.Count > 0 ? source.Hosts[0].Name : "(null)";
            return source.Format == "cifs" ? $"//{host}/{source.Dir}" : $"{host}:{source.Dir}";
        }

        return source.Devices.Count > 0 ? source.Devices[0].Path : "(null)";
    }

    /// <summary>
    /// virStorageBackendFileSystemMountCmd: <c>mount [-o OPTIONS] [-t TYPE] SOURCE TARGET</c>. The options are
    /// the platform's defaults, the type's own (nfsvers=, direct-io-mode=1 for glusterfs, guest for cifs) and
    /// the pool's &lt;fs:mount_opts&gt;; a netfs pool of format auto is mounted without -t, which would not
    /// find nfs or cifs by itself.
    /// </summary>
    public static HostCommand MountCommand(StoragePoolDefinition pool, StorageHostOptions options, IReadOnlyList<string> mountOptions)
    {
        var netfs = pool.Type == "netfs";
        var format = pool.Source.Format ?? "auto";
        var nfsVers = netfs && pool.Source.ProtocolVersion is { } ver ? $"nfsvers={ver}" : null;
        var source = MountSource(pool);
        var target = TargetPath(pool);
        var mount = new HostCommand(options.Tools.Mount);

        if (netfs && format == "auto")
        {
            return AddOptions(mount, options, nfsVers, mountOptions).With(source, target);
        }

        var provided = netfs ? format switch
        {
            "glusterfs" => "direct-io-mode=1",
            "cifs" => "guest",
            _ => nfsVers,
        } : null;
        return AddOptions(mount, options, provided, mountOptions).With("-t", format, source, target);
    }

    /// <summary>virStorageBackendFileSystemMountAddOptions: <c>-o</c> with the options joined by commas, when there are any.</summary>
    private static HostCommand AddOptions(HostCommand mount, StorageHostOptions options, string? provided, IReadOnlyList<string> mountOptions)
    {
        var all = new List<string>();
        if (options.DefaultMountOptions.Length > 0)
        {
            all.Add(options.DefaultMountOptions);
        }

        if (provided is not null)
        {
            all.Add(provided);
        }

        all.AddRange(mountOptions);

        if (all.Count == 0)
        {
            return mount;
        }

        // Each option is followed by a comma; virBufferTrim(",") takes the last one off (once).
        var joined = string.Concat(all.Select(o => o + ","));
        return mount.With("-o", joined[..^1]);
    }

    /// <summary>virStorageBackendFileSystemIsValid: one host and a directory (netfs), or exactly one device (fs).</summary>
    private static void CheckSource(StoragePoolDefinition pool)
    {
        var source = pool.Source;
        if (pool.Type == "netfs")
        {
            if (source.Hosts.Count != 1)
            {
                throw new RuntimeException(ErrorCode.ConfigUnsupported, "expected exactly 1 host for the storage pool");
            }

            if (source.Dir is null)
            {
                throw new RuntimeException(ErrorCode.InternalError, "missing source path");
            }
        }
        else if (source.Devices.Count != 1)
        {
            throw source.Devices.Count == 0
                ? new RuntimeException(ErrorCode.InternalError, "missing source device")
                : new RuntimeException(ErrorCode.ConfigUnsupported, "expected exactly 1 device for the storage pool");
        }
    }

    private static string TargetPath(StoragePoolDefinition pool) => pool.Target?.Path ?? "(null)";
}
