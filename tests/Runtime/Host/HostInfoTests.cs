using Reconciler.Runtime.Host;

namespace Reconciler.Runtime.Tests.Host;

public sealed class HostInfoTests
{
    [Fact]
    public void The_real_machine_is_read_by_default()
    {
        var host = HostInfo.Detect();
        Assert.Equal(System.Net.Dns.GetHostName(), host.Name);
        Assert.Equal(Environment.ProcessorCount, host.Node.Cpus);
        var memTotal = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        Assert.Contains(host.Node.MemoryKiB.ToString(System.Globalization.CultureInfo.InvariantCulture), memTotal, StringComparison.Ordinal);
        Assert.Equal(host.Node.Cpus, host.Node.Nodes * host.Node.Sockets * host.Node.Cores * host.Node.Threads);
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64 ? "x86_64" : host.Node.Arch, host.Node.Arch);
    }

    [Fact]
    public async Task Configuration_overrides_what_is_read()
    {
        var dir = Directory.CreateTempSubdirectory("rc-host-");
        var host = new HostInfo("fleet-07", new NodeInfo("x86_64", "EPYC", 1024UL * 1024 * 1024, 128, 2400, 2, 1, 32, 2));
        await using (var hv = await Hypervisor.OpenAsync(new HypervisorOptions { StateDirectory = dir.FullName, Host = host }))
        {
            Assert.Equal(host.Node, hv.GetNodeInfo());
            Assert.Equal("fleet-07", hv.Host.Name);
            var caps = System.Xml.Linq.XElement.Parse(hv.GetCapabilitiesXml());
            Assert.Equal("EPYC", caps.Element("host")!.Element("cpu")!.Element("model")!.Value);
            Assert.Equal("2", caps.Element("host")!.Element("cpu")!.Element("topology")!.Attribute("sockets")!.Value);
            Assert.Equal(["qemu", "kvm"], caps.Element("guest")!.Element("arch")!.Elements("domain").Select(d => d.Attribute("type")!.Value));
        }

        dir.Delete(recursive: true);
    }
}
