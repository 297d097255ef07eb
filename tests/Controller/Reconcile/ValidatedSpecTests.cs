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
        await using var h = await LoopHarness.StartAsync(dir.Path);
        await check(h.Loop, h.Hypervisor);
    }

    private static Task Until(Func<bool> condition, string what) => LoopHarness.Until(condition, what);

    private static Task Until(Func<bool> condition, Func<string> what) => LoopHarness.Until(condition, what);
}
