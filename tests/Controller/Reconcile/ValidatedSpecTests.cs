using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Reconcile;
using Reconciler.Controller.Specs;
using Reconciler.Controller.Tests.Support;
using Reconciler.Runtime;
using Reconciler.Runtime.Host;
using Xunit;

namespace Reconciler.Controller.Tests.Reconcile;

/// <summary>Spec files validated in an earlier run: remembered by file, revision and schema build; anything changed is validated again.</summary>
public sealed class ValidatedSpecTests
{
    private static string Spec(string target2) => $"""
        <domain type='kvm'>
          <name>web</name>
          <metadata>
            <rc:reconciler xmlns:rc='https://reconciler.dev/xmlns/domain/1.0'>
              <rc:runStrategy>halted</rc:runStrategy>
            </rc:reconciler>
          </metadata>
          <memory unit='MiB'>256</memory>
          <vcpu>1</vcpu>
          <os><type arch='x86_64'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'><source file='/var/lib/images/a.qcow2'/><target dev='vda' bus='virtio'/></disk>
            <disk type='file' device='disk'><source file='/var/lib/images/b.qcow2'/><target dev='{target2}' bus='virtio'/></disk>
          </devices>
        </domain>
        """;

    [Fact]
    public async Task A_spec_changed_while_the_daemon_was_down_is_validated_again_and_a_refused_one_changes_nothing()
    {
        using var dir = new TempDir();
        var file = dir.Write("specs/web.xml", Spec("vdb"));
        var key = new ObjectKey(ObjectKind.Domain, "web");

        await RunAsync(dir, (loop, _) => Until(() => loop.StatusOf(key)?.Sync == SyncStatus.Synced, "web is defined"));
        var record = new StatusStore(dir.Path).Get(key);
        Assert.Equal(SpecDirectory.ValidatedMark(file, SpecDirectory.RevisionOf(File.ReadAllBytes(file))), record.ValidatedSpec);

        // Changed while the daemon was down into what only validation refuses (two disks on one target):
        // the remembered verdict was for other content, so the file is validated again and refused — and
        // the domain its valid version defined stays (a broken spec changes nothing), with the error.
        File.WriteAllText(file, Spec("vda"));
        await RunAsync(dir, async (loop, hv) =>
        {
            await Until(
                () => loop.StatusOf(key) is { Sync: SyncStatus.Error } s && s.Message.Contains("target 'vda' duplicated", StringComparison.Ordinal),
                () => $"the changed spec is refused (status: {loop.StatusOf(key)?.Message})");
            Assert.True(hv.Exists("web"));
            Assert.Contains("<target dev='vdb'", await hv.GetXmlAsync("web", inactive: true), StringComparison.Ordinal);
        });

        // Broken beyond parsing: the same.
        File.WriteAllText(file, "<domain type='kvm'><name>web</name>");
        await RunAsync(dir, async (loop, hv) =>
        {
            await Until(() => loop.StatusOf(key) is { Sync: SyncStatus.Error }, () => $"the broken spec is reported (status: {loop.StatusOf(key)?.Message})");
            Assert.True(hv.Exists("web"));
        });
    }

    private static async Task RunAsync(TempDir dir, Func<ReconcileLoop, Hypervisor, Task> check)
    {
        await using var hv = await Hypervisor.OpenAsync(new HypervisorOptions
        {
            StateDirectory = Path.Combine(dir.Path, "runtime"),
            Host = new HostInfo("h", new NodeInfo("x86_64", "cpu", 8UL << 20, 4, 1000, 1, 1, 4, 1)),
            ProbeVncPorts = false,
        });
        var options = new ControllerOptions { Specs = Path.Combine(dir.Path, "specs"), State = dir.Path, Host = "h", ResyncSeconds = 3600 };
        using var loop = new ReconcileLoop(Options.Create(options), hv, NullLogger<ReconcileLoop>.Instance);
        using var stop = new CancellationTokenSource();
        await loop.StartAsync(stop.Token);
        try
        {
            await check(loop, hv);
        }
        finally
        {
            await stop.CancelAsync();
            await loop.StopAsync(CancellationToken.None);
        }
    }

    private static async Task Until(Func<bool> condition, string what) => await Until(condition, () => what);

    private static async Task Until(Func<bool> condition, Func<string> what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what());
            await Task.Delay(20);
        }
    }
}
