using Reconciler.Schema.Networks.Model;

namespace Reconciler.Runtime.Networks.Dnsmasq;

/// <summary>
/// The files libvirt 9.0.0 writes for a network's dnsmasq (networkDnsmasqConfContents and dnsmasqSave in
/// src/network/bridge_driver.c and src/util/virdnsmasq.c): the configuration, the DHCP hosts file and the
/// additional hosts file, each with the path libvirt gives it.
/// </summary>
/// <param name="Config">The configuration dnsmasq is started with (<c>--conf-file=</c><see cref="ConfigPath"/>).</param>
/// <param name="HostsFile">The static DHCP hosts (<c>dhcp-hostsfile=</c>), one per line; empty when there are none.</param>
/// <param name="AddnHosts">The DNS host records (<c>addn-hosts=</c>): an address, a tab, then each name and a tab, per line.</param>
public sealed record DnsmasqConfig(
    string NetworkName,
    string ConfigPath,
    string Config,
    string HostsFilePath,
    string HostsFile,
    string AddnHostsPath,
    string AddnHosts)
{
    /// <summary>
    /// Whether the network has static DHCP hosts. libvirt writes the hosts file even when it is empty (so
    /// that hosts can be added at run time), but only a hosts file with entries is content of its own.
    /// </summary>
    public bool HasDhcpHosts => HostsFile.Length > 0;

    /// <summary>
    /// The dnsmasq files for <paramref name="network"/> on a host described by <paramref name="options"/>
    /// (libvirt's defaults when null). <paramref name="customOptions"/> are the network's
    /// &lt;dnsmasq:options&gt; (see Reconciler.Schema.Networks.DnsmasqXmlNamespace), appended as they are.
    /// A network libvirt cannot write a configuration for is a <see cref="RuntimeException"/> with
    /// libvirt's message.
    /// </summary>
    public static DnsmasqConfig Build(NetworkDefinition network, DnsmasqOptions? options = null, IReadOnlyList<string>? customOptions = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        return DnsmasqConfigWriter.Write(network, options ?? DnsmasqOptions.Default, customOptions ?? []);
    }

    /// <summary>
    /// Whether libvirt starts dnsmasq for the network at all (networkStartDhcpDaemon): only for the modes in
    /// which libvirt manages the bridge (none, nat, route, open), only when the network has an address, and
    /// not when DNS is disabled and no address has DHCP or TFTP.
    /// </summary>
    public static bool IsNeeded(NetworkDefinition network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!network.Forward.HasBridge || network.Ips.Count == 0)
        {
            return false;
        }

        var needDhcpOrTftp = network.Ips.Any(ip => ip.Ranges.Count > 0 || ip.Hosts.Count > 0 || ip.TftpRoot is not null);
        return needDhcpOrTftp || network.Dns?.Enable != false;
    }
}
