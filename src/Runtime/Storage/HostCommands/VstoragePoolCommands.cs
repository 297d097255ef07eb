using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>The vstorage (Virtuozzo Storage) backend, storage_backend_vstorage.c.</summary>
internal static class VstoragePoolCommands
{
    /// <summary>The mode of a pool's target when the definition has none (VIR_STORAGE_DEFAULT_POOL_PERM_MODE).</summary>
    public const uint DefaultPoolMode = 0x1C9; // 0711

    /// <summary>
    /// virStorageBackendVzPoolStart: mount the cluster on the target with the target's permissions, the mode
    /// in octal and the owner and group by name (the daemon's own when the definition has none).
    /// </summary>
    public static IReadOnlyList<HostCommand> Start(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var perms = pool.Target?.Permissions ?? StoragePermissions.None;
        var mode = perms.Mode ?? DefaultPoolMode;
        var uid = perms.Owner ?? options.EffectiveUid;
        var gid = perms.Group ?? options.EffectiveGid;

        var group = options.GroupName(gid)
            ?? throw new RuntimeException(ErrorCode.SystemError, $"Failed to find group record for gid '{gid}'");
        var user = options.UserName(uid)
            ?? throw new RuntimeException(ErrorCode.SystemError, $"Failed to find user record for uid '{uid}'");

        return
        [
            new HostCommand(
                options.Tools.VstorageMount,
                "-c", pool.Source.Name ?? pool.Name,
                pool.Target?.Path ?? "(null)",
                "-m", Convert.ToString((long)mode, 8),
                "-g", group, "-u", user),
        ];
    }

    /// <summary>virStorageBackendVzPoolStop: unmount the target.</summary>
    public static IReadOnlyList<HostCommand> Stop(StoragePoolDefinition pool, StorageHostOptions options) =>
        [new HostCommand(options.Tools.VstorageUmount, pool.Target?.Path ?? "(null)")];
}
