using System.Text.Json;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Tests.Support;
using Reconciler.Runtime.Domains;
using Xunit;

namespace Reconciler.Controller.Tests.Cli;

/// <summary>The CLI verbs over the API: the real executable against an API server started by the test.</summary>
public sealed class DaemonVerbsTests
{
    private static ReconcilerProcess.Result Cli(ApiHarness h, params string[] args) =>
        ReconcilerProcess.Run([.. args, "--socket", h.SocketPath]);

    [Fact]
    public async Task List_prints_virshs_table_and_all_adds_inactive_domains()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web-01");
            await h.DefineDomainAsync("db");
            await h.Hypervisor.StartAsync("web-01");

            var r = Cli(h, "list");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(
                " Id   Name     State\n" +
                "------------------------\n" +
                " 1    web-01   running\n\n",
                r.Stdout);

            r = Cli(h, "list", "--all");
            Assert.Equal(
                " Id   Name     State\n" +
                "-------------------------\n" +
                " 1    web-01   running\n" +
                " -    db       shut off\n\n",
                r.Stdout);
        }
    }

    [Fact]
    public async Task List_all_as_json_gives_every_domain_with_state_reason_and_host()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            await h.DefineDomainAsync("db");
            await h.Hypervisor.StartAsync("web");
            await h.Hypervisor.SetAutostartAsync("web", true);

            var r = Cli(h, "list", "--all", "--output", "json");
            Assert.Equal(0, r.ExitCode);
            using var doc = JsonDocument.Parse(r.Stdout);
            var domains = doc.RootElement.EnumerateArray().ToList();
            Assert.Equal(["web", "db"], domains.Select(d => d.GetProperty("name").GetString()));
            foreach (var field in new[] { "id", "name", "uuid", "state", "reason", "autostart", "host" })
            {
                Assert.All(domains, d => Assert.True(d.TryGetProperty(field, out _), field));
            }

            Assert.Equal(1, domains[0].GetProperty("id").GetInt32());
            Assert.Equal("running", domains[0].GetProperty("state").GetString());
            Assert.Equal("booted", domains[0].GetProperty("reason").GetString());
            Assert.True(domains[0].GetProperty("autostart").GetBoolean());
            Assert.Equal("test-host", domains[0].GetProperty("host").GetString());
            Assert.Equal(h.Hypervisor.Lookup("web").Uuid, domains[0].GetProperty("uuid").GetGuid());
            Assert.Equal(JsonValueKind.Null, domains[1].GetProperty("id").ValueKind);
            Assert.Equal("shut off", domains[1].GetProperty("state").GetString());
        }
    }

    [Fact]
    public async Task Status_prints_every_object_as_a_table_or_json()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            var at = DateTimeOffset.Parse("2025-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture);
            h.View.Objects.Add(new ObjectStatus(ObjectKind.Network, "default", "/specs/networks/default.xml", "r1", SyncStatus.Synced, HealthStatus.Healthy, "active", [new Condition("Ready", true, "Active", "the network is active", at)], null, at));
            h.View.Objects.Add(new ObjectStatus(ObjectKind.Domain, "web", "/specs/domains/web.xml", "r2", SyncStatus.OutOfSync, HealthStatus.Degraded, "crash loop", [new Condition("CrashLoopBackOff", true, "Crashed", "crashed 3 times", at)], "boom", at));

            var r = Cli(h, "status");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal(
                " Kind      Name      Sync        Health     Message\n" +
                "--------------------------------------------------------\n" +
                " network   default   Synced      Healthy    active\n" +
                " domain    web       OutOfSync   Degraded   crash loop\n\n",
                r.Stdout);

            r = Cli(h, "status", "--output", "json");
            Assert.Equal(0, r.ExitCode);
            using var doc = JsonDocument.Parse(r.Stdout);
            var web = doc.RootElement[1];
            Assert.Equal("Domain", web.GetProperty("kind").GetString());
            Assert.Equal("web", web.GetProperty("name").GetString());
            Assert.Equal("/specs/domains/web.xml", web.GetProperty("file").GetString());
            Assert.Equal("r2", web.GetProperty("revision").GetString());
            Assert.Equal("OutOfSync", web.GetProperty("sync").GetString());
            Assert.Equal("Degraded", web.GetProperty("health").GetString());
            Assert.Equal("crash loop", web.GetProperty("message").GetString());
            var condition = Assert.Single(web.GetProperty("conditions").EnumerateArray());
            Assert.Equal("CrashLoopBackOff", condition.GetProperty("type").GetString());
            Assert.True(condition.GetProperty("status").GetBoolean());
            Assert.Equal("Crashed", condition.GetProperty("reason").GetString());
            Assert.Equal("crashed 3 times", condition.GetProperty("message").GetString());
        }
    }

    [Fact]
    public async Task Dominfo_domstate_and_dumpxml_print_what_virsh_prints()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            await h.Hypervisor.StartAsync("web");
            var uuid = h.Hypervisor.Lookup("web").Uuid;

            var r = Cli(h, "dominfo", "web");
            Assert.True(r.ExitCode == 0, r.Stderr);
            var lines = r.Stdout.Split('\n');
            Assert.Equal("Id:             1", lines[0]);
            Assert.Equal("Name:           web", lines[1]);
            Assert.Equal($"UUID:           {uuid:D}", lines[2]);
            Assert.Equal("OS Type:        hvm", lines[3]);
            Assert.Equal("State:          running", lines[4]);
            Assert.Equal("CPU(s):         2", lines[5]);
            Assert.Contains("Max memory:     262144 KiB", lines);
            Assert.Contains("Persistent:     yes", lines);
            Assert.Contains("Autostart:      disable", lines);
            Assert.EndsWith("\n\n", r.Stdout, StringComparison.Ordinal);

            Assert.Equal("running\n\n", Cli(h, "domstate", "web").Stdout);
            Assert.Equal("running (booted)\n\n", Cli(h, "domstate", "--reason", uuid.ToString()).Stdout);

            var live = Cli(h, "dumpxml", "web").Stdout;
            Assert.StartsWith("<domain type='kvm' id='1'>", live, StringComparison.Ordinal);
            Assert.Equal(await h.Hypervisor.GetXmlAsync("web") + "\n", live);
            Assert.StartsWith("<domain type='kvm'>", Cli(h, "dumpxml", "--inactive", "web").Stdout, StringComparison.Ordinal);

            using var json = JsonDocument.Parse(Cli(h, "dominfo", "web", "--output", "json").Stdout);
            Assert.Equal("running", json.RootElement.GetProperty("state").GetString());
            Assert.Equal("booted", json.RootElement.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task Power_verbs_act_and_say_when_the_controller_will_converge_back()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            await h.DefineDomainAsync("lab");
            h.View.RunStrategies["web"] = "always";
            h.View.RunStrategies["lab"] = "manual";
            await h.Hypervisor.StartAsync("web");

            var r = Cli(h, "destroy", "web");
            Assert.Equal(0, r.ExitCode);
            Assert.StartsWith("Domain 'web' destroyed\nnote: ", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("run strategy 'always'", r.Stdout, StringComparison.Ordinal);
            Assert.Contains("converge the domain back to its spec", r.Stdout, StringComparison.Ordinal);
            Assert.Equal(DomainStatus.Shutoff(ShutoffReason.Destroyed), h.Hypervisor.Lookup("web").Status);
            Assert.Contains(new ObjectKey(ObjectKind.Domain, "web"), h.View.Enqueued);

            r = Cli(h, "start", "lab");
            Assert.Equal(0, r.ExitCode);
            Assert.Equal("Domain 'lab' started\n\n", r.Stdout);
            Assert.Equal("Domain 'lab' suspended\n\n", Cli(h, "suspend", "lab").Stdout);
            Assert.Equal(DomainState.Paused, h.Hypervisor.Lookup("lab").Status.State);
            Assert.Equal("Domain 'lab' resumed\n\n", Cli(h, "resume", "lab").Stdout);
            Assert.Equal("Domain 'lab' is being rebooted\n\n", Cli(h, "reboot", "lab").Stdout);
            Assert.Equal("Domain 'lab' is being shutdown\n\n", Cli(h, "shutdown", "lab").Stdout);
            await ApiHarness.Eventually(() => h.Hypervisor.Lookup("lab").Status.State == DomainState.Shutoff, "the guest powers off");

            using var json = JsonDocument.Parse(Cli(h, "start", "web", "--output", "json").Stdout);
            Assert.Equal("Domain 'web' started", json.RootElement.GetProperty("message").GetString());
            Assert.True(json.RootElement.GetProperty("willConverge").GetBoolean());
            Assert.Equal("running", json.RootElement.GetProperty("state").GetString());
        }
    }

    [Fact]
    public async Task Runtime_errors_are_printed_as_virsh_does_with_exit_status_1()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            await h.Hypervisor.StartAsync("web");

            var r = Cli(h, "start", "web");
            Assert.Equal(1, r.ExitCode);
            Assert.Equal(string.Empty, r.Stdout);
            Assert.Equal("error: Requested operation is not valid: domain is already running\n", r.Stderr);

            r = Cli(h, "dominfo", "nope");
            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith("error: ", r.Stderr, StringComparison.Ordinal);
            Assert.Contains("no domain with matching name 'nope'", r.Stderr, StringComparison.Ordinal);

            r = Cli(h, "vol-list", "nope");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains("nope", r.Stderr, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("status")]
    [InlineData("list", "--all")]
    [InlineData("start", "web")]
    [InlineData("events")]
    public void A_daemon_that_is_not_running_is_a_clear_error(params string[] verb)
    {
        using var dir = new TempDir();
        var socket = Path.Combine(dir.Path, "reconciler.sock");
        var r = ReconcilerProcess.Run([.. verb, "--socket", socket]);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: cannot connect to the reconciler daemon at {socket}: is `reconciler run` running?\n", r.Stderr);
        Assert.Equal(string.Empty, r.Stdout);
    }

    [Fact]
    public async Task The_socket_comes_from_the_environment_as_the_daemons_does()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            // RECONCILER_STATE_DIR names the state directory whose reconciler.sock the daemon would listen on.
            var r = CliProcess.Run(
                new Dictionary<string, string?> { ["RECONCILER_STATE_DIR"] = h.Root, ["RECONCILER_SOCKET"] = null, ["RECONCILER_STATE"] = null },
                "list", "--all");
            Assert.True(r.ExitCode == 0, r.Stderr);
            Assert.StartsWith(" Id   Name", r.Stdout, StringComparison.Ordinal);

            r = CliProcess.Run(new Dictionary<string, string?> { ["RECONCILER_SOCKET"] = h.SocketPath }, "nodeinfo");
            Assert.True(r.ExitCode == 0, r.Stderr);

            var elsewhere = Path.Combine(h.Root, "elsewhere");
            r = CliProcess.Run(new Dictionary<string, string?> { ["RECONCILER_STATE_DIR"] = elsewhere, ["RECONCILER_SOCKET"] = null, ["RECONCILER_STATE"] = null }, "status");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"at {Path.Combine(elsewhere, "reconciler.sock")}: is `reconciler run` running?", r.Stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Networks_pools_volumes_and_the_node_are_listed_like_virsh()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.Hypervisor.DefineNetworkAsync("<network><name>default</name><forward mode='nat'/><bridge name='virbr0'/><ip address='192.168.122.1' netmask='255.255.255.0'/></network>");
            await h.Hypervisor.StartNetworkAsync("default");
            await h.Hypervisor.SetNetworkAutostartAsync("default", true);
            await h.Hypervisor.DefineNetworkAsync("<network><name>isolated</name><bridge name='virbr5'/></network>");
            var pool = Path.Combine(h.Root, "pool");
            await h.Hypervisor.DefinePoolAsync($"<pool type='dir'><name>images</name><target><path>{pool}</path></target></pool>");
            await h.Hypervisor.BuildPoolAsync("images");
            await h.Hypervisor.StartPoolAsync("images");
            await h.Hypervisor.CreateVolumeAsync("images", "<volume><name>web.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>");

            Assert.Equal(
                " Name      State    Autostart   Persistent\n" +
                "--------------------------------------------\n" +
                " default   active   yes         yes\n\n",
                Cli(h, "net-list").Stdout);
            Assert.Contains(" isolated   inactive   no          yes\n", Cli(h, "net-list", "--all").Stdout, StringComparison.Ordinal);
            Assert.Contains("<name>default</name>", Cli(h, "net-dumpxml", "default").Stdout, StringComparison.Ordinal);

            Assert.Equal(
                " Name     State    Autostart\n" +
                "------------------------------\n" +
                " images   active   no\n\n",
                Cli(h, "pool-list").Stdout);

            var path = Path.Combine(pool, "web.qcow2");
            Assert.Equal(
                $" Name        Path\n" +
                $"{new string('-', 9 + 3 + path.Length + 3)}\n" +
                $" web.qcow2   {path}\n\n",
                Cli(h, "vol-list", "images").Stdout);

            Assert.Equal(
                "CPU model:           x86_64\n" +
                "CPU(s):              4\n" +
                "CPU frequency:       2000 MHz\n" +
                "CPU socket(s):       1\n" +
                "Core(s) per socket:  4\n" +
                "Thread(s) per core:  1\n" +
                "NUMA cell(s):        1\n" +
                "Memory size:         8388608 KiB\n\n",
                Cli(h, "nodeinfo").Stdout);

            using var json = JsonDocument.Parse(Cli(h, "vol-list", "images", "--output", "json").Stdout);
            Assert.Equal(path, json.RootElement[0].GetProperty("path").GetString());
        }
    }

    [Fact]
    public async Task Domifaddr_prints_virshs_table()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.Hypervisor.DefineNetworkAsync("""
                <network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>
                  <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip>
                </network>
                """);
            await h.Hypervisor.StartNetworkAsync("default");
            await h.DefineDomainAsync("web", "<interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/></interface>");
            await h.Hypervisor.StartAsync("web");

            Assert.Equal(
                " Name       MAC address          Protocol     Address\n" +
                "-------------------------------------------------------------------------------\n" +
                " vnet0      52:54:00:aa:bb:cc    ipv4         192.168.122.2/24\n\n",
                Cli(h, "domifaddr", "web").Stdout);
        }
    }

    [Fact]
    public async Task Plan_prints_what_a_reconcile_would_do()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            h.View.Plan.Add(new PlanItem(ObjectKind.Domain, "web", "start", "run strategy always"));
            Assert.Equal(
                " Kind     Name   Action   Reason\n" +
                "-----------------------------------------------\n" +
                " domain   web    start    run strategy always\n\n",
                Cli(h, "plan").Stdout);
            using var json = JsonDocument.Parse(Cli(h, "plan", "-o", "json").Stdout);
            Assert.Equal("Domain", json.RootElement[0].GetProperty("kind").GetString());
            Assert.Equal("start", json.RootElement[0].GetProperty("action").GetString());
        }
    }

    [Fact]
    public async Task Events_are_followed_as_virsh_prints_them_until_the_count()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            using var events = new CliProcess(null, "events", "--count", "3", "--socket", h.SocketPath);
            await ApiHarness.Eventually(() => h.Server.EventStreams == 1, "the CLI follows the events");
            await h.Hypervisor.StartAsync("web");
            await h.Hypervisor.SuspendAsync("web");
            await h.Hypervisor.DestroyAsync("web");

            Assert.Equal(0, events.WaitForExit(TimeSpan.FromSeconds(30)));
            Assert.Equal(
                "event 'lifecycle' for domain 'web': Started Booted\n" +
                "event 'lifecycle' for domain 'web': Suspended Paused\n" +
                "event 'lifecycle' for domain 'web': Stopped Destroyed\n",
                events.Stdout);
        }
    }

    [Fact]
    public async Task Events_as_json_are_one_object_per_line_and_ctrl_c_ends_them()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            using var events = new CliProcess(null, "events", "--output", "json", "--socket", h.SocketPath);
            await ApiHarness.Eventually(() => h.Server.EventStreams == 1, "the CLI follows the events");
            await h.Hypervisor.StartAsync("web");
            await ApiHarness.Eventually(() => events.Stdout.Contains('\n', StringComparison.Ordinal), "the event is printed");

            using (var line = JsonDocument.Parse(events.Stdout.Split('\n')[0]))
            {
                Assert.Equal("web", line.RootElement.GetProperty("name").GetString());
                Assert.Equal("Started", line.RootElement.GetProperty("type").GetString());
                Assert.Equal("running", line.RootElement.GetProperty("state").GetString());
                Assert.Equal("test-host", line.RootElement.GetProperty("host").GetString());
            }

            events.Interrupt();
            Assert.Equal(130, events.WaitForExit(TimeSpan.FromSeconds(30))); // 128 + SIGINT, as shells report it
            await ApiHarness.Eventually(() => h.Server.EventStreams == 0, "the stream ends with the CLI");
        }
    }
}
