using Reconciler.Schema;

namespace Reconciler.Controller.Cli;

/// <summary>Loads many spec files on every core, yielding results in the order of the input.</summary>
internal static class SpecBatch
{
    public static IEnumerable<SpecDocument> Load(IReadOnlyList<string> files, SchemaOptions? options = null) =>
        files.AsParallel().AsOrdered().Select(f => LibvirtSchema.LoadFile(f, options));
}
