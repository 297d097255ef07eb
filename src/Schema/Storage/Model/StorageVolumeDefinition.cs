using System.Xml.Linq;

namespace Reconciler.Schema.Storage.Model;

/// <summary>
/// A storage volume as libvirt 9.0.0 holds it (virStorageVolDef), read from its effective XML, which it keeps
/// in <see cref="Xml"/>. Sizes are in bytes.
/// </summary>
public sealed record StorageVolumeDefinition(
    XElement Xml,
    string Name,
    string? Key,
    string Type,
    ulong Capacity,
    ulong Allocation,
    StorageVolumeTarget Target,
    StorageVolumeBackingStore? BackingStore)
{
    /// <summary>True when the volume has an &lt;encryption&gt; element.</summary>
    public bool Encrypted => Target.Encryption is not null;

    /// <summary>Reads the effective XML of a volume (what <c>virsh vol-dumpxml</c> shows); never throws.</summary>
    public static StorageVolumeDefinition FromXml(XElement effective) => VolumeReader.Read(effective);

    /// <summary>The volume of a valid spec document.</summary>
    public static StorageVolumeDefinition FromDocument(SpecDocument document) =>
        document is { Kind: SpecKind.StorageVolume, Effective: { } xml }
            ? FromXml(xml)
            : throw new InvalidOperationException($"{document.Path} is not a valid storage volume");
}
