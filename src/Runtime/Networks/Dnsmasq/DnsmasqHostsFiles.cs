using System.Net;
using System.Text;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Runtime.Networks.Dnsmasq;

/// <summary>
/// libvirt's dnsmasqContext (src/util/virdnsmasq.c): the DHCP hosts file (<c>NAME.hostsfile</c>) and the
/// additional hosts file (<c>NAME.addnhosts</c>) of one network, with their paths.
/// </summary>
internal sealed class DnsmasqHostsFiles
{
    private readonly List<string> _dhcpHosts = [];
    private readonly List<(string Ip, List<string> Names)> _addnHosts = [];

    public DnsmasqHostsFiles(string networkName, string stateDirectory)
    {
        // hostsfileNew and addnhostsNew escape the name for XML (virBufferEscapeString), unlike the .conf path.
        var escaped = EscapeXml(networkName);
        HostsFilePath = $"{stateDirectory}/{escaped}.hostsfile";
        AddnHostsPath = $"{stateDirectory}/{escaped}.addnhosts";
    }

    public string HostsFilePath { get; }

    public string AddnHostsPath { get; }

    /// <summary>
    /// hostsfileAdd: <c>[id:ID,][NAME,][IP6]</c> for an IPv6 host, else <c>MAC,IP,NAME</c>, <c>NAME,IP</c>
    /// or <c>MAC,IP</c>; then the lease time, if any.
    /// </summary>
    public void AddDhcpHost(string? mac, IPAddress ip, string? name, string? id, string? leaseTime, bool ipv6)
    {
        var ipStr = VirSocketAddr.Format(ip);
        var sb = new StringBuilder();
        if (ipv6)
        {
            if (name is not null && id is not null)
            {
                sb.Append("id:").Append(id).Append(',').Append(name);
            }
            else if (name is not null)
            {
                sb.Append(name);
            }
            else if (id is not null)
            {
                sb.Append("id:").Append(id);
            }

            sb.Append(",[").Append(ipStr).Append(']');
        }
        else if (name is not null && mac is not null)
        {
            sb.Append(mac).Append(',').Append(ipStr).Append(',').Append(name);
        }
        else if (name is not null)
        {
            sb.Append(name).Append(',').Append(ipStr);
        }
        else
        {
            sb.Append(mac ?? "(null)").Append(',').Append(ipStr);
        }

        if (leaseTime is not null)
        {
            sb.Append(',').Append(leaseTime);
        }

        _dhcpHosts.Add(sb.ToString());
    }

    /// <summary>addnhostsAdd: the names of one address are gathered on its line, in the order they came.</summary>
    public void AddHost(IPAddress ip, string name)
    {
        var ipStr = VirSocketAddr.Format(ip);
        var index = _addnHosts.FindIndex(h => h.Ip == ipStr);
        if (index < 0)
        {
            _addnHosts.Add((ipStr, [name]));
        }
        else
        {
            _addnHosts[index].Names.Add(name);
        }
    }

    /// <summary>hostsfileWrite: one host per line.</summary>
    public string HostsFileText()
    {
        var sb = new StringBuilder();
        foreach (var host in _dhcpHosts)
        {
            sb.Append(host).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>addnhostsWrite: the address, a tab, then every name followed by a tab, per line.</summary>
    public string AddnHostsText()
    {
        var sb = new StringBuilder();
        foreach (var (ip, names) in _addnHosts)
        {
            sb.Append(ip).Append('\t');
            foreach (var name in names)
            {
                sb.Append(name).Append('\t');
            }

            sb.Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>virBufferEscapeString: XML entities for &lt; &gt; &amp; " ', the control characters 0x01-0x19 other than tab and newlines dropped.</summary>
    internal static string EscapeXml(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '"': sb.Append("&quot;"); break;
                case '\'': sb.Append("&apos;"); break;
                case >= '\x01' and <= '\x19' and not '\t' and not '\n' and not '\r': break;
                default: sb.Append(c); break;
            }
        }

        return sb.ToString();
    }
}
