using System.Xml.Linq;

namespace Reconciler.Schema.Storage.Validation;

/// <summary>A volume document as its validators see it: the root and the type of the pool it is created in.</summary>
internal sealed class VolumeXml(XElement root, PoolTypeInfo pool)
{
    public XElement Root { get; } = root;

    public PoolTypeInfo Pool { get; } = pool;
}
