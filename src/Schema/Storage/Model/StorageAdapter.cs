namespace Reconciler.Schema.Storage.Model;

/// <summary>
/// A SCSI pool's &lt;adapter&gt; (virStorageAdapter): <see cref="Type"/> is scsi_host or fc_host. A scsi_host
/// adapter has a <see cref="Name"/> or a <see cref="ParentAddress"/> with its <see cref="UniqueId"/>; an
/// fc_host adapter has its WWNN/WWPN and optionally its parent.
/// </summary>
public sealed record StorageAdapter(
    string Type,
    string? Name,
    StoragePciAddress? ParentAddress,
    int UniqueId,
    string? Parent,
    string? ParentWwnn,
    string? ParentWwpn,
    string? ParentFabricWwn,
    bool? Managed,
    string? Wwnn,
    string? Wwpn);

/// <summary>A PCI address (domain, bus, slot, function).</summary>
public sealed record StoragePciAddress(uint Domain, uint Bus, uint Slot, uint Function);
