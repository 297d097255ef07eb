using System.Globalization;

namespace Reconciler.Tests.Hostile;

/// <summary>
/// The hostile spec files of tests/Schema/Hostile/Corpus and what a user must see for each (expected.tsv).
/// Shared by the schema tests and the controller tests (which link this file).
/// </summary>
internal static class HostileFiles
{
    public sealed record Case(string File, bool Valid, int? Line, int? Column, string Message)
    {
        public string Path => System.IO.Path.Combine(Directory, File);

        public override string ToString() => File;
    }

    public static string Directory { get; } = System.IO.Path.Combine(FindRepositoryRoot(), "tests", "Schema", "Hostile", "Corpus");

    public static IReadOnlyList<Case> All { get; } = Load();

    public static Case Get(string file) => All.Single(c => c.File == file);

    /// <summary>The xUnit theory data: one file name per case.</summary>
    public static IEnumerable<object[]> Names() => All.Select(c => new object[] { c.File });

    private static List<Case> Load()
    {
        var cases = new List<Case>();
        foreach (var line in File.ReadLines(System.IO.Path.Combine(Directory, "expected.tsv")))
        {
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var f = line.Split('\t');
            int? l = null, c = null;
            if (f[2] != "-")
            {
                var parts = f[2].Split(':');
                l = int.Parse(parts[0], CultureInfo.InvariantCulture);
                c = parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : null;
            }

            cases.Add(new Case(f[0], f[1] == "valid", l, c, f[3]));
        }

        var onDisk = System.IO.Directory.GetFiles(Directory, "*.xml").Select(System.IO.Path.GetFileName).Order(StringComparer.Ordinal);
        if (!onDisk.SequenceEqual(cases.Select(x => x.File).Order(StringComparer.Ordinal)))
        {
            throw new InvalidOperationException("expected.tsv and the files of " + Directory + " do not list the same files");
        }

        return cases;
    }

    private static string FindRepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(System.IO.Path.Combine(dir.FullName, "Reconciler.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root (Reconciler.sln) above " + AppContext.BaseDirectory);
    }
}
