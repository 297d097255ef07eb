using System.Runtime.InteropServices;
using System.Text;

namespace Reconciler.Runtime.Persistence;

/// <summary>
/// The runtime's state directory. Every write is atomic — a temporary file in the same directory (or the
/// file's spare inode), fsync, rename (or exchange), fsync of the directory (shared with concurrent renames
/// there, <see cref="GroupSync"/>) — so a crash leaves either the old or the new content, never half of it. A damaged file is moved to quarantine/ and reported, never silently dropped.
/// </summary>
public sealed partial class StateDirectory
{
    public StateDirectory(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        foreach (var dir in (string[])[Domains, Running, Saves, Quarantine])
        {
            Directory.CreateDirectory(dir);
        }
    }

    public string Root { get; }

    /// <summary>Persistent domain definitions (&lt;uuid&gt;.xml) and their flags (&lt;uuid&gt;.json).</summary>
    public string Domains => Path.Combine(Root, "domains");

    /// <summary>Records of running domains; one left behind after a crash tells what was running.</summary>
    public string Running => Path.Combine(Root, "run");

    /// <summary>Managed-save images (&lt;uuid&gt;.save).</summary>
    public string Saves => Path.Combine(Root, "save");

    /// <summary>Damaged state files, set aside with the reason.</summary>
    public string Quarantine => Path.Combine(Root, "quarantine");

    /// <summary>
    /// Writes <paramref name="content"/> to <paramref name="path"/> atomically and durably. A file written
    /// again keeps its previous inode beside it as a spare (".NAME.spare"): the next write truncates and
    /// fills the spare, then swaps it with the file in one step (renameat2 RENAME_EXCHANGE), so rewriting a
    /// file neither allocates nor frees an inode. (Replacing it by rename freed one each time; ext4 without
    /// a journal then scans its recently freed inodes on every file it creates, which made a converge of
    /// thousands of objects spend a third of its time in the kernel.) On a file system without exchange, a
    /// fresh temporary file is renamed over the old one.
    /// </summary>
    public static void WriteAtomic(string path, ReadOnlySpan<byte> content)
    {
        lock (StripeOf(path))
        {
            Write(path, content, static (stream, bytes) => stream.Write(bytes), bufferSize: 4096);
        }
    }

    /// <summary>
    /// Writes through <paramref name="write"/> into the file's spare or a fresh temporary file, then gives it
    /// the name (<see cref="Commit"/>); a failed write leaves no temporary file behind.
    /// </summary>
    private static void Write<TState>(string path, TState state, Action<FileStream, TState> write, int bufferSize)
        where TState : allows ref struct
    {
        var (temp, spare) = WriteTarget(path);
        try
        {
            using (var stream = new FileStream(temp, spare ? FileMode.OpenOrCreate : FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize))
            {
                write(stream, state);
                CutAtPosition(stream);
                stream.Flush(flushToDisk: true);
            }

            Commit(temp, spare, path);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>The lock of the writes (and retirements) of one path: one of 64, by the path's hash.</summary>
    private static Lock StripeOf(string path) => Stripes[(uint)StringComparer.Ordinal.GetHashCode(path) % (uint)Stripes.Length];

    /// <summary>
    /// Ends a spare just written over (from its start, in order) where the new content ends. The spare is
    /// overwritten in place rather than emptied first: freeing its blocks and allocating them again costs a
    /// synchronous discard per file on a file system mounted with <c>discard</c> (this project's VMs are).
    /// </summary>
    private static void CutAtPosition(FileStream stream)
    {
        if (stream.Length > stream.Position)
        {
            stream.SetLength(stream.Position);
        }
    }

    /// <summary>How much of its blocks a retired file keeps for its next write (a run record, a small save image), rather than free them.</summary>
    private const long RetainedBytes = 64 << 10;

    /// <summary>
    /// Where a write of <paramref name="path"/> goes before it takes the name: the file's spare when it has
    /// one or the file exists (then swapped in or renamed), else a fresh temporary file.
    /// </summary>
    private static (string Path, bool Spare) WriteTarget(string path)
    {
        var spare = SparePath(path);
        return _exchangeWorks && (File.Exists(path) || File.Exists(spare))
            ? (spare, true)
            : (Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + ".tmp"), false);
    }

    // The content is durable before the name points at it, and the name before the caller goes on (the
    // directory sync shared with whoever renames in this directory at the same time). A spare is swapped
    // with the file when there is one (the old inode becomes the spare), else renamed to the name.
    private static void Commit(string temp, bool spare, string path)
    {
        if (!spare || !File.Exists(path) || !TryExchange(temp, path))
        {
            File.Move(temp, path, overwrite: true);
        }

        GroupSync.Barrier(Path.GetDirectoryName(path)!);
    }

    /// <summary>The spare inode kept beside a file that <see cref="WriteAtomic(string, ReadOnlySpan{byte})"/> rewrote.</summary>
    public static string SparePath(string path) => Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + SpareSuffix);

    /// <summary>The file whose spare is at <paramref name="path"/>, or null when it is no spare's path.</summary>
    public static string? FileOfSpare(string path)
    {
        var name = Path.GetFileName(path);
        return name.Length > 1 + SpareSuffix.Length && name[0] == '.' && name.EndsWith(SpareSuffix, StringComparison.Ordinal)
            ? Path.Combine(Path.GetDirectoryName(path)!, name[1..^SpareSuffix.Length])
            : null;
    }

    private const string SpareSuffix = ".spare";

    private static readonly Lock[] Stripes = [.. Enumerable.Range(0, 64).Select(_ => new Lock())];
    private static volatile bool _exchangeWorks = OperatingSystem.IsLinux();

    private static bool TryExchange(string a, string b)
    {
        if (RenameAt2(AtCurrentDirectory, a, AtCurrentDirectory, b, RenameExchange) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno is Einval or Enosys or Enotsup)
        {
            _exchangeWorks = false;
            return false;
        }

        if (errno == Enoent)
        {
            return false;
        }

        throw new IOException($"cannot replace '{b}': {Marshal.GetPInvokeErrorMessage(errno)}");
    }

    private const int AtCurrentDirectory = -100;
    private const uint RenameExchange = 2;
    private const int Enoent = 2;
    private const int Einval = 22;
    private const int Enosys = 38;
    private const int Enotsup = 95;

    [LibraryImport("libc", EntryPoint = "renameat2", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int RenameAt2(int oldDirectory, string oldPath, int newDirectory, string newPath, uint flags);

    public static void WriteAtomic(string path, string content) => WriteAtomic(path, Encoding.UTF8.GetBytes(content));

    /// <summary>
    /// Writes a file through <paramref name="write"/> atomically (for large files such as save images), into
    /// the file's spare when it has one. Writes of one path must not overlap (the caller serializes them: a
    /// domain's job); nothing else is locked while the content is written.
    /// </summary>
    public static void WriteAtomic(string path, Action<Stream> write) =>
        Write(path, write, static (stream, body) => body(stream), bufferSize: 1 << 16);

    /// <summary>
    /// Removes a file durably like <see cref="Delete"/>, but keeps its inode (emptied when large) as the
    /// spare of its name, which the next <see cref="WriteAtomic(string, ReadOnlySpan{byte})"/> of the name fills and
    /// renames back: for files that come and go with a domain's life (its run record while it runs, its
    /// managed-save image while it is saved), so that ten thousand domains resumed or saved at once neither
    /// free nor allocate ten thousand inodes (see <see cref="WriteAtomic(string, ReadOnlySpan{byte})"/>).
    /// A retired name's spare goes when the name is deleted (<see cref="Delete"/>).
    /// </summary>
    public static void Retire(string path)
    {
        lock (StripeOf(path))
        {
            if (!File.Exists(path))
            {
                return;
            }

            var spare = SparePath(path);
            if (!_exchangeWorks || File.Exists(spare))
            {
                File.Delete(path);
            }
            else
            {
                // The name goes first (atomic); the spare's content is never read. A large one (a guest's
                // memory) gives its blocks back; a small one keeps them for the next write.
                File.Move(path, spare);
                using var handle = File.OpenHandle(spare, FileMode.Open, FileAccess.Write);
                if (RandomAccess.GetLength(handle) > RetainedBytes)
                {
                    RandomAccess.SetLength(handle, 0);
                }
            }

            SyncDirectory(Path.GetDirectoryName(path)!);
        }
    }

    /// <summary>Deletes a file (and its spare) durably (the directory entry is synced).</summary>
    public static void Delete(string path)
    {
        TryDelete(SparePath(path));
        if (File.Exists(path))
        {
            File.Delete(path);
            SyncDirectory(Path.GetDirectoryName(path)!);
        }
    }

    /// <summary>Moves a damaged file to quarantine/ with a note saying why; returns where it went.</summary>
    public string SetAside(string path, string reason)
    {
        var name = $"{DateTime.UtcNow:yyyyMMddTHHmmssfff}-{Path.GetFileName(path)}";
        var target = Path.Combine(Quarantine, name);
        File.Move(path, target, overwrite: true);
        TryDelete(SparePath(path));
        File.WriteAllText(target + ".reason", reason + "\n");
        SyncDirectory(Quarantine);
        SyncDirectory(Path.GetDirectoryName(path)!);
        return target;
    }

    /// <summary>
    /// Leftover temporary files of interrupted writes (".NAME.*.tmp") anywhere in the state directory
    /// (definitions, flags, run records, pools, networks, leases, dnsmasq files) but quarantine/: never the
    /// real state, removed at start.
    /// </summary>
    public void RemoveInterruptedWrites()
    {
        foreach (var temp in Directory.EnumerateFiles(Root, ".*.tmp", SearchOption.AllDirectories))
        {
            if (!temp.StartsWith(Quarantine + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                TryDelete(temp);
            }
        }

        // A spare goes with its file: one whose file is gone (removed by hand, say) is removed too — but in
        // the directories of files that come and go (run records, save images), where a spare without its
        // file is a retired name kept for its next write (Retire), and goes when its domain goes.
        foreach (var spare in Directory.EnumerateFiles(Root, ".*" + SpareSuffix, SearchOption.AllDirectories))
        {
            var dir = Path.GetDirectoryName(spare);
            if (FileOfSpare(spare) is { } file && !File.Exists(file) && dir != Running && dir != Saves)
            {
                TryDelete(spare);
            }
        }
    }

    /// <summary>Leftover temporary files of interrupted writes of the one file at <paramref name="path"/> (for files kept outside a state directory).</summary>
    public static void RemoveInterruptedWrites(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            return;
        }

        foreach (var temp in Directory.EnumerateFiles(dir, "." + Path.GetFileName(path) + ".*.tmp"))
        {
            TryDelete(temp);
        }
    }

    /// <summary>Makes the entries of <paramref name="dir"/> durable (after a rename, link or delete in it).</summary>
    public static void SyncDirectory(string dir) => GroupSync.Barrier(dir);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }
}
