using Reconciler.Runtime.Networks.Dnsmasq;
using Xunit;

namespace Reconciler.Runtime.Tests.Networks.Dnsmasq;

/// <summary>Reading `dnsmasq --version` as libvirt's dnsmasqCapsSetFromBuffer does.</summary>
public sealed class DnsmasqCapabilitiesTests
{
    [Fact]
    public void The_version_follows_the_banner()
    {
        var caps = DnsmasqCapabilities.FromVersionOutput("/usr/sbin/dnsmasq", "Dnsmasq version 2.89  Copyright (c) 2000-2022 Simon Kelley\nCompile time options: IPv6 GNU-getopt\n");
        Assert.Equal(new Version(2, 89), caps.Version);
        Assert.Equal("/usr/sbin/dnsmasq", caps.BinaryPath);
    }

    [Theory]
    [InlineData("Dnsmasq version 2.66\n")]
    [InlineData("dnsmasq 2.90\n")]
    public void Older_or_unrecognised_versions_are_refused_with_the_first_line(string output)
    {
        var e = Assert.Throws<RuntimeException>(() => DnsmasqCapabilities.FromVersionOutput("/usr/sbin/dnsmasq", output));
        Assert.Equal($"internal error: cannot parse /usr/sbin/dnsmasq version number in '{output.TrimEnd('\n')}'", e.Message);
    }
}
