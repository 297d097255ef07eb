using System.Globalization;
using System.Net;
using Reconciler.Runtime.Storage.HostCommands;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;

namespace Reconciler.Runtime.Networks.Firewall;

/// <summary>
/// The iptables and ip6tables commands libvirt 9.0.0's network driver runs on Linux with its direct firewall
/// backend (no firewalld) when it starts a network: networkAddFirewallRules in
/// src/network/bridge_driver_linux.c, with the rule helpers of src/util/viriptables.c. Every command carries
/// <c>-w</c> (wait for the xtables lock), as libvirt passes it.
/// </summary>
/// <remarks>
/// <para>
/// Before the first network with rules, once per daemon, libvirt sets up its private chains
/// (<see cref="PrivateChains"/>): LIBVIRT_INP, LIBVIRT_OUT, LIBVIRT_FWO, LIBVIRT_FWI and LIBVIRT_FWX in the
/// filter table, hooked into INPUT, OUTPUT and FORWARD, and LIBVIRT_PRT in the nat and mangle tables, hooked
/// into POSTROUTING, for IPv4 and IPv6 alike. A network's own rules (<see cref="NetworkRules"/>) all go
/// into those chains with <c>--insert</c>, so each chain ends up holding them in the reverse of the order
/// they were run in.
/// </para>
/// <para>
/// Only networks whose bridge libvirt manages and filters get rules: forward modes none (isolated), nat and
/// route. An open network's bridge is left to the host's own firewall, and the bridge, private, vepa,
/// passthrough and hostdev modes use host devices libvirt does not filter. A firewalld zone
/// (&lt;bridge zone=...&gt;) is set over D-Bus, not with iptables, and is not part of the plan.
/// </para>
/// </remarks>
public static class IptablesPlan
{
    /// <summary>The IPv4 program (libvirt runs the one found at build time; its tests show the bare name).</summary>
    public const string Iptables = "iptables";

    /// <summary>The IPv6 program.</summary>
    public const string Ip6tables = "ip6tables";

    private const string BroadcastIPv4 = "255.255.255.255/32";
    private const string LocalMulticastIPv4 = "224.0.0.0/24";
    private const string LocalMulticastIPv6 = "ff02::/16";

    /// <summary>Whether libvirt adds firewall rules for the network at all: forward modes none, nat and route.</summary>
    public static bool HasRules(NetworkDefinition network)
    {
        ArgumentNullException.ThrowIfNull(network);
        return network.Forward.Mode is "none" or "nat" or "route";
    }

    /// <summary>
    /// iptablesSetupPrivateChains for IPv4 then IPv6, on a host where none of libvirt's chains exist yet: for
    /// each family, the rules of the filter, nat and mangle tables are listed first (<c>--list-rules</c>), then
    /// each missing chain is created (<c>--new-chain</c>) and jumped to from the start of its built-in chain
    /// (<c>--insert PARENT --jump CHAIN</c>). On a host where a chain or its jump already exists, libvirt
    /// leaves that one out.
    /// </summary>
    public static IReadOnlyList<HostCommand> PrivateChains()
    {
        (string Parent, string Chain)[] filter =
        [
            ("INPUT", "LIBVIRT_INP"),
            ("OUTPUT", "LIBVIRT_OUT"),
            ("FORWARD", "LIBVIRT_FWO"),
            ("FORWARD", "LIBVIRT_FWI"),
            ("FORWARD", "LIBVIRT_FWX"),
        ];
        (string Parent, string Chain)[] postrouting = [("POSTROUTING", "LIBVIRT_PRT")];
        (string Table, (string Parent, string Chain)[] Chains)[] tables =
        [
            ("filter", filter),
            ("nat", postrouting),
            ("mangle", postrouting),
        ];

        var commands = new List<HostCommand>();
        foreach (var ipv6 in new[] { false, true })
        {
            foreach (var (table, _) in tables)
            {
                commands.Add(Rule(ipv6, "--table", table, "--list-rules"));
            }

            foreach (var (table, chains) in tables)
            {
                foreach (var (parent, chain) in chains)
                {
                    commands.Add(Rule(ipv6, "--table", table, "--new-chain", chain));
                    commands.Add(Rule(ipv6, "--table", table, "--insert", parent, "--jump", chain));
                }
            }
        }

        return commands;
    }

    /// <summary>
    /// The rules libvirt adds when it starts <paramref name="network"/> (networkAddFirewallRules), in the
    /// order it runs them; empty for the forward modes without rules (<see cref="HasRules"/>). The network
    /// must have its bridge name. In order:
    /// <list type="number">
    /// <item>IPv4, always: DHCP (TCP and UDP port 67 in, 68 out) and DNS (port 53 both ways) accepted on the
    /// bridge; TFTP (UDP 69 both ways) when the first IPv4 address with DHCP or TFTP has a TFTP root; forwarding
    /// from and to the bridge rejected, and between its own ports accepted.</item>
    /// <item>IPv6, when the network has an IPv6 address or &lt;network ipv6='yes'&gt;: the same reject and
    /// cross-bridge rules; with an IPv6 address, DNS and DHCPv6 (UDP 547 in, 546 out) too.</item>
    /// <item>Per address, in the definition's order: in nat mode, for IPv4 (and IPv6 with
    /// &lt;nat ipv6='yes'/&gt;) forwarding out of the network and related traffic back in, then masquerading
    /// (or SNAT to the &lt;nat&gt; address range) of everything, of UDP and of TCP leaving the network, the
    /// two latter with source ports mapped to the &lt;nat&gt; port range (1024-65535 by default), and the
    /// exemptions for the broadcast address (IPv4) and the local multicast range; an IPv6 address in nat
    /// mode otherwise, and every address in route mode, gets forwarding out of and into the network. The
    /// forward device (&lt;forward dev=...&gt;) restricts these rules to it.</item>
    /// <item>When the first IPv4 address with DHCP exists, the mangle rule that fills in the checksum of DHCP
    /// replies (run apart, its failure ignored: not every iptables has CHECKSUM).</item>
    /// </list>
    /// What libvirt refuses (an address without a usable prefix, a &lt;nat&gt; port range of one port) is a
    /// <see cref="RuntimeException"/> with libvirt's message; libvirt then runs none of the rules.
    /// </summary>
    public static IReadOnlyList<HostCommand> NetworkRules(NetworkDefinition network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (!HasRules(network))
        {
            return [];
        }

        var bridge = network.Bridge?.Name
            ?? throw new ArgumentException($"network {network.Name} has no bridge name", nameof(network));
        var rules = new List<HostCommand>();
        AddGeneralIPv4Rules(rules, network, bridge);
        AddGeneralIPv6Rules(rules, network, bridge);
        foreach (var ip in network.Ips)
        {
            AddAddressRules(rules, network, bridge, ip);
        }

        // The checksum rule: the first IPv4 address with DHCP, ranges or hosts (TFTP alone does not count).
        if (network.IpsOf("ipv4").Any(ip => ip.HasDhcp))
        {
            rules.Add(Rule(false, "--table", "mangle", "--insert", "LIBVIRT_PRT", "--out-interface", bridge, "--protocol", "udp", "--destination-port", "68", "--jump", "CHECKSUM", "--checksum-fill"));
        }

        return rules;
    }

    /// <summary>
    /// Commands in the format of libvirt's tests (networkxml2firewalltest's .args files): each command as
    /// <see cref="HostCommand.ToArgv"/> writes it, followed by a newline.
    /// </summary>
    public static string ToArgs(IEnumerable<HostCommand> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        return string.Concat(commands.Select(c => c.ToArgv() + "\n"));
    }

    /// <summary>networkAddGeneralIPv4FirewallRules: added whether or not the network has an IPv4 address.</summary>
    private static void AddGeneralIPv4Rules(List<HostCommand> rules, NetworkDefinition network, string bridge)
    {
        // libvirt serves DHCP (and TFTP) on one IPv4 address only: the first with DHCP or TFTP.
        var served = network.IpsOf("ipv4").FirstOrDefault(ip => ip.HasDhcp || ip.TftpRoot is not null);

        AddInput(rules, false, bridge, "tcp", 67);
        AddInput(rules, false, bridge, "udp", 67);
        AddOutput(rules, false, bridge, "tcp", 68);
        AddOutput(rules, false, bridge, "udp", 68);

        AddInput(rules, false, bridge, "tcp", 53);
        AddInput(rules, false, bridge, "udp", 53);
        AddOutput(rules, false, bridge, "tcp", 53);
        AddOutput(rules, false, bridge, "udp", 53);

        if (served?.TftpRoot is not null)
        {
            AddInput(rules, false, bridge, "udp", 69);
            AddOutput(rules, false, bridge, "udp", 69);
        }

        AddBridgeRules(rules, false, bridge);
    }

    /// <summary>networkAddGeneralIPv6FirewallRules.</summary>
    private static void AddGeneralIPv6Rules(List<HostCommand> rules, NetworkDefinition network, string bridge)
    {
        var hasIPv6 = network.IpsOf("ipv6").Any();
        if (!hasIPv6 && !network.Ipv6WithoutGateway)
        {
            return;
        }

        AddBridgeRules(rules, true, bridge);
        if (hasIPv6)
        {
            AddInput(rules, true, bridge, "tcp", 53);
            AddInput(rules, true, bridge, "udp", 53);
            AddOutput(rules, true, bridge, "tcp", 53);
            AddOutput(rules, true, bridge, "udp", 53);
            AddInput(rules, true, bridge, "udp", 547);
            AddOutput(rules, true, bridge, "udp", 546);
        }
    }

    /// <summary>Forwarding from and to the bridge rejected, and between two of its ports accepted.</summary>
    private static void AddBridgeRules(List<HostCommand> rules, bool ipv6, string bridge)
    {
        rules.Add(Rule(ipv6, "--table", "filter", "--insert", "LIBVIRT_FWO", "--in-interface", bridge, "--jump", "REJECT"));
        rules.Add(Rule(ipv6, "--table", "filter", "--insert", "LIBVIRT_FWI", "--out-interface", bridge, "--jump", "REJECT"));
        rules.Add(Rule(ipv6, "--table", "filter", "--insert", "LIBVIRT_FWX", "--in-interface", bridge, "--out-interface", bridge, "--jump", "ACCEPT"));
    }

    /// <summary>networkAddIPSpecificFirewallRules: masquerading in nat mode (IPv6 only when asked for), routing otherwise.</summary>
    private static void AddAddressRules(List<HostCommand> rules, NetworkDefinition network, string bridge, NetworkIp ip)
    {
        var ipv6 = ip.IpFamily == "ipv6";
        switch (network.Forward.Mode)
        {
            case "nat" when !ipv6 || network.Forward.Nat?.Ipv6 == true:
                AddMasqueradingRules(rules, network, bridge, ip);
                break;
            case "nat":
            case "route":
                AddRoutingRules(rules, network, bridge, ip);
                break;
        }
    }

    /// <summary>networkAddMasqueradingFirewallRules.</summary>
    private static void AddMasqueradingRules(List<HostCommand> rules, NetworkDefinition network, string bridge, NetworkIp ip)
    {
        var ipv6 = ip.IpFamily == "ipv6";
        var subnet = Subnet(ip, bridge);
        var device = network.Forward.Dev;
        AddForwardOut(rules, ipv6, subnet, bridge, device);

        // Traffic back into the network only when it belongs to a connection made from it.
        AddForwardIn(rules, ipv6, subnet, bridge, device, relatedOnly: true);

        // Inserted in the reverse of the order they apply in: the exemptions first, then TCP and UDP with
        // their source ports mapped above 1023 (so that guests cannot pass NFS's privileged port check),
        // then everything else.
        var nat = network.Forward.Nat;
        rules.Add(Masquerade(ipv6, subnet, device, nat, null));
        rules.Add(Masquerade(ipv6, subnet, device, nat, "udp"));
        rules.Add(Masquerade(ipv6, subnet, device, nat, "tcp"));
        if (!ipv6)
        {
            rules.Add(DontMasquerade(ipv6, subnet, device, BroadcastIPv4));
        }

        rules.Add(DontMasquerade(ipv6, subnet, device, ipv6 ? LocalMulticastIPv6 : LocalMulticastIPv4));
    }

    /// <summary>networkAddRoutingFirewallRules: forwarding out of and into the network, in any state.</summary>
    private static void AddRoutingRules(List<HostCommand> rules, NetworkDefinition network, string bridge, NetworkIp ip)
    {
        var ipv6 = ip.IpFamily == "ipv6";
        var subnet = Subnet(ip, bridge);
        var device = network.Forward.Dev;
        AddForwardOut(rules, ipv6, subnet, bridge, device);
        AddForwardIn(rules, ipv6, subnet, bridge, device, relatedOnly: false);
    }

    /// <summary>
    /// iptablesAddForwardAllowIn, or with <paramref name="relatedOnly"/> iptablesAddForwardAllowRelatedIn:
    /// traffic to the network's addresses on the bridge may be forwarded (only that of connections made from it).
    /// </summary>
    private static void AddForwardIn(List<HostCommand> rules, bool ipv6, string subnet, string bridge, string? device, bool relatedOnly)
    {
        var args = new List<string> { "--table", "filter", "--insert", "LIBVIRT_FWI", "--destination", subnet };
        if (device is not null)
        {
            args.AddRange(["--in-interface", device]);
        }

        args.AddRange(["--out-interface", bridge]);
        if (relatedOnly)
        {
            args.AddRange(["--match", "conntrack", "--ctstate", "ESTABLISHED,RELATED"]);
        }

        args.AddRange(["--jump", "ACCEPT"]);
        rules.Add(Rule(ipv6, [.. args]));
    }

    /// <summary>iptablesAddForwardAllowOut: traffic from the network's addresses on the bridge may be forwarded.</summary>
    private static void AddForwardOut(List<HostCommand> rules, bool ipv6, string subnet, string bridge, string? device)
    {
        var args = new List<string> { "--table", "filter", "--insert", "LIBVIRT_FWO", "--source", subnet, "--in-interface", bridge };
        if (device is not null)
        {
            args.AddRange(["--out-interface", device]);
        }

        args.AddRange(["--jump", "ACCEPT"]);
        rules.Add(Rule(ipv6, [.. args]));
    }

    /// <summary>
    /// iptablesAddForwardMasquerade: traffic from the network to elsewhere (of one protocol, or of any) leaves
    /// with the host's address, or with one of the &lt;nat&gt; IPv4 range's (SNAT). With a protocol, source
    /// ports are mapped to the &lt;nat&gt; port range, 1024-65535 when none is given; libvirt refuses a range
    /// whose start is not below its end.
    /// </summary>
    private static HostCommand Masquerade(bool ipv6, string subnet, string? device, NetworkNat? nat, string? protocol)
    {
        var args = new List<string> { "--table", "nat", "--insert", "LIBVIRT_PRT", "--source", subnet };
        if (protocol is not null)
        {
            args.AddRange(["-p", protocol]);
        }

        args.AddRange(["!", "--destination", subnet]);
        if (device is not null)
        {
            args.AddRange(["--out-interface", device]);
        }

        string? ports = null;
        if (protocol is not null)
        {
            var (start, end) = nat?.Ports is { } range ? (range.Start, range.End) : (0u, 0u);
            if (start == 0 && end == 0)
            {
                (start, end) = (1024, 65535);
            }

            if (start >= end || end >= 65536)
            {
                throw new RuntimeException(ErrorCode.InternalError, $"Invalid port range '{start}-{end}'.");
            }

            ports = start.ToString(CultureInfo.InvariantCulture) + "-" + end.ToString(CultureInfo.InvariantCulture);
        }

        // The <nat> address range is IPv4: an IPv6 address is masqueraded.
        if (!ipv6 && nat?.Start is { } first)
        {
            var target = VirSocketAddr.Format(first);
            if (nat.End is { } last)
            {
                target += "-" + VirSocketAddr.Format(last);
            }

            if (ports is not null)
            {
                target += ":" + ports;
            }

            args.AddRange(["--jump", "SNAT", "--to-source", target]);
        }
        else
        {
            args.AddRange(["--jump", "MASQUERADE"]);
            if (ports is not null)
            {
                args.AddRange(["--to-ports", ports]);
            }
        }

        return Rule(ipv6, [.. args]);
    }

    /// <summary>iptablesAddDontMasquerade: traffic from the network to <paramref name="destination"/> keeps its address.</summary>
    private static HostCommand DontMasquerade(bool ipv6, string subnet, string? device, string destination)
    {
        var args = new List<string> { "--table", "nat", "--insert", "LIBVIRT_PRT" };
        if (device is not null)
        {
            args.AddRange(["--out-interface", device]);
        }

        args.AddRange(["--source", subnet, "--destination", destination, "--jump", "RETURN"]);
        return Rule(ipv6, [.. args]);
    }

    /// <summary>iptablesInput: a port on the host open to the bridge.</summary>
    private static void AddInput(List<HostCommand> rules, bool ipv6, string bridge, string protocol, int port) =>
        rules.Add(Rule(ipv6, "--table", "filter", "--insert", "LIBVIRT_INP", "--in-interface", bridge, "--protocol", protocol, "--destination-port", port.ToString(CultureInfo.InvariantCulture), "--jump", "ACCEPT"));

    /// <summary>iptablesOutput: the host may send to a port on the bridge.</summary>
    private static void AddOutput(List<HostCommand> rules, bool ipv6, string bridge, string protocol, int port) =>
        rules.Add(Rule(ipv6, "--table", "filter", "--insert", "LIBVIRT_OUT", "--out-interface", bridge, "--protocol", protocol, "--destination-port", port.ToString(CultureInfo.InvariantCulture), "--jump", "ACCEPT"));

    /// <summary>
    /// iptablesFormatNetwork: the address masked to its prefix, then "/prefix" (192.168.122.0/24). An address
    /// without a usable prefix stops the network (as networkAddMasqueradingFirewallRules and
    /// networkAddRoutingFirewallRules refuse it).
    /// </summary>
    private static string Subnet(NetworkIp ip, string bridge)
    {
        var prefix = ip.PrefixLength;
        if (prefix < 0)
        {
            throw new RuntimeException(ErrorCode.InternalError, $"Invalid prefix or netmask for '{bridge}'");
        }

        var masked = AddressMath.MaskByPrefix(ip.Address, prefix)
            ?? throw new RuntimeException(ErrorCode.InternalError, "Failure to mask address");
        return VirSocketAddr.Format(new IPAddress(masked)) + "/" + prefix.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>One rule: the family's program, <c>-w</c>, then the arguments.</summary>
    private static HostCommand Rule(bool ipv6, params string[] args) =>
        new(ipv6 ? Ip6tables : Iptables, ["-w", .. args]);
}
