using System.Collections.Concurrent;
using Microsoft.Win32.SafeHandles;

namespace Reconciler.Runtime.Persistence;

/// <summary>
/// Group commit of directory entries: a caller that renamed, linked or deleted something in a directory
/// and needs that durable calls <see cref="Barrier"/>; one fsync of the directory serves every caller
/// whose change was made before it began, so that concurrent writers into one directory share their
/// directory syncs. (File contents are synced by their writers: <c>syncfs</c> would also flush whatever
/// else is dirty on the file system, which costs far more on a busy host.)
/// </summary>
internal static class GroupSync
{
    private static readonly ConcurrentDictionary<string, Group> Groups = new(StringComparer.Ordinal);

    /// <summary>Returns once the entries of <paramref name="directory"/> as they were at the call are durable.</summary>
    public static void Barrier(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Groups.GetOrAdd(directory, d => new Group(d)).Barrier();
    }

    private sealed class Group(string directory)
    {
        private readonly object _gate = new();
        private long _requested;
        private long _done;
        private bool _syncing;

        public void Barrier()
        {
            long ticket;
            lock (_gate)
            {
                ticket = ++_requested;
                while (true)
                {
                    if (_done >= ticket)
                    {
                        return;
                    }

                    if (!_syncing)
                    {
                        break;
                    }

                    Monitor.Wait(_gate);
                }

                _syncing = true;
                ticket = _requested; // this sync covers every request made so far
            }

            try
            {
                Sync(directory);
            }
            finally
            {
                lock (_gate)
                {
                    _syncing = false;
                    _done = Math.Max(_done, ticket);
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    private static void Sync(string directory)
    {
        try
        {
            using SafeFileHandle handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file system that cannot sync a directory: the renames are still atomic.
        }
    }
}
