using Reconciler.Controller.Daemon;
using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Daemon;

public sealed class StatusStoreTests
{
    [Fact]
    public void A_status_save_killed_half_way_leaves_the_last_status_and_no_temporary_file()
    {
        using var dir = new TempDir();
        var store = new StatusStore(dir.Path);
        store.Update(new ObjectKey(ObjectKind.Domain, "web-01"), r => r with { AppliedRevision = "abc", Managed = true, Reconciles = 3 });
        store.Save();
        var half = Path.Combine(dir.Path, $".controller-status.json.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(half, "[ { \"kind\": ");

        var again = new StatusStore(dir.Path);

        Assert.Null(again.Damaged);
        Assert.Equal(("abc", 3L), (again.Get(new ObjectKey(ObjectKind.Domain, "web-01")).AppliedRevision, again.Get(new ObjectKey(ObjectKind.Domain, "web-01")).Reconciles));
        Assert.False(File.Exists(half));
    }
}
