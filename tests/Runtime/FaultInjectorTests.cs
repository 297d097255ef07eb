using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests;

public sealed class FaultInjectorTests
{
    [Fact]
    public void Transient_faults_hit_about_their_rate_and_permanent_ones_every_time()
    {
        var faults = new FaultInjector(0.2, ["Start:db"], seed: 7);
        var failures = 0;
        for (var i = 0; i < 10_000; i++)
        {
            try
            {
                faults.Check("StartAsync", "web");
            }
            catch (RuntimeException e)
            {
                Assert.True(e.IsTransient);
                failures++;
            }
        }

        Assert.InRange(failures, 1800, 2200);
        for (var i = 0; i < 10; i++)
        {
            var e = Assert.Throws<RuntimeException>(() => faults.Check("StartAsync", "db"));
            Assert.False(e.IsTransient);
            Assert.Equal("operation failed: injected permanent fault: Start of 'db' always fails", e.Message);
        }

        faults.Check("GetInfoAsync", "db");
        Assert.Equal(failures + 10, faults.Injected);
        Assert.Null(FaultInjector.Parse(" "));
        Assert.Equal(["Define:*", "Start:x"], FaultInjector.Parse("0.5; Start:x ;Define:*")!.Permanent.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_hypervisor_fails_changing_operations_on_purpose_and_changes_nothing_then()
    {
        await using var h = new RuntimeHarness();
        h.Faults = new FaultInjector(0, ["Start:a"]);
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("a"));
        Assert.Contains("injected permanent fault", e.Message, StringComparison.Ordinal);
        Assert.Equal(DomainState.Shutoff, (await hv.GetInfoAsync("a")).Status.State);
    }
}
