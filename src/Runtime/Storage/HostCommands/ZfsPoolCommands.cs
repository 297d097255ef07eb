using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>The zfs backend, storage_backend_zfs.c: a pool, or a dataset when the source name has a '/'.</summary>
internal static class ZfsPoolCommands
{
    /// <summary>virStorageBackendZFSBuildPool: <c>zfs create -o mountpoint=none POOL/DATASET</c> or <c>zpool create NAME DEVICE...</c>.</summary>
    public static IReadOnlyList<HostCommand> Build(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var name = pool.Source.Name ?? pool.Name;
        if (name.Contains('/', StringComparison.Ordinal))
        {
            return [new HostCommand(options.Tools.Zfs, "create", "-o", "mountpoint=none", name)];
        }

        if (pool.Source.Devices.Count == 0)
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, "missing source devices");
        }

        return [new HostCommand(options.Tools.Zpool, "create", name).With(pool.Source.Devices.Select(d => d.Path).ToArray())];
    }

    /// <summary>virStorageBackendZFSDeletePool: <c>zfs destroy -r POOL/DATASET</c> or <c>zpool destroy NAME</c>.</summary>
    public static IReadOnlyList<HostCommand> Delete(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var name = pool.Source.Name ?? pool.Name;
        return name.Contains('/', StringComparison.Ordinal)
            ? [new HostCommand(options.Tools.Zfs, "destroy", "-r", name)]
            : [new HostCommand(options.Tools.Zpool, "destroy", name)];
    }
}
