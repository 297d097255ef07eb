using Reconciler.Runtime.Storage.Images;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Persistence;

/// <summary>
/// What a process killed between two writes leaves behind, reproduced step by step (the crash harness of
/// the controller tests finds such moments at random; these pin each one down): the next open cleans up.
/// </summary>
public sealed class InterruptedWriteTests
{
    private const string Nic = "<interface type='network'><source network='default'/><model type='virtio'/></interface>";

    [Fact]
    public async Task An_undefine_killed_after_removing_the_definition_leaves_no_lease_and_no_flags_behind()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.StartNetworkAsync("default");
        var dom = await hv.DefineAsync(h.Domain("gone", devices: Nic));
        await hv.DefineAsync(h.Domain("kept", devices: Nic));
        await hv.SetAutostartAsync("gone", true);
        await hv.StartAsync("gone");
        await hv.StartAsync("kept");
        Assert.Equal(2, hv.GetDhcpLeases("default").Count);
        hv.Abandon();

        // The undefine got as far as removing the definition, then the process died.
        File.Delete(Path.Combine(h.StateDir, "domains", dom.Uuid.ToString("D") + ".xml"));
        var again = await h.OpenAsync();

        Assert.False(again.Exists("gone"));
        Assert.False(File.Exists(Path.Combine(h.StateDir, "domains", dom.Uuid.ToString("D") + ".json")), "the flags of the undefined domain stay");
        Assert.Equal(["kept"], again.GetDhcpLeases("default").Select(l => l.Hostname));
        Assert.Empty(again.LoadProblems);
    }

    [Fact]
    public async Task A_transient_domain_that_died_with_the_process_leaves_no_lease()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        await hv.SetNetworkAutostartAsync("default", true);
        await hv.StartNetworkAsync("default");
        await hv.CreateAsync(h.Domain("transient", devices: Nic));
        Assert.Single(hv.GetDhcpLeases("default"));
        hv.Abandon();

        var again = await h.OpenAsync();

        Assert.False(again.Exists("transient"));
        Assert.Empty(again.GetDhcpLeases("default"));
    }

    [Fact]
    public async Task Temporary_files_of_interrupted_writes_are_removed_wherever_they_are()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineNetworkAsync(RuntimeHarness.DefaultNetwork);
        hv.Abandon();
        var hex = Guid.NewGuid().ToString("N");
        string[] leftovers =
        [
            Path.Combine(h.StateDir, "domains", $".{Guid.NewGuid():D}.xml.{hex}.tmp"),
            Path.Combine(h.StateDir, "networks", "leases", $".default.json.{hex}.tmp"),
            Path.Combine(h.StateDir, "networks", "active", $".{Guid.NewGuid():D}.xml.{hex}.tmp"),
            Path.Combine(h.StateDir, "pools", $".{Guid.NewGuid():D}.json.{hex}.tmp"),
            Path.Combine(h.StateDir, ".resume.json." + hex + ".tmp"),
        ];
        foreach (var file in leftovers)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, "{ half");
        }

        var again = await h.OpenAsync();

        Assert.All(leftovers, f => Assert.False(File.Exists(f), f));
        Assert.Empty(again.LoadProblems);
    }

    [Fact]
    public async Task A_qcow2_growth_killed_half_way_is_repaired_at_the_next_open()
    {
        await using var h = new RuntimeHarness();
        Directory.CreateDirectory(h.ImagesDir);
        var image = Path.Combine(h.ImagesDir, "growing.qcow2");
        Qcow2Image.Create(image, 2UL << 20, clusterBits: 9);
        var hv = await h.OpenAsync();

        hv.ResizeQcow2(image, 8UL << 20, steps: 3); // the header points at the new table; the old one is still counted
        hv.Abandon();
        Assert.Equal(3, HostTool.QemuImg("check", image).ExitCode);
        var again = await h.OpenAsync();

        var (code, output) = HostTool.QemuImg("check", image);
        Assert.True(code == 0, output);
        Assert.Equal(8UL << 20, Qcow2Image.ReadHeader(image).VirtualSize);
        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "resizes")));
        Assert.Empty(again.LoadProblems);
    }

    [Fact]
    public async Task Why_a_domain_shut_off_survives_a_crash_of_the_runtime()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("finished"));
        await hv.DefineAsync(h.Domain("destroyed"));
        await hv.DefineAsync(h.Domain("never"));
        await hv.StartAsync("finished");
        await hv.StartAsync("destroyed");
        await hv.ShutdownAsync("finished", wait: TimeSpan.FromSeconds(10));
        await hv.DestroyAsync("destroyed");
        hv.Abandon();

        var again = await h.OpenAsync();

        Assert.Equal("shut off (shutdown)", (await again.GetInfoAsync("finished")).Status.ToString());
        Assert.Equal("shut off (destroyed)", (await again.GetInfoAsync("destroyed")).Status.ToString());
        Assert.Equal("shut off (unknown)", (await again.GetInfoAsync("never")).Status.ToString());
    }

    [Fact]
    public async Task Starts_are_counted_before_the_guest_runs_and_survive_crashes_saves_and_restarts()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("counted"));
        Assert.Equal(0, (await hv.GetInfoAsync("counted")).Starts);
        await hv.StartAsync("counted");
        await hv.DestroyAsync("counted");
        await hv.StartAsync("counted");
        Assert.Equal(2, (await hv.GetInfoAsync("counted")).Starts);
        hv.Abandon();

        var again = await h.OpenAsync();

        var info = await again.GetInfoAsync("counted");
        Assert.Equal(("shut off (crashed)", 2L), (info.Status.ToString(), info.Starts));

        // The count the crash left in the run record outlives the record: a clean restart still has it.
        await again.DisposeAsync();
        again = await h.OpenAsync();
        Assert.Equal(2, (await again.GetInfoAsync("counted")).Starts);

        // A graceful stop saves it; the next start restores it, which is a start too.
        await again.StartAsync("counted");
        await again.DisposeAsync();
        again = await h.OpenAsync();
        Assert.Equal("running (restored)", (await again.GetInfoAsync("counted")).Status.ToString());
        Assert.Equal(4, (await again.GetInfoAsync("counted")).Starts);
        again.Abandon();
        again = await h.OpenAsync();
        Assert.Equal(4, (await again.GetInfoAsync("counted")).Starts);
        await again.StartAsync("counted");
        await again.DestroyAsync("counted");
        await again.DisposeAsync();
        again = await h.OpenAsync();
        Assert.Equal(("shut off (destroyed)", 5L), ((await again.GetInfoAsync("counted")).Status.ToString(), (await again.GetInfoAsync("counted")).Starts));
    }
}
