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

        File.Delete(gone);
        state.RemoveInterruptedWrites();

        Assert.True(File.Exists(StateDirectory.SparePath(kept)));
        Assert.False(File.Exists(StateDirectory.SparePath(gone)));
    }
}
