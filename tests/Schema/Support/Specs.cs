using Reconciler.Schema;

namespace Reconciler.Schema.Tests.Support;

/// <summary>Helpers for tests: load spec text and look at the outcome.</summary>
internal static class Specs
{
    public static SpecDocument Load(string xml, string path = "test.xml") => LibvirtSchema.LoadText(path, xml);

    /// <summary>The first error message, or null when the document is valid.</summary>
    public static string? FirstError(string xml) => Load(xml).Errors.FirstOrDefault()?.Message;

    /// <summary>The effective XML, failing the test with the errors when the document is invalid.</summary>
    public static string Normalize(string xml)
    {
        var doc = Load(xml);
        Xunit.Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        return doc.Format();
    }
}
