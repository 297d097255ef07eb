using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Reconciler.Controller.Tests.Support;
using Reconciler.Runtime;
using Xunit;
using static Reconciler.Controller.Tests.Daemon.DaemonTests;

namespace Reconciler.Controller.Tests.Daemon;

/// <summary>
/// Who can talk to the real daemon: its API socket is its owner's alone, in a directory others cannot
/// write to; peers must prove they know the shared key, which must itself be private; and no secret — the
/// peer key, a graphics password, a cookie — ever shows in its logs, its status or its API.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AccessTests
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OthersWrite = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;

    private const string Network = "<network>\n  <name>net1</name>\n  <bridge name='rcbr77'/>\n</network>\n";

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>A key of printable characters, so that it would be seen if it were ever printed as text.</summary>
    private static (string Path, byte[] Key) KeyFile(TempDir dir, UnixFileMode mode = OwnerOnly)
    {
        var key = Encoding.ASCII.GetBytes("PEERKEY-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(24)));
        var path = Path.Combine(dir.Path, "peer.key");
        File.WriteAllBytes(path, key);
        File.SetUnixFileMode(path, mode);
        return (path, key);
    }

    [Fact]
    public void The_api_socket_is_the_owners_alone_in_a_private_state_directory()
    {
        using var dir = new TempDir();
        var specs = Path.Combine(dir.Path, "specs");
        Directory.CreateDirectory(specs);
        File.WriteAllText(Path.Combine(specs, "net1.xml"), Network);
        var state = Path.Combine(dir.Path, "state");
        using var daemon = new DaemonProcess(specs, state);
        daemon.WaitFor(s => Is(s, "network/net1", "Synced", "Healthy"), "net1 converged");

        var socket = Path.Combine(state, "reconciler.sock");
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(socket));
        Assert.Equal(OwnerOnly | UnixFileMode.UserExecute, File.GetUnixFileMode(state));
        Assert.Equal(0, (int)(File.GetUnixFileMode(Path.Combine(state, "controller-status.json")) & OthersWrite));

        var status = ReconcilerProcess.Run("status", "--socket", socket);
        Assert.Equal(0, status.ExitCode);
        Assert.Contains("net1", status.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_state_directory_others_can_write_to_and_a_key_file_others_can_read_are_refused_at_start()
    {
        using var dir = new TempDir();
        var specs = Path.Combine(dir.Path, "specs");
        Directory.CreateDirectory(specs);

        var shared = Path.Combine(dir.Path, "shared-state");
        Directory.CreateDirectory(shared);
        File.SetUnixFileMode(shared, (UnixFileMode)0b111_111_111);
        var result = ReconcilerProcess.Run("run", "--specs", specs, "--state", shared, "--host", "test-host");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{shared} can be written by other users (mode 0777)", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(shared, "reconciler.sock")));

        var (keyPath, _) = KeyFile(dir, (UnixFileMode)0b110_100_100);
        result = ReconcilerProcess.Run("run", "--specs", specs, "--state", Path.Combine(dir.Path, "state"), "--host", "test-host",
            "--listen", $"127.0.0.1:{FreePort()}", "--peer-key-file", keyPath);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"the peer key file {keyPath} is open to other users (mode 0644); make it private: chmod 600 {keyPath}", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Peers_without_the_key_are_refused_and_logged_and_no_secret_shows_anywhere()
    {
        using var dir = new TempDir();
        var specs = Path.Combine(dir.Path, "specs");
        var images = Path.Combine(dir.Path, "images");
        Directory.CreateDirectory(images);
        var image = Path.Combine(images, "vm1.qcow2");
        Reconciler.Runtime.Storage.Images.Qcow2Image.Create(image, 1UL << 30);
        const string GraphicsPassword = "GFX-PASSWORD-6f1d2c";
        const string Cookie = "COOKIE-VALUE-93ab01";
        const string BrokenPassword = "BROKEN-PASSWORD-77e0";
        const string SecretValue = "U0VDUkVULVZBTFVFLTQ0";
        Directory.CreateDirectory(Path.Combine(specs, "domains"));
        File.WriteAllText(Path.Combine(specs, "images.xml"), $"<pool type='dir'><name>images</name><target><path>{images}</path></target></pool>");
        File.WriteAllText(Path.Combine(specs, "domains", "vm1.xml"), $"""
            <domain type='kvm'>
              <name>vm1</name>
              <memory unit='MiB'>128</memory>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='{image}'/><target dev='vda' bus='virtio'/></disk>
                <disk type='network' device='cdrom'>
                  <source protocol='https' name='/iso/boot.iso'>
                    <host name='images.example.org' port='443'/>
                    <cookies><cookie name='session'>{Cookie}</cookie></cookies>
                  </source>
                  <target dev='sda' bus='sata'/>
                  <readonly/>
                </disk>
                <graphics type='vnc' port='-1' autoport='yes' passwd='{GraphicsPassword}'/>
              </devices>
            </domain>
            """);

        // A broken spec that holds a password: its error must not quote it.
        File.WriteAllText(Path.Combine(specs, "domains", "broken.xml"), $"""
            <domain type='kvm'>
              <name>broken</name>
              <memory unit='MiB'>128</memory>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <graphics type='vnc' passwd='{BrokenPassword}' passwdValidTo='not-a-time'/>
              </devices>
            </domain>
            """);

        // Not a kind of spec, but a file a user might drop there with a value in it.
        File.WriteAllText(Path.Combine(specs, "secret.xml"), $"<secret ephemeral='no' private='yes'>\n  <usage type='volume'><volume>/x</volume></usage>\n  <value>{SecretValue}</value>\n</secret>\n");

        var (keyPath, key) = KeyFile(dir);
        var port = FreePort();
        var state = Path.Combine(dir.Path, "state");
        using var daemon = new DaemonProcess(specs, state, "--listen", $"127.0.0.1:{port}", "--peer-key-file", keyPath);
        daemon.WaitFor(s => s.ContainsKey("domain/vm1") && s.Keys.Any(k => k.Contains("broken.xml", StringComparison.Ordinal)) && s.Keys.Any(k => k.Contains("secret.xml", StringComparison.Ordinal)),
            "every spec has a status");

        // A peer with another key, and one that only sends junk: both refused, both logged, the daemon carries on.
        await using (var harness = await ApiHarness.StartAsync())
        {
            var e = await Assert.ThrowsAsync<RuntimeException>(() =>
                harness.Hypervisor.ProbePeerAsync(new MigrationTarget("127.0.0.1", port, RandomNumberGenerator.GetBytes(32)), new PeerQuery()));
            Assert.Contains("wrong key", e.Message, StringComparison.Ordinal);
        }

        using (var junk = new TcpClient())
        {
            await junk.ConnectAsync(IPAddress.Loopback, port);
            var stream = junk.GetStream();
            await stream.WriteAsync(RandomNumberGenerator.GetBytes(4096));
            var buffer = new byte[65536];
            var deadline = DateTime.UtcNow.AddSeconds(30);
            stream.ReadTimeout = 30_000;
            int read;
            do
            {
                read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
            }
            while (read > 0 && DateTime.UtcNow < deadline);
            Assert.Equal(0, read); // the daemon hung up
        }

        await ApiHarness.Eventually(() => daemon.Output.Split('\n').Count(l => l.Contains("did not prove it knows the shared key", StringComparison.Ordinal)) >= 2,
            "both refusals are logged", seconds: 30);
        Assert.False(daemon.HasExited);
        var socket = Path.Combine(state, "reconciler.sock");

        // Everything the daemon shows: its log, its status file, and what the API gives for each object.
        var shown = new StringBuilder(daemon.Output);
        shown.Append(File.ReadAllText(Path.Combine(state, "controller-status.json")));
        foreach (var args in new[] { new[] { "status", "--output", "json" }, ["status"], ["dumpxml", "vm1"], ["dumpxml", "vm1", "--inactive"], ["list", "--all"] })
        {
            var r = ReconcilerProcess.Run([.. args, "--socket", socket]);
            shown.Append(r.Stdout).Append(r.Stderr);
        }

        var all = shown.ToString();
        Assert.Contains("vm1", all, StringComparison.Ordinal);
        Assert.Contains("broken.xml", all, StringComparison.Ordinal);
        foreach (var secret in new[] { GraphicsPassword, Cookie, BrokenPassword, SecretValue, Encoding.ASCII.GetString(key), Convert.ToHexString(key), Convert.ToBase64String(key) })
        {
            Assert.DoesNotContain(secret, all, StringComparison.OrdinalIgnoreCase);
        }

        // And the runtime's state files on disk do not hold them either (only the owner can read them anyway).
        // (.lock files are empty, and held with a lock that refuses .NET readers.)
        foreach (var file in Directory.EnumerateFiles(state, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".sock", StringComparison.Ordinal) && Path.GetFileName(f) != ".lock" && new FileInfo(f).Length < 10_000_000))
        {
            var content = File.ReadAllText(file);
            Assert.DoesNotContain(GraphicsPassword, content, StringComparison.Ordinal);
            Assert.DoesNotContain(Encoding.ASCII.GetString(key), content, StringComparison.Ordinal);
        }
    }
}
