using Reconciler.Controller.Daemon;
using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Daemon;

public sealed class StatusStoreTests
{
    [Fact]
    public async Task The_counts_of_statuses_and_converged_objects_match_the_records_after_concurrent_changes_and_a_reload()
    {
        using var dir = new TempDir();
        var store = new StatusStore(dir.Path);
        static ObjectStatus Status(ObjectKey key, bool converged) =>
            new(key.Kind, key.Name, null, "r1", converged ? SyncStatus.Synced : SyncStatus.OutOfSync, HealthStatus.Healthy, "", [], null, DateTimeOffset.UnixEpoch);

        // Many workers set, replace, clear and remove statuses of 50 objects at once, as reconciles do.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (var i = 0; i < 5_000; i++)
            {
                var key = new ObjectKey(ObjectKind.Domain, $"vm-{random.Next(50)}");
                switch (random.Next(4))
                {
                    case 0: store.Update(key, r => r with { Status = Status(key, converged: true) }); break;
                    case 1: store.Update(key, r => r with { Status = Status(key, converged: false) }); break;
                    case 2: store.Update(key, r => r with { Status = null, Reconciles = r.Reconciles + 1 }); break;
                    default: store.Remove(key); break;
                }
            }
        })));

        static (int, int) Walk(StatusStore s) =>
            (s.All.Count(p => p.Value.Status is not null), s.All.Count(p => p.Value.Status is { Converged: true }));
        var expected = Walk(store);
        Assert.Equal(expected, store.Counts());
        Assert.True(expected.Item1 > 0, "the random changes left no status at all");

        store.SaveNow();
        var again = new StatusStore(dir.Path);
        Assert.Equal(expected, again.Counts());
    }

    [Fact]
    public void A_status_save_killed_half_way_leaves_the_last_status_and_no_temporary_file()
    {
        using var dir = new TempDir();
        var store = new StatusStore(dir.Path);
        store.Update(new ObjectKey(ObjectKind.Domain, "web-01"), r => r with { AppliedRevision = "abc", Managed = true, Reconciles = 3 });
        store.SaveNow();
        var half = Path.Combine(dir.Path, $".controller-status.json.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(half, "[ { \"kind\": ");

        var again = new StatusStore(dir.Path);

        Assert.Null(again.Damaged);
        Assert.Equal(("abc", 3L), (again.Get(new ObjectKey(ObjectKind.Domain, "web-01")).AppliedRevision, again.Get(new ObjectKey(ObjectKind.Domain, "web-01")).Reconciles));
        Assert.False(File.Exists(half));
    }

    [Fact]
    public async Task Objects_marked_as_made_by_a_spec_are_remembered_without_a_status_save()
    {
        using var dir = new TempDir();
        var store = new StatusStore(dir.Path);
        var keys = Enumerable.Range(0, 200).Select(i => new ObjectKey(i % 2 == 0 ? ObjectKind.Domain : ObjectKind.Volume, i % 2 == 0 ? $"vm-{i}" : $"pool/disk {i}.qcow2")).ToList();

        // Marked from many workers at once, as the reconcile loop does; the daemon then dies before any status save.
        await Task.WhenAll(keys.Select(k => Task.Run(() => store.MarkManagedAsync(k, CancellationToken.None))));

        var again = new StatusStore(dir.Path);
        Assert.All(keys, k => Assert.True(again.Get(k).Managed, $"{k} lost its mark"));
        Assert.False(again.Get(new ObjectKey(ObjectKind.Domain, "vm-1")).Managed);
    }

    [Fact]
    public async Task A_journal_line_cut_short_by_a_crash_is_ignored_and_the_rest_kept()
    {
        using var dir = new TempDir();
        var store = new StatusStore(dir.Path);
        await store.MarkManagedAsync(new ObjectKey(ObjectKind.Network, "lan"), CancellationToken.None);
        File.AppendAllText(Path.Combine(dir.Path, "controller-managed.journal"), "Dom");

        var again = new StatusStore(dir.Path);

        Assert.Null(again.Damaged);
        Assert.True(again.Get(new ObjectKey(ObjectKind.Network, "lan")).Managed);
        Assert.DoesNotContain(again.All, p => p.Key.Name == "Dom" || p.Key.Name == "");
    }

    [Fact]
    public async Task A_full_save_folds_the_journal_in_and_empties_it()
    {
        using var dir = new TempDir();
        var journal = Path.Combine(dir.Path, "controller-managed.journal");
        var store = new StatusStore(dir.Path);
        await store.MarkManagedAsync(new ObjectKey(ObjectKind.Pool, "images"), CancellationToken.None);
        Assert.NotEqual(0, new FileInfo(journal).Length);

        store.SaveNow();

        Assert.Equal(0, new FileInfo(journal).Length);
        Assert.True(new StatusStore(dir.Path).Get(new ObjectKey(ObjectKind.Pool, "images")).Managed);
    }
}
