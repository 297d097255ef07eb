namespace Reconciler.Controller.Cli;

/// <summary>Expands command-line paths: a directory stands for every *.xml file below it, in sorted order.</summary>
internal static class SpecPaths
{
    public static List<string> Expand(IEnumerable<string> paths, TextWriter stderr, out bool missing)
    {
        missing = false;
        var result = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var files = Directory.EnumerateFiles(path, "*.xml", SearchOption.AllDirectories)
                    .Where(f => !IsIgnored(f))
                    .Order(StringComparer.Ordinal);
                result.AddRange(files);
            }
            else if (File.Exists(path))
            {
                result.Add(path);
            }
            else
            {
                stderr.WriteLine($"{path}: error: no such file or directory");
                missing = true;
            }
        }

        return result;
    }

    /// <summary>Dotfiles and files in dot-directories are editor or tool droppings, never specs.</summary>
    private static bool IsIgnored(string path) =>
        path.Split(Path.DirectorySeparatorChar).Any(part => part.StartsWith('.') && part is not "." and not "..");
}
