using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Reconcile;
using Reconciler.Controller.Tests.Support;
using Reconciler.Runtime;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Host;
using Xunit;

namespace Reconciler.Controller.Tests.Reconcile;

/// <summary>The reconcile loop in process, over a real runtime: what it does when a guest keeps crashing.</summary>
public sealed class CrashLoopTests
{
    [Fact]
    public async Task A_domain_that_keeps_crashing_is_restarted_then_backs_off_with_a_crash_loop_condition()
    {
        using var dir = new TempDir();
        var images = Path.Combine(dir.Path, "images");
        Directory.CreateDirectory(images);
        var image = Path.Combine(images, "flaky.qcow2");
        Reconciler.Runtime.Storage.Images.Qcow2Image.Create(image, 1UL << 30);
        dir.Write("specs/flaky.xml", $"""
            <domain type='kvm'>
              <name>flaky</name>
              <memory unit='MiB'>256</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices><disk type='file' device='disk'><source file='{image}'/><target dev='vda' bus='virtio'/></disk></devices>
            </domain>
            """);
        await using var hv = await Hypervisor.OpenAsync(new HypervisorOptions
        {
            StateDirectory = Path.Combine(dir.Path, "runtime"),
            Host = new HostInfo("h", new NodeInfo("x86_64", "cpu", 8UL << 20, 4, 1000, 1, 1, 4, 1)),
            AllowedImageDirectories = [images],
            ProbeVncPorts = false,
        });
        var options = new ControllerOptions { Specs = Path.Combine(dir.Path, "specs"), State = dir.Path, Host = "h", ResyncSeconds = 3600 };
        using var loop = new ReconcileLoop(Options.Create(options), hv, NullLogger<ReconcileLoop>.Instance);
        using var stop = new CancellationTokenSource();
        await loop.StartAsync(stop.Token);
        try
        {
            await Until(() => Domain(loop)?.Message.StartsWith("running (booted)", StringComparison.Ordinal) == true, "flaky runs");

            await hv.SimulateGuestAsync("flaky", GuestExit.Crash);
            await Until(() => hv.Lookup("flaky").Status.IsActive && hv.Lookup("flaky").Id == 2, "the first crash is followed by a restart at once");

            await hv.SimulateGuestAsync("flaky", GuestExit.Crash);
            await Until(() => Domain(loop)?.Conditions.Any(c => c.Type == "CrashLoopBackOff" && c.Status) == true, "the second crash backs off");
            var status = Domain(loop)!;
            Assert.Equal(HealthStatus.Degraded, status.Health);
            Assert.Contains("crash loop: 2 unexpected stops in a row", status.Message, StringComparison.Ordinal);
            Assert.False(hv.Lookup("flaky").Status.IsActive);
        }
        finally
        {
            await stop.CancelAsync();
            await loop.StopAsync(CancellationToken.None);
        }
    }

    private static ObjectStatus? Domain(ReconcileLoop loop) => loop.Status().FirstOrDefault(s => s.Kind == ObjectKind.Domain && s.Name == "flaky");

    private static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            await Task.Delay(20);
        }
    }
}
