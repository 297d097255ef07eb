namespace Reconciler.Schema.Networks;

/// <summary>libvirt 9.0.0's Network XML: parse checks, defaults and validation.</summary>
internal sealed class NetworkSchema : IKindSchema
{
    public SpecKind Kind => SpecKind.Network;

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
