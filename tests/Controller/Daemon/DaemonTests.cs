using Xunit;
using System.Text.Json;
using Reconciler.Controller.Tests.Support;

namespace Reconciler.Controller.Tests.Daemon;

/// <summary>The real daemon on temporary directories: the examples converge, edits apply, broken edits change nothing.</summary>
public sealed class DaemonTests
{
    /// <summary>The repository's examples, with the pool's directory moved into <paramref name="dir"/>.</summary>
    internal static string CopyExamples(TempDir dir)
    {
        var source = Path.Combine(RepoRoot(), "examples");
        var specs = Path.Combine(dir.Path, "specs");
        foreach (var file in Directory.EnumerateFiles(source, "*.xml", SearchOption.AllDirectories))
        {
            var target = Path.Combine(specs, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, File.ReadAllText(file).Replace("/var/lib/reconciler/images", Path.Combine(dir.Path, "images"), StringComparison.Ordinal));
        }

        return specs;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Reconciler.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    internal static bool Is(Dictionary<string, JsonElement> status, string key, string sync, string health, string? messageStart = null) =>
        status.TryGetValue(key, out var s) && s.GetProperty("sync").GetString() == sync && s.GetProperty("health").GetString() == health &&
        (messageStart is null || s.GetProperty("message").GetString()!.StartsWith(messageStart, StringComparison.Ordinal));

    internal static string Message(Dictionary<string, JsonElement> status, string key) => status[key].GetProperty("message").GetString()!;

    /// <summary>The MACs of a domain's interfaces in the runtime's definition of it (its state directory).</summary>
    private static List<string> Macs(string state, string name) =>
        Directory.GetFiles(Path.Combine(state, "runtime", "domains"), "*.xml")
            .Select(f => System.Xml.Linq.XElement.Load(f))
            .Single(d => d.Element("name")?.Value == name)
            .Element("devices")!.Elements("interface").Select(i => i.Element("mac")!.Attribute("address")!.Value).ToList();

    private static bool HasCondition(Dictionary<string, JsonElement> status, string key, string type) =>
        status.TryGetValue(key, out var s) && s.GetProperty("conditions").EnumerateArray().Any(c => c.GetProperty("type").GetString() == type && c.GetProperty("status").GetBoolean());

    [Fact]
    public void The_examples_converge_cold_and_stay_converged_across_a_sigterm_and_restart()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        using (var daemon = new DaemonProcess(specs, state))
        {
            daemon.WaitFor(s =>
                Is(s, "network/default", "Synced", "Healthy") && Is(s, "network/backend", "Synced", "Healthy") &&
                Is(s, "pool/images", "Synced", "Healthy") &&
                Is(s, "volume/images/web-01-root.qcow2", "Synced", "Healthy") &&
                Is(s, "domain/web-01", "Synced", "Healthy", "running") && Is(s, "domain/db-01", "Synced", "Healthy", "running"),
                "every example converged");
            Assert.True(File.Exists(Path.Combine(dir.Path, "images", "web-01-root.qcow2")));
            daemon.Terminate();
            Assert.Equal(0, daemon.ExitCode);
        }

        Assert.True(File.Exists(Path.Combine(state, "runtime", "resume.json")), "SIGTERM saved the running domains");
        using (var again = new DaemonProcess(specs, state))
        {
            again.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running (restored)"), "web-01 came back restored");
        }
    }

    [Fact]
    public void A_second_daemon_on_the_same_state_directory_is_refused_and_the_first_one_runs_on()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        using var daemon = new DaemonProcess(specs, state);
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running"), "web-01 running");

        using (var second = new DaemonProcess(specs, state, "--socket", Path.Combine(dir.Path, "second.sock")))
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!second.HasExited && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            Assert.True(second.HasExited, "the second daemon is still running");
            second.WaitForOutput();
            Assert.Equal(1, second.ExitCode);
            Assert.Contains($"reconciler run: the state directory {state} is in use by another reconciler daemon", second.Output, StringComparison.Ordinal);
        }

        // The first one still runs its domains, none of them taken for crashed.
        Assert.False(daemon.HasExited);
        Assert.True(Is(daemon.Status(), "domain/web-01", "Synced", "Healthy", "running"));
        Assert.DoesNotContain("crashed", daemon.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_edit_changes_nothing_and_says_where_it_is_broken_until_fixed()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        using var daemon = new DaemonProcess(specs, Path.Combine(dir.Path, "state"));
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running"), "web-01 running");
        var file = Path.Combine(specs, "domains", "web-01.xml");
        var good = File.ReadAllText(file);

        File.WriteAllText(file, good.Replace("<vcpu>2</vcpu>", "<vcpu>two</vcpu>", StringComparison.Ordinal));
        daemon.WaitFor(s => Is(s, "domain/web-01", "Error", "Healthy"), "web-01 reports the error");
        var message = Message(daemon.Status(), "domain/web-01");
        Assert.Contains($"{file}:", message, StringComparison.Ordinal);
        Assert.Matches(":\\d+:\\d+: error: ", message);
        Assert.Contains("stays applied", message, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "state", "runtime", "run"), "*.json"), f => File.ReadAllText(f).Contains("\"web-01\"", StringComparison.Ordinal));

        File.WriteAllText(file, good);
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running"), "web-01 back in sync");
    }

    [Fact]
    public void Live_edits_apply_live_and_other_edits_ask_for_a_restart()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        using var daemon = new DaemonProcess(specs, state);
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running (booted)"), "web-01 running");
        var file = Path.Combine(specs, "domains", "web-01.xml");
        var good = File.ReadAllText(file);
        var macs = Macs(state, "web-01");

        var live = good.Replace("<memory unit='MiB'>1024</memory>", "<memory unit='MiB'>1024</memory>\n  <currentMemory unit='MiB'>512</currentMemory>", StringComparison.Ordinal);
        File.WriteAllText(file, live);
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy") && Message(s, "domain/web-01").Contains("applied live: memory 524288 KiB", StringComparison.Ordinal), "the balloon applied live");
        Assert.StartsWith("running (booted)", Message(daemon.Status(), "domain/web-01"), StringComparison.Ordinal);
        Assert.False(HasCondition(daemon.Status(), "domain/web-01", "RestartRequired"));
        // The interface whose spec writes no MAC keeps the one it was given: not detached and attached anew.
        Assert.Equal(macs, Macs(state, "web-01"));
        Assert.DoesNotContain("detached", Message(daemon.Status(), "domain/web-01"), StringComparison.Ordinal);

        File.WriteAllText(file, live.Replace("<cpu mode='host-model'/>", "<cpu mode='host-passthrough'/>", StringComparison.Ordinal));
        daemon.WaitFor(s => HasCondition(s, "domain/web-01", "RestartRequired"), "a restart is required");
        Assert.StartsWith("running (booted)", Message(daemon.Status(), "domain/web-01"), StringComparison.Ordinal);
    }

    [Fact]
    public void Network_edits_apply_live_or_wait_until_no_domain_is_connected()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        using var daemon = new DaemonProcess(specs, state);
        daemon.WaitFor(s => Is(s, "network/default", "Synced", "Healthy") && Is(s, "domain/web-01", "Synced", "Healthy", "running"), "web-01 running on default");
        var file = Path.Combine(specs, "networks", "default.xml");
        var original = File.ReadAllText(file);

        // A static DHCP host more: applied live, into the hosts file dnsmasq reads.
        var withHost = original.Replace("</dhcp>", "  <host mac='52:54:00:00:00:21' name='db-01' ip='192.168.122.21'/>\n    </dhcp>", StringComparison.Ordinal);
        File.WriteAllText(file, withHost);
        daemon.WaitFor(s => Is(s, "network/default", "Synced", "Healthy") && Message(s, "network/default").Contains("applied live", StringComparison.Ordinal), "the DHCP host applied live");
        Assert.Contains("52:54:00:00:00:21,192.168.122.21,db-01", File.ReadAllText(Path.Combine(state, "runtime", "networks", "dnsmasq", "default.hostsfile")), StringComparison.Ordinal);
        Assert.False(HasCondition(daemon.Status(), "network/default", "RestartRequired"));

        // Routed instead of NAT needs a restart of the network, which waits while web-01 is connected.
        File.WriteAllText(file, withHost.Replace("<forward mode='nat'/>", "<forward mode='route'/>", StringComparison.Ordinal));
        daemon.WaitFor(s => HasCondition(s, "network/default", "RestartRequired"), "the network waits for its restart");
        var condition = daemon.Status()["network/default"].GetProperty("conditions").EnumerateArray().Single(c => c.GetProperty("type").GetString() == "RestartRequired");
        Assert.Contains("domain web-01 is connected", condition.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(Is(daemon.Status(), "domain/web-01", "Synced", "Healthy", "running"));

        // web-01 goes: the network restarts with its new definition at once.
        File.Delete(Path.Combine(specs, "domains", "web-01.xml"));
        daemon.WaitFor(s => !s.ContainsKey("domain/web-01") && !HasCondition(s, "network/default", "RestartRequired") &&
            Message(s, "network/default").Contains("restarted with its new definition", StringComparison.Ordinal), "the network restarted");
        var active = Directory.GetFiles(Path.Combine(state, "runtime", "networks", "active"), "*.xml").Select(File.ReadAllText).Single(x => x.Contains("<name>default</name>", StringComparison.Ordinal));
        Assert.Contains("<forward mode='route'/>", active, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_whose_spec_was_removed_while_the_daemon_was_down_is_not_autostarted()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        using (var daemon = new DaemonProcess(specs, state))
        {
            daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running") && Is(s, "domain/db-01", "Synced", "Healthy", "running"), "web-01 and db-01 running");
            daemon.KillHard();
        }

        File.Delete(Path.Combine(specs, "domains", "web-01.xml"));
        using var again = new DaemonProcess(specs, state);
        again.WaitFor(s => !s.ContainsKey("domain/web-01") && Is(s, "domain/db-01", "Synced", "Healthy", "running"), "web-01 removed, db-01 running");
        Assert.DoesNotContain(Directory.GetFiles(Path.Combine(state, "runtime", "domains"), "*.xml"), f => File.ReadAllText(f).Contains("<name>web-01</name>", StringComparison.Ordinal));
        again.Terminate();
        again.WaitForOutput();
        Assert.Contains("Domain web-01 is marked autostart but is not started", again.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_removed_domain_is_shut_down_and_undefined_and_its_disk_stays()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        using var daemon = new DaemonProcess(specs, state);
        // Every example domain defined (their definitions are counted) and the two that run, running.
        daemon.WaitFor(s => Is(s, "domain/db-01", "Synced", "Healthy", "running") && Is(s, "domain/web-01", "Synced", "Healthy", "running") &&
            s.Count(p => p.Key.StartsWith("domain/", StringComparison.Ordinal) && p.Value.GetProperty("sync").GetString() == "Synced") == 4, "every example domain synced");
        var definitions = Directory.GetFiles(Path.Combine(state, "runtime", "domains"), "*.xml").Length;

        File.Delete(Path.Combine(specs, "domains", "db-01.xml"));
        daemon.WaitFor(s => !s.ContainsKey("domain/db-01"), "db-01 gone");
        Assert.Equal(definitions - 1, Directory.GetFiles(Path.Combine(state, "runtime", "domains"), "*.xml").Length);
        Assert.True(File.Exists(Path.Combine(dir.Path, "images", "db-01-root.qcow2")));
        var after = daemon.Status();
        Assert.True(Is(after, "domain/web-01", "Synced", "Healthy", "running"), after.TryGetValue("domain/web-01", out var w) ? w.ToString() : "no web-01 status");
    }

    [Fact]
    public void An_emptied_spec_directory_tears_nothing_down()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        using var daemon = new DaemonProcess(specs, Path.Combine(dir.Path, "state"));
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running"), "web-01 running");
        foreach (var f in Directory.GetFiles(specs, "*.xml", SearchOption.AllDirectories))
        {
            File.Delete(f);
        }

        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (!daemon.Output.Contains("suddenly empty", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(50);
        }

        Assert.Contains("suddenly empty", daemon.Output, StringComparison.Ordinal);
        Assert.True(Is(daemon.Status(), "domain/web-01", "Synced", "Healthy", "running"));
    }

    [Fact]
    public void A_domain_destroyed_behind_the_controllers_back_comes_back_and_sigterm_keeps_its_memory()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        var socket = Path.Combine(state, "reconciler.sock");
        string digest;
        using (var daemon = new DaemonProcess(specs, state))
        {
            daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running (booted)") && File.Exists(socket), "web-01 running and the API up");
            var list = ReconcilerProcess.Run("list", "--all", "--output", "json", "--socket", socket);
            Assert.Equal(0, list.ExitCode);
            using (var doc = JsonDocument.Parse(list.Stdout))
            {
                var web = doc.RootElement.EnumerateArray().Single(d => d.GetProperty("name").GetString() == "web-01");
                Assert.Equal(("running", "test-host"), (web.GetProperty("state").GetString(), web.GetProperty("host").GetString()));
            }

            var leases = ReconcilerProcess.Run("net-dhcp-leases", "default", "--socket", socket);
            Assert.Equal(0, leases.ExitCode);
            Assert.Matches("52:54:00:00:00:11 +ipv4 +192\\.168\\.122\\.\\d+/24 +web-01", leases.Stdout);
            var bridges = ReconcilerProcess.Run("bridges", "--socket", socket);
            Assert.Equal(0, bridges.ExitCode);
            Assert.Matches("virbr0\\s+8000\\.[0-9a-f]{12}\\s+yes\\s+vnet\\d+", bridges.Stdout);

            var destroy = ReconcilerProcess.Run("destroy", "web-01", "--socket", socket);
            Assert.Equal(0, destroy.ExitCode);
            Assert.Contains("converge", destroy.Stdout + destroy.Stderr, StringComparison.Ordinal);
            daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running (booted)") &&
                ReconcilerProcess.Run("domstate", "web-01", "--socket", socket).Stdout.Contains("running", StringComparison.Ordinal), "web-01 back");

            digest = GuestDigest(socket, "web-01");
            daemon.Terminate();
            Assert.Equal(0, daemon.ExitCode);
            Assert.False(File.Exists(socket), "the socket is removed at exit");
        }

        using var again = new DaemonProcess(specs, state);
        again.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running (restored)") && File.Exists(socket), "web-01 restored");
        Assert.Equal(digest, GuestDigest(socket, "web-01"));
    }

    private static string GuestDigest(string socket, string domain)
    {
        var info = ReconcilerProcess.Run("guestinfo", domain, "--output", "json", "--socket", socket);
        Assert.True(info.ExitCode == 0, info.Stderr);
        using var doc = JsonDocument.Parse(info.Stdout);
        var digest = doc.RootElement.GetProperty("digest").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", digest);
        return digest;
    }

    [Fact]
    public void With_injected_faults_everything_converges_and_a_permanent_fault_ends_degraded_with_its_message()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        using var daemon = new DaemonProcess(specs, Path.Combine(dir.Path, "state"),
            new Dictionary<string, string> { ["RECONCILER_FAULTS"] = "0.2;Start:db-01", ["RECONCILER_RESYNCSECONDS"] = "1" });
        daemon.WaitFor(s =>
            Is(s, "network/default", "Synced", "Healthy") && Is(s, "network/backend", "Synced", "Healthy") && Is(s, "pool/images", "Synced", "Healthy") &&
            Is(s, "volume/images/web-01-root.qcow2", "Synced", "Healthy") && Is(s, "volume/images/scratch.raw", "Synced", "Healthy") &&
            Is(s, "domain/web-01", "Synced", "Healthy", "running") && Is(s, "domain/spare-01", "Synced", "Healthy") &&
            Is(s, "domain/db-01", "Error", "Degraded"),
            "everything but db-01 converged despite 20 % transient faults", seconds: 60);
        Assert.Contains("injected permanent fault: Start of 'db-01' always fails", Message(daemon.Status(), "domain/db-01"), StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_are_refused_at_start_with_clear_messages()
    {
        var result = ReconcilerProcess.Run("run", "--state", Path.GetTempPath());
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--specs is required", result.Stderr, StringComparison.Ordinal);
    }
}
