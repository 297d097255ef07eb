using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Tests.Support;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Tests.Domains;

public sealed class LifecycleTests
{
    [Fact]
    public async Task Defined_domain_starts_running_booted_and_ids_increase_across_starts()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.DefineAsync(h.Domain("b"));
        Assert.Equal(DomainStatus.Shutoff(ShutoffReason.Unknown), (await hv.GetInfoAsync("a")).Status);
        Assert.Null(hv.Lookup("a").Id);

        await hv.StartAsync("a");
        await hv.StartAsync("b");
        Assert.Equal(DomainStatus.Running(RunningReason.Booted), (await hv.GetInfoAsync("a")).Status);
        Assert.Equal(1, hv.Lookup("a").Id);
        Assert.Equal(2, hv.Lookup("b").Id);

        await hv.DestroyAsync("a");
        Assert.Equal("shut off (destroyed)", (await hv.GetInfoAsync("a")).Status.ToString());
        Assert.Null(hv.Lookup("a").Id);
        await hv.StartAsync("a");
        Assert.Equal(3, hv.Lookup("a").Id);
        Assert.Equal("a", hv.Lookup("3").Name);
    }

    [Fact]
    public async Task Operations_libvirt_refuses_are_refused_with_its_messages()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DestroyAsync("a"));
        Assert.Equal("Requested operation is not valid: domain is not running", e.Message);
        Assert.Equal("VIR_ERR_OPERATION_INVALID", e.CodeName);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ShutdownAsync("a"));
        Assert.Equal("Requested operation is not valid: domain is not running", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SuspendAsync("a"));
        Assert.Equal("Requested operation is not valid: domain is not running", e.Message);

        await hv.StartAsync("a");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("a"));
        Assert.Equal("Requested operation is not valid: domain is already running", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ResumeAsync("a"));
        Assert.Equal("Requested operation is not valid: domain is already running", e.Message);

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("nope"));
        Assert.Equal("Domain not found: no domain with matching name 'nope'", e.Message);
        Assert.Equal("VIR_ERR_NO_DOMAIN", e.CodeName);
    }

    [Fact]
    public async Task Start_paused_then_resume_and_suspend()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a", paused: true);
        Assert.Equal("paused (user)", (await hv.GetInfoAsync("a")).Status.ToString());

        await hv.ResumeAsync("a");
        Assert.Equal("running (unpaused)", (await hv.GetInfoAsync("a")).Status.ToString());

        await hv.SuspendAsync("a");
        await hv.SuspendAsync("a");
        Assert.Equal("paused (user)", (await hv.GetInfoAsync("a")).Status.ToString());

        // A paused guest cannot act on an ACPI request: libvirt refuses the shutdown.
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ShutdownAsync("a"));
        Assert.Equal("Requested operation is not valid: domain is not running", e.Message);
    }

    [Fact]
    public async Task Graceful_shutdown_is_acknowledged_by_the_guest()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = CollectAsync(hv, "a", e => e.Type == DomainEventType.Stopped, cts.Token);

        await hv.ShutdownAsync("a", wait: TimeSpan.FromSeconds(5));

        Assert.Equal("shut off (shutdown)", (await hv.GetInfoAsync("a")).Status.ToString());
        var seen = await events;
        Assert.Equal([(DomainEventType.Shutdown, "finished"), (DomainEventType.Stopped, "shutdown")], seen.Select(e => (e.Type, e.Detail)));
        Assert.All(seen, e => Assert.True(e.Spontaneous));
    }

    [Fact]
    public async Task A_guest_that_ignores_shutdown_makes_the_caller_time_out_and_keeps_running()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        await hv.SetIgnoreShutdownAsync("a", true);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ShutdownAsync("a", wait: TimeSpan.FromMilliseconds(400)));
        Assert.Equal("VIR_ERR_OPERATION_TIMEOUT", e.CodeName);
        Assert.StartsWith("Timed out during operation: domain 'a' did not shut down", e.Message);
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("a")).Status.State);

        await hv.DestroyAsync("a");
        Assert.Equal("shut off (destroyed)", (await hv.GetInfoAsync("a")).Status.ToString());
    }

    [Fact]
    public async Task On_poweroff_restart_reboots_instead_of_powering_off()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", lifecycle: "<on_poweroff>restart</on_poweroff>"));
        await hv.StartAsync("a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var rebooted = CollectAsync(hv, "a", e => e.Type == DomainEventType.Rebooted, cts.Token);

        await hv.SimulateGuestAsync("a", GuestExit.PowerOff);

        Assert.Contains(await rebooted, e => e.Type == DomainEventType.Rebooted);
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("a")).Status.State);
    }

    [Fact]
    public async Task Reboot_keeps_the_domain_running_unless_on_reboot_is_destroy()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.DefineAsync(h.Domain("b", lifecycle: "<on_reboot>destroy</on_reboot>"));
        await hv.StartAsync("a");
        await hv.StartAsync("b");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var rebooted = CollectAsync(hv, "a", e => e.Type == DomainEventType.Rebooted, cts.Token);

        await hv.RebootAsync("a");
        await hv.RebootAsync("b");

        Assert.Contains(await rebooted, e => e.Type == DomainEventType.Rebooted);
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("a")).Status.State);
        await RuntimeHarness.WaitForState(hv, "b", DomainState.Shutoff);
        Assert.Equal("shut off (shutdown)", (await hv.GetInfoAsync("b")).Status.ToString());
    }

    [Fact]
    public async Task Guest_initiated_reboot_with_on_reboot_destroy_shuts_off()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", lifecycle: "<on_reboot>destroy</on_reboot>"));
        await hv.StartAsync("a");
        await hv.SimulateGuestAsync("a", GuestExit.Reboot);
        await RuntimeHarness.WaitForState(hv, "a", DomainState.Shutoff);
        Assert.Equal("shut off (shutdown)", (await hv.GetInfoAsync("a")).Status.ToString());
    }

    [Fact]
    public async Task Reset_keeps_the_domain_running_and_raises_a_reboot_event()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var rebooted = CollectAsync(hv, "a", e => e.Type == DomainEventType.Rebooted, cts.Token);
        await hv.ResetAsync("a");
        Assert.Equal("reset", (await rebooted).Last().Detail);
        Assert.Equal("running (booted)", (await hv.GetInfoAsync("a")).Status.ToString());
        await hv.DestroyAsync("a");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ResetAsync("a"));
        Assert.Equal("Requested operation is not valid: domain is not running", e.Message);
    }

    [Fact]
    public async Task A_crashed_emulator_leaves_the_domain_shut_off_crashed()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        await hv.SimulateGuestAsync("a", GuestExit.Crash);
        await RuntimeHarness.WaitForState(hv, "a", DomainState.Shutoff);
        Assert.Equal("shut off (crashed)", (await hv.GetInfoAsync("a")).Status.ToString());
    }

    [Theory]
    [InlineData("destroy", "shut off (crashed)")]
    [InlineData("coredump-destroy", "shut off (crashed)")]
    [InlineData("restart", "running (crashed)")]
    [InlineData("preserve", "crashed (panicked)")]
    public async Task A_guest_panic_follows_on_crash(string onCrash, string expected)
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a", lifecycle: $"<on_crash>{onCrash}</on_crash>"));
        await hv.StartAsync("a");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var crashed = CollectAsync(hv, "a", e => e.Type == DomainEventType.Crashed, cts.Token);

        await hv.SimulateGuestAsync("a", GuestExit.Panic);

        Assert.Equal("panicked", (await crashed).Last().Detail);
        await RuntimeHarness.Eventually(async () => (await hv.GetInfoAsync("a")).Status.ToString() == expected, $"a is {expected}");
    }

    [Fact]
    public async Task Transient_domains_run_and_vanish_when_they_stop()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var created = await hv.CreateAsync(h.Domain("t"));
        Assert.False(created.Persistent);
        Assert.Equal(DomainState.Running, created.Status.State);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.UndefineAsync("t"));
        Assert.Equal("Requested operation is not valid: cannot undefine transient domain", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.SetAutostartAsync("t", true));
        Assert.Equal("Requested operation is not valid: cannot set autostart for transient domain", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ManagedSaveAsync("t"));
        Assert.Equal("Requested operation is not valid: cannot do managed save for transient domain", e.Message);

        await hv.DestroyAsync("t");
        Assert.False(hv.Exists("t"));
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetInfoAsync("t"));
        Assert.Equal("Domain not found: no domain with matching name 't'", e.Message);
    }

    [Fact]
    public async Task Creating_over_an_inactive_persistent_domain_runs_the_given_definition_once()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var uuid = Guid.NewGuid();
        await hv.DefineAsync(h.Domain("a", memoryMiB: 256, uuid: uuid));
        await hv.CreateAsync(h.Domain("a", memoryMiB: 512, uuid: uuid));

        Assert.Equal(512UL * 1024, (await hv.GetInfoAsync("a")).MaxMemoryKiB);
        Assert.Contains("<memory unit='KiB'>262144</memory>", await hv.GetXmlAsync("a", inactive: true));
        await hv.DestroyAsync("a");
        Assert.Equal(256UL * 1024, (await hv.GetInfoAsync("a")).MaxMemoryKiB);
        Assert.True(hv.Lookup("a").Persistent);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateAsync(h.Domain("a", uuid: Guid.NewGuid())));
        Assert.StartsWith("operation failed: domain 'a' already exists with uuid ", e.Message);
        await hv.StartAsync("a");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateAsync(h.Domain("a", uuid: uuid)));
        Assert.Equal("Requested operation is not valid: domain 'a' is already active", e.Message);
    }

    [Fact]
    public async Task Defining_checks_names_against_uuids_as_libvirt_does()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var uuid = Guid.Parse("8c7e41d5-3b3b-4f45-9a2f-3f6d2f0e6a11");
        await hv.DefineAsync(h.Domain("a", uuid: uuid));

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync(h.Domain("b", uuid: uuid)));
        Assert.Equal("operation failed: domain 'a' is already defined with uuid 8c7e41d5-3b3b-4f45-9a2f-3f6d2f0e6a11", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync(h.Domain("a", uuid: Guid.NewGuid())));
        Assert.Equal("operation failed: domain 'a' already exists with uuid 8c7e41d5-3b3b-4f45-9a2f-3f6d2f0e6a11", e.Message);
    }

    [Fact]
    public async Task Bad_definitions_are_refused_with_the_schema_layer_message()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync("<domain type='kvm'><name>x</name></domain>"));
        Assert.Equal(ErrorCode.XmlError, e.Code);
        Assert.Equal("XML error: an os <type> must be specified", e.Message);

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync(h.Domain("p", lifecycle: "<on_poweroff>preserve</on_poweroff>")));
        Assert.Equal("unsupported configuration: qemu driver doesn't support the 'preserve' action for 'on_reboot'/'on_poweroff'", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync("<network><name>n</name></network>"));
        Assert.Equal("XML error: unexpected root element <network>, expecting <domain>", e.Message);
        Assert.Empty(hv.ListDomains());
    }

    [Fact]
    public async Task Redefining_a_running_domain_changes_its_next_boot_only()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var uuid = Guid.NewGuid();
        await hv.DefineAsync(h.Domain("a", vcpus: 2, uuid: uuid));
        await hv.StartAsync("a");
        var updated = await hv.DefineAsync(h.Domain("a", vcpus: 4, uuid: uuid));
        Assert.True(updated.Persistent);

        Assert.Contains(">2</vcpu>", await hv.GetXmlAsync("a"));
        Assert.Contains(">4</vcpu>", await hv.GetXmlAsync("a", inactive: true));
        Assert.Equal(2, (await hv.GetInfoAsync("a")).Vcpus);

        await hv.DestroyAsync("a");
        await hv.StartAsync("a");
        Assert.Equal(4, (await hv.GetInfoAsync("a")).Vcpus);
    }

    [Fact]
    public async Task Undefining_a_running_domain_makes_it_transient_until_it_stops()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.SetAutostartAsync("a", true);
        await hv.StartAsync("a");
        await hv.UndefineAsync("a");

        var info = await hv.GetInfoAsync("a");
        Assert.False(info.Persistent);
        Assert.False(info.Autostart);
        Assert.Equal(DomainState.Running, info.Status.State);
        Assert.Empty(Directory.GetFiles(Path.Combine(h.StateDir, "domains")));

        await hv.ShutdownAsync("a", wait: TimeSpan.FromSeconds(5));
        Assert.False(hv.Exists("a"));
    }

    [Fact]
    public async Task Events_report_every_transition_in_order()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var events = CollectAsync(hv, "a", e => e.Type == DomainEventType.Undefined, cts.Token);

        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a", paused: true);
        await hv.ResumeAsync("a");
        await hv.SuspendAsync("a");
        await hv.DestroyAsync("a");
        await hv.UndefineAsync("a");

        Assert.Equal(
            ["Defined/added", "Started/booted", "Suspended/paused", "Resumed/unpaused", "Suspended/paused", "Stopped/destroyed", "Undefined/removed"],
            (await events).Select(e => $"{e.Type}/{e.Detail}"));
    }

    [Fact]
    public async Task A_definition_the_caller_validated_is_taken_without_validation_and_others_are_validated()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();

        // Two disks on one target: only validation (not the parse checks) refuses it.
        var disk = "<disk type='file' device='disk'><source file='" + h.Image("x.qcow2") + "'/><target dev='vdz' bus='virtio'/></disk>";
        var twice = h.Domain("twice", devices: disk + disk);
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync(twice));
        Assert.Contains("vdz", e.Message, StringComparison.Ordinal);
        Assert.False(hv.Exists("twice"));

        await hv.DefineAsync(twice, DefineFlags.Validated);
        Assert.True(hv.Exists("twice"));

        // Parse checks and defaults still apply.
        await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync("<domain type='kvm'><name>x</name><memory>zero</memory></domain>", DefineFlags.Validated));
        Assert.Contains("<uuid>", await hv.GetXmlAsync("twice", inactive: true), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Whoever_hears_that_a_transient_domain_stopped_or_a_domain_was_undefined_no_longer_finds_it()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var stillListed = new List<string>();
        hv.DomainChanged += e =>
        {
            if (e.Type is DomainEventType.Stopped or DomainEventType.Undefined && hv.Exists(e.Name))
            {
                lock (stillListed)
                {
                    stillListed.Add($"{e.Name} {e.Type}");
                }
            }
        };

        await hv.CreateAsync(h.Domain("transient"));
        await hv.DestroyAsync("transient");
        await hv.DefineAsync(h.Domain("defined"));
        await hv.UndefineAsync("defined");

        Assert.False(hv.Exists("transient"));
        Assert.False(hv.Exists("defined"));
        Assert.Empty(stillListed);
    }

    [Fact]
    public async Task Parallel_starts_get_distinct_ids_and_ports()
    {
        await using var h = new RuntimeHarness(hostMemoryKiB: 64UL * 1024 * 1024, hostCpus: 64);
        var hv = await h.OpenAsync();
        var names = Enumerable.Range(0, 40).Select(i => $"vm{i}").ToList();
        await Task.WhenAll(names.Select(n => hv.DefineAsync(h.Domain(n, memoryMiB: 128, devices: "<graphics type='vnc' autoport='yes'/>"))));
        await Task.WhenAll(names.Select(n => hv.StartAsync(n)));

        var ids = hv.ListDomains().Select(d => d.Id).ToList();
        Assert.Equal(40, ids.Distinct().Count());
        Assert.Equal(Enumerable.Range(1, 40).Cast<int?>(), ids.Order());
        var ports = new List<string>();
        foreach (var n in names)
        {
            var xml = await hv.GetXmlAsync(n);
            ports.Add(System.Text.RegularExpressions.Regex.Match(xml, "port='(\\d+)'").Groups[1].Value);
        }

        Assert.Equal(40, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(int.Parse(p, System.Globalization.CultureInfo.InvariantCulture), 5900, 5939));
    }

    /// <summary>Subscribes at once (before returning), then collects the events of one domain until <paramref name="until"/> holds.</summary>
    internal static Task<List<DomainEvent>> CollectAsync(Hypervisor hv, string name, Func<DomainEvent, bool> until, CancellationToken token)
    {
        var enumerator = hv.WatchAsync(token).GetAsyncEnumerator(token);
        var first = enumerator.MoveNextAsync();
        return ConsumeAsync(enumerator, first, name, until);
    }

    private static async Task<List<DomainEvent>> ConsumeAsync(IAsyncEnumerator<DomainEvent> enumerator, ValueTask<bool> first, string name, Func<DomainEvent, bool> until)
    {
        var seen = new List<DomainEvent>();
        try
        {
            var more = await first;
            while (more)
            {
                var e = enumerator.Current;
                if (e.Name == name)
                {
                    seen.Add(e);
                    if (until(e))
                    {
                        break;
                    }
                }

                more = await enumerator.MoveNextAsync();
            }
        }
        finally
        {
            await enumerator.DisposeAsync();
        }

        return seen;
    }
}
