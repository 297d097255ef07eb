using Reconciler.Controller.Daemon;
using Reconciler.Controller.Reconcile;
using Reconciler.Controller.Tests.Support;
using Reconciler.Runtime;
using Reconciler.Runtime.Host;
using Xunit;

namespace Reconciler.Controller.Tests.Reconcile;

/// <summary>The reconcile loop in process: what it does first when much is queued.</summary>
public sealed class QueueOrderTests
{
    private static string Spec(string name, int memoryMiB) => $"""
        <domain type='kvm'>
          <name>{name}</name>
          <metadata>
            <rc:reconciler xmlns:rc='https://reconciler.dev/xmlns/domain/1.0'>
              <rc:runStrategy>halted</rc:runStrategy>
            </rc:reconciler>
          </metadata>
          <memory unit='MiB'>{memoryMiB}</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
        </domain>
        """;

    [Fact]
    public async Task An_edit_during_a_periodic_resync_is_reconciled_before_the_objects_nothing_changed()
    {
        using var dir = new TempDir();
        const int count = 1500;
        for (var i = 0; i < count; i++)
        {
            dir.Write($"specs/d{i:0000}.xml", Spec($"d{i:0000}", 256));
        }

        await using var h = await LoopHarness.StartAsync(dir.Path, parallelism: 1);
        var (hv, loop) = (h.Hypervisor, h.Loop);
        await Until(() => loop.FirstPass.IsCompleted && loop.QueueDepth == 0, "the first pass");
        var before = loop.Status().ToDictionary(s => s.Name, s => s.Reconciles);

        // The order of reconciles, as the loop traces them.
        var started = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == Telemetry.Source.Name,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
            ActivityStarted = a =>
            {
                if (a.OperationName == "reconcile domain")
                {
                    started.Enqueue(a); // (its tags are set just after)
                }
            },
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        // The periodic full resync queues every object (nothing changed in them); meanwhile a file is
        // edited and reported, as the watcher reports it.
        await loop.RescanAsync(initial: false, CancellationToken.None, everything: true);
        var edited = Path.Combine(dir.Path, "specs", "d1499.xml");
        File.WriteAllText(edited, Spec("d1499", 512));
        await loop.RescanAsync(initial: false, CancellationToken.None, paths: [edited]);
        await Until(() => loop.QueueDepth == 0 && started.Count >= count, "the resync ends");

        // It went ahead of the resync's backlog: only what the worker took meanwhile came before it.
        var order = started.Select(a => (string)a.GetTagItem("reconciler.name")!).ToList();
        var position = order.IndexOf("d1499");
        Assert.True(position is >= 0 and < count / 4, $"the changed object was reconciled {position + 1}th of {order.Count}: {string.Join(",", order.Take(12))}");
        Assert.Contains("524288", await hv.GetXmlAsync("d1499", inactive: true), StringComparison.Ordinal);
        // Every object is looked at by the resync (the last one's status lands just after the queue empties).
        await Until(() => loop.Status().All(s => s.Reconciles > before[s.Name]), "every object was looked at by the resync");
    }

    private static Task Until(Func<bool> condition, string what) => LoopHarness.Until(condition, what, seconds: 60);
}
