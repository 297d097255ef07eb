using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>The operating system libvirt was built for, which decides the default mount options.</summary>
public enum HostPlatform
{
    /// <summary>Linux: fs and netfs pools are mounted with nodev,nosuid,noexec.</summary>
    Linux,

    /// <summary>FreeBSD: mounted with nosuid,noexec.</summary>
    FreeBsd,

    /// <summary>Other systems: no default mount options.</summary>
    Other,
}

/// <summary>
/// The host facts the commands of the storage backends depend on, with libvirt's defaults for a Linux host.
/// </summary>
public sealed record StorageHostOptions
{
    public static StorageHostOptions Default { get; } = new();

    public HostPlatform Platform { get; init; } = HostPlatform.Linux;

    public StorageTools Tools { get; init; } = StorageTools.Default;

    /// <summary>The daemon's effective user and group (geteuid, getegid), for permissions left unset.</summary>
    public uint EffectiveUid { get; init; }

    public uint EffectiveGid { get; init; }

    /// <summary>The user name of a uid (getpwuid_r); null when there is no such user.</summary>
    public Func<uint, string?> UserName { get; init; } = uid => uid == 0 ? "root" : null;

    /// <summary>The group name of a gid (getgrgid_r); null when there is no such group.</summary>
    public Func<uint, string?> GroupName { get; init; } = gid => gid == 0 ? "root" : null;

    /// <summary>
    /// The value of a secret (an iSCSI CHAP password), or null when there is no such secret. Without a
    /// lookup, commands that need a secret cannot be planned.
    /// </summary>
    public Func<StorageSecretRef, string?>? SecretValue { get; init; }

    /// <summary>
    /// The iSCSI interface (iface) already set up for an initiator IQN, as <c>iscsiadm --mode iface</c> lists
    /// them; null when there is none, in which case libvirt creates one.
    /// </summary>
    public Func<string, string?> IscsiInterfaceFor { get; init; } = _ => null;

    /// <summary>
    /// The name of an iSCSI interface libvirt creates for an initiator IQN: <c>libvirt-iface-</c> and 32
    /// random bits in hex in libvirt; by default here derived from the IQN so that plans are repeatable.
    /// </summary>
    public Func<string, string> NewIscsiInterfaceName { get; init; } = iqn => $"libvirt-iface-{Fnv1a(iqn):x8}";

    /// <summary>The mount options libvirt adds to every fs and netfs mount on this platform.</summary>
    public string DefaultMountOptions => Platform switch
    {
        HostPlatform.Linux => "nodev,nosuid,noexec",
        HostPlatform.FreeBsd => "nosuid,noexec",
        _ => string.Empty,
    };

    /// <summary>32-bit FNV-1a of the UTF-8 bytes: a stable stand-in for libvirt's random bits.</summary>
    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return hash;
    }
}
