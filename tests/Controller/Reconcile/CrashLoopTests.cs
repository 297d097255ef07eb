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
        await using var h = await LoopHarness.StartAsync(dir.Path, imageDirectories: [images]);
        var (hv, loop) = (h.Hypervisor, h.Loop);
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

    private static ObjectStatus? Domain(ReconcileLoop loop) => loop.Status().FirstOrDefault(s => s.Kind == ObjectKind.Domain && s.Name == "flaky");

    private static Task Until(Func<bool> condition, string what) => LoopHarness.Until(condition, what, seconds: 20);
}
