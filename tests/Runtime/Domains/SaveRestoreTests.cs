using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Domains;

public sealed class SaveRestoreTests
{
    [Fact]
    public async Task Save_and_restore_keep_the_memory_and_give_a_new_id()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var uuid = Guid.NewGuid();
        await hv.DefineAsync(h.Domain("a", uuid: uuid));
        await hv.StartAsync("a");
        var memory = await DirtySomePages(hv, "a");
        var id = hv.Lookup("a").Id;
        var image = Path.Combine(h.StateDir, "a.img");

        await hv.SaveAsync("a", image);

        Assert.Equal("shut off (saved)", (await hv.GetInfoAsync("a")).Status.ToString());
        Assert.True(File.Exists(image));
        Assert.Empty(Directory.GetFiles(h.StateDir, "*.tmp", SearchOption.AllDirectories));

        var restored = await hv.RestoreAsync(image);
        Assert.Equal(("a", uuid), (restored.Name, restored.Uuid));
        Assert.NotEqual(id, restored.Id);
        Assert.Equal("running (restored)", (await hv.GetInfoAsync("a")).Status.ToString());
        var after = await hv.GetGuestMemoryAsync("a");
        Assert.Equal(memory.Digest, after.Digest);
        Assert.Equal(memory.TouchedPages, after.TouchedPages);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.RestoreAsync(image));
        Assert.Equal("Requested operation is not valid: domain 'a' is already active", e.Message);
    }

    [Fact]
    public async Task A_transient_domain_restores_as_transient_and_a_paused_one_as_paused()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.CreateAsync(h.Domain("t"));
        var memory = await DirtySomePages(hv, "t");
        await hv.SuspendAsync("t");
        var image = Path.Combine(h.StateDir, "t.img");
        await hv.SaveAsync("t", image);
        Assert.False(hv.Exists("t"));

        var restored = await hv.RestoreAsync(image);
        Assert.False(restored.Persistent);
        Assert.Equal("paused (user)", (await hv.GetInfoAsync("t")).Status.ToString());
        Assert.Equal(memory.Digest, (await hv.GetGuestMemoryAsync("t")).Digest);
    }

    [Fact]
    public async Task A_damaged_image_is_refused_and_nothing_is_restored()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.CreateAsync(h.Domain("t"));
        await DirtySomePages(hv, "t");
        var image = Path.Combine(h.StateDir, "t.img");
        await hv.SaveAsync("t", image);
        var bytes = await File.ReadAllBytesAsync(image);
        bytes[^100] ^= 0x55;
        await File.WriteAllBytesAsync(image, bytes);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.RestoreAsync(image));
        Assert.StartsWith("operation failed: cannot restore from", e.Message);
        Assert.False(hv.Exists("t"));

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.RestoreAsync(Path.Combine(h.StateDir, "missing.img")));
        Assert.Equal("VIR_ERR_SYSTEM_ERROR", e.CodeName);
    }

    [Fact]
    public async Task Managed_save_is_restored_by_the_next_start()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        var memory = await DirtySomePages(hv, "a");

        await hv.ManagedSaveAsync("a");
        var info = await hv.GetInfoAsync("a");
        Assert.Equal("shut off (saved)", info.Status.ToString());
        Assert.True(info.ManagedSave);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.UndefineAsync("a"));
        Assert.Equal("Requested operation is not valid: Refusing to undefine while domain managed save image exists", e.Message);

        await hv.StartAsync("a");
        Assert.Equal("running (restored)", (await hv.GetInfoAsync("a")).Status.ToString());
        Assert.Equal(memory.Digest, (await hv.GetGuestMemoryAsync("a")).Digest);
        Assert.False((await hv.GetInfoAsync("a")).ManagedSave);
        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "save"), "*.save"));

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ManagedSaveAsync("nope"));
        Assert.Equal("VIR_ERR_NO_DOMAIN", e.CodeName);
    }

    [Fact]
    public async Task Force_boot_discards_the_managed_save_and_undefine_can_remove_it()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        var memory = await DirtySomePages(hv, "a");
        await hv.ManagedSaveAsync("a");

        await hv.StartAsync("a", forceBoot: true);
        Assert.Equal("running (booted)", (await hv.GetInfoAsync("a")).Status.ToString());
        Assert.NotEqual(memory.Digest, (await hv.GetGuestMemoryAsync("a")).Digest);

        await hv.ManagedSaveAsync("a");
        await hv.UndefineAsync("a", removeManagedSave: true);
        Assert.False(hv.Exists("a"));
        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "save")));
    }

    [Fact]
    public async Task A_damaged_managed_save_is_set_aside_and_the_domain_boots_afresh()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var summary = await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        await DirtySomePages(hv, "a");
        await hv.ManagedSaveAsync("a");
        var image = Path.Combine(h.StateDir, "save", summary.Uuid.ToString("D") + ".save");
        await File.WriteAllBytesAsync(image, (await File.ReadAllBytesAsync(image))[..1000]);

        await hv.StartAsync("a");

        Assert.Equal("running (booted)", (await hv.GetInfoAsync("a")).Status.ToString());
        Assert.Contains(hv.LoadProblems, p => p.Contains("Unable to restore from managed state", StringComparison.Ordinal));
        Assert.Single(Directory.GetFiles(Path.Combine(h.StateDir, "quarantine"), "*.save"));
    }

    /// <summary>Lets the guest's workload write pages, stops it, and returns what the guest reports of its memory.</summary>
    internal static async Task<GuestMemoryReport> DirtySomePages(Hypervisor hv, string name)
    {
        await hv.SetWorkloadAsync(name, new WorkloadSettings(DirtyPagesPerSecond: 20_000));
        await RuntimeHarness.Eventually(async () => (await hv.GetGuestMemoryAsync(name)).WorkCounter > 500, $"{name} wrote pages");
        await hv.SetWorkloadAsync(name, WorkloadSettings.Idle);
        var report = await hv.GetGuestMemoryAsync(name);
        Assert.True(report.TouchedPages > 0);
        return report;
    }
}
