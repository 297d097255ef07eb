using System.Globalization;
using System.Runtime.InteropServices;

namespace Reconciler.Runtime.Host;

/// <summary>
/// What virNodeGetInfo reports: the CPU architecture, memory, logical CPUs, their frequency and
/// topology (NUMA nodes, sockets per node, cores per socket, threads per core).
/// </summary>
public sealed record NodeInfo(
    string Arch,
    string CpuModel,
    ulong MemoryKiB,
    int Cpus,
    int Mhz,
    int Nodes,
    int Sockets,
    int Cores,
    int Threads);

/// <summary>The host the runtime runs on: its name and its node information.</summary>
public sealed record HostInfo(string Name, NodeInfo Node)
{
    /// <summary>Reads the real machine: the host name, /proc/cpuinfo, /proc/meminfo and the CPU topology in sysfs.</summary>
    public static HostInfo Detect() => new(System.Net.Dns.GetHostName(), DetectNode());

    public static NodeInfo DetectNode()
    {
        var arch = RuntimeInformation.OSArchitecture switch
        {
            Architecture.X64 => "x86_64",
            Architecture.X86 => "i686",
            Architecture.Arm64 => "aarch64",
            Architecture.Arm => "armv7l",
            Architecture.S390x => "s390x",
            Architecture.Ppc64le => "ppc64le",
            Architecture.RiscV64 => "riscv64",
            Architecture.LoongArch64 => "loongarch64",
            var other => other.ToString().ToLowerInvariant(),
        };

        var cpus = Environment.ProcessorCount;
        var model = "unknown";
        var mhz = 0;
        var physicalIds = new HashSet<string>();
        var coreIds = new HashSet<string>();
        try
        {
            string? physical = null;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }

                var key = line[..colon].Trim();
                var value = line[(colon + 1)..].Trim();
                switch (key)
                {
                    case "model name" when model == "unknown":
                        model = value;
                        break;
                    case "cpu MHz" when mhz == 0:
                        mhz = (int)double.Parse(value, CultureInfo.InvariantCulture);
                        break;
                    case "physical id":
                        physical = value;
                        physicalIds.Add(value);
                        break;
                    case "core id":
                        coreIds.Add(physical + "/" + value);
                        break;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not Linux, or a restricted /proc: keep what the runtime knows.
        }

        ulong memory = 0;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
                {
                    memory = ulong.Parse(line["MemTotal:".Length..].Replace("kB", string.Empty, StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                    break;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        if (memory == 0)
        {
            memory = (ulong)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024);
        }

        var nodes = 1;
        try
        {
            nodes = Math.Max(1, Directory.GetDirectories("/sys/devices/system/node", "node*").Length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        var sockets = Math.Max(1, physicalIds.Count);
        var cores = coreIds.Count > 0 ? Math.Max(1, coreIds.Count / sockets) : cpus / sockets;
        var threads = Math.Max(1, cpus / Math.Max(1, sockets * cores));
        return new NodeInfo(arch, model, memory, cpus, mhz, nodes, Math.Max(1, sockets / nodes), Math.Max(1, cores), threads);
    }
}
