using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Reconciler.Runtime.Persistence;

/// <summary>
/// Group commit of directory entries: a caller that renamed, linked or deleted something in a directory
/// and needs that durable calls <see cref="Barrier"/>; one fsync of the directory serves every caller
/// whose change was made before it began, so that concurrent writers into one directory share their
/// directory syncs. (File contents are synced by their writers: <c>syncfs</c> would also flush whatever
/// else is dirty on the file system, which costs far more on a busy host.)
/// </summary>
internal static partial class GroupSync
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
                _ = Sync(directory);
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

    /// <summary>
    /// fsync of the directory itself. (.NET opens no directory as a file — <c>File.OpenHandle</c> refuses one
    /// with an exception — so it is opened with open(2), O_DIRECTORY.)
    /// </summary>
    /// <returns>Whether the directory was synced (false for one that cannot be opened or synced).</returns>
    internal static bool Sync(string directory)
    {
        var fd = Open(directory, ReadOnly | ODirectory | CloseOnExec);
        if (fd < 0)
        {
            // A directory that cannot be opened (gone, no permission): the renames are still atomic.
            return false;
        }

        try
        {
            // A file system that cannot sync a directory (EINVAL) likewise.
            return FSync(fd) == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private const int ReadOnly = 0;
    private const int ODirectory = 0x10000; // O_DIRECTORY (Linux)
    private const int CloseOnExec = 0x80000; // O_CLOEXEC (Linux)

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
