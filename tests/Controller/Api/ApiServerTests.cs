using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Reconciler.Controller.Api;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Tests.Support;
using Reconciler.Runtime.Domains;
using Xunit;

namespace Reconciler.Controller.Tests.Api;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ApiServerTests
{
    [Fact]
    public async Task The_socket_is_open_to_its_owner_only_and_goes_away_with_the_server()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(h.SocketPath));
            Assert.Equal(h.SocketPath, h.Server.SocketPath);

            // Nothing of the private directory the socket was bound in is left next to it.
            Assert.Equal(["reconciler.sock"], Directory.GetFileSystemEntries(h.Root).Select(Path.GetFileName).Where(n => n != "runtime" && n != "images"));
            var node = await h.GetJsonAsync("v1/nodeinfo");
            Assert.Equal("test-host", node.GetProperty("host").GetString());

            await h.Server.DisposeAsync();
            Assert.False(File.Exists(h.SocketPath));
        }
    }

    [Fact]
    public async Task What_a_daemon_killed_while_it_bound_its_socket_left_is_cleared_at_the_next_start()
    {
        using var dir = new TempDir();
        var socket = Path.Combine(dir.Path, "api.sock");

        // A kill between the staging directory and the link into place leaves the directory, with or
        // without its socket; one being used by a daemon starting right now is fresh, and anything not
        // named as ours is not ours.
        var old = DateTime.UtcNow - OwnerOnlySocket.StagingLifetime - TimeSpan.FromMinutes(1);
        var empty = Directory.CreateDirectory(Path.Combine(dir.Path, ".rc-0123abcd")).FullName;
        var withSocket = Directory.CreateDirectory(Path.Combine(dir.Path, ".rc-89ef4567")).FullName;
        using (var left = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            left.Bind(new UnixDomainSocketEndPoint(Path.Combine(withSocket, "s")));
        }

        var fresh = Directory.CreateDirectory(Path.Combine(dir.Path, ".rc-fedcba98")).FullName;
        var notOurs = Directory.CreateDirectory(Path.Combine(dir.Path, ".rc-keep-me")).FullName;
        foreach (var d in new[] { empty, withSocket, notOurs })
        {
            Directory.SetLastWriteTimeUtc(d, old);
        }

        await using var server = await ApiServer.StartAsync(socket, new FakeControllerView(null!), NullLoggerFactory.Instance, CancellationToken.None);

        Assert.Equal([".rc-fedcba98", ".rc-keep-me", "api.sock"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.True(Directory.Exists(fresh));
    }

    [Fact]
    public async Task A_socket_directory_that_does_not_exist_is_made_private()
    {
        using var dir = new TempDir();
        var socket = Path.Combine(dir.Path, "run", "api.sock");
        await using var server = await ApiServer.StartAsync(socket, new FakeControllerView(null!), NullLoggerFactory.Instance, CancellationToken.None);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(socket)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
    }

    [Fact]
    public async Task A_stale_socket_of_a_dead_daemon_is_replaced()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "reconciler.sock");
        using (var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // What a killed daemon leaves: a socket file nobody listens on. (A disposed Socket removes the file
            // it bound, so it is bound elsewhere and moved into place.)
            var elsewhere = Path.Combine(dir.Path, "elsewhere.sock");
            dead.Bind(new UnixDomainSocketEndPoint(elsewhere));
            dead.Listen();
            File.Move(elsewhere, path);
        }

        Assert.True(File.Exists(path));
        await using var server = await ApiServer.StartAsync(path, new FakeControllerView(null!), NullLoggerFactory.Instance, CancellationToken.None);
        using var http = ApiHarness.Client(path);
        using var response = await http.GetAsync("v1/status");
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("[]", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_socket_is_refused_and_the_first_keeps_serving()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            var e = await Assert.ThrowsAsync<IOException>(() => ApiServer.StartAsync(h.SocketPath, h.View, NullLoggerFactory.Instance, CancellationToken.None));
            Assert.Contains("another reconciler daemon is already listening on " + h.SocketPath, e.Message, StringComparison.Ordinal);
            await h.GetJsonAsync("v1/status");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(h.SocketPath));
        }
    }

    [Fact]
    public async Task A_file_that_is_not_a_socket_is_left_alone()
    {
        using var dir = new TempDir();
        var path = dir.Write("reconciler.sock", "precious");
        var e = await Assert.ThrowsAsync<IOException>(() => ApiServer.StartAsync(path, new FakeControllerView(null!), NullLoggerFactory.Instance, CancellationToken.None));
        Assert.Contains("is not a socket", e.Message, StringComparison.Ordinal);
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Fact]
    public async Task Domains_are_listed_with_virsh_states_and_reasons_and_the_host()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            await h.DefineDomainAsync("db");
            await h.DefineDomainAsync("cache");
            await h.Hypervisor.StartAsync("web");
            await h.Hypervisor.StartAsync("db");
            await h.Hypervisor.DestroyAsync("db");
            await h.Hypervisor.SetAutostartAsync("cache", true);

            var active = await h.GetJsonAsync("v1/domains");
            Assert.Equal(["web"], active.EnumerateArray().Select(d => d.GetProperty("name").GetString()));

            var all = (await h.GetJsonAsync("v1/domains?all=true")).EnumerateArray().ToDictionary(d => d.GetProperty("name").GetString()!);
            Assert.Equal(["web", "cache", "db"], all.Keys);
            var web = all["web"];
            Assert.Equal(
                ["id", "name", "uuid", "state", "reason", "autostart", "persistent", "host"],
                web.EnumerateObject().Select(p => p.Name));
            Assert.Equal(1, web.GetProperty("id").GetInt32());
            Assert.Equal("running", web.GetProperty("state").GetString());
            Assert.Equal("booted", web.GetProperty("reason").GetString());
            Assert.Equal("test-host", web.GetProperty("host").GetString());
            Assert.Equal(h.Hypervisor.Lookup("web").Uuid, web.GetProperty("uuid").GetGuid());
            Assert.Equal(JsonValueKind.Null, all["db"].GetProperty("id").ValueKind);
            Assert.Equal("shut off", all["db"].GetProperty("state").GetString());
            Assert.Equal("destroyed", all["db"].GetProperty("reason").GetString());
            Assert.True(all["cache"].GetProperty("autostart").GetBoolean());
            Assert.False(all["db"].GetProperty("autostart").GetBoolean());
        }
    }

    [Fact]
    public async Task Dominfo_domstate_and_dumpxml_answer_by_name_uuid_or_id()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            await h.Hypervisor.StartAsync("web");
            var uuid = h.Hypervisor.Lookup("web").Uuid;

            var info = await h.GetJsonAsync($"v1/domains/{uuid}");
            Assert.Equal("web", info.GetProperty("name").GetString());
            Assert.Equal(1, info.GetProperty("id").GetInt32());
            Assert.Equal("hvm", info.GetProperty("osType").GetString());
            Assert.Equal(2, info.GetProperty("cpus").GetInt32());
            Assert.Equal(262144UL, info.GetProperty("maxMemoryKiB").GetUInt64());
            Assert.True(info.GetProperty("persistent").GetBoolean());

            var state = await h.GetJsonAsync("v1/domains/1/state");
            Assert.Equal("running", state.GetProperty("state").GetString());
            Assert.Equal("booted", state.GetProperty("reason").GetString());

            var live = (await h.GetJsonAsync("v1/domains/web/xml")).GetProperty("xml").GetString()!;
            var inactive = (await h.GetJsonAsync("v1/domains/web/xml?inactive=true")).GetProperty("xml").GetString()!;
            Assert.StartsWith("<domain type='kvm' id='1'>", live, StringComparison.Ordinal);
            Assert.StartsWith("<domain type='kvm'>", inactive, StringComparison.Ordinal);
            Assert.Equal(await h.Hypervisor.GetXmlAsync("web"), live);
        }
    }

    [Theory]
    [InlineData("v1/domains/nope", "VIR_ERR_NO_DOMAIN", "no domain with matching name 'nope'")]
    [InlineData("v1/domains/nope/state", "VIR_ERR_NO_DOMAIN", "no domain with matching name 'nope'")]
    [InlineData("v1/networks/nope/xml", "VIR_ERR_NO_NETWORK", "nope")]
    [InlineData("v1/pools/nope/volumes", "VIR_ERR_NO_STORAGE_POOL", "nope")]
    public async Task Missing_objects_are_404_with_libvirts_message_and_code(string path, string code, string detail)
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            var error = await h.GetJsonAsync(path, 404);
            Assert.Equal(code, error.GetProperty("code").GetString());
            Assert.Contains(detail, error.GetProperty("error").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_operation_the_state_forbids_is_409_and_others_are_400()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            var error = await h.GetJsonAsync("v1/domains/web/interfaces", 409);
            Assert.Equal("VIR_ERR_OPERATION_INVALID", error.GetProperty("code").GetString());
            Assert.Equal("Requested operation is not valid: domain is not running", error.GetProperty("error").GetString());

            await h.PostJsonAsync("v1/domains/web/resume", 409);
            await h.PostJsonAsync("v1/domains/web/start");
            error = await h.PostJsonAsync("v1/domains/web/start", 409);
            Assert.Equal("Requested operation is not valid: domain is already running", error.GetProperty("error").GetString());

            error = await h.PostJsonAsync("v1/domains/web/explode", 404);
            Assert.Contains("unknown action 'explode'", error.GetProperty("error").GetString(), StringComparison.Ordinal);
            error = await h.GetJsonAsync("v1/nothing/here", 404);
            Assert.Equal("no such endpoint: GET /v1/nothing/here", error.GetProperty("error").GetString());
        }
    }

    [Fact]
    public async Task Power_actions_act_like_virsh_and_a_managed_domain_is_queued_with_a_note()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            await h.DefineDomainAsync("manual");
            await h.DefineDomainAsync("loose");
            h.View.RunStrategies["web"] = "always";
            h.View.RunStrategies["manual"] = "manual";

            var started = await h.PostJsonAsync("v1/domains/web/start");
            Assert.Equal("Domain 'web' started", started.GetProperty("message").GetString());
            Assert.Equal("running", started.GetProperty("state").GetString());
            Assert.Equal("always", started.GetProperty("runStrategy").GetString());
            Assert.True(started.GetProperty("willConverge").GetBoolean());
            Assert.Contains("converge the domain back to its spec", started.GetProperty("note").GetString(), StringComparison.Ordinal);

            var destroyed = await h.PostJsonAsync("v1/domains/web/destroy");
            Assert.Equal("Domain 'web' destroyed", destroyed.GetProperty("message").GetString());
            Assert.Equal("shut off", destroyed.GetProperty("state").GetString());
            Assert.Equal("destroyed", destroyed.GetProperty("reason").GetString());
            Assert.Equal("shut off", h.Hypervisor.Lookup("web").Status.StateName);
            Assert.Equal([new ObjectKey(ObjectKind.Domain, "web"), new ObjectKey(ObjectKind.Domain, "web")], h.View.Enqueued);

            var manual = await h.PostJsonAsync("v1/domains/manual/start");
            Assert.False(manual.GetProperty("willConverge").GetBoolean());
            Assert.Equal(JsonValueKind.Null, manual.GetProperty("note").ValueKind);
            Assert.Equal("manual", manual.GetProperty("runStrategy").GetString());

            var loose = await h.PostJsonAsync("v1/domains/loose/start");
            Assert.Equal(JsonValueKind.Null, loose.GetProperty("runStrategy").ValueKind);
            Assert.False(loose.GetProperty("willConverge").GetBoolean());
            Assert.DoesNotContain(h.View.Enqueued, k => k.Name == "loose");

            Assert.Equal("Domain 'manual' suspended", (await h.PostJsonAsync("v1/domains/manual/suspend")).GetProperty("message").GetString());
            Assert.Equal(DomainState.Paused, h.Hypervisor.Lookup("manual").Status.State);
            Assert.Equal("Domain 'manual' resumed", (await h.PostJsonAsync("v1/domains/manual/resume")).GetProperty("message").GetString());
            Assert.Equal("Domain 'manual' is being rebooted", (await h.PostJsonAsync("v1/domains/manual/reboot")).GetProperty("message").GetString());

            // By ID: the answer names the domain.
            var id = h.Hypervisor.Lookup("manual").Id!.Value;
            Assert.Equal("Domain 'manual' is being shutdown", (await h.PostJsonAsync($"v1/domains/{id}/shutdown")).GetProperty("message").GetString());
            await ApiHarness.Eventually(() => h.Hypervisor.Lookup("manual").Status.State == DomainState.Shutoff, "the guest powers off");
        }
    }

    [Fact]
    public async Task Networks_pools_and_volumes_are_listed()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.Hypervisor.DefineNetworkAsync("""
                <network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>
                  <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip>
                </network>
                """);
            await h.Hypervisor.StartNetworkAsync("default");
            await h.Hypervisor.DefineNetworkAsync("<network><name>spare</name><bridge name='virbr9'/></network>");
            var pool = Path.Combine(h.Root, "pool");
            await h.Hypervisor.DefinePoolAsync($"<pool type='dir'><name>images</name><target><path>{pool}</path></target></pool>");
            await h.Hypervisor.BuildPoolAsync("images");
            await h.Hypervisor.StartPoolAsync("images");
            await h.Hypervisor.DefinePoolAsync($"<pool type='dir'><name>cold</name><target><path>{pool}-cold</path></target></pool>");
            await h.Hypervisor.CreateVolumeAsync("images", "<volume><name>disk.qcow2</name><capacity unit='MiB'>64</capacity><target><format type='qcow2'/></target></volume>");

            var networks = await h.GetJsonAsync("v1/networks");
            Assert.Equal(["default"], networks.EnumerateArray().Select(n => n.GetProperty("name").GetString()));
            Assert.Equal("active", networks[0].GetProperty("state").GetString());
            Assert.Equal("virbr0", networks[0].GetProperty("bridge").GetString());
            var allNetworks = await h.GetJsonAsync("v1/networks?all=true");
            Assert.Equal(["default", "spare"], allNetworks.EnumerateArray().Select(n => n.GetProperty("name").GetString()));
            Assert.Equal("inactive", allNetworks[1].GetProperty("state").GetString());
            var xml = (await h.GetJsonAsync("v1/networks/default/xml")).GetProperty("xml").GetString();
            Assert.Contains("<name>default</name>", xml, StringComparison.Ordinal);

            var pools = await h.GetJsonAsync("v1/pools");
            Assert.Equal(["images"], pools.EnumerateArray().Select(p => p.GetProperty("name").GetString()));
            Assert.Equal("running", pools[0].GetProperty("state").GetString());
            Assert.Equal("dir", pools[0].GetProperty("type").GetString());
            Assert.Equal(2, (await h.GetJsonAsync("v1/pools?all=true")).GetArrayLength());

            var volumes = await h.GetJsonAsync("v1/pools/images/volumes");
            var volume = Assert.Single(volumes.EnumerateArray());
            Assert.Equal("disk.qcow2", volume.GetProperty("name").GetString());
            Assert.Equal(Path.Combine(pool, "disk.qcow2"), volume.GetProperty("path").GetString());
            Assert.Equal("qcow2", volume.GetProperty("format").GetString());
            Assert.Equal(64UL << 20, volume.GetProperty("capacity").GetUInt64());
        }
    }

    [Fact]
    public async Task Domifaddr_gives_the_address_of_the_networks_lease()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.Hypervisor.DefineNetworkAsync("""
                <network><name>default</name><forward mode='nat'/><bridge name='virbr0'/>
                  <ip address='192.168.122.1' netmask='255.255.255.0'><dhcp><range start='192.168.122.2' end='192.168.122.254'/></dhcp></ip>
                </network>
                """);
            await h.Hypervisor.StartNetworkAsync("default");
            await h.DefineDomainAsync("web", "<interface type='network'><mac address='52:54:00:aa:bb:cc'/><source network='default'/><model type='virtio'/></interface>");
            await h.Hypervisor.StartAsync("web");

            var address = Assert.Single((await h.GetJsonAsync("v1/domains/web/interfaces")).EnumerateArray());
            Assert.Equal("vnet0", address.GetProperty("name").GetString());
            Assert.Equal("52:54:00:aa:bb:cc", address.GetProperty("mac").GetString());
            Assert.Equal("ipv4", address.GetProperty("protocol").GetString());
            Assert.Equal("192.168.122.2", address.GetProperty("address").GetString());
            Assert.Equal(24, address.GetProperty("prefix").GetInt32());
        }
    }

    [Fact]
    public async Task Status_and_plan_come_from_the_controller_with_enums_as_names()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            var at = DateTimeOffset.Parse("2025-01-02T03:04:05Z", System.Globalization.CultureInfo.InvariantCulture);
            h.View.Objects.Add(new ObjectStatus(
                ObjectKind.Domain, "web", "/specs/domains/web.xml", "r7", SyncStatus.OutOfSync, HealthStatus.Progressing, "starting",
                [new Condition("Ready", false, "Starting", "the domain is starting", at)], null, at));
            h.View.Plan.Add(new PlanItem(ObjectKind.Network, "default", "start", "the network is not active"));

            var status = Assert.Single((await h.GetJsonAsync("v1/status")).EnumerateArray());
            Assert.Equal("Domain", status.GetProperty("kind").GetString());
            Assert.Equal("web", status.GetProperty("name").GetString());
            Assert.Equal("/specs/domains/web.xml", status.GetProperty("file").GetString());
            Assert.Equal("r7", status.GetProperty("revision").GetString());
            Assert.Equal("OutOfSync", status.GetProperty("sync").GetString());
            Assert.Equal("Progressing", status.GetProperty("health").GetString());
            Assert.Equal("starting", status.GetProperty("message").GetString());
            var condition = Assert.Single(status.GetProperty("conditions").EnumerateArray());
            Assert.Equal("Ready", condition.GetProperty("type").GetString());
            Assert.False(condition.GetProperty("status").GetBoolean());
            Assert.Equal("Starting", condition.GetProperty("reason").GetString());
            Assert.Equal("the domain is starting", condition.GetProperty("message").GetString());

            var one = await h.GetJsonAsync("v1/status/domain/web");
            Assert.Equal(("web", "r7"), (one.GetProperty("name").GetString(), one.GetProperty("revision").GetString()));
            h.View.Objects.Add(new ObjectStatus(ObjectKind.Volume, "images/web.qcow2", null, "r1", SyncStatus.Synced, HealthStatus.Healthy, "", [], null, at));
            Assert.Equal("r1", (await h.GetJsonAsync("v1/status/volume/images/web.qcow2")).GetProperty("revision").GetString());
            h.View.Objects.Add(new ObjectStatus(ObjectKind.Pool, "images", null, "r2", SyncStatus.Synced, HealthStatus.Degraded, "", [], null, at));
            Assert.Equal(["web", "images"], (await h.GetJsonAsync("v1/status?pending=true")).EnumerateArray().Select(s => s.GetProperty("name").GetString()));
            var summary = await h.GetJsonAsync("v1/summary");
            Assert.Equal((3, 1, true), (summary.GetProperty("objects").GetInt32(), summary.GetProperty("converged").GetInt32(), summary.GetProperty("observed").GetBoolean()));
            h.View.Observed = false; // some statuses are still those the last run saved
            Assert.False((await h.GetJsonAsync("v1/summary")).GetProperty("observed").GetBoolean());
            Assert.Contains("no status", (await h.GetJsonAsync("v1/status/domain/nobody", 404)).GetProperty("error").GetString(), StringComparison.Ordinal);

            var plan = Assert.Single((await h.GetJsonAsync("v1/plan")).EnumerateArray());
            Assert.Equal("Network", plan.GetProperty("kind").GetString());
            Assert.Equal("start", plan.GetProperty("action").GetString());
            Assert.Equal("the network is not active", plan.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task Nodeinfo_is_the_hosts()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            var node = await h.GetJsonAsync("v1/nodeinfo");
            Assert.Equal("x86_64", node.GetProperty("model").GetString());
            Assert.Equal(4, node.GetProperty("cpus").GetInt32());
            Assert.Equal(2000, node.GetProperty("mhz").GetInt32());
            Assert.Equal(8UL * 1024 * 1024, node.GetProperty("memoryKiB").GetUInt64());
        }
    }

    [Fact]
    public async Task Events_stream_as_ndjson_until_the_client_goes()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            await h.DefineDomainAsync("web");
            using (var response = await h.Http.GetAsync("v1/events", HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
                await ApiHarness.Eventually(() => h.Server.EventStreams == 1, "the stream is subscribed");

                await h.Hypervisor.StartAsync("web");
                await h.Hypervisor.DestroyAsync("web");
                using var started = JsonDocument.Parse((await reader.ReadLineAsync())!);
                using var stopped = JsonDocument.Parse((await reader.ReadLineAsync())!);
                Assert.Equal("web", started.RootElement.GetProperty("name").GetString());
                Assert.Equal("Started", started.RootElement.GetProperty("type").GetString());
                Assert.Equal("booted", started.RootElement.GetProperty("detail").GetString());
                Assert.Equal("running", started.RootElement.GetProperty("state").GetString());
                Assert.Equal("test-host", started.RootElement.GetProperty("host").GetString());
                Assert.False(started.RootElement.GetProperty("spontaneous").GetBoolean());
                Assert.Equal("Stopped", stopped.RootElement.GetProperty("type").GetString());
                Assert.Equal("destroyed", stopped.RootElement.GetProperty("detail").GetString());
                Assert.Equal("shut off", stopped.RootElement.GetProperty("state").GetString());
            }

            await ApiHarness.Eventually(() => h.Server.EventStreams == 0, "the stream ends when the client goes");
        }
    }

    [Fact]
    public async Task Stopping_the_server_ends_the_event_streams()
    {
        var h = await ApiHarness.StartAsync();
        await using (h)
        {
            using var response = await h.Http.GetAsync("v1/events", HttpCompletionOption.ResponseHeadersRead);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            await ApiHarness.Eventually(() => h.Server.EventStreams == 1, "the stream is subscribed");
            var read = reader.ReadToEndAsync();
            await h.Server.DisposeAsync();
            Assert.Equal(string.Empty, await read.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(0, h.Server.EventStreams);
        }
    }

    [Theory]
    [InlineData(Reconciler.Schema.Diagnostics.ErrorCode.NoDomain, 404)]
    [InlineData(Reconciler.Schema.Diagnostics.ErrorCode.NoNetwork, 404)]
    [InlineData(Reconciler.Schema.Diagnostics.ErrorCode.NoStoragePool, 404)]
    [InlineData(Reconciler.Schema.Diagnostics.ErrorCode.NoStorageVolume, 404)]
    [InlineData(Reconciler.Schema.Diagnostics.ErrorCode.OperationInvalid, 409)]
    [InlineData(Reconciler.Schema.Diagnostics.ErrorCode.OperationFailed, 400)]
    [InlineData(Reconciler.Schema.Diagnostics.ErrorCode.XmlError, 400)]
    public void Runtime_errors_map_to_http_statuses(Reconciler.Schema.Diagnostics.ErrorCode code, int status) =>
        Assert.Equal(status, ApiEndpoints.StatusOf(new Reconciler.Runtime.RuntimeException(code, "x")));
}
