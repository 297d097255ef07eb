namespace Reconciler.Schema.Tests.Support;

/// <summary>
/// Spec files to run whole-corpus tests over: libvirt 9.0.0's own test data when the conformance corpus
/// sits beside the repository (as in CI: ../shared/corpus), and always the repository's examples.
/// </summary>
internal static class Corpus
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string? LibvirtCorpus
    {
        get
        {
            var dir = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "corpus", "libvirt-9.0.0"));
            return Directory.Exists(dir) ? dir : null;
        }
    }

    /// <summary>Every XML file of the libvirt corpus (when present) and of examples/.</summary>
    public static IEnumerable<string> AllSpecFiles()
    {
        var roots = new List<string> { Path.Combine(RepositoryRoot, "examples") };
        if (LibvirtCorpus is { } corpus)
        {
            roots.AddRange(Directory.EnumerateDirectories(corpus).Where(d => !d.EndsWith("schemas", StringComparison.Ordinal) && !d.EndsWith("dumpxml", StringComparison.Ordinal)));
        }

        return roots.SelectMany(r => Directory.EnumerateFiles(r, "*.xml", SearchOption.AllDirectories)).Order(StringComparer.Ordinal);
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Reconciler.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Reconciler.sln) above " + AppContext.BaseDirectory);
    }
}
