namespace Reconciler.Schema.Storage.Model;

/// <summary>
/// A pool's or volume's &lt;permissions&gt; as libvirt holds them (virStoragePerms): the mode, owner and
/// group, each null when libvirt has (mode_t/uid_t/gid_t)-1, and the security label.
/// </summary>
public sealed record StoragePermissions(uint? Mode, uint? Owner, uint? Group, string? Label)
{
    public static readonly StoragePermissions None = new(null, null, null, null);

    /// <summary>True when libvirt writes a &lt;permissions&gt; element for these values.</summary>
    public bool IsSet => Mode is not null || Owner is not null || Group is not null || Label is not null;
}
