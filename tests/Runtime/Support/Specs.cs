using Reconciler.Schema;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Storage.Model;
using Xunit;

namespace Reconciler.Runtime.Tests.Support;

/// <summary>Typed models of spec text, through the schema layer as the daemon reads spec files.</summary>
internal static class Specs
{
    public static SpecDocument Load(string xml)
    {
        var document = LibvirtSchema.LoadText("test.xml", xml);
        Assert.True(document.IsValid, string.Join("\n", document.Errors));
        return document;
    }

    public static NetworkDefinition Network(string xml) => NetworkDefinition.FromDocument(Load(xml));

    public static StoragePoolDefinition Pool(string xml) => StoragePoolDefinition.FromDocument(Load(xml));

    /// <summary>The lines of a configuration that are not comments (libvirt's header starts with ##).</summary>
    public static string[] Settings(string config) =>
        config.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("##", StringComparison.Ordinal)).ToArray();
}
