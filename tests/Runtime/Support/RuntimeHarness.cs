using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Host;

namespace Reconciler.Runtime.Tests.Support;

/// <summary>
/// A hypervisor over a temporary state directory, on a host of known size (4 CPUs, 8 GiB unless told
/// otherwise), with guests that answer ACPI requests after 50 ms. Reopening keeps the state directory.
/// </summary>
internal sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly List<Hypervisor> _opened = [];

    public RuntimeHarness(ulong hostMemoryKiB = 8UL * 1024 * 1024, int hostCpus = 4, double overcommit = 1.0)
    {
        StateDir = Path.Combine(Path.GetTempPath(), "rc-runtime-" + Guid.NewGuid().ToString("N"));
        Host = new HostInfo("test-host", new NodeInfo("x86_64", "Test CPU", hostMemoryKiB, hostCpus, 2000, 1, 1, hostCpus, 1));
        Overcommit = overcommit;
    }

    public string StateDir { get; }

    /// <summary>An allowed image directory where <see cref="Domain"/> puts each domain's disk image.</summary>
    public string ImagesDir => Path.Combine(StateDir + "-images");

    public HostInfo Host { get; }

    public double Overcommit { get; set; }

    public int VncPortMin { get; set; } = 5900;

    public bool ProbeVncPorts { get; set; }

    /// <summary>Bridges the test host has of its own.</summary>
    public IReadOnlyList<string> HostBridges { get; set; } = ["br0"];

    /// <summary>A NAT network with DHCP, as libvirt's default network.</summary>
    public const string DefaultNetwork = """
        <network>
          <name>default</name>
          <forward mode='nat'/>
          <ip address='192.168.122.1' netmask='255.255.255.0'>
            <dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp>
          </ip>
        </network>
        """;

    public CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Other allowed image directories (another host's, seen as shared storage).</summary>
    public List<string> ExtraImageDirectories { get; } = [];

    /// <summary>Faults the opened hypervisors inject.</summary>
    public FaultInjector? Faults { get; set; }

    /// <summary>Whether the opened hypervisors bring saved and autostart domains back after OpenAsync returns (as the daemon's does).</summary>
    public bool StartUpInBackground { get; set; }

    /// <summary>The opened hypervisors' <see cref="HypervisorOptions.AutostartFilter"/>.</summary>
    public Func<CancellationToken, Task<Func<string, bool>>>? AutostartFilter { get; set; }

    public async Task<Hypervisor> OpenAsync()
    {
        var hv = await Hypervisor.OpenAsync(new HypervisorOptions
        {
            StateDirectory = StateDir,
            Host = Host,
            MemoryOvercommit = Overcommit,
            VncPortMin = VncPortMin,
            ProbeVncPorts = ProbeVncPorts,
            AllowedImageDirectories = [ImagesDir, .. ExtraImageDirectories],
            HostBridges = HostBridges,
            Faults = Faults,
            StartUpInBackground = StartUpInBackground,
            AutostartFilter = AutostartFilter,
            Guests = new SimulatedGuestFactory { AcpiDelay = TimeSpan.FromMilliseconds(50) },
            LoggerFactory = LoggerFactory.Create(b => b.AddProvider(Logs)),
        });
        _opened.Add(hv);
        return hv;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hv in _opened)
        {
            hv.Abandon();
        }

        await Task.Yield();

        // Every qcow2 image a test made, through the runtime or for its domains, must satisfy qemu-img.
        var damaged = Directory.Exists(ImagesDir)
            ? Directory.EnumerateFiles(ImagesDir, "*.qcow2", SearchOption.AllDirectories)
                .Where(f => new FileInfo(f).LinkTarget is null && HostTool.QemuImg("check", "-q", f).ExitCode != 0).ToList()
            : [];
        foreach (var dir in new[] { StateDir, ImagesDir, StateDir + "-outside" })
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }

        Assert.True(damaged.Count == 0, $"qemu-img check refused: {string.Join(", ", damaged)}");
    }

    /// <summary>A real qcow2 image of 1 GiB in <see cref="ImagesDir"/>, created when missing; returns its path.</summary>
    public string Image(string file)
    {
        Directory.CreateDirectory(ImagesDir);
        var image = Path.Combine(ImagesDir, file);
        if (!File.Exists(image))
        {
            Reconciler.Runtime.Storage.Images.Qcow2Image.Create(image, 1UL << 30);
        }

        return image;
    }

    /// <summary>Domain XML (see <see cref="DomainXml.Make"/>) whose disk is a real qcow2 image in <see cref="ImagesDir"/>.</summary>
    public string Domain(
        string name,
        int memoryMiB = 256,
        int vcpus = 2,
        int? currentVcpus = null,
        Guid? uuid = null,
        string devices = "",
        string lifecycle = "",
        bool balloon = true)
    {
        Image(name + ".qcow2");
        return DomainXml.Make(name, memoryMiB, vcpus, currentVcpus, uuid, devices, lifecycle, balloon, ImagesDir);
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or the deadline passes.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int timeoutMs = 5000)
    {
        var deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    public static async Task WaitForState(Hypervisor hv, string name, DomainState state, int timeoutMs = 5000) =>
        await Eventually(async () => hv.Exists(name) && (await hv.GetInfoAsync(name)).Status.State == state, $"{name} is {state}", timeoutMs);
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}

/// <summary>Domain XML for tests: small KVM guests with the devices a test asks for.</summary>
internal static class DomainXml
{
    public static string Make(
        string name,
        int memoryMiB = 256,
        int vcpus = 2,
        int? currentVcpus = null,
        Guid? uuid = null,
        string devices = "",
        string lifecycle = "",
        bool balloon = true,
        string imagesDir = "/var/lib/libvirt/images",
        string? image = null) =>
        $"""
        <domain type='kvm'>
          <name>{name}</name>
          {(uuid is { } u ? $"<uuid>{u:D}</uuid>" : string.Empty)}
          <memory unit='MiB'>{memoryMiB}</memory>
          <vcpu placement='static'{(currentVcpus is { } c ? $" current='{c}'" : string.Empty)}>{vcpus}</vcpu>
          <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
          {lifecycle}
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='{image ?? $"{imagesDir}/{name}.qcow2"}'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            {devices}
            {(balloon ? string.Empty : "<memballoon model='none'/>")}
          </devices>
        </domain>
        """;
}
