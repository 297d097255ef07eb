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
    public async Task The_autostart_filter_keeps_the_domains_their_owner_no_longer_wants_from_booting()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("kept"));
        await hv.DefineAsync(h.Domain("unwanted"));
        await hv.SetAutostartAsync("kept", true);
        await hv.SetAutostartAsync("unwanted", true);
        await hv.DisposeAsync();

        var asked = 0;
        h.AutostartFilter = _ =>
        {
            Interlocked.Increment(ref asked);
            return Task.FromResult<Func<string, bool>>(name => name != "unwanted");
        };
        var again = await h.OpenAsync();

        Assert.Equal(1, asked);
        Assert.Equal("running (booted)", (await again.GetInfoAsync("kept")).Status.ToString());
        var unwanted = await again.GetInfoAsync("unwanted");
        Assert.Equal((DomainState.Shutoff, true), (unwanted.Status.State, unwanted.Autostart));
        Assert.Contains(h.Logs.Entries, e => e.Message.Contains("Domain unwanted is marked autostart but is not started", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_runtime_on_the_same_state_directory_is_refused_and_changes_nothing()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        var runRecords = Directory.GetFiles(Path.Combine(h.StateDir, "run"), "*.json");

        var e = await Assert.ThrowsAsync<RuntimeException>(h.OpenAsync);
        Assert.Equal($"Requested operation is not valid: the state directory {h.StateDir} is in use by another runtime: stop it first, or give this one another state directory", e.Message);
        // The first one's running domain was not taken for a crashed one.
        Assert.Equal(runRecords, Directory.GetFiles(Path.Combine(h.StateDir, "run"), "*.json"));
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("a")).Status.State);

        // Stopped, it lets the next one in.
        await hv.DisposeAsync();
        var again = await h.OpenAsync();
        Assert.Equal("running (restored)", (await again.GetInfoAsync("a")).Status.ToString());
    }

    [Fact]
    public async Task A_stored_definition_is_sealed_and_one_changed_by_hand_goes_through_the_parse_checks_again()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var a = await hv.DefineAsync(h.Domain("a", devices: "<interface type='user'><mac address='52:54:00:00:00:01'/></interface>"));
        await hv.DisposeAsync();
        var stored = Path.Combine(h.StateDir, "domains", $"{a.Uuid:D}.xml");
        var text = await File.ReadAllTextAsync(stored);
        Assert.True(Reconciler.Runtime.Persistence.SealedDefinition.IsIntact(System.Text.Encoding.UTF8.GetBytes(text)));
        Assert.StartsWith("<!-- written by the reconciler runtime", text.Split('\n')[^2], StringComparison.Ordinal);

        // Edited by hand into a definition the parse checks refuse (a multicast MAC): checked, and set aside.
        var body = text[..(text.LastIndexOf("<!--", StringComparison.Ordinal))];
        var edited = body.Replace("52:54:00:00:00:01", "01:00:00:00:00:01", StringComparison.Ordinal);
        await File.WriteAllTextAsync(stored, edited + text[body.Length..]);
        var again = await h.OpenAsync();
        Assert.Contains(again.LoadProblems, p => p.Contains("expected unicast mac address", StringComparison.Ordinal));
        Assert.Empty(again.ListDomains());
        await again.DisposeAsync();

        // The same text sealed by this build (as if it had accepted it) loads with the defaults alone.
        Directory.CreateDirectory(Path.GetDirectoryName(stored)!);
        await File.WriteAllTextAsync(stored, Reconciler.Runtime.Persistence.SealedDefinition.Seal(edited));
        var sealedOnce = await h.OpenAsync();
        Assert.Equal(["a"], sealedOnce.ListDomains().Select(d => d.Name));
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

        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "run"), "*.json"));
        var again = await h.OpenAsync();

        Assert.Equal("running (restored)", (await again.GetInfoAsync("p")).Status.ToString());
        Assert.Equal(p.Digest, (await again.GetGuestMemoryAsync("p")).Digest);
        Assert.Equal("paused (user)", (await again.GetInfoAsync("paused")).Status.ToString());
        Assert.False(again.Lookup("t").Persistent);
        Assert.Equal(t.Digest, (await again.GetGuestMemoryAsync("t")).Digest);
        Assert.Equal(DomainState.Shutoff, (await again.GetInfoAsync("off")).Status.State);
        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "save"), "*.save"));
    }

    [Fact]
    public async Task In_the_background_saved_domains_come_back_after_open_returns_and_a_stop_meanwhile_keeps_the_rest_for_next_time()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 64UL * 1024 * 1024);
        var hv = await h.OpenAsync();
        var names = Enumerable.Range(0, 60).Select(i => $"vm{i:00}").ToList();
        var digests = new Dictionary<string, string>();
        foreach (var name in names)
        {
            await hv.DefineAsync(h.Domain(name));
            await hv.StartAsync(name);
            digests[name] = (await SaveRestoreTests.DirtySomePages(hv, name)).Digest;
        }

        await hv.DisposeAsync(); // all 60 managed-saved

        h.StartUpInBackground = true;
        hv = await h.OpenAsync();
        // Open returned with the definitions loaded; the runtime brings the domains back on its own. The first
        // stop comes while it is at it (or just after, on a fast machine): whatever is not back yet stays saved.
        Assert.Equal(names, hv.ListDomains().Select(d => d.Name).Order(StringComparer.Ordinal));
        await hv.DisposeAsync();
        Assert.All(names, name => Assert.False(hv.IsResuming(name)));

        hv = await h.OpenAsync();
        await hv.StartedUp.WaitAsync(TimeSpan.FromSeconds(30));
        foreach (var name in names)
        {
            Assert.Equal("running (restored)", (await hv.GetInfoAsync(name)).Status.ToString());
            Assert.Equal(digests[name], (await hv.GetGuestMemoryAsync(name)).Digest);
            Assert.False(hv.IsResuming(name));
        }

        Assert.Empty(hv.LoadProblems);
    }

    [Fact]
    public async Task Run_records_and_save_images_leave_nothing_behind_once_their_domain_is_gone()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var kept = await hv.DefineAsync(h.Domain("kept"));
        var gone = await hv.DefineAsync(h.Domain("gone"));
        var crashedAway = await hv.DefineAsync(h.Domain("crashed-away"));
        await hv.CreateAsync(h.Domain("transient"));
        foreach (var name in (string[])["kept", "gone", "crashed-away"])
        {
            await hv.StartAsync(name);
        }

        await hv.DisposeAsync(); // every running domain managed-saved
        hv = await h.OpenAsync(); // and resumed
        await hv.ManagedSaveAsync("gone");
        await hv.StartAsync("gone");
        await hv.DestroyAsync("gone");
        await hv.UndefineAsync("gone");
        await hv.DestroyAsync("crashed-away");
        hv.Abandon();
        File.Delete(Path.Combine(h.StateDir, "domains", crashedAway.Uuid.ToString("D") + ".xml")); // removed by hand

        hv = await h.OpenAsync();
        Assert.Equal(["kept"], hv.ListDomains().Select(d => d.Name));
        var left = Directory.GetFiles(Path.Combine(h.StateDir, "run")).Concat(Directory.GetFiles(Path.Combine(h.StateDir, "save"))).ToList();
        Assert.DoesNotContain(left, f => f.Contains(gone.Uuid.ToString("D"), StringComparison.Ordinal) || f.Contains(crashedAway.Uuid.ToString("D"), StringComparison.Ordinal));
        Assert.All(left, f => Assert.Contains(kept.Uuid.ToString("D"), f, StringComparison.Ordinal));
        Assert.Equal("shut off (crashed)", (await hv.GetInfoAsync("kept")).Status.ToString());
        await hv.StartAsync("kept"); // its retired run record's inode takes the new record
        Assert.Single(Directory.GetFiles(Path.Combine(h.StateDir, "run"), kept.Uuid.ToString("D") + ".json"));
        await hv.DisposeAsync();
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
        var runRecords = Directory.GetFiles(Path.Combine(h.StateDir, "run"), "*.json");
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
    public async Task A_stored_definition_that_validation_would_now_refuse_is_kept_as_libvirtd_keeps_it()
    {
        // libvirtd reads its stored definitions without validating them again (VIR_DOMAIN_DEF_PARSE_SKIP_VALIDATE):
        // one that a stricter check (a newer version, an edit by hand) would refuse is kept, not lost.
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var twoDisks = "<disk type='file' device='disk'><source file='" + h.Image("a.qcow2") + "'/><target dev='vdz' bus='virtio'/></disk>";
        var dom = await hv.DefineAsync(h.Domain("kept", devices: twoDisks));
        var path = Path.Combine(h.StateDir, "domains", dom.Uuid.ToString("D") + ".xml");
        var stored = await File.ReadAllTextAsync(path);
        var duplicated = stored.Replace("<target dev='vdz'", "<target dev='vda'", StringComparison.Ordinal);
        Assert.NotEqual(stored, duplicated);
        var refused = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync(duplicated));
        Assert.Contains("vda", refused.Message, StringComparison.Ordinal);
        await hv.DisposeAsync();
        await File.WriteAllTextAsync(path, duplicated);

        hv = await h.OpenAsync();

        Assert.Equal(["kept"], hv.ListDomains().Select(d => d.Name));
        Assert.Empty(hv.LoadProblems);
        Assert.Contains("<target dev='vda'", await hv.GetXmlAsync("kept", inactive: true), StringComparison.Ordinal);
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
