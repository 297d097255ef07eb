using System.Collections.Concurrent;
using Reconciler.Controller.Specs;

namespace Reconciler.Controller.Daemon;

/// <summary>
/// What the controller reads at start before it can reconcile: its status store (with the spec files this
/// build validated before) and the spec directory. <see cref="Begin"/> with an early scan starts reading the
/// directory — thousands of files, on every core — at once, so that it overlaps with the runtime loading
/// its own state instead of waiting for it; a watcher started before that scan notes what changes until
/// the reconcile loop's own watcher runs, and the loop reads those files again.
/// </summary>
public sealed class ControllerStart : IDisposable
{
    private readonly ConcurrentDictionary<string, byte> _changed = new(StringComparer.Ordinal);
    private FileSystemWatcher? _watcher;
    private volatile bool _everything;

    private readonly Task<(StatusStore Store, SpecDirectory Specs)> _loaded;

    private ControllerStart(Func<(StatusStore, SpecDirectory)> load, bool inBackground) =>
        _loaded = inBackground ? Task.Run(load) : Task.FromResult(load());

    /// <summary>The status store (waits for it when it is still being loaded).</summary>
    public StatusStore Store => _loaded.GetAwaiter().GetResult().Store;

    /// <summary>The spec directory (waits for the status store when it is still being loaded).</summary>
    public SpecDirectory Specs => _loaded.GetAwaiter().GetResult().Specs;

    /// <summary>The first scan of the spec directory, begun early; null when the loop scans at its start.</summary>
    public Task<SpecScan>? EarlyScan { get; private set; }

    /// <summary>
    /// Loads the status store; with <paramref name="scanEarly"/>, does so in the background, starts watching
    /// the spec directory and reads it in the background too.
    /// </summary>
    public static ControllerStart Begin(ControllerOptions options, bool scanEarly)
    {
        ArgumentNullException.ThrowIfNull(options);
        var start = new ControllerStart(() => Load(options), inBackground: scanEarly);
        if (scanEarly)
        {
            start._watcher = start.Watch(Path.GetFullPath(options.Specs));
            start.EarlyScan = start._loaded.ContinueWith(loaded => loaded.Result.Specs.Scan(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }

        return start;
    }

    /// <summary>
    /// For the runtime's start-up (<see cref="Runtime.HypervisorOptions.AutostartFilter"/>): the autostart
    /// domains not to start because the controller manages them and their spec was removed while it was
    /// down — they would boot only to be shut down and undefined. When the first scan cannot say for sure
    /// (the directory is missing or empty — prune safety —, or a file's kind or name could not be read),
    /// every autostart domain starts.
    /// </summary>
    public async Task<Func<string, bool>> AutostartFilterAsync(bool allowEmpty, CancellationToken cancellationToken)
    {
        if (EarlyScan is null)
        {
            return _ => true;
        }

        var scan = await EarlyScan.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (scan.DirectoryProblem is not null || (scan.Files.Count == 0 && !allowEmpty) || scan.Files.Values.Any(f => f.Key is null))
        {
            return _ => true;
        }

        var specified = scan.Files.Values.Select(f => f.Key!.Value).Where(k => k.Kind == ObjectKind.Domain).Select(k => k.Name).ToHashSet(StringComparer.Ordinal);
        var removed = Store.All.Where(p => p.Key.Kind == ObjectKind.Domain && p.Value.Managed && !specified.Contains(p.Key.Name))
            .Select(p => p.Key.Name).ToHashSet(StringComparer.Ordinal);
        return name => !removed.Contains(name);
    }

    private static (StatusStore, SpecDirectory) Load(ControllerOptions options)
    {
        var store = new StatusStore(options.State);
        var specs = new SpecDirectory(options.Specs);

        // Spec files this build validated in an earlier run, unchanged since, are not validated again.
        var validated = store.All.Select(p => p.Value.ValidatedSpec).OfType<string>().ToHashSet(StringComparer.Ordinal);
        specs.ValidatedBefore = (path, revision) => validated.Contains(SpecDirectory.ValidatedMark(path, revision));
        return (store, specs);
    }

    /// <summary>
    /// Stops the early watcher (call once the loop's own watcher runs) and says what changed since the early
    /// scan began: the spec files to read again, or null when everything must be read again (a directory
    /// came or went, the watcher overflowed).
    /// </summary>
    public IReadOnlyCollection<string>? TakeChanges()
    {
        _watcher?.Dispose();
        _watcher = null;
        return _everything ? null : [.. _changed.Keys];
    }

    /// <summary>What <see cref="TakeChanges"/> would say now, the watcher left running (for tests).</summary>
    internal IReadOnlyCollection<string>? PeekChanges() => _everything ? null : [.. _changed.Keys];

    public void Dispose() => _watcher?.Dispose();

    /// <summary>Notes what changes (a spec path, or null for everything), as the loop's watcher reports it.</summary>
    private FileSystemWatcher? Watch(string root) =>
        SpecWatcher.Start(root, (path, _) =>
        {
            if (path is null)
            {
                _everything = true;
            }
            else
            {
                _changed.TryAdd(path, 0);
            }
        }, _ => _everything = true);
}
