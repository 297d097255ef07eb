using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Reconciler.Controller.Api;
using Reconciler.Controller.Daemon;
using Reconciler.Runtime;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Host;
using Xunit;

namespace Reconciler.Controller.Tests.Support;

/// <summary>
/// A real hypervisor on a temporary state directory (4 CPUs, 8 GiB, guests that answer ACPI after 50 ms),
/// a fake controller view over it, and the API server on a temporary socket, with an HttpClient on it.
/// </summary>
internal sealed class ApiHarness : IAsyncDisposable
{
    private readonly TempDir _dir = new();

    private ApiHarness()
    {
    }

    public string Root => _dir.Path;

    public string SocketPath => Path.Combine(_dir.Path, "reconciler.sock");

    public string ImagesDir => Path.Combine(_dir.Path, "images");

    public Hypervisor Hypervisor { get; private set; } = null!;

    public FakeControllerView View { get; private set; } = null!;

    public ApiServer Server { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public static async Task<ApiHarness> StartAsync()
    {
        var h = new ApiHarness();
        Directory.CreateDirectory(h.ImagesDir);
        h.Hypervisor = await Hypervisor.OpenAsync(new HypervisorOptions
        {
            StateDirectory = Path.Combine(h.Root, "runtime"),
            Host = new HostInfo("test-host", new NodeInfo("x86_64", "Test CPU", 8UL * 1024 * 1024, 4, 2000, 1, 1, 4, 1)),
            AllowedImageDirectories = [h.ImagesDir],
            ProbeVncPorts = false,
            Guests = new SimulatedGuestFactory { AcpiDelay = TimeSpan.FromMilliseconds(50) },
        });
        h.View = new FakeControllerView(h.Hypervisor);
        h.Server = await ApiServer.StartAsync(h.SocketPath, h.View, NullLoggerFactory.Instance, CancellationToken.None);
        h.Http = Client(h.SocketPath);
        return h;
    }

    /// <summary>An HttpClient that talks to the socket at <paramref name="socketPath"/>.</summary>
    public static HttpClient Client(string socketPath) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, ct) =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    {
        BaseAddress = new Uri("http://reconciler/"),
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Defines a small domain whose disk is a real qcow2 image; returns its name.</summary>
    public async Task<string> DefineDomainAsync(string name, string devices = "")
    {
        var image = Path.Combine(ImagesDir, name + ".qcow2");
        Reconciler.Runtime.Storage.Images.Qcow2Image.Create(image, 1UL << 30);
        await Hypervisor.DefineAsync($"""
            <domain type='kvm'>
              <name>{name}</name>
              <memory unit='MiB'>256</memory>
              <vcpu placement='static'>2</vcpu>
              <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
              <devices>
                <emulator>/usr/bin/qemu-system-x86_64</emulator>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2'/>
                  <source file='{image}'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                {devices}
              </devices>
            </domain>
            """);
        return name;
    }

    /// <summary>GETs <paramref name="path"/> and parses the JSON answer, checking the status.</summary>
    public async Task<JsonElement> GetJsonAsync(string path, int status = 200) => await SendJsonAsync(HttpMethod.Get, path, status);

    public async Task<JsonElement> PostJsonAsync(string path, int status = 200) => await SendJsonAsync(HttpMethod.Post, path, status);

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }

        if (Hypervisor is not null)
        {
            await Hypervisor.DisposeAsync();
        }

        _dir.Dispose();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds, failing after <paramref name="seconds"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, int seconds = 10)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(seconds))
            {
                Assert.Fail($"timed out waiting until {what}");
            }

            await Task.Delay(10);
        }
    }

    public static Task Eventually(Func<bool> condition, string what, int seconds = 10) =>
        Eventually(() => Task.FromResult(condition()), what, seconds);

    private async Task<JsonElement> SendJsonAsync(HttpMethod method, string path, int status)
    {
        using var request = new HttpRequestMessage(method, path);
        using var response = await Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == (int)response.StatusCode, $"{method} {path}: expected {status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }
}

/// <summary>A controller view over a real hypervisor, with status, plan and run strategies a test sets.</summary>
internal sealed class FakeControllerView(Hypervisor hypervisor) : IControllerView
{
    public string HostName => "test-host";

    public Hypervisor Hypervisor { get; } = hypervisor;

    public List<ObjectStatus> Objects { get; } = [];

    public List<PlanItem> Plan { get; } = [];

    public bool Observed { get; set; } = true;

    /// <summary>Run strategies of the domains a spec names.</summary>
    public ConcurrentDictionary<string, string> RunStrategies { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<ObjectKey> Enqueued { get; } = new();

    public IReadOnlyList<ObjectStatus> Status() => [.. Objects];

    public ObjectStatus? StatusOf(ObjectKey key) => Objects.FirstOrDefault(o => o.Key == key);

    public Task<MigrationJobInfo> MigrateNowAsync(string name, string host, CancellationToken cancellationToken) =>
        throw new RuntimeException(Reconciler.Schema.Diagnostics.ErrorCode.InvalidArgument, $"host '{host}' is not a peer of this host (peers: none)");

    public Task<IReadOnlyList<PlanItem>> PlanAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<PlanItem>>([.. Plan]);

    public string? RunStrategyOf(string domain) => RunStrategies.TryGetValue(domain, out var s) ? s : null;

    public void Enqueue(ObjectKey key) => Enqueued.Enqueue(key);
}
