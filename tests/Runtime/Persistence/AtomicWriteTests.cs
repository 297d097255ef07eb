using System.Text;
using Reconciler.Runtime.Persistence;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Persistence;

/// <summary>Atomic rewrites of a state file: the new content under the name, no inode made or freed once the file has its spare.</summary>
public sealed class AtomicWriteTests
{
    private static ulong Inode(string path)
    {
        var (code, output) = HostTool.Run("stat", "-c", "%i", path);
        return code == 0 ? ulong.Parse(output.Trim(), System.Globalization.CultureInfo.InvariantCulture) : throw new IOException(output);
    }

    private sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("rc-atomic-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    [Fact]
    public void A_directory_is_really_synced_after_a_rename_and_one_that_is_gone_is_not()
    {
        var dir = Directory.CreateTempSubdirectory("rc-dirsync-").FullName;
        try
        {
            // .NET refuses to open a directory as a file: the sync of the renames in it must not silently fail.
            Assert.True(GroupSync.Sync(dir));
            Assert.False(GroupSync.Sync(Path.Combine(dir, "gone")));
            StateDirectory.SyncDirectory(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_rewritten_file_swaps_with_its_spare_and_no_other_file_is_left()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "flags.json");
        StateDirectory.WriteAtomic(path, "one");
        Assert.Equal(["flags.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        StateDirectory.WriteAtomic(path, "two");
        StateDirectory.WriteAtomic(path, "three");
        Assert.Equal("three", File.ReadAllText(path));
        var inodes = new[] { Inode(path), Inode(StateDirectory.SparePath(path)) }.Order().ToArray();
        for (var i = 0; i < 5; i++)
        {
            StateDirectory.WriteAtomic(path, Encoding.UTF8.GetBytes($"round {i}"));
            Assert.Equal($"round {i}", File.ReadAllText(path));
        }

        Assert.Equal(inodes, new[] { Inode(path), Inode(StateDirectory.SparePath(path)) }.Order().ToArray());
        Assert.Equal([".flags.json.spare", "flags.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        StateDirectory.Delete(path);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_retired_file_is_gone_under_its_name_and_its_emptied_inode_carries_the_next_write()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "run.json");
        StateDirectory.WriteAtomic(path, "{\"id\":1}");
        var inode = Inode(path);

        StateDirectory.Retire(path);
        Assert.False(File.Exists(path));
        Assert.True(File.Exists(StateDirectory.SparePath(path)));

        StateDirectory.WriteAtomic(path, "{\"id\":2}");
        Assert.Equal("{\"id\":2}", File.ReadAllText(path));
        Assert.Equal(inode, Inode(path));
        Assert.Equal(["run.json"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));

        // A large file written through a stream (a save image) takes the retired inode as well.
        StateDirectory.Retire(path);
        StateDirectory.WriteAtomic(path, stream => stream.Write(new byte[100_000]));
        Assert.Equal((100_000L, inode), (new FileInfo(path).Length, Inode(path)));

        // Retired, a large file gives its blocks back; a shorter content written over a spare ends where it ends.
        StateDirectory.Retire(path);
        Assert.Equal(0, new FileInfo(StateDirectory.SparePath(path)).Length);
        StateDirectory.WriteAtomic(path, "longer content");
        StateDirectory.WriteAtomic(path, "second");
        StateDirectory.WriteAtomic(path, "short");
        Assert.Equal("short", File.ReadAllText(path));

        StateDirectory.Retire(path);
        StateDirectory.Delete(path);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }

    [Fact]
    public void A_spare_whose_file_is_gone_is_removed_at_open_and_one_with_its_file_stays()
    {
        using var dir = new TempDir();
        var state = new StateDirectory(dir.Path);
        var kept = Path.Combine(state.Domains, "kept.json");
        var gone = Path.Combine(state.Domains, "gone.json");
        foreach (var path in (string[])[kept, kept, gone, gone])
        {
            StateDirectory.WriteAtomic(path, "{}");
        }

        var retired = Path.Combine(state.Running, "retired.json");
        StateDirectory.WriteAtomic(retired, "{}");
        StateDirectory.Retire(retired);

        File.Delete(gone);
        state.RemoveInterruptedWrites();

        Assert.True(File.Exists(StateDirectory.SparePath(kept)));
        Assert.False(File.Exists(StateDirectory.SparePath(gone)));
        Assert.True(File.Exists(StateDirectory.SparePath(retired))); // run/ and save/ keep retired names (their domain decides)
    }
}
