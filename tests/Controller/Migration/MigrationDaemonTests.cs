using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Migration;

/// <summary>
/// Several real daemons on loopback sharing one spec directory: a placement edit moves a running domain,
/// a target killed in mid-copy leaves it running at home, a failed precondition keeps it home, and a host
/// never starts a domain a peer runs or might run.
/// </summary>
public sealed class MigrationDaemonTests
{
    private const string Mac = "52:54:00:77:00:01";

    /// <summary>A group of hosts: one shared spec directory (and shared storage), a state directory and a port each.</summary>
    private sealed class Cluster : IDisposable
    {
        private readonly TempDir _dir = new();
        private readonly Dictionary<string, DaemonProcess> _daemons = new(StringComparer.Ordinal);

        /// <param name="ownStorage">
        /// Each host gets its own clone of the spec directory, whose pool 'shared' lies in a directory of
        /// its own: the same pool name at another path, so not shared storage (copy-storage moves disks).
        /// </param>
        public Cluster(int hosts, string placement, string migration = "", int memoryMiB = 256, bool ownStorage = false)
        {
            Specs = Path.Combine(_dir.Path, "specs");
            KeyFile = _dir.Write("peer.key", string.Empty);
            File.WriteAllBytes(KeyFile, RandomNumberGenerator.GetBytes(32));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // the daemon refuses a key others can read
            }
            Ports = Enumerable.Range(1, hosts).ToDictionary(i => $"host-{i}", _ => FreePort());
            var shared = Path.Combine(_dir.Path, "shared");
            _dir.Write("specs/networks/net0.xml", "<network><name>net0</name><bridge name='rcbr0'/><ip address='10.77.0.1' netmask='255.255.255.0'/></network>");
            _dir.Write("specs/pools/shared.xml", $"<pool type='dir'><name>shared</name><target><path>{shared}</path></target></pool>");
            _dir.Write("specs/pools/shared/mover.qcow2.xml", "<volume><name>mover.qcow2</name><capacity unit='GiB'>1</capacity><target><format type='qcow2'/></target></volume>");
            MemoryMiB = memoryMiB;
            Migration = migration;
            if (ownStorage)
            {
                foreach (var host in Ports.Keys)
                {
                    var clone = Path.Combine(_dir.Path, "specs-" + host);
                    foreach (var file in Directory.GetFiles(Specs, "*.xml", SearchOption.AllDirectories))
                    {
                        var target = Path.Combine(clone, Path.GetRelativePath(Specs, file));
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        File.WriteAllText(target, File.ReadAllText(file).Replace(shared, Images(host), StringComparison.Ordinal));
                    }

                    _clones[host] = clone;
                }
            }

            Place(placement);
        }

        private readonly Dictionary<string, string> _clones = new(StringComparer.Ordinal);

        /// <summary>The directory of pool 'shared' on a host with its own storage.</summary>
        public string Images(string host) => Path.Combine(_dir.Path, "images-" + host);

        private string SpecsOf(string host) => _clones.GetValueOrDefault(host) ?? Specs;

        public string Specs { get; }

        public string KeyFile { get; }

        public Dictionary<string, int> Ports { get; }

        private int MemoryMiB { get; }

        private string Migration { get; }

        public DaemonProcess this[string host] => _daemons[host];

        public string Socket(string host) => Path.Combine(_dir.Path, "state-" + host, "reconciler.sock");

        /// <summary>Writes the domain's spec with its placement (to a temporary name, then renamed: as GitOps tools do).</summary>
        public void Place(string host)
        {
            var xml = $"""
                <domain type='kvm'>
                  <name>mover</name>
                  <metadata>
                    <rc:reconciler xmlns:rc='https://reconciler.dev/xmlns/domain/1.0'>
                      <rc:placement host='{host}'/>
                      {Migration}
                    </rc:reconciler>
                  </metadata>
                  <memory unit='MiB'>{MemoryMiB}</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
                  <devices>
                    <disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='shared' volume='mover.qcow2'/><target dev='vda' bus='virtio'/></disk>
                    <interface type='network'><mac address='{Mac}'/><source network='net0'/><model type='virtio'/></interface>
                  </devices>
                </domain>
                """;
            foreach (var specs in _clones.Values.Append(Specs))
            {
                var temp = Path.Combine(specs, "domains", ".mover.xml.tmp");
                Directory.CreateDirectory(Path.GetDirectoryName(temp)!);
                File.WriteAllText(temp, xml);
                File.Move(temp, Path.Combine(specs, "domains", "mover.xml"), overwrite: true);
            }
        }

        public DaemonProcess Start(string host, Dictionary<string, string>? environment = null)
        {
            if (_daemons.Remove(host, out var old))
            {
                old.Dispose();
            }

            var env = new Dictionary<string, string> { ["RECONCILER_GUESTWORKLOAD"] = "2000" };
            foreach (var (k, v) in environment ?? [])
            {
                env[k] = v;
            }

            List<string> args = ["--host", host, "--listen", $"127.0.0.1:{Ports[host]}", "--peer-key-file", KeyFile, "--socket", Socket(host)];
            foreach (var (peer, port) in Ports.Where(p => p.Key != host))
            {
                args.AddRange(["--peer", $"{peer}=127.0.0.1:{port}"]);
            }

            var daemon = new DaemonProcess(SpecsOf(host), Path.Combine(_dir.Path, "state-" + host), env, [.. args]);
            _daemons[host] = daemon;
            return daemon;
        }

        public void Dispose()
        {
            foreach (var d in _daemons.Values)
            {
                d.Dispose();
            }

            _dir.Dispose();
        }

        private static int FreePort()
        {
            using var l = new TcpListener(IPAddress.Loopback, 0);
            l.Start();
            return ((IPEndPoint)l.LocalEndpoint).Port;
        }
    }

    private static bool Is(Dictionary<string, JsonElement> status, string sync, string health, string messagePart) =>
        status.TryGetValue("domain/mover", out var s) && s.GetProperty("sync").GetString() == sync && s.GetProperty("health").GetString() == health &&
        s.GetProperty("message").GetString()!.Contains(messagePart, StringComparison.Ordinal);

    private static bool Migrating(Dictionary<string, JsonElement> status) =>
        status.TryGetValue("domain/mover", out var s) &&
        s.GetProperty("conditions").EnumerateArray().Any(c => c.GetProperty("type").GetString() == "Migrating" && c.GetProperty("reason").GetString() == "pre-copy");

    private static JsonElement Json(string socket, params string[] verb)
    {
        var r = ReconcilerProcess.Run([.. verb, "--output", "json", "--socket", socket]);
        Assert.True(r.ExitCode == 0, $"{string.Join(' ', verb)}: {r.Stderr}");
        using var doc = JsonDocument.Parse(r.Stdout);
        return doc.RootElement.Clone();
    }

    private static long WorkCounter(string socket) => Json(socket, "guestinfo", "mover").GetProperty("workCounter").GetInt64();

    private static string State(string socket) => ReconcilerProcess.Run("domstate", "mover", "--socket", socket).Stdout.Trim();

    /// <summary>Runs a host tool (qemu-img, qemu-io) and returns its exit code and output.</summary>
    private static (int ExitCode, string Output) Tool(string program, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr);
    }

    private static void Eventually(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what);
            Thread.Sleep(50);
        }
    }

    /// <summary>A guest that dirties 20,000 pages a second.</summary>
    private static readonly Dictionary<string, string> BusyGuest = new() { ["RECONCILER_GUESTWORKLOAD"] = "20000" };

    /// <summary>
    /// Two hosts, mover running on host-1 with 1 GiB dirtied fast and a 16 MiB/s limit: a migration that takes
    /// long enough for one side to be killed in the middle of it.
    /// </summary>
    private static Cluster SlowPairRunningOnHost1()
    {
        var c = new Cluster(2, "host-1", "<rc:migration bandwidth='16' autoConverge='no'/>", memoryMiB: 1024);
        try
        {
            c.Start("host-1", BusyGuest);
            c.Start("host-2").WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-1'"), "host-2 leaves mover to host-1");
            c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "running (booted)"), "host-1 runs mover");
            Eventually(() => Json(c.Socket("host-1"), "guestinfo", "mover").GetProperty("touchedPages").GetInt64() > 20_000, "the guest dirtied memory");
            return c;
        }
        catch
        {
            c.Dispose(); // the caller's using never gets it: its daemons would run on after the test
            throw;
        }
    }

    /// <summary>Moves the domain by editing its placement, and checks the switch-over from both sides.</summary>
    private static void Move(Cluster c, string from, string to)
    {
        var before = WorkCounter(c.Socket(from));
        c.Place(to);
        c[from].WaitFor(s => Is(s, "Synced", "Healthy", $"placed on host '{to}'; migrated there live"), $"{from} migrated mover to {to}");
        c[to].WaitFor(s => Is(s, "Synced", "Healthy", "running (migrated)"), $"{to} runs mover");

        var sent = Json(c.Socket(from), "domjobinfo", "mover");
        var arrived = Json(c.Socket(to), "domjobinfo", "mover");
        Assert.Equal(("Completed", "Outgoing migration"), (sent.GetProperty("jobType").GetString(), sent.GetProperty("operation").GetString()));
        Assert.Equal(("Completed", "Incoming migration"), (arrived.GetProperty("jobType").GetString(), arrived.GetProperty("operation").GetString()));
        Assert.Matches("^[0-9a-f]{64}$", sent.GetProperty("digest").GetString()!);
        Assert.Equal(sent.GetProperty("digest").GetString(), arrived.GetProperty("digest").GetString());
        Assert.True(sent.GetProperty("downtimeMs").GetInt64() <= 300, $"downtime {sent.GetProperty("downtimeMs")} ms");

        var continued = WorkCounter(c.Socket(to));
        Assert.True(continued >= before, $"the work counter went on from {before} (now {continued})");
        Eventually(() => WorkCounter(c.Socket(to)) > continued + 200, "the workload keeps running on " + to);
        Assert.DoesNotContain("mover", ReconcilerProcess.Run("list", "--all", "--socket", c.Socket(from)).Stdout, StringComparison.Ordinal);
        Assert.Contains($"{Mac} dev vnet", ReconcilerProcess.Run("bridges", "--fdb", "--socket", c.Socket(to)).Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_placement_edit_moves_a_running_domain_between_three_hosts_with_its_memory_and_workload()
    {
        using var c = new Cluster(3, "host-1");
        c.Start("host-1");
        c.Start("host-2");
        c.Start("host-3");
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "running (booted)"), "host-1 runs mover once its peers said they do not");
        foreach (var other in new[] { "host-2", "host-3" })
        {
            c[other].WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-1'"), other + " leaves mover to host-1");
        }

        Move(c, "host-1", "host-2");
        c["host-3"].WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-2'"), "host-3 leaves mover to host-2");
        Move(c, "host-2", "host-3");
        Assert.True(Is(c["host-1"].Status(), "Synced", "Healthy", "placed on host 'host-3'"));
    }

    [Fact]
    public void Without_shared_storage_copy_storage_moves_the_disk_into_the_volume_the_target_made_from_the_same_spec()
    {
        // Each host applies the same specs to its own pool directory: the volume exists, blank, on both.
        using var c = new Cluster(2, "host-1", "<rc:migration copyStorage='yes'/>", ownStorage: true);
        c.Start("host-1");
        c.Start("host-2");
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "running (booted)"), "host-1 runs mover");
        c["host-2"].WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-1'"), "host-2 leaves mover to host-1");
        var source = Path.Combine(c.Images("host-1"), "mover.qcow2");
        var target = Path.Combine(c.Images("host-2"), "mover.qcow2");
        Assert.True(File.Exists(target), "host-2 created the volume from its spec");

        // Data on the source's disk that the target's blank volume lacks.
        var write = Tool("qemu-io", "-f", "qcow2", "-c", "write -P 0x3c 2M 1M", source);
        Assert.True(write.ExitCode == 0, write.Output);

        Move(c, "host-1", "host-2");

        Assert.Equal(File.ReadAllBytes(source), File.ReadAllBytes(target));
        Assert.Equal(0, Tool("qemu-img", "check", target).ExitCode);
        var read = Tool("qemu-io", "-f", "qcow2", "-c", "read -P 0x3c 2M 1M", target);
        Assert.True(read.ExitCode == 0 && !read.Output.Contains("verification failed", StringComparison.Ordinal), read.Output);
        Assert.Empty(Directory.EnumerateFiles(c.Images("host-2"), ".*incoming*"));
    }

    [Fact]
    public void The_target_killed_in_mid_copy_leaves_the_domain_running_at_home_every_time()
    {
        using var c = SlowPairRunningOnHost1();

        c.Place("host-2");
        for (var round = 1; round <= 3; round++)
        {
            c["host-1"].WaitFor(Migrating, $"round {round}: the migration is copying memory", seconds: 60);
            c["host-2"].KillHard();

            c["host-1"].WaitFor(s => Is(s, "OutOfSync", "Degraded", "migration to host 'host-2' failed"), $"round {round}: host-1 says why");
            Assert.Equal("running", State(c.Socket("host-1")));
            var counter = WorkCounter(c.Socket("host-1"));
            Eventually(() => WorkCounter(c.Socket("host-1")) > counter + 1000, $"round {round}: the guest keeps working at home");

            // The restarted target never starts a domain its peer runs: it waits for the migration.
            c.Start("host-2").WaitFor(s => Is(s, "OutOfSync", "Progressing", "host 'host-1' runs it"), $"round {round}: host-2 waits");
            Assert.DoesNotContain("running", ReconcilerProcess.Run("domstate", "mover", "--socket", c.Socket("host-2")).Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_domain_starts_only_once_every_peer_says_it_does_not_run_it_and_a_failed_precondition_keeps_it_home()
    {
        using var c = new Cluster(2, "host-2");
        c.Start("host-2").WaitFor(s => Is(s, "OutOfSync", "Degraded", "not started: peer 'host-1'"), "host-2 waits for its silent peer");
        Assert.NotEqual("running", State(c.Socket("host-2")));

        // host-1 has almost no memory to offer: it can answer, but cannot take the domain.
        c.Start("host-1", new Dictionary<string, string> { ["RECONCILER_MEMORYOVERCOMMIT"] = "0.00001" })
            .WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-2'"), "host-1 leaves mover to host-2");
        c["host-2"].WaitFor(s => Is(s, "Synced", "Healthy", "running (booted)"), "host-2 started mover once host-1 answered");

        c.Place("host-1");
        c["host-2"].WaitFor(s => Is(s, "OutOfSync", "Degraded", "stays on this host: it cannot migrate to 'host-1': not enough memory on host 'host-1'"),
            "host-2 keeps mover and says which precondition failed");
        Assert.Equal("running", State(c.Socket("host-2")));
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-1'") || Is(s, "OutOfSync", "Progressing", "host 'host-2' runs it"),
            "host-1 does not start it while host-2 runs it");
        Assert.NotEqual("running", State(c.Socket("host-1")));
    }

    [Fact]
    public void Reconciler_migrate_moves_a_domain_with_a_progress_bar_and_it_stays_there_until_the_spec_changes()
    {
        using var c = new Cluster(2, "host-1", "<rc:migration bandwidth='64'/>", memoryMiB: 512);
        c.Start("host-1", BusyGuest);
        c.Start("host-2").WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-1'"), "host-2 leaves mover to host-1");
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "running (booted)"), "host-1 runs mover");
        Eventually(() => Json(c.Socket("host-1"), "guestinfo", "mover").GetProperty("touchedPages").GetInt64() > 20_000, "the guest dirtied memory");

        var refused = ReconcilerProcess.Run("migrate", "mover", "host-9", "--socket", c.Socket("host-1"));
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("host 'host-9' is not a peer", refused.Stderr, StringComparison.Ordinal);

        var migrate = ReconcilerProcess.Run("migrate", "mover", "host-2", "--verbose", "--socket", c.Socket("host-1"));
        Assert.True(migrate.ExitCode == 0, migrate.Stderr);
        Assert.Matches(@"Migration: \[ *\d+ %\]", migrate.Stderr);
        Assert.EndsWith("Migration: [100 %]", migrate.Stderr.TrimEnd(), StringComparison.Ordinal);
        Assert.Matches(@"Job type: +Completed", migrate.Stdout);
        Assert.Matches(@"Memory total: +512\.000 MiB", migrate.Stdout);

        // Against its placement, it stays on host-2 (host-1 waits) until the spec changes; then it goes back.
        c["host-2"].WaitFor(s => Is(s, "OutOfSync", "Healthy", "moved here by `reconciler migrate`"), "host-2 keeps it");
        c["host-1"].WaitFor(s => Is(s, "OutOfSync", "Progressing", "host 'host-2' runs it"), "host-1 waits for it");
        Assert.Equal("running", State(c.Socket("host-2")));
        c.Place("host-1");
        File.AppendAllText(Path.Combine(c.Specs, "domains", "mover.xml"), "<!-- edited -->\n");
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "running (migrated)"), "after the edit mover is back on host-1", seconds: 60);
    }

    [Fact]
    public void A_shut_off_domain_whose_placement_changes_has_its_definition_moved_and_stays_shut_off()
    {
        using var c = new Cluster(2, "host-1", "<rc:runStrategy>halted</rc:runStrategy>");
        c.Start("host-1");
        c.Start("host-2").WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-1'"), "host-2 leaves mover to host-1");
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", ""), "host-1 defines mover");
        Assert.Equal("shut off", State(c.Socket("host-1")));

        c.Place("host-2");
        Eventually(() => State(c.Socket("host-2")) == "shut off", "host-2 has the definition of mover");
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-2'"), "host-1 leaves mover to host-2");
        c["host-2"].WaitFor(s => Is(s, "Synced", "Healthy", ""), "host-2 converged mover");
        Assert.Equal("shut off", State(c.Socket("host-2")));
        Assert.Contains("offline migration", c["host-1"].Output, StringComparison.Ordinal);
        Assert.DoesNotContain("mover", ReconcilerProcess.Run("list", "--all", "--socket", c.Socket("host-1")).Stdout, StringComparison.Ordinal);
        var definition = ReconcilerProcess.Run("dumpxml", "mover", "--inactive", "--socket", c.Socket("host-2"));
        Assert.Contains(Mac, definition.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void The_source_killed_in_mid_copy_never_lets_the_domain_run_twice_and_it_ends_up_on_its_placement()
    {
        using var c = SlowPairRunningOnHost1();

        c.Place("host-2");
        c["host-1"].WaitFor(Migrating, "the migration is copying memory", seconds: 60);
        c["host-1"].KillHard();

        // The target drops what it received and, with its peer silent, does not start the domain.
        c["host-2"].WaitFor(s => Is(s, "OutOfSync", "Degraded", "not started: peer 'host-1'"), "host-2 refuses to start mover while host-1 cannot answer");
        Assert.NotEqual("running", State(c.Socket("host-2")));
        Assert.DoesNotContain("mover", ReconcilerProcess.Run("list", "--all", "--socket", c.Socket("host-2")).Stdout, StringComparison.Ordinal);

        // host-1 comes back: the domain ends up running on host-2, and only there.
        c.Start("host-1", BusyGuest);
        c["host-2"].WaitFor(s => Is(s, "Synced", "Healthy", "running"), "host-2 runs mover", seconds: 90);
        c["host-1"].WaitFor(s => Is(s, "Synced", "Healthy", "placed on host 'host-2'"), "host-1 leaves mover to host-2", seconds: 60);
        Assert.Equal("running", State(c.Socket("host-2")));
        Assert.DoesNotContain("running", ReconcilerProcess.Run("list", "--all", "--socket", c.Socket("host-1")).Stdout, StringComparison.Ordinal);
    }
}
