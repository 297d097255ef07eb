using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Cli;

/// <summary>`reconciler host-plan`, driven through the real executable.</summary>
public sealed class HostPlanCommandTests
{
    private const string Network = """
        <network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>
          <name>lab</name>
          <forward mode='nat'/>
          <bridge name='virbr7'/>
          <ip address='10.7.0.1' prefix='24'>
            <dhcp>
              <range start='10.7.0.100' end='10.7.0.199'/>
              <host mac='52:54:00:07:00:10' name='web' ip='10.7.0.10'/>
            </dhcp>
          </ip>
          <dnsmasq:options><dnsmasq:option value='log-dhcp'/></dnsmasq:options>
        </network>
        """;

    private const string Pool = """
        <pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>
          <name>images</name>
          <source><host name='nas.example'/><dir path='/export/images'/><format type='nfs'/></source>
          <target><path>/var/lib/libvirt/images</path></target>
          <fs:mount_opts><fs:option name='soft'/></fs:mount_opts>
        </pool>
        """;

    private const string Domain = "<domain type='kvm'><name>d</name><memory unit='GiB'>1</memory><os><type arch='x86_64'>hvm</type></os></domain>";

    [Fact]
    public void Networks_and_pools_get_their_files_in_the_output_directory_and_domains_none()
    {
        using var dir = new TempDir();
        var network = dir.Write("in/lab.xml", Network);
        var pool = dir.Write("in/images.xml", Pool);
        var domain = dir.Write("in/d.xml", Domain);
        var outDir = Path.Combine(dir.Path, "out");

        var result = ReconcilerProcess.Run("host-plan", "--out-dir", outDir, network, pool, domain);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal(["images.argv", "lab.conf", "lab.firewall", "lab.hostsfile"], Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var conf = File.ReadAllText(Path.Combine(outDir, "lab.conf"));
        Assert.StartsWith("##WARNING:  THIS IS AN AUTO-GENERATED FILE.", conf, StringComparison.Ordinal);
        Assert.Contains("\ninterface=virbr7\n", conf, StringComparison.Ordinal);
        Assert.Contains("\ndhcp-range=10.7.0.100,10.7.0.199,255.255.255.0\n", conf, StringComparison.Ordinal);
        Assert.Contains("\ndhcp-lease-max=100\n", conf, StringComparison.Ordinal);
        Assert.EndsWith("\nlog-dhcp\n", conf, StringComparison.Ordinal);
        Assert.Equal("52:54:00:07:00:10,10.7.0.10,web\n", File.ReadAllText(Path.Combine(outDir, "lab.hostsfile")));
        Assert.Equal(
            "mount \\\n-o nodev,nosuid,noexec,soft \\\n-t nfs \\\nnas.example:/export/images \\\n/var/lib/libvirt/images\n",
            File.ReadAllText(Path.Combine(outDir, "images.argv")));
    }

    [Fact]
    public void A_nat_network_gets_the_iptables_commands_libvirt_runs_for_it_in_the_args_format()
    {
        using var dir = new TempDir();
        var network = dir.Write("lab.xml", Network);
        var outDir = Path.Combine(dir.Path, "out");

        var result = ReconcilerProcess.Run("host-plan", "--out-dir", outDir, network);

        Assert.Equal(0, result.ExitCode);
        var firewall = File.ReadAllText(Path.Combine(outDir, "lab.firewall"));

        // The network's own rules only: libvirt's chain set-up (--list-rules, --new-chain) is not part of it.
        Assert.StartsWith(
            "iptables \\\n-w \\\n--table filter \\\n--insert LIBVIRT_INP \\\n--in-interface virbr7 \\\n--protocol tcp \\\n--destination-port 67 \\\n--jump ACCEPT\n",
            firewall,
            StringComparison.Ordinal);
        Assert.DoesNotContain("--list-rules", firewall, StringComparison.Ordinal);
        Assert.DoesNotContain("--new-chain", firewall, StringComparison.Ordinal);
        Assert.Contains(
            "\niptables \\\n-w \\\n--table nat \\\n--insert LIBVIRT_PRT \\\n--source 10.7.0.0/24 \\\n-p udp '!' \\\n--destination 10.7.0.0/24 \\\n--jump MASQUERADE \\\n--to-ports 1024-65535\n",
            firewall,
            StringComparison.Ordinal);
        Assert.EndsWith("\n--jump CHECKSUM \\\n--checksum-fill\n", firewall, StringComparison.Ordinal);
        Assert.Equal(19, firewall.Split('\n').Count(line => line.StartsWith("iptables ", StringComparison.Ordinal)));
        Assert.DoesNotContain("ip6tables", firewall, StringComparison.Ordinal);
    }

    [Fact]
    public void The_firewall_file_is_printed_after_the_dnsmasq_files_and_bridged_networks_get_none()
    {
        using var dir = new TempDir();
        var isolated = dir.Write("iso.xml", "<network><name>iso</name><bridge name='virbr5'/><ip address='10.5.0.1' prefix='24'/></network>");
        var bridged = dir.Write("lan.xml", "<network><name>lan</name><forward mode='bridge'/><bridge name='br0'/></network>");
        var open = dir.Write("open.xml", "<network><name>open</name><forward mode='open'/><bridge name='virbr6'/><ip address='10.6.0.1' prefix='24'/></network>");

        var result = ReconcilerProcess.Run("host-plan", isolated, bridged, open);

        Assert.Equal(0, result.ExitCode);
        var headers = result.Stdout.Split('\n').Where(line => line.StartsWith("==> ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(["==> iso.conf <==", "==> iso.firewall <==", "==> open.conf <=="], headers);

        // An isolated network: DHCP and DNS accepted from its bridge, forwarding to and from it rejected,
        // and nothing else (no address-specific rules, no checksum rule without DHCP).
        var firewall = result.Stdout[(result.Stdout.IndexOf("==> iso.firewall <==\n", StringComparison.Ordinal) + 21)..];
        firewall = firewall[..firewall.IndexOf("==> ", StringComparison.Ordinal)];
        Assert.Equal(11, firewall.Split('\n').Count(line => line == "iptables \\"));
        Assert.EndsWith(
            "iptables \\\n-w \\\n--table filter \\\n--insert LIBVIRT_FWX \\\n--in-interface virbr5 \\\n--out-interface virbr5 \\\n--jump ACCEPT\n",
            firewall,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_nat_port_range_libvirt_refuses_is_an_error_and_no_files()
    {
        using var dir = new TempDir();
        var net = dir.Write("one.xml", """
            <network>
              <name>one</name>
              <forward mode='nat'><nat><port start='5000' end='5000'/></nat></forward>
              <bridge name='virbr4'/>
              <ip address='10.4.0.1' prefix='24'/>
            </network>
            """);

        var result = ReconcilerProcess.Run("host-plan", net);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(string.Empty, result.Stdout);
        Assert.Equal($"{net}:1:2: error: internal error: Invalid port range '5000-5000'.\n", result.Stderr);
    }

    [Fact]
    public void Without_an_output_directory_each_file_is_printed_under_its_name()
    {
        using var dir = new TempDir();
        var pool = dir.Write("vg.xml", "<pool type='logical'><name>vg</name><source><device path='/dev/sdb'/></source></pool>");

        var result = ReconcilerProcess.Run("host-plan", pool);

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("==> vg.argv <==\nvgchange \\\n-aly vg\n", result.Stdout);
    }

    [Fact]
    public void Invalid_files_get_the_report_of_validate_and_no_files()
    {
        using var dir = new TempDir();
        var bad = dir.Write("bad.xml", "<network><name>n</name><forward mode='nat'/></network>");
        var outDir = Path.Combine(dir.Path, "out");

        var validate = ReconcilerProcess.Run("validate", bad);
        var result = ReconcilerProcess.Run("host-plan", "--out-dir", outDir, bad);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(validate.Stdout, result.Stderr);
        Assert.StartsWith($"{bad}:1:", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(outDir));
    }

    [Fact]
    public void What_libvirt_refuses_when_it_writes_the_configuration_is_an_error_at_the_root()
    {
        using var dir = new TempDir();
        var net = dir.Write("two.xml", """
            <network>
              <name>two</name>
              <ip address='10.1.0.1' prefix='24'><dhcp><range start='10.1.0.2' end='10.1.0.9'/></dhcp></ip>
              <ip address='10.2.0.1' prefix='24'><dhcp><range start='10.2.0.2' end='10.2.0.9'/></dhcp></ip>
            </network>
            """);

        var result = ReconcilerProcess.Run("host-plan", net);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"{net}:1:2: error: unsupported configuration: For IPv4, multiple DHCP definitions cannot be specified.\n", result.Stderr);
    }

    [Fact]
    public void Networks_without_a_bridge_name_get_libvirts_next_free_one()
    {
        using var dir = new TempDir();
        var a = dir.Write("a.xml", "<network><name>a</name><ip address='10.1.0.1' prefix='24'/></network>");
        var b = dir.Write("b.xml", "<network><name>b</name><bridge name='virbr0'/><ip address='10.2.0.1' prefix='24'/></network>");
        var outDir = Path.Combine(dir.Path, "out");

        var result = ReconcilerProcess.Run("host-plan", "--out-dir", outDir, a, b);

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("\ninterface=virbr1\n", File.ReadAllText(Path.Combine(outDir, "a.conf")), StringComparison.Ordinal);
        Assert.Contains("\ninterface=virbr0\n", File.ReadAllText(Path.Combine(outDir, "b.conf")), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_describes_the_command()
    {
        var result = ReconcilerProcess.Run("host-plan", "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("--out-dir", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("dnsmasq", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("iptables", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("NAME.firewall", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_path_is_an_error()
    {
        var result = ReconcilerProcess.Run("host-plan", "/nonexistent/spec.xml");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("/nonexistent/spec.xml: error: no such file or directory", result.Stderr, StringComparison.Ordinal);
    }
}
