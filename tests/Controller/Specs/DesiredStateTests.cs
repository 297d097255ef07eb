using Reconciler.Controller.Daemon;
using Reconciler.Controller.Specs;
using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Specs;

public sealed class DesiredStateTests
{
    private const string Net = "<network><name>n1</name><bridge name='br5'/></network>";

    [Fact]
    public void Only_spec_files_are_read_and_volumes_are_named_by_their_pool_directory()
    {
        using var dir = new TempDir();
        dir.Write("networks/n1.xml", Net);
        dir.Write("networks/.hidden.xml", "<network><name>hidden</name></network>");
        dir.Write("networks/n1.xml~", Net);
        dir.Write("networks/n1.xml.tmp", Net);
        dir.Write(".git/config.xml", Net);
        dir.Write("pools/images/v.xml", "<volume><name>v.raw</name><capacity>1</capacity></volume>");
        dir.Write("stray-volume.xml", "<volume><name>w.raw</name><capacity>1</capacity></volume>");

        var scan = new SpecDirectory(dir.Path).Scan();
        var state = new DesiredState(allowEmpty: false);
        state.Apply(scan);

        Assert.Equal(3, scan.Files.Count);
        Assert.Equal(
            [new ObjectKey(ObjectKind.Network, "n1"), new ObjectKey(ObjectKind.Volume, "images/v.raw")],
            state.Objects.Keys.OrderBy(k => k.Kind));
        var problem = Assert.Single(state.Problems.Values);
        Assert.Contains("a volume spec lives in pools/<pool-name>/", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_file_keeps_the_last_valid_state_and_a_fix_brings_the_new_one()
    {
        using var dir = new TempDir();
        var file = dir.Write("n1.xml", Net);
        var specs = new SpecDirectory(dir.Path);
        var state = new DesiredState(allowEmpty: false);
        state.Apply(specs.Scan());
        var good = state.Objects[new ObjectKey(ObjectKind.Network, "n1")];

        File.WriteAllText(file, "<network><name>n1</name><bridge name='br5'/>");
        var changed = state.Apply(specs.Scan());

        Assert.Contains(new ObjectKey(ObjectKind.Network, "n1"), changed);
        Assert.Same(good, state.Objects[new ObjectKey(ObjectKind.Network, "n1")]);
        Assert.StartsWith($"{file}:1:", state.Problems[new ObjectKey(ObjectKind.Network, "n1")].Message, StringComparison.Ordinal);

        File.WriteAllText(file, Net.Replace("br5", "br6", StringComparison.Ordinal));
        state.Apply(specs.Scan());
        Assert.Empty(state.Problems);
        Assert.NotEqual(good.Revision, state.Objects[new ObjectKey(ObjectKind.Network, "n1")].Revision);
    }

    [Fact]
    public void Edits_read_while_a_whole_scan_reads_win_over_its_older_reading()
    {
        using var dir = new TempDir();
        var edited = dir.Write("networks/n1.xml", Net);
        var removed = dir.Write("networks/n2.xml", Net.Replace("n1", "n2", StringComparison.Ordinal).Replace("br5", "br7", StringComparison.Ordinal));
        dir.Write("networks/n3.xml", Net.Replace("n1", "n3", StringComparison.Ordinal).Replace("br5", "br8", StringComparison.Ordinal));
        var specs = new SpecDirectory(dir.Path);
        specs.Scan();

        // A periodic resync has read every file; before it completes, the watcher reports an edit, a removal
        // and a new file, which are read at once.
        var resync = specs.ReadAll();
        File.WriteAllText(edited, Net.Replace("br5", "br6", StringComparison.Ordinal));
        File.Delete(removed);
        var added = dir.Write("networks/n4.xml", Net.Replace("n1", "n4", StringComparison.Ordinal).Replace("br5", "br9", StringComparison.Ordinal));
        var afterEdits = specs.ScanPaths([edited, removed, added]);
        var completed = specs.Complete(resync);

        Assert.Equal(afterEdits.Files.Keys.Order(StringComparer.Ordinal), completed.Files.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(SpecDirectory.RevisionOf(File.ReadAllBytes(edited)), completed.Files[edited].Revision);
        Assert.DoesNotContain(removed, completed.Files.Keys);
        Assert.Contains(added, completed.Files.Keys);

        // The next whole scan reads the disk as it is, and a path scan after it starts from that.
        var next = specs.Scan();
        Assert.Equal(completed.Files.Keys.Order(StringComparer.Ordinal), next.Files.Keys.Order(StringComparer.Ordinal));
        File.WriteAllText(removed, Net.Replace("n1", "n2", StringComparison.Ordinal).Replace("br5", "br7", StringComparison.Ordinal));
        Assert.Equal(4, specs.ScanPaths([removed]).Files.Count);
    }

    [Fact]
    public void Applying_the_changed_paths_alone_gives_what_a_whole_scan_gives_after_any_sequence_of_edits()
    {
        // Random edits (valid specs of a few networks, so that files collide and objects move between
        // files; broken files; deletions): the state fed with the edited path alone, as the watcher feeds it,
        // must always equal the state fed with the whole directory.
        using var dir = new TempDir();
        var random = new Random(20261123);
        var paths = Enumerable.Range(0, 8).Select(i => Path.Combine(dir.Path, $"f{i}.xml")).ToList();
        File.WriteAllText(paths[0], Net);
        var incremental = new DesiredState(allowEmpty: true);
        var whole = new DesiredState(allowEmpty: true);
        var specsIncremental = new SpecDirectory(dir.Path);
        var specsWhole = new SpecDirectory(dir.Path);
        incremental.Apply(specsIncremental.Scan());
        whole.Apply(specsWhole.Scan());
        for (var step = 0; step < 400; step++)
        {
            var path = paths[random.Next(paths.Count)];
            switch (random.Next(5))
            {
                case 0 or 1 or 2:
                    File.WriteAllText(path, $"<network><name>n{random.Next(4)}</name><bridge name='br{random.Next(3)}'/></network>");
                    break;
                case 3:
                    File.WriteAllText(path, $"<network><name>n{random.Next(4)}</name><bridge name='br1'/>");
                    break;
                default:
                    File.Delete(path);
                    break;
            }

            var changedIncremental = incremental.Apply(specsIncremental.ScanPaths([path]), [path]);
            var changedWhole = whole.Apply(specsWhole.Scan());
            Assert.Equal(Describe(whole), Describe(incremental));
            Assert.Equal(changedWhole.Select(k => k.ToString()).Order(StringComparer.Ordinal), changedIncremental.Select(k => k.ToString()).Order(StringComparer.Ordinal));
        }
    }

    private static string Describe(DesiredState state) =>
        string.Join("\n", state.Objects.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value.File} {p.Value.Revision}")) + "\n--\n" +
        string.Join("\n", state.Problems.OrderBy(p => p.Key.ToString(), StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value.File} {p.Value.Message}"));

    [Fact]
    public void Two_files_defining_one_object_are_both_refused_naming_each_other()
    {
        using var dir = new TempDir();
        var a = dir.Write("a.xml", Net);
        var b = dir.Write("b.xml", Net.Replace("br5", "br7", StringComparison.Ordinal));
        var state = new DesiredState(allowEmpty: false);
        state.Apply(new SpecDirectory(dir.Path).Scan());

        Assert.Empty(state.Objects);
        var message = state.Problems[new ObjectKey(ObjectKind.Network, "n1")].Message;
        Assert.Contains(a, message, StringComparison.Ordinal);
        Assert.Contains(b, message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_suddenly_empty_directory_changes_nothing_unless_allowed()
    {
        using var dir = new TempDir();
        var file = dir.Write("n1.xml", Net);
        var specs = new SpecDirectory(dir.Path);
        var state = new DesiredState(allowEmpty: false);
        state.Apply(specs.Scan());

        File.Delete(file);
        Assert.Empty(state.Apply(specs.Scan()));
        Assert.Single(state.Objects);
        Assert.Contains("suddenly empty", state.Blocked, StringComparison.Ordinal);

        var gone = new SpecDirectory(Path.Combine(dir.Path, "nope"));
        Assert.Empty(state.Apply(gone.Scan()));
        Assert.Contains("does not exist", state.Blocked, StringComparison.Ordinal);

        var permissive = new DesiredState(allowEmpty: true);
        File.WriteAllText(file, Net);
        permissive.Apply(specs.Scan());
        File.Delete(file);
        Assert.Single(permissive.Apply(specs.Scan()));
        Assert.Empty(permissive.Objects);
    }

    [Fact]
    public void Reading_only_the_paths_the_watcher_reported_gives_what_a_full_scan_gives()
    {
        using var dir = new TempDir();
        var n1 = dir.Write("networks/n1.xml", Net);
        var n2 = dir.Write("networks/n2.xml", Net.Replace("n1", "n2", StringComparison.Ordinal).Replace("br5", "br6", StringComparison.Ordinal));
        var specs = new SpecDirectory(dir.Path);
        specs.Scan();

        // n1 edited, n2 removed, n3 added, a dot file written (reported, but never a spec).
        File.WriteAllText(n1, Net.Replace("br5", "br7", StringComparison.Ordinal));
        File.Delete(n2);
        var n3 = dir.Write("networks/n3.xml", Net.Replace("n1", "n3", StringComparison.Ordinal).Replace("br5", "br8", StringComparison.Ordinal));
        var hidden = dir.Write("networks/.n4.xml", Net);
        var partial = specs.ScanPaths([n1, n2, n3, hidden]);
        var full = new SpecDirectory(dir.Path).Scan();

        Assert.Equal(full.Files.Keys.Order(StringComparer.Ordinal), partial.Files.Keys.Order(StringComparer.Ordinal));
        Assert.All(full.Files, f => Assert.Equal(f.Value.Revision, partial.Files[f.Key].Revision));
        Assert.Equal(2, partial.Files.Count);
    }
}
