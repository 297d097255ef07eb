using System.Xml.Linq;

namespace Reconciler.Schema.Storage.Model;

/// <summary>
/// A storage pool as libvirt 9.0.0 holds it (virStoragePoolDef), read from its effective XML, which it keeps
/// in <see cref="Xml"/> so that nothing is lost. Sizes are in bytes.
/// </summary>
public sealed record StoragePoolDefinition(
    XElement Xml,
    string Type,
    string Name,
    Guid Uuid,
    ulong Capacity,
    ulong Allocation,
    ulong Available,
    bool? Cow,
    StoragePoolSource Source,
    StoragePoolTarget? Target,
    string? RefreshVolumeAllocation)
{
    /// <summary>Reads the effective XML of a pool (what <c>virsh pool-dumpxml</c> shows); never throws.</summary>
    public static StoragePoolDefinition FromXml(XElement effective) => PoolReader.Read(effective);

    /// <summary>The pool of a valid spec document.</summary>
    public static StoragePoolDefinition FromDocument(SpecDocument document) =>
        document is { Kind: SpecKind.StoragePool, Effective: { } xml }
            ? FromXml(xml)
            : throw new InvalidOperationException($"{document.Path} is not a valid storage pool");
}
