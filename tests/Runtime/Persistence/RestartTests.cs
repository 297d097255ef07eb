using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Tests.Domains;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Persistence;

public sealed class RestartTests
{
    [Fact]
    public async Task A_restart_keeps_every_definition_and_brings_autostart_domains_up_before_open_returns()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var a = await hv.DefineAsync(h.Domain("a"));
        await hv.DefineAsync(h.Domain("b", vcpus: 3));
        await hv.SetAutostartAsync("a", true);
        var xmlB = await hv.GetXmlAsync("b");
        await hv.DisposeAsync();

        var again = await h.OpenAsync();

        Assert.Equal(["a", "b"], again.ListDomains().Select(d => d.Name).Order());
        var info = await again.GetInfoAsync("a");
        Assert.Equal(("running (booted)", true, a.Uuid), (info.Status.ToString(), info.Autostart, info.Uuid));
        Assert.Equal(1, info.Id);
        Assert.Equal(DomainState.Shutoff, (await again.GetInfoAsync("b")).Status.State);
        Assert.Equal(xmlB, await again.GetXmlAsync("b"));
        Assert.Empty(again.LoadProblems);
    }

    [Fact]
    public async Task A_graceful_stop_saves_running_domains_and_the_next_start_restores_them_with_their_memory()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("p"));
        await hv.DefineAsync(h.Domain("paused"));
        await hv.DefineAsync(h.Domain("off"));
        await hv.CreateAsync(h.Domain("t"));
        await hv.StartAsync("p");
        await hv.StartAsync("paused");
        var p = await SaveRestoreTests.DirtySomePages(hv, "p");
        var t = await SaveRestoreTests.DirtySomePages(hv, "t");
        await hv.SuspendAsync("paused");
        await hv.DisposeAsync();

        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "run")));
        var again = await h.OpenAsync();

        Assert.Equal("running (restored)", (await again.GetInfoAsync("p")).Status.ToString());
        Assert.Equal(p.Digest, (await again.GetGuestMemoryAsync("p")).Digest);
        Assert.Equal("paused (user)", (await again.GetInfoAsync("paused")).Status.ToString());
        Assert.False(again.Lookup("t").Persistent);
        Assert.Equal(t.Digest, (await again.GetGuestMemoryAsync("t")).Digest);
        Assert.Equal(DomainState.Shutoff, (await again.GetInfoAsync("off")).Status.State);
        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "save")));
    }

    [Fact]
    public async Task After_a_crash_running_domains_come_back_shut_off_crashed_and_autostart_decides()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("plain"));
        await hv.DefineAsync(h.Domain("auto"));
        await hv.SetAutostartAsync("auto", true);
        await hv.StartAsync("plain");
        await hv.StartAsync("auto");
        await hv.CreateAsync(h.Domain("transient"));

        hv.Abandon();
        var again = await h.OpenAsync();

        Assert.Equal("shut off (crashed)", (await again.GetInfoAsync("plain")).Status.ToString());
        Assert.Equal("running (booted)", (await again.GetInfoAsync("auto")).Status.ToString());
        Assert.False(again.Exists("transient"));
        var runRecords = Directory.GetFiles(Path.Combine(h.StateDir, "run"));
        Assert.Single(runRecords);
        Assert.Contains(again.Lookup("auto").Uuid.ToString("D"), runRecords[0], StringComparison.Ordinal);
        await again.StartAsync("plain");
        Assert.Equal([1, 2], again.ListDomains().Select(d => d.Id ?? 0).Order());
    }

    [Fact]
    public async Task Damaged_state_files_are_set_aside_and_reported_and_the_rest_loads()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var good = await hv.DefineAsync(h.Domain("good"));
        var bad = await hv.DefineAsync(h.Domain("bad"));
        await hv.SetAutostartAsync("good", true);
        await hv.DisposeAsync();
        var domains = Path.Combine(h.StateDir, "domains");
        await File.WriteAllTextAsync(Path.Combine(domains, bad.Uuid.ToString("D") + ".xml"), "<domain type='kvm'><name>bad</na");
        await File.WriteAllTextAsync(Path.Combine(domains, good.Uuid.ToString("D") + ".json"), "{ not json");
        await File.WriteAllTextAsync(Path.Combine(domains, ".x.xml.0123.tmp"), "half");

        var again = await h.OpenAsync();

        Assert.Equal(["good"], again.ListDomains().Select(d => d.Name));
        Assert.False((await again.GetInfoAsync("good")).Autostart);
        Assert.Equal(2, again.LoadProblems.Count);
        Assert.Contains(again.LoadProblems, p => p.Contains("damaged domain definition", StringComparison.Ordinal));
        var quarantined = Directory.GetFiles(Path.Combine(h.StateDir, "quarantine"));
        Assert.Contains(quarantined, f => f.EndsWith(bad.Uuid.ToString("D") + ".xml", StringComparison.Ordinal));
        Assert.Contains(quarantined, f => f.EndsWith(".reason", StringComparison.Ordinal));
        Assert.Empty(Directory.GetFiles(domains, "*.tmp"));
    }

    [Fact]
    public async Task Ids_start_again_at_one_with_each_start_of_the_runtime()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        await hv.DestroyAsync("a");
        await hv.StartAsync("a");
        Assert.Equal(2, hv.Lookup("a").Id);
        await hv.DisposeAsync();

        var again = await h.OpenAsync();
        Assert.Equal(1, again.Lookup("a").Id);
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("a"));
        Assert.Equal("Requested operation is not valid: the hypervisor is shutting down", e.Message);
    }
}
