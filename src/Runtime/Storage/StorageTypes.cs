using System.Xml.Linq;

namespace Reconciler.Runtime.Storage;

/// <summary>virStoragePoolState, with libvirt's numbering.</summary>
public enum StoragePoolState
{
    Inactive = 0,
    Building = 1,
    Running = 2,
    Degraded = 3,
    Inaccessible = 4,
}

/// <summary>What <c>virsh pool-info</c> shows; sizes in bytes.</summary>
public sealed record StoragePoolInfo(
    string Name,
    Guid Uuid,
    string Type,
    StoragePoolState State,
    ulong Capacity,
    ulong Allocation,
    ulong Available,
    bool Persistent,
    bool Autostart)
{
    /// <summary>virsh's word for the state.</summary>
    public string StateName => State switch
    {
        StoragePoolState.Inactive => "inactive",
        StoragePoolState.Building => "building",
        StoragePoolState.Running => "running",
        StoragePoolState.Degraded => "degraded",
        StoragePoolState.Inaccessible => "inaccessible",
        _ => "unknown",
    };
}

/// <summary>What <c>virsh vol-info</c> shows: capacity is the guest-visible size, allocation the blocks the file really takes.</summary>
public sealed record StorageVolumeInfo(string Name, string Pool, string Path, string Type, string Format, ulong Capacity, ulong Allocation);

/// <summary>How a volume is wiped (virStorageVolWipeAlgorithm); the in-process backend writes zeroes.</summary>
public enum VolumeWipeAlgorithm
{
    Zero = 0,
}

/// <summary>A pool the hypervisor knows (virStoragePoolObj).</summary>
internal sealed class PoolObject(string name, Guid uuid)
{
    public string Name { get; } = name;

    public Guid Uuid { get; } = uuid;

    public XElement? Persistent { get; set; }

    public XElement? Live { get; set; }

    public StoragePoolState State { get; set; }

    public bool Autostart { get; set; }

    /// <summary>
    /// The pool's volumes by name: changed by the pool's jobs, read without them by domain starts and
    /// migrations (a refresh never empties it on the way: see RefreshVolumes).
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, VolumeObject> Volumes { get; } = new(StringComparer.Ordinal);

    /// <summary>When the volumes were last listed from the pool's storage (a start or a refresh); null when never.</summary>
    public DateTimeOffset? Listed { get; set; }

    /// <summary>The pool's &lt;fs:mount_opts&gt;, added to its mount command.</summary>
    public IReadOnlyList<string> MountOptions { get; set; } = [];

    public SemaphoreSlim Job { get; } = new(1, 1);

    /// <summary>
    /// Names of volumes whose files are being built outside the job (libvirt's building volumes; their
    /// count is its pool's asyncjobs): taken, not yet listed. Changed and read under the job.
    /// </summary>
    public HashSet<string> Building { get; } = new(StringComparer.Ordinal);

    public bool Removed { get; set; }

    public bool IsActive => State != StoragePoolState.Inactive;

    public bool IsPersistent => Persistent is not null;

    /// <summary>
    /// The definition a pool was claimed with, until its define or create has set it: what another define
    /// sees meanwhile (its type and target path are taken).
    /// </summary>
    public XElement? Claimed { get; init; }

    public XElement Current => IsActive ? Live! : Persistent ?? Claimed!;

    public string Type => Current.Attribute("type")?.Value ?? string.Empty;

    public string? TargetPath => Current.Element("target")?.Element("path")?.Value;
}

/// <summary>A volume of a pool: its file and format; capacity and allocation are read from the file.</summary>
internal sealed record VolumeObject(string Name, string Path, string Format);
