namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>How a pool is built (virStoragePoolBuildFlags).</summary>
public enum PoolBuildMode
{
    /// <summary>No flags: fs and netfs pools only get their target directory, no file system.</summary>
    Default,

    /// <summary>VIR_STORAGE_POOL_BUILD_OVERWRITE: format the source devices whatever they hold.</summary>
    Overwrite,

    /// <summary>
    /// VIR_STORAGE_POOL_BUILD_NO_OVERWRITE: format them only when they are empty (libvirt probes them first
    /// and fails if they are not; the commands are those it runs when they are).
    /// </summary>
    NoOverwrite,
}
