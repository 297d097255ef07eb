namespace Reconciler.Schema.Storage;

/// <summary>libvirt 9.0.0's StorageVolume XML: parse checks, defaults and validation.</summary>
internal sealed class StorageVolumeSchema : IKindSchema
{
    public SpecKind Kind => SpecKind.StorageVolume;

    public void Check(SpecContext context)
    {
    }

    public void ApplyDefaults(SpecContext context)
    {
    }

    public void Validate(SpecContext context)
    {
    }
}
