namespace Reconciler.Runtime.Networks.Dnsmasq;

/// <summary>
/// The host facts a network's dnsmasq configuration depends on, with libvirt 9.0.0's defaults for a Linux
/// host (the system network driver's virNetworkDriverConfig and the dnsmasq binary found on it).
/// </summary>
public sealed record DnsmasqOptions
{
    /// <summary>The defaults: libvirt's state directory, no pid file line, Linux loopback, dnsmasq 2.67.</summary>
    public static DnsmasqOptions Default { get; } = new();

    /// <summary>
    /// Where libvirt keeps each network's <c>NAME.conf</c>, <c>NAME.hostsfile</c> and <c>NAME.addnhosts</c>
    /// (cfg->dnsmasqStateDir: LOCALSTATEDIR/lib/libvirt/dnsmasq).
    /// </summary>
    public string StateDirectory { get; init; } = "/var/lib/libvirt/dnsmasq";

    /// <summary>
    /// Where dnsmasq writes its pid file, <c>NAME.pid</c> (cfg->pidDir, <c>/run/libvirt/network</c> for the
    /// system daemon). Null leaves the <c>pid-file=</c> line out, as libvirt does when it is given no pid
    /// file (its own tests do that).
    /// </summary>
    public string? PidDirectory { get; init; }

    /// <summary>
    /// The loopback interface dnsmasq must not listen on: <c>lo</c> on Linux, <c>lo0</c> on the BSDs and
    /// other systems.
    /// </summary>
    public string LoopbackInterface { get; init; } = "lo";

    /// <summary>
    /// The dnsmasq binary found on the host. libvirt 9.0.0 requires at least 2.67 and writes the same
    /// configuration for every version it accepts.
    /// </summary>
    public DnsmasqCapabilities Capabilities { get; init; } = DnsmasqCapabilities.Minimum;

    /// <summary>The pid file of a network (virPidFileBuildPath), or null without a <see cref="PidDirectory"/>.</summary>
    public string? PidFileOf(string networkName) => PidDirectory is null ? null : $"{PidDirectory}/{networkName}.pid";
}
