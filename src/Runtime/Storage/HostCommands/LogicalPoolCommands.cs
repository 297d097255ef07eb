using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>The logical (LVM volume group) backend, storage_backend_logical.c.</summary>
internal static class LogicalPoolCommands
{
    /// <summary>
    /// virStorageBackendLogicalStartPool: activate the volume group's logical volumes (libvirt first checks
    /// with vgscan and pvs that the group exists with one of the pool's devices).
    /// </summary>
    public static IReadOnlyList<HostCommand> Start(StoragePoolDefinition pool, StorageHostOptions options) =>
        [ChangeCommand(pool, options, on: true)];

    /// <summary>virStorageBackendLogicalStopPool: deactivate them.</summary>
    public static IReadOnlyList<HostCommand> Stop(StoragePoolDefinition pool, StorageHostOptions options) =>
        [ChangeCommand(pool, options, on: false)];

    /// <summary>
    /// virStorageBackendLogicalBuildPool: each device becomes a physical volume (libvirt zeroes its first and
    /// last MiB first), then the volume group is created on all of them.
    /// </summary>
    public static IReadOnlyList<HostCommand> Build(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var devices = pool.Source.Devices.Select(d => d.Path).ToArray();
        var commands = devices.Select(path => new HostCommand(options.Tools.PvCreate, path)).ToList();
        commands.Add(new HostCommand(options.Tools.VgCreate, SourceName(pool)).With(devices));
        return commands;
    }

    /// <summary>virStorageBackendLogicalDeletePool: remove the volume group, then each physical volume.</summary>
    public static IReadOnlyList<HostCommand> Delete(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var commands = new List<HostCommand> { new(options.Tools.VgRemove, "-f", SourceName(pool)) };
        commands.AddRange(pool.Source.Devices.Select(d => new HostCommand(options.Tools.PvRemove, d.Path)));
        return commands;
    }

    /// <summary>virStorageBackendLogicalChangeCmd: <c>vgchange -aly NAME</c> or <c>vgchange -aln NAME</c>.</summary>
    public static HostCommand ChangeCommand(StoragePoolDefinition pool, StorageHostOptions options, bool on) =>
        new(options.Tools.VgChange, on ? "-aly" : "-aln", SourceName(pool));

    /// <summary>The volume group: the source name, which the parser defaults to the pool's name.</summary>
    private static string SourceName(StoragePoolDefinition pool) => pool.Source.Name ?? pool.Name;
}
