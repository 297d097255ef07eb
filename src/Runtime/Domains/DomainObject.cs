using System.Xml.Linq;
using Reconciler.Runtime.Guests;
using Reconciler.Schema.Domains.Model;

namespace Reconciler.Runtime.Domains;

/// <summary>
/// One domain the hypervisor knows (virDomainObj): its persistent definition (null for a transient domain),
/// its live definition while it runs, its state, and what it holds while it runs (an ID, ports, taps,
/// memory and vCPUs of the host, a guest). Every change happens under <see cref="Job"/>.
/// </summary>
internal sealed class DomainObject(string name, Guid uuid)
{
    public string Name { get; set; } = name;

    public Guid Uuid { get; } = uuid;

    private XElement? _persistent;
    private XElement? _live;
    private Networks.MacTable? _macs;

    /// <summary>The persistent definition (libvirt's newDef while running); null for a transient domain.</summary>
    public XElement? Persistent
    {
        get => _persistent;
        set
        {
            _macs?.Replace(_persistent, value);
            _persistent = value;
        }
    }

    /// <summary>The definition the running domain was started with, changed by live operations.</summary>
    public XElement? Live
    {
        get => _live;
        set
        {
            _macs?.Replace(_live, value);
            _live = value;
        }
    }

    /// <summary>
    /// The host's table of MACs that this domain's definitions count in while the domain is known to the
    /// hypervisor (set when it is registered, null once it is gone).
    /// </summary>
    public Networks.MacTable? Macs
    {
        get => _macs;
        set
        {
            _macs?.Replace(_persistent, null);
            _macs?.Replace(_live, null);
            _macs = value;
            _macs?.Replace(null, _persistent);
            _macs?.Replace(null, _live);
        }
    }

    public DomainStatus Status { get; set; } = DomainStatus.Shutoff(ShutoffReason.Unknown);

    public int? Id { get; set; }

    public bool Autostart { get; set; }

    /// <summary>
    /// How many times a guest of this (persistent) domain was started — booted, restored or received by a
    /// migration — counted durably before the guest runs, so that the count survives a crash: in the run
    /// record of the run, and in the flags file once the domain stops.
    /// </summary>
    public long Starts { get; set; }

    /// <summary>The count of starts its flags file holds (<see cref="Starts"/> is ahead while it runs).</summary>
    public long StartsInFlags { get; set; }

    public bool HasManagedSave { get; set; }

    public IGuest? Guest { get; set; }

    public List<int> VncPorts { get; } = [];

    /// <summary>Tap device of each interface (by MAC) while running.</summary>
    public Dictionary<string, string> Taps { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>For interfaces on direct-mode networks: the network and the host device each one holds.</summary>
    public Dictionary<string, (string Network, string Device)> NetworkDevices { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A migration whose last answer was lost: the target to ask before the guest may resume here.</summary>
    public MigrationTarget? PendingMigration { get; set; }

    private volatile MigrationJobInfo? _migrationJob;

    /// <summary>The statistics of the domain's migration (running or last), read without the job.</summary>
    public MigrationJobInfo? MigrationJob
    {
        get => _migrationJob;
        set => _migrationJob = value;
    }

    public ulong ReservedMemoryKiB { get; set; }

    public int ReservedVcpus { get; set; }

    /// <summary>Serialises operations on this domain (libvirt's domain job).</summary>
    public SemaphoreSlim Job { get; } = new(1, 1);

    /// <summary>Set once the domain is gone from the hypervisor: a waiting operation then fails as for an unknown domain.</summary>
    public bool Removed { get; set; }

    public bool IsActive => Status.IsActive;

    public bool IsPersistent => Persistent is not null;

    /// <summary>The definition that describes the domain now: the live one while it runs, else the persistent one.</summary>
    public XElement Current => IsActive ? Live! : Persistent!;
}
