namespace Reconciler.Controller.Specs;

/// <summary>
/// Watches a spec directory (recursively) and says what to read again: a spec file's path, or null when a
/// directory came or went (or may have) and everything must be read again. A file renamed into place is
/// complete (the atomic write of editors, git and configuration tools): its report is marked urgent.
/// </summary>
internal static class SpecWatcher
{
    /// <summary>Starts watching <paramref name="root"/>, or returns null when it does not exist.</summary>
    /// <param name="changed">A path to read again (null: everything), and whether it was renamed into place.</param>
    /// <param name="failed">The watcher overflowed or failed: events were lost.</param>
    public static FileSystemWatcher? Start(string root, Action<string?, bool> changed, Action<Exception> failed)
    {
        if (!Directory.Exists(root))
        {
            return null;
        }

        var watcher = new FileSystemWatcher(root)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            InternalBufferSize = 64 * 1024,
        };
        FileSystemEventHandler onChange = (_, e) =>
        {
            if (SpecDirectory.IsSpecPath(root, e.FullPath))
            {
                changed(e.FullPath, false);
            }
            else if (Directory.Exists(e.FullPath) || e.ChangeType == WatcherChangeTypes.Deleted)
            {
                changed(null, false); // a directory came or went (or may have): read everything
            }
        };
        watcher.Created += onChange;
        watcher.Changed += onChange;
        watcher.Deleted += onChange;
        watcher.Renamed += (_, e) =>
        {
            var spec = SpecDirectory.IsSpecPath(root, e.FullPath);
            var wasSpec = SpecDirectory.IsSpecPath(root, e.OldFullPath);
            if (!spec && !wasSpec && Directory.Exists(e.FullPath))
            {
                changed(null, false);
                return;
            }

            if (wasSpec)
            {
                changed(e.OldFullPath, false);
            }

            changed(e.FullPath, spec);
        };
        watcher.Error += (_, e) => failed(e.GetException());
        watcher.EnableRaisingEvents = true;
        return watcher;
    }
}
