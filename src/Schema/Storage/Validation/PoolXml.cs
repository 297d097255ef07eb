using System.Xml.Linq;
using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage.Validation;

/// <summary>A pool document as its validators see it: the root, the pool type's options and the source.</summary>
internal sealed class PoolXml(XElement root)
{
    public XElement Root { get; } = root;

    /// <summary>The pool type; null until the type check has passed.</summary>
    public PoolTypeInfo? Info { get; } = PoolTypeInfo.Find(VirXmlProp.Prop(root, "type"));

    /// <summary>The pool type, once the type check has passed.</summary>
    public PoolTypeInfo Type => Info ?? PoolTypeInfo.TestDriverDefaultPool;

    /// <summary>The first &lt;source&gt;, the one libvirt reads.</summary>
    public XElement? Source { get; } = XPathLite.Node(root, "source");

    /// <summary>Where to report that something of the source is missing.</summary>
    public XElement SourceOrRoot => Source ?? Root;
}
