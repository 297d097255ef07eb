using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Schema;

/// <summary>The state of one spec file while it goes through parse checks, defaults and validation.</summary>
public sealed class SpecContext(XElement root, SchemaOptions options)
{
    public XElement Root { get; } = root;

    public SchemaOptions Options { get; } = options;

    public List<SchemaError> Errors { get; } = [];

    public bool HasErrors => Errors.Count > 0;

    public void Report(ErrorCode code, string detail, XObject? at) =>
        Errors.Add(SchemaError.Create(code, detail, XmlPosition.Of(at)));
}
