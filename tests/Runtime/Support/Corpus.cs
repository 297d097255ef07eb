namespace Reconciler.Runtime.Tests.Support;

/// <summary>
/// libvirt 9.0.0's own test data, when the conformance corpus sits beside the repository (as in CI:
/// ../shared/corpus).
/// </summary>
internal static class Corpus
{
    /// <summary>The corpus directory, or null when it is not there.</summary>
    public static string? LibvirtCorpus { get; } = Find();

    /// <summary>A directory of the corpus (networkxml2firewalldata, ...), or null.</summary>
    public static string? Directory(string name) =>
        LibvirtCorpus is { } corpus && System.IO.Directory.Exists(Path.Combine(corpus, name)) ? Path.Combine(corpus, name) : null;

    private static string? Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Reconciler.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            return null;
        }

        var corpus = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "corpus", "libvirt-9.0.0"));
        return System.IO.Directory.Exists(corpus) ? corpus : null;
    }
}
