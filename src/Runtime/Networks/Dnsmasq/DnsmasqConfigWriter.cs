using System.Globalization;
using System.Text;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Runtime.Networks.Dnsmasq;

/// <summary>networkDnsmasqConfContents of libvirt 9.0.0, line for line and in its order.</summary>
internal static class DnsmasqConfigWriter
{
    public static DnsmasqConfig Write(NetworkDefinition def, DnsmasqOptions options, IReadOnlyList<string> customOptions)
    {
        var conf = new StringBuilder();
        var hosts = new DnsmasqHostsFiles(def.Name, options.StateDirectory);
        var dns = def.Dns;
        var wantDns = dns?.Enable != false;
        var bridge = def.Bridge?.Name ?? "(null)";

        conf.Append("##WARNING:  THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n")
            .Append("##OVERWRITTEN AND LOST.  Changes to this configuration should be made using:\n")
            .Append("##    virsh net-edit ").Append(def.Name).Append('\n')
            .Append("## or other application using the libvirt API.\n")
            .Append("##\n## dnsmasq conf file created by libvirt\n")
            .Append("strict-order\n");

        // With DNS disabled, port 0 tells dnsmasq not to listen for DNS at all.
        if (!wantDns)
        {
            conf.Append("port=0\n");
        }

        if (wantDns && dns is { Forwarders.Count: > 0 })
        {
            // no-resolv once any forwarder takes every unclaimed request (an address without a domain).
            var addNoResolv = false;
            foreach (var forwarder in dns.Forwarders)
            {
                conf.Append("server=");
                if (forwarder.Domain is not null)
                {
                    conf.Append('/').Append(forwarder.Domain).Append('/');
                }

                if (forwarder.Address is not null)
                {
                    conf.Append(VirSocketAddr.Format(forwarder.Address)).Append('\n');
                    addNoResolv |= forwarder.Domain is null;
                }
                else
                {
                    // "don't forward requests for this domain"
                    conf.Append("#\n");
                }
            }

            if (addNoResolv)
            {
                conf.Append("no-resolv\n");
            }
        }

        if (def.Domain is { } domain)
        {
            if (domain.LocalOnly == true)
            {
                conf.Append("local=/").Append(domain.Name).Append("/\n");
            }

            conf.Append("domain=").Append(domain.Name).Append('\n').Append("expand-hosts\n");
        }

        if (wantDns)
        {
            LocalPtrs(conf, def);
        }

        if (wantDns && dns?.ForwardPlainNames == false)
        {
            conf.Append("domain-needed\n");
            conf.Append("local=//\n");
        }

        if (options.PidFileOf(def.Name) is { } pidFile)
        {
            conf.Append("pid-file=").Append(pidFile).Append('\n');
        }

        conf.Append("except-interface=").Append(options.LoopbackInterface).Append('\n');

        // --bind-dynamic with --interface only (CVE 2012-3411): answer only on the network's own bridge.
        conf.Append("bind-dynamic\n").Append("interface=").Append(bridge).Append('\n');

        // An isolated network has no default route (option 3 empty), forwards no DNS and announces no IPv6 route.
        if (def.Forward.Mode == "none")
        {
            conf.Append("dhcp-option=3\nno-resolv\n");
            conf.Append("ra-param=*,0,0\n");
        }

        if (wantDns && dns is not null)
        {
            foreach (var txt in dns.Txts)
            {
                conf.Append("txt-record=").Append(txt.Name).Append(',').Append(txt.Value).Append('\n');
            }

            foreach (var srv in dns.Srvs)
            {
                SrvHost(conf, srv);
            }
        }

        // The first IP definition of each family with DHCP serves it; TFTP is set up for every IPv4 one.
        NetworkIp? ipv4def = null, ipv6def = null;
        var enableTftp = false;
        foreach (var ip in def.Ips)
        {
            var dhcp = ip.Ranges.Count > 0 || ip.Hosts.Count > 0;
            if (ip.IpFamily == "ipv4")
            {
                if (dhcp)
                {
                    ipv4def = ipv4def is null
                        ? ip
                        : throw new RuntimeException(ErrorCode.ConfigUnsupported, "For IPv4, multiple DHCP definitions cannot be specified.");
                }

                if (ip.TftpRoot is not null)
                {
                    if (!enableTftp)
                    {
                        conf.Append("enable-tftp\n");
                        enableTftp = true;
                    }

                    conf.Append("tftp-root=").Append(ip.TftpRoot).Append('\n');
                }
            }
            else if (dhcp)
            {
                ipv6def = ipv6def is null
                    ? ip
                    : throw new RuntimeException(ErrorCode.ConfigUnsupported, "For IPv6, multiple DHCP definitions cannot be specified.");
            }
        }

        var leases = Dhcp(conf, ipv4def, bridge, hosts) + Dhcp(conf, ipv6def, bridge, hosts);
        if (leases > 0)
        {
            conf.Append("dhcp-lease-max=").Append(leases.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        if (dns is not null)
        {
            foreach (var host in dns.Hosts)
            {
                foreach (var name in host.Hostnames)
                {
                    hosts.AddHost(host.Ip, name);
                }
            }
        }

        // The hosts files are written even without entries, so that entries can be added at run time.
        if (ipv4def is not null || ipv6def is not null)
        {
            conf.Append("dhcp-hostsfile=").Append(hosts.HostsFilePath).Append('\n');
        }

        if (wantDns)
        {
            conf.Append("addn-hosts=").Append(hosts.AddnHostsPath).Append('\n');
        }

        if (def.Mtu is { } mtu and > 0)
        {
            conf.Append("dhcp-option=option:mtu,").Append(CInt(mtu)).Append('\n');
        }

        if (ipv6def is not null)
        {
            conf.Append("enable-ra\n");
        }
        else
        {
            foreach (var ip in def.IpsOf("ipv6").Where(ip => ip.Ranges.Count == 0 && ip.Hosts.Count == 0))
            {
                conf.Append("dhcp-range=").Append(VirSocketAddr.Format(ip.Address)).Append(",ra-only\n");
            }
        }

        foreach (var option in customOptions)
        {
            conf.Append(option).Append('\n');
        }

        return new DnsmasqConfig(
            def.Name,
            $"{options.StateDirectory}/{def.Name}.conf",
            conf.ToString(),
            hosts.HostsFilePath,
            hosts.HostsFileText(),
            hosts.AddnHostsPath,
            hosts.AddnHostsText());
    }

    /// <summary>networkDnsmasqConfLocalPTRs: a local= line for the reverse zone of each address with localPtr='yes'.</summary>
    private static void LocalPtrs(StringBuilder conf, NetworkDefinition def)
    {
        foreach (var ip in def.Ips.Where(ip => ip.LocalPtr == true))
        {
            var prefix = ip.PrefixLength;
            if (ReverseZone.Of(ip.Address, prefix) is not { } ptr)
            {
                throw new RuntimeException(ErrorCode.ConfigUnsupported,
                    $"PTR domain for {(ip.IpFamily == "ipv4" ? "IPv4" : "IPv6")} network with prefix {unchecked((uint)prefix)} cannot be automatically created");
            }

            conf.Append("local=/").Append(ptr).Append("/\n");
        }
    }

    /// <summary>
    /// An SRV record: the target and then port, priority and weight as far as one of them is set, the port
    /// defaulting to 1 (dnsmasq's default) and the others to 0. A target of "." or none (the service is
    /// decidedly not available, RFC 2782) has none of them.
    /// </summary>
    private static void SrvHost(StringBuilder conf, DnsSrv srv)
    {
        conf.Append("srv-host=_").Append(srv.Service).Append("._").Append(srv.Protocol);
        if (srv.Domain is not null)
        {
            conf.Append('.').Append(srv.Domain);
        }

        if (srv.Target is not null && srv.Target != ".")
        {
            uint port = srv.Port ?? 0, priority = srv.Priority ?? 0, weight = srv.Weight ?? 0;
            conf.Append(',').Append(srv.Target);
            if (port != 0 || priority != 0 || weight != 0)
            {
                conf.Append(',').Append(CInt(port != 0 ? port : 1));
            }

            if (priority != 0 || weight != 0)
            {
                conf.Append(',').Append(CInt(priority));
            }

            if (weight != 0)
            {
                conf.Append(',').Append(CInt(weight));
            }
        }

        conf.Append('\n');
    }

    /// <summary>networkDnsmasqConfDHCP: the DHCP service of one address; returns the number of leases its ranges hold.</summary>
    private static int Dhcp(StringBuilder conf, NetworkIp? ip, string bridge, DnsmasqHostsFiles hosts)
    {
        if (ip is null)
        {
            return 0;
        }

        var ipv6 = ip.IpFamily == "ipv6";
        var prefix = ip.PrefixLength;
        if (prefix < 0)
        {
            throw new RuntimeException(ErrorCode.InternalError, $"bridge '{bridge}' has an invalid prefix");
        }

        var leases = 0;
        foreach (var range in ip.Ranges)
        {
            conf.Append("dhcp-range=").Append(VirSocketAddr.Format(range.Start)).Append(',').Append(VirSocketAddr.Format(range.End));
            if (ipv6)
            {
                conf.Append(',').Append(prefix.ToString(CultureInfo.InvariantCulture));
            }
            else
            {
                // dnsmasq wants a netmask rather than a prefix for IPv4.
                var netmask = ReverseZone.Netmask(prefix)
                    ?? throw new RuntimeException(ErrorCode.InternalError, $"Failed to translate bridge '{bridge}' prefix {prefix} to netmask");
                conf.Append(',').Append(netmask);
            }

            if (LeaseTime(range.Lease) is { } lease)
            {
                conf.Append(',').Append(lease);
            }

            conf.Append('\n');
            leases += ReverseZone.RangeSize(range.Start, range.End);
        }

        // Static-only DHCP (hosts but no range) needs a special range to turn the service on.
        if (ip.Ranges.Count == 0 && ip.Hosts.Count > 0)
        {
            conf.Append("dhcp-range=").Append(VirSocketAddr.Format(ip.Address)).Append(",static");
            if (ipv6)
            {
                conf.Append(',').Append(prefix.ToString(CultureInfo.InvariantCulture));
            }

            conf.Append('\n');
        }

        foreach (var host in ip.Hosts)
        {
            if (host.Ip is not null)
            {
                hosts.AddDhcpHost(host.Mac, host.Ip, host.Name, host.Id, LeaseTime(host.Lease), ipv6);
            }
        }

        if (!ipv6)
        {
            if (ip.Ranges.Count > 0 || ip.Hosts.Count > 0)
            {
                conf.Append("dhcp-no-override\n");
                conf.Append("dhcp-authoritative\n");
            }

            if (ip.Bootp is { } bootp)
            {
                conf.Append("dhcp-boot=").Append(bootp.File);
                if (bootp.Server is not null)
                {
                    conf.Append(",,").Append(VirSocketAddr.Format(bootp.Server));
                }

                conf.Append('\n');
            }
        }

        return leases;
    }

    /// <summary>networkBuildDnsmasqLeaseTime: "infinite", or the expiry and the first letter of its unit (s, m, h).</summary>
    private static string? LeaseTime(DhcpLease? lease) => lease switch
    {
        null => null,
        { IsInfinite: true } => "infinite",
        _ => lease.Expiry.ToString(CultureInfo.InvariantCulture) + (lease.Unit ?? "minutes")[0],
    };

    /// <summary>An unsigned value as C's %d prints it.</summary>
    private static string CInt(uint value) => unchecked((int)value).ToString(CultureInfo.InvariantCulture);
}
