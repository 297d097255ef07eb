using System.Globalization;
using System.Text;

namespace Reconciler.Controller.Tests.Reliability;

/// <summary>
/// A generated spec directory for the crash harness, from a seed: two NAT networks with DHCP, two
/// directory pools with raw and qcow2 volumes (some with 512-byte clusters, so that growing them moves
/// their L1 table), and domains with every run strategy that use them (volume disks, one or two
/// interfaces, fixed and generated MACs, VNC autoport, autostart). Between rounds it changes a little
/// (domains added and removed, volumes added and grown), and it knows what the host must look like.
/// </summary>
internal sealed class Fleet
{
    public const string RcNamespace = "https://reconciler.dev/xmlns/domain/1.0";

    private static readonly string[] Strategies =
        ["always", "always", "always", "always", "rerun-on-failure", "rerun-on-failure", "once", "once", "halted", "manual"];

    private readonly Random _random;
    private readonly string _images;
    private int _nextDomain;
    private int _nextVolume;
    private int _nextMac;

    public Fleet(string specs, string images, int seed, int domains = 200, int volumes = 50)
    {
        Specs = specs;
        _images = images;
        _random = new Random(seed);
        Networks = [new NetworkSpec("crash-a", "rcbra", 71), new NetworkSpec("crash-b", "rcbrb", 72)];
        Pools = [new PoolSpec("pa", Path.Combine(images, "pa")), new PoolSpec("pb", Path.Combine(images, "pb"))];
        for (var i = 0; i < volumes; i++)
        {
            AddVolume();
        }

        for (var i = 0; i < domains; i++)
        {
            AddDomain(i < volumes ? Volumes[i] : null);
        }
    }

    public string Specs { get; }

    public List<NetworkSpec> Networks { get; }

    public List<PoolSpec> Pools { get; }

    public List<VolumeSpec> Volumes { get; } = [];

    /// <summary>The domains that have a spec now.</summary>
    public List<DomainSpec> Domains { get; } = [];

    /// <summary>Domains whose spec was removed: they must be gone from the host.</summary>
    public List<DomainSpec> Removed { get; } = [];

    public int ObjectCount => Networks.Count + Pools.Count + Volumes.Count + Domains.Count;

    public sealed record NetworkSpec(string Name, string Bridge, int Subnet)
    {
        public string Xml =>
            $"<network>\n  <name>{Name}</name>\n  <forward mode='nat'/>\n  <bridge name='{Bridge}' stp='on' delay='0'/>\n" +
            $"  <ip address='10.{Subnet}.0.1' netmask='255.255.254.0'>\n    <dhcp>\n      <range start='10.{Subnet}.0.2' end='10.{Subnet}.1.254'/>\n    </dhcp>\n  </ip>\n</network>\n";
    }

    public sealed record PoolSpec(string Name, string Path)
    {
        public string Xml => $"<pool type='dir'>\n  <name>{Name}</name>\n  <target>\n    <path>{Path}</path>\n  </target>\n</pool>\n";
    }

    public sealed class VolumeSpec(string pool, string name, string format, ulong clusterSize, ulong allocationMiB)
    {
        public string Pool { get; } = pool;

        public string Name { get; } = name;

        public string Format { get; } = format;

        /// <summary>0 for the default (64 KiB).</summary>
        public ulong ClusterSize { get; } = clusterSize;

        public ulong AllocationMiB { get; } = allocationMiB;

        /// <summary>Every capacity the spec has asked for, in order; the last one is the one wanted now.</summary>
        public List<ulong> CapacitiesMiB { get; } = [];

        public ulong CapacityBytes => CapacitiesMiB[^1] * 1024 * 1024;

        public string Key => $"{Pool}/{Name}";

        public string Xml
        {
            get
            {
                var sb = new StringBuilder();
                sb.Append(CultureInfo.InvariantCulture, $"<volume>\n  <name>{Name}</name>\n  <capacity unit='MiB'>{CapacitiesMiB[^1]}</capacity>\n");
                if (AllocationMiB > 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"  <allocation unit='MiB'>{AllocationMiB}</allocation>\n");
                }

                sb.Append(CultureInfo.InvariantCulture, $"  <target>\n    <format type='{Format}'/>\n");
                if (ClusterSize > 0)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"    <clusterSize unit='B'>{ClusterSize}</clusterSize>\n");
                }

                sb.Append("  </target>\n</volume>\n");
                return sb.ToString();
            }
        }
    }

    public sealed class DomainSpec(string name, string strategy, bool autostart, bool vnc, VolumeSpec? volume, IReadOnlyList<(string Network, string? Mac)> interfaces)
    {
        public string Name { get; } = name;

        public string Strategy { get; } = strategy;

        public bool Autostart { get; } = autostart;

        public bool Vnc { get; } = vnc;

        public VolumeSpec? Volume { get; } = volume;

        /// <summary>Each interface's network and its MAC when the spec writes one (else the runtime generates it).</summary>
        public IReadOnlyList<(string Network, string? Mac)> Interfaces { get; } = interfaces;

        /// <summary>For rerun-on-failure: its guest was shut down cleanly (not a failure), so it must stay shut off.</summary>
        public bool Completed { get; set; }

        /// <summary>Whether it was shut down in the current round (it may have been started earlier in the round).</summary>
        public bool CompletedThisRound { get; set; }

        /// <summary>Whether the run strategy keeps it running.</summary>
        public bool KeepsRunning => Strategy == "always" || (Strategy == "rerun-on-failure" && !Completed);

        public string Xml
        {
            get
            {
                var sb = new StringBuilder();
                sb.Append(CultureInfo.InvariantCulture, $"<domain type='kvm'>\n  <name>{Name}</name>\n  <metadata>\n    <rc:reconciler xmlns:rc='{RcNamespace}'>\n");
                sb.Append(CultureInfo.InvariantCulture, $"      <rc:runStrategy>{Strategy}</rc:runStrategy>\n      <rc:autostart>{(Autostart ? "yes" : "no")}</rc:autostart>\n");
                sb.Append("    </rc:reconciler>\n  </metadata>\n  <memory unit='MiB'>64</memory>\n  <vcpu>1</vcpu>\n");
                sb.Append("  <os>\n    <type arch='x86_64' machine='q35'>hvm</type>\n  </os>\n  <devices>\n");
                if (Volume is { } v)
                {
                    sb.Append(CultureInfo.InvariantCulture, $"    <disk type='volume' device='disk'>\n      <driver name='qemu' type='{v.Format}'/>\n");
                    sb.Append(CultureInfo.InvariantCulture, $"      <source pool='{v.Pool}' volume='{v.Name}'/>\n      <target dev='vda' bus='virtio'/>\n    </disk>\n");
                }

                foreach (var (network, mac) in Interfaces)
                {
                    sb.Append("    <interface type='network'>\n");
                    if (mac is not null)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $"      <mac address='{mac}'/>\n");
                    }

                    sb.Append(CultureInfo.InvariantCulture, $"      <source network='{network}'/>\n      <model type='virtio'/>\n    </interface>\n");
                }

                if (Vnc)
                {
                    sb.Append("    <graphics type='vnc' autoport='yes' listen='127.0.0.1'/>\n");
                }

                sb.Append("  </devices>\n</domain>\n");
                return sb.ToString();
            }
        }
    }

    public static string DomainPath(string specs, string name) => Path.Combine(specs, "domains", name + ".xml");

    /// <summary>Writes every spec (the first round).</summary>
    public void WriteAll()
    {
        foreach (var n in Networks)
        {
            Write(Path.Combine("networks", n.Name + ".xml"), n.Xml);
        }

        foreach (var p in Pools)
        {
            Write(Path.Combine("pools", p.Name + ".xml"), p.Xml);
        }

        foreach (var v in Volumes)
        {
            WriteVolume(v);
        }

        foreach (var d in Domains)
        {
            WriteDomain(d);
        }
    }

    /// <summary>A few changes between two rounds (the daemon is down): returns what was done, for the log.</summary>
    public List<string> Mutate()
    {
        var done = new List<string>();
        var count = _random.Next(0, 4);
        for (var i = 0; i < count; i++)
        {
            switch (_random.Next(4))
            {
                case 0 when Domains.Count > 150:
                    // Not an autostart domain: the runtime boots those when it opens, before the controller
                    // has read the specs (libvirt's autostart), so a removed one would start once more.
                    var candidates = Domains.Where(d => !d.Autostart).ToList();
                    var gone = candidates[_random.Next(candidates.Count)];
                    Domains.Remove(gone);
                    Removed.Add(gone);
                    File.Delete(DomainPath(Specs, gone.Name));
                    done.Add($"removed domain {gone.Name} ({gone.Strategy})");
                    break;
                case 1:
                    var added = AddDomain(null);
                    WriteDomain(added);
                    done.Add($"added domain {added.Name} ({added.Strategy})");
                    break;
                case 2:
                    var volume = AddVolume();
                    WriteVolume(volume);
                    var user = AddDomain(volume);
                    WriteDomain(user);
                    done.Add($"added volume {volume.Key} ({volume.Format}) and domain {user.Name} ({user.Strategy}) on it");
                    break;
                default:
                    var grown = Volumes[_random.Next(Volumes.Count)];
                    grown.CapacitiesMiB.Add(grown.CapacitiesMiB[^1] + (ulong)_random.Next(1, 9));
                    WriteVolume(grown);
                    done.Add($"grew volume {grown.Key} to {grown.CapacitiesMiB[^1]} MiB");
                    break;
            }
        }

        return done;
    }

    private VolumeSpec AddVolume()
    {
        var i = _nextVolume++;
        var pool = Pools[i % Pools.Count].Name;
        var format = i % 3 == 0 ? "raw" : "qcow2";
        var smallClusters = format == "qcow2" && i % 7 == 1;
        var volume = new VolumeSpec(pool, $"v{i:D3}.{format}", format, smallClusters ? 512UL : 0, format == "raw" && i % 2 == 0 ? 1UL : 0);
        volume.CapacitiesMiB.Add(smallClusters ? 2UL : (ulong)_random.Next(1, 64));
        Volumes.Add(volume);
        return volume;
    }

    private DomainSpec AddDomain(VolumeSpec? volume)
    {
        var i = _nextDomain++;
        var strategy = Strategies[_random.Next(Strategies.Length)];
        var interfaces = new List<(string, string?)>();
        var nics = _random.Next(10) < 3 ? 2 : 1;
        for (var n = 0; n < nics; n++)
        {
            var network = Networks[_random.Next(Networks.Count)].Name;
            // A fixed MAC for a third of the interfaces, unique within the fleet; the others are generated.
            string? mac = _random.Next(3) == 0 ? $"52:54:00:7c:{(_nextMac >> 8) & 0xff:x2}:{_nextMac++ & 0xff:x2}" : null;
            interfaces.Add((network, mac));
        }

        var domain = new DomainSpec($"d{i:D3}", strategy, strategy == "always" && _random.Next(4) == 0, _random.Next(4) == 0, volume, interfaces);
        Domains.Add(domain);
        return domain;
    }

    private void WriteVolume(VolumeSpec v) => Write(Path.Combine("pools", v.Pool, v.Name + ".xml"), v.Xml);

    private void WriteDomain(DomainSpec d) => Write(Path.Combine("domains", d.Name + ".xml"), d.Xml);

    private void Write(string relative, string content)
    {
        var path = Path.Combine(Specs, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }

    public string ImagePath(VolumeSpec v) => Path.Combine(_images, v.Pool, v.Name);
}
