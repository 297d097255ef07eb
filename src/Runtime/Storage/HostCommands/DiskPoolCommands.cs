using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>The disk (partition table) backend, storage_backend_disk.c.</summary>
internal static class DiskPoolCommands
{
    /// <summary>
    /// virStorageBackendDiskBuildPool: a new partition table on the device (libvirt zeroes its first and last
    /// MiB first). An unknown format is dos, which parted calls msdos.
    /// </summary>
    public static IReadOnlyList<HostCommand> Build(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var format = pool.Source.Format is null or "unknown" or "dos" ? "msdos" : pool.Source.Format;
        var device = pool.Source.Devices.Count > 0 ? pool.Source.Devices[0].Path : "(null)";
        return [new HostCommand(options.Tools.Parted, device, "mklabel", "--script", format)];
    }
}
