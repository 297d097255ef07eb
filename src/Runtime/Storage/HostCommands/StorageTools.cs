namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>
/// The programs libvirt's storage backends run. libvirt finds most of them when it is built (full paths,
/// here those of a usual Linux distribution) and looks a few up in PATH when it runs them (bare names).
/// </summary>
public sealed record StorageTools
{
    public static StorageTools Default { get; } = new();

    public string Mount { get; init; } = "/usr/bin/mount";

    public string Umount { get; init; } = "/usr/bin/umount";

    public string Mkfs { get; init; } = "/usr/sbin/mkfs";

    public string PvCreate { get; init; } = "/usr/sbin/pvcreate";

    public string PvRemove { get; init; } = "/usr/sbin/pvremove";

    public string VgCreate { get; init; } = "/usr/sbin/vgcreate";

    public string VgChange { get; init; } = "/usr/sbin/vgchange";

    public string VgRemove { get; init; } = "/usr/sbin/vgremove";

    public string IscsiAdm { get; init; } = "/usr/sbin/iscsiadm";

    /// <summary>parted, looked up in PATH.</summary>
    public string Parted { get; init; } = "parted";

    /// <summary>zfs, looked up in PATH.</summary>
    public string Zfs { get; init; } = "zfs";

    /// <summary>zpool, looked up in PATH.</summary>
    public string Zpool { get; init; } = "zpool";

    /// <summary>vstorage-mount, looked up in PATH.</summary>
    public string VstorageMount { get; init; } = "vstorage-mount";

    /// <summary>The umount the vstorage backend runs: a bare name, looked up in PATH.</summary>
    public string VstorageUmount { get; init; } = "umount";
}
