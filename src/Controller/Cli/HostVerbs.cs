using System.CommandLine;
using System.Globalization;
using System.Text;
using Reconciler.Controller.Api;

namespace Reconciler.Controller.Cli;

/// <summary>The host verbs: net-list, net-dumpxml, pool-list, vol-list and nodeinfo, shaped like virsh's.</summary>
internal static class HostVerbs
{
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr)
    {
        var allNetworks = DaemonVerb.Flag("--all", "List inactive networks too");
        yield return DaemonVerb.Create("net-list", "List the host's active networks (with --all, every network), as virsh net-list does", stdout, stderr,
            async (c, ct) =>
            {
                var networks = await c.Client.GetAsync<List<NetworkListItem>>(c.Parse.GetValue(allNetworks) ? "v1/networks?all=true" : "v1/networks", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(networks);
                }
                else
                {
                    c.WriteVirsh(VirshTable.Format(
                        ["Name", "State", "Autostart", "Persistent"],
                        networks.Select(n => (IReadOnlyList<string>)[n.Name, n.State, YesNo(n.Autostart), YesNo(n.Persistent)])));
                }

                return 0;
            },
            allNetworks);

        var network = DaemonVerb.Name("NAME", "The network's name");
        var inactive = DaemonVerb.Flag("--inactive", "Show the persistent definition instead of the running one");
        yield return DaemonVerb.Create("net-dumpxml", "Show a network's XML, as virsh net-dumpxml does", stdout, stderr,
            async (c, ct) =>
            {
                var query = c.Parse.GetValue(inactive) ? "?inactive=true" : string.Empty;
                var x = await c.Client.GetAsync<XmlDto>("v1/networks/" + ApiClient.Escape(c.Parse.GetValue(network)!) + "/xml" + query, ct).ConfigureAwait(false);
                DomainVerbs.WriteXml(c, x);
                return 0;
            },
            network,
            inactive);

        var leaseNetwork = DaemonVerb.Name("NETWORK", "The network's name");
        yield return DaemonVerb.Create("net-dhcp-leases", "List the DHCP leases of a network, as virsh net-dhcp-leases does", stdout, stderr,
            async (c, ct) =>
            {
                var leases = await c.Client.GetAsync<List<Reconciler.Runtime.Networks.DhcpLeaseInfo>>("v1/networks/" + ApiClient.Escape(c.Parse.GetValue(leaseNetwork)!) + "/leases", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(leases);
                    return 0;
                }

                var sb = new System.Text.StringBuilder();
                sb.Append(System.Globalization.CultureInfo.InvariantCulture, $" {"MAC address",-19} {"Protocol",-9} {"IP address",-19} {"Hostname",-10}\n");
                sb.Append('-', 62).Append('\n');
                foreach (var l in leases)
                {
                    var protocol = l.Address.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4";
                    sb.Append(System.Globalization.CultureInfo.InvariantCulture, $" {l.Mac,-19} {protocol,-9} {l.Address + "/" + l.Prefix,-19} {l.Hostname ?? "-",-10}\n");
                }

                c.WriteVirsh(sb.ToString());
                return 0;
            },
            leaseNetwork);

        var fdb = DaemonVerb.Flag("--fdb", "Show the MACs the bridges have learned and on which port, as bridge fdb show does");
        yield return DaemonVerb.Create("bridges", "Show the host's bridges and the taps on them, as brctl show does", stdout, stderr,
            async (c, ct) =>
            {
                var bridges = await c.Client.GetAsync<Api.BridgesDto>("v1/bridges", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(bridges);
                    return 0;
                }

                if (c.Parse.GetValue(fdb))
                {
                    foreach (var e in bridges.Fdb ?? [])
                    {
                        c.Out.Write($"{e.Mac} dev {e.Port} master {e.Bridge}\n");
                    }

                    return 0;
                }

                c.Out.Write(bridges.Table);
                return 0;
            },
            fdb);

        var allPools = DaemonVerb.Flag("--all", "List inactive pools too");
        yield return DaemonVerb.Create("pool-list", "List the host's active storage pools (with --all, every pool), as virsh pool-list does", stdout, stderr,
            async (c, ct) =>
            {
                var pools = await c.Client.GetAsync<List<PoolListItem>>(c.Parse.GetValue(allPools) ? "v1/pools?all=true" : "v1/pools", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(pools);
                }
                else
                {
                    c.WriteVirsh(VirshTable.Format(
                        ["Name", "State", "Autostart"],
                        pools.Select(p => (IReadOnlyList<string>)[p.Name, p.Active ? "active" : "inactive", YesNo(p.Autostart)])));
                }

                return 0;
            },
            allPools);

        var pool = DaemonVerb.Name("POOL", "The pool's name");
        yield return DaemonVerb.Create("vol-list", "List the volumes of a running storage pool, as virsh vol-list does", stdout, stderr,
            async (c, ct) =>
            {
                var volumes = await c.Client.GetAsync<List<VolumeListItem>>("v1/pools/" + ApiClient.Escape(c.Parse.GetValue(pool)!) + "/volumes", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(volumes);
                }
                else
                {
                    c.WriteVirsh(VirshTable.Format(["Name", "Path"], volumes.Select(v => (IReadOnlyList<string>)[v.Name, v.Path])));
                }

                return 0;
            },
            pool);

        yield return DaemonVerb.Create("nodeinfo", "Show the host's CPUs and memory, as virsh nodeinfo does", stdout, stderr,
            async (c, ct) =>
            {
                var n = await c.Client.GetAsync<NodeInfoDto>("v1/nodeinfo", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(n);
                    return 0;
                }

                var sb = new StringBuilder();
                Line(sb, "CPU model:", n.Model);
                Line(sb, "CPU(s):", n.Cpus.ToString(CultureInfo.InvariantCulture));
                Line(sb, "CPU frequency:", n.Mhz.ToString(CultureInfo.InvariantCulture) + " MHz");
                Line(sb, "CPU socket(s):", n.Sockets.ToString(CultureInfo.InvariantCulture));
                Line(sb, "Core(s) per socket:", n.Cores.ToString(CultureInfo.InvariantCulture));
                Line(sb, "Thread(s) per core:", n.Threads.ToString(CultureInfo.InvariantCulture));
                Line(sb, "NUMA cell(s):", n.Nodes.ToString(CultureInfo.InvariantCulture));
                Line(sb, "Memory size:", n.MemoryKiB.ToString(CultureInfo.InvariantCulture) + " KiB");
                c.WriteVirsh(sb.ToString());
                return 0;
            });
    }

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static void Line(StringBuilder sb, string label, string value) =>
        sb.Append(CultureInfo.InvariantCulture, $"{label,-20} {value}\n");
}
