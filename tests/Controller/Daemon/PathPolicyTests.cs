using Reconciler.Controller.Tests.Support;
using Xunit;
using static Reconciler.Controller.Tests.Daemon.DaemonTests;

namespace Reconciler.Controller.Tests.Daemon;

/// <summary>
/// The path policy through the real daemon: a domain whose disk lies outside the pools and the allowed image
/// directories (directly, through '..' or through a symbolic link) is not started and says why in its
/// status; a volume spec whose name has a '/' creates nothing; everything else converges as usual.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PathPolicyTests
{
    private static string Domain(string name, string source) => $"""
        <domain type='kvm'>
          <name>{name}</name>
          <memory unit='MiB'>128</memory>
          <os><type arch='x86_64'>hvm</type></os>
          <devices>
            <disk type='file' device='disk'>
              <driver name='qemu' type='raw'/>
              <source file='{source}'/>
              <target dev='vda' bus='virtio'/>
            </disk>
          </devices>
        </domain>
        """;

    [Fact]
    public void Disks_outside_the_pools_are_refused_in_the_status_and_a_volume_name_with_a_slash_creates_nothing()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var images = Path.Combine(dir.Path, "images");
        var outside = Path.Combine(dir.Path, "outside");
        Directory.CreateDirectory(outside);
        var secret = Path.Combine(outside, "secret.raw");
        File.WriteAllText(secret, "not for guests");

        File.WriteAllText(Path.Combine(specs, "domains", "direct.xml"), Domain("direct", secret));
        File.WriteAllText(Path.Combine(specs, "domains", "dotdot.xml"), Domain("dotdot", $"{images}/../outside/secret.raw"));
        File.WriteAllText(Path.Combine(specs, "domains", "linked.xml"), Domain("linked", Path.Combine(images, "linked.raw")));
        File.WriteAllText(Path.Combine(specs, "pools", "images", "evil.xml"), "<volume><name>../evil.raw</name><capacity unit='MiB'>1</capacity></volume>");

        using var daemon = new DaemonProcess(specs, Path.Combine(dir.Path, "state"));
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running"), "the examples converge");
        File.CreateSymbolicLink(Path.Combine(images, "linked.raw"), secret);

        daemon.WaitFor(s =>
            s.TryGetValue("domain/direct", out var d) && d.GetProperty("message").GetString()!.Contains("which is neither in a running storage pool nor in an allowed image directory", StringComparison.Ordinal) &&
            s.TryGetValue("domain/dotdot", out var dd) && dd.GetProperty("message").GetString()!.Contains("which has a '..' component", StringComparison.Ordinal) &&
            s.TryGetValue("domain/linked", out var l) && l.GetProperty("message").GetString()!.Contains($"a symbolic link that leads to '{secret}'", StringComparison.Ordinal) &&
            s.TryGetValue("volume/images/../evil.raw", out var v) && v.GetProperty("message").GetString()!.Contains("cannot contain '/'", StringComparison.Ordinal),
            "each refusal is in its object's status");

        var status = daemon.Status();
        Assert.Contains($"disk 'vda' uses '{secret}'", Message(status, "domain/direct"), StringComparison.Ordinal);
        Assert.All(new[] { "domain/direct", "domain/dotdot", "domain/linked", "volume/images/../evil.raw" },
            key => Assert.NotEqual("Synced", status[key].GetProperty("sync").GetString()));
        Assert.False(File.Exists(Path.Combine(dir.Path, "evil.raw")));
        Assert.False(File.Exists(Path.Combine(images, "..", "evil.raw")));
        Assert.True(Is(status, "domain/web-01", "Synced", "Healthy", "running"));
        Assert.Equal("not for guests", File.ReadAllText(secret));

        // None of the three ever ran.
        var running = ReconcilerProcess.Run("list", "--socket", Path.Combine(dir.Path, "state", "reconciler.sock"));
        Assert.Equal(0, running.ExitCode);
        Assert.DoesNotContain("direct", running.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("dotdot", running.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("linked", running.Stdout, StringComparison.Ordinal);
    }
}
