namespace Reconciler.Schema.Storage;

/// <summary>libvirt 9.0.0's StoragePool XML: parse checks, defaults and validation.</summary>
internal sealed class StoragePoolSchema : IKindSchema
{
    public SpecKind Kind => SpecKind.StoragePool;

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
