using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Reconcile;
using Reconciler.Runtime;
using Reconciler.Runtime.Host;
using Xunit;

namespace Reconciler.Controller.Tests.Support;

/// <summary>
/// The reconcile loop in process over a real runtime, on <c>ROOT/specs</c> with its state in <c>ROOT</c>
/// (the runtime's in <c>ROOT/runtime</c>): host "h" with 4 CPUs and 8 GiB, no periodic resync.
/// </summary>
internal sealed class LoopHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private LoopHarness(Hypervisor hypervisor, ReconcileLoop loop)
    {
        Hypervisor = hypervisor;
        Loop = loop;
    }

    public Hypervisor Hypervisor { get; }

    public ReconcileLoop Loop { get; }

    public static async Task<LoopHarness> StartAsync(string root, IReadOnlyList<string>? imageDirectories = null, int parallelism = 8)
    {
        var hypervisor = await Hypervisor.OpenAsync(new HypervisorOptions
        {
            StateDirectory = Path.Combine(root, "runtime"),
            Host = new HostInfo("h", new NodeInfo("x86_64", "cpu", 8UL << 20, 4, 1000, 1, 1, 4, 1)),
            AllowedImageDirectories = imageDirectories ?? [],
            ProbeVncPorts = false,
        });
        var options = new ControllerOptions { Specs = Path.Combine(root, "specs"), State = root, Host = "h", ResyncSeconds = 3600, Parallelism = parallelism };
        var loop = new ReconcileLoop(Options.Create(options), hypervisor, NullLogger<ReconcileLoop>.Instance);
        var harness = new LoopHarness(hypervisor, loop);
        await loop.StartAsync(harness._stop.Token);
        return harness;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> after <paramref name="seconds"/>.</summary>
    public static async Task Until(Func<bool> condition, Func<string> what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what());
            await Task.Delay(10);
        }
    }

    public static Task Until(Func<bool> condition, string what, int seconds = 30) => Until(condition, () => what, seconds);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Loop.StopAsync(CancellationToken.None);
        Loop.Dispose();
        await Hypervisor.DisposeAsync();
        _stop.Dispose();
    }
}
