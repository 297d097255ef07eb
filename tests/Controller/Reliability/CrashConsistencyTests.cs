using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Reconciler.Controller.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Reconciler.Controller.Tests.Reliability;

/// <summary>
/// The crash harness: the real daemon converges a few hundred generated specs and is killed with SIGKILL
/// at a random moment, round after round (the seed is printed; RECONCILER_CRASH_SEED replays it,
/// RECONCILER_CRASH_ROUNDS sets the number of rounds). After each kill the state directory and the pools
/// are inspected with nothing running (<see cref="StateInspector"/>); after each restart, what the kill
/// left half-written must be gone; every tenth round and at the end, the daemon converges completely and
/// the runtime's own view (API) is checked for duplicates and leaks.
/// </summary>
[Collection(nameof(ReliabilityCollection))]
public sealed class CrashConsistencyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Killed_at_random_moments_the_daemon_converges_once_loses_nothing_and_leaks_nothing()
    {
        var rounds = Setting("RECONCILER_CRASH_ROUNDS", 100);
        var seed = Setting("RECONCILER_CRASH_SEED", Environment.TickCount & 0x7fffffff);
        var maxDelay = Setting("RECONCILER_CRASH_MAX_DELAY_MS", 2500);
        var checkpointEvery = Setting("RECONCILER_CRASH_CHECKPOINT_EVERY", 10);
        var domains = Setting("RECONCILER_CRASH_DOMAINS", 200);
        output.WriteLine($"crash harness: seed {seed}, {rounds} rounds, kill delays 0-{maxDelay} ms, full convergence every {checkpointEvery} rounds " +
            $"(replay: RECONCILER_CRASH_SEED={seed} RECONCILER_CRASH_ROUNDS={rounds} dotnet test tests/Controller --filter {nameof(CrashConsistencyTests)})");

        using var dir = new TempDir();
        var specs = Path.Combine(dir.Path, "specs");
        var state = Path.Combine(dir.Path, "state");
        var fleet = new Fleet(specs, Path.Combine(dir.Path, "images"), seed, domains);
        fleet.WriteAll();
        var inspector = new StateInspector(state, fleet);
        var random = new Random(seed ^ 0x5eed);
        var clock = Stopwatch.StartNew();
        var figures = new Figures();
        List<string> leftBehind = [];

        for (var round = 1; round <= rounds; round++)
        {
            var changes = round == 1 ? [] : fleet.Mutate();
            fleet.Domains.ForEach(d => d.CompletedThisRound = false);
            figures.Mutations += changes.Count;
            var checkpoint = round % checkpointEvery == 0;
            var delay = random.Next(0, maxDelay + 1);
            var started = Stopwatch.StartNew();
            var daemonStarted = DateTime.UtcNow;
            using var daemon = new DaemonProcess(specs, state, DaemonSettings);
            using var http = ApiHarness.Client(Path.Combine(state, "reconciler.sock"));
            var context = $"seed {seed}, round {round}, kill after {delay} ms{(changes.Count > 0 ? ", after: " + string.Join("; ", changes) : string.Empty)}";

            // What the previous kill left half-written is gone once the daemon serves its API.
            var apiUp = await WaitForApiAsync(http, daemon, checkpoint ? TimeSpan.FromSeconds(60) : TimeSpan.FromMilliseconds(delay));
            if (apiUp is { } up)
            {
                var stale = leftBehind.Where(StillLeftOver).ToList();
                Assert.True(stale.Count == 0, $"{context}: files of interrupted writes survived the restart (API up after {up.TotalMilliseconds:0} ms):\n{string.Join("\n", stale)}\n{daemon.Output}");
                figures.CleanedTemporaryFiles += leftBehind.Count;
            }
            else
            {
                figures.KillsBeforeApi++;
            }

            string? phase = null;
            if (checkpoint)
            {
                var converged = await ConvergeAsync(http, daemon, fleet, context, TimeSpan.FromSeconds(180));
                figures.Checkpoints++;
                figures.ConvergeSeconds.Add(converged.TotalSeconds);
                var live = await LiveProblemsAsync(http, inspector, fleet);
                Assert.True(live.Count == 0, $"{context}: after converging:\n{string.Join("\n", live)}");

                // A rerun-on-failure guest that shuts down cleanly has done its work: it must stay shut off,
                // whatever the next kills and restarts.
                foreach (var done in fleet.Domains.Where(d => d.Strategy == "rerun-on-failure" && !d.Completed).Take(2).ToList())
                {
                    using var shutdown = await http.PostAsync(new Uri($"v1/domains/{done.Name}/shutdown", UriKind.Relative), null);
                    Assert.True(shutdown.IsSuccessStatusCode, $"{context}: shutdown {done.Name}: {await shutdown.Content.ReadAsStringAsync()}");
                    done.Completed = done.CompletedThisRound = true;
                    figures.CleanShutdowns++;
                }

                await ConvergeAsync(http, daemon, fleet, context + ", after shutting guests down", TimeSpan.FromSeconds(60));
                started.Restart();
                phase = "steady state";
            }

            var left = TimeSpan.FromMilliseconds(delay) - started.Elapsed;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left); // the random kill moment: the experiment, not a wait for anything
            }

            var killedAt = (int)started.Elapsed.TotalMilliseconds;
            daemon.KillHard();
            figures.Kills++;
            phase ??= apiUp is null ? "starting" : "converging";
            figures.KillPhases[phase] = figures.KillPhases.GetValueOrDefault(phase) + 1;
            figures.Delays.Add(delay);

            var snapshot = inspector.Read();
            Assert.True(snapshot.Problems.Count == 0, $"{context}:\n{string.Join("\n", snapshot.Problems)}\n--- daemon log ---\n{Tail(daemon.Output)}");
            leftBehind = inspector.TemporaryFiles();
            figures.TemporaryFilesLeft += leftBehind.Count;
            // Guests this daemon started (a kill before the runtime opened finds the previous round's records).
            var runDir = Path.Combine(inspector.Runtime, "run");
            var killedGuests = Directory.Exists(runDir) ? Directory.EnumerateFiles(runDir, "*.json").Count(f => File.GetLastWriteTimeUtc(f) >= daemonStarted) : 0;
            figures.RunningAtKill += killedGuests;
            output.WriteLine($"round {round,3}: {phase,-12} killed at {killedAt,4} ms{(apiUp is { } a ? $" (API up at {a.TotalMilliseconds:0} ms)" : string.Empty)}, " +
                $"{killedGuests} guests killed, {leftBehind.Count} half-written files, starts so far {inspector.Starts}" +
                (changes.Count > 0 ? "; " + string.Join("; ", changes) : string.Empty));
        }

        // The last restart: everything converges as the specs say, and the runtime's view has no duplicate and no leak.
        using (var daemon = new DaemonProcess(specs, state, DaemonSettings))
        {
            using var http = ApiHarness.Client(Path.Combine(state, "reconciler.sock"));
            var context = $"seed {seed}, final restart";
            Assert.NotNull(await WaitForApiAsync(http, daemon, TimeSpan.FromSeconds(60)));
            Assert.True(!leftBehind.Any(StillLeftOver), $"{context}: files of interrupted writes survived the restart");
            var converged = await ConvergeAsync(http, daemon, fleet, context, TimeSpan.FromSeconds(180));
            figures.ConvergeSeconds.Add(converged.TotalSeconds);
            var live = await LiveProblemsAsync(http, inspector, fleet);
            Assert.True(live.Count == 0, $"{context}:\n{string.Join("\n", live)}");
            daemon.KillHard();
            var snapshot = inspector.Read();
            Assert.True(snapshot.Problems.Count == 0, $"{context}:\n{string.Join("\n", snapshot.Problems)}");
            foreach (var spec in fleet.Domains.Where(d => d.Strategy == "once"))
            {
                Assert.True(snapshot.Domains[spec.Name].Starts == 1, $"{context}: once domain {spec.Name} started {snapshot.Domains[spec.Name].Starts} times");
            }
        }

        output.WriteLine(figures.Summary(rounds, fleet, inspector, clock.Elapsed));
    }

    /// <summary>
    /// The daemon's settings for the harness: the simulated guests' memory is sparse, so the host's memory
    /// must not limit how many of the 64 MiB domains run at once on a small CI machine.
    /// </summary>
    private static readonly Dictionary<string, string> DaemonSettings = new() { ["RECONCILER_MEMORYOVERCOMMIT"] = "100" };

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : fallback;

    private static string Tail(string log) => log.Length <= 6000 ? log : log[^6000..];

    /// <summary>Polls the API until it answers (the elapsed time), or gives up after <paramref name="within"/> (null).</summary>
    internal static async Task<TimeSpan?> WaitForApiAsync(HttpClient http, DaemonProcess daemon, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < within && !daemon.HasExited)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var response = await http.GetAsync(new Uri("v1/nodeinfo", UriKind.Relative), cts.Token);
                if (response.IsSuccessStatusCode)
                {
                    return clock.Elapsed;
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
            }

            await Task.Delay(20);
        }

        return null;
    }

    internal static async Task<JsonElement> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    private static string Str(JsonElement e, string property) => e.GetProperty(property).GetString() ?? string.Empty;

    /// <summary>Polls until the host is what the specs say (status, runtime, plan); returns how long it took.</summary>
    private static async Task<TimeSpan> ConvergeAsync(HttpClient http, DaemonProcess daemon, Fleet fleet, string context, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        string? why = null;
        while (clock.Elapsed < deadline && !daemon.HasExited)
        {
            try
            {
                why = await NotConvergedAsync(http, fleet);
                if (why is null)
                {
                    return clock.Elapsed;
                }
            }
            catch (HttpRequestException e)
            {
                why = e.Message;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{context}: not converged after {clock.Elapsed.TotalSeconds:0} s: {why}\n--- daemon log ---\n{Tail(daemon.Output)}");
        return clock.Elapsed;
    }

    /// <summary>Why the host is not yet what the specs say, or null when it is.</summary>
    private static async Task<string?> NotConvergedAsync(HttpClient http, Fleet fleet)
    {
        var status = (await GetAsync(http, "v1/status")).EnumerateArray()
            .ToDictionary(s => $"{Str(s, "kind").ToLowerInvariant()}/{Str(s, "name")}", StringComparer.Ordinal);
        var domains = (await GetAsync(http, "v1/domains?all=true")).EnumerateArray().ToList();
        var byName = domains.GroupBy(d => Str(d, "name"), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var expected = fleet.Networks.Select(n => "network/" + n.Name)
            .Concat(fleet.Pools.Select(p => "pool/" + p.Name))
            .Concat(fleet.Volumes.Select(v => "volume/" + v.Key))
            .Concat(fleet.Domains.Select(d => "domain/" + d.Name));
        foreach (var key in expected)
        {
            if (!status.TryGetValue(key, out var s))
            {
                return $"{key} has no status yet";
            }

            if (Str(s, "sync") != "Synced" || Str(s, "health") != "Healthy")
            {
                return $"{key} is {Str(s, "sync")}/{Str(s, "health")}: {Str(s, "message")}";
            }
        }

        foreach (var d in fleet.Domains)
        {
            if (!byName.TryGetValue(d.Name, out var dom))
            {
                return $"domain {d.Name} is not defined";
            }

            var state = Str(dom, "state");
            var ok = d.Strategy switch
            {
                "always" or "rerun-on-failure" => state == (d.KeepsRunning ? "running" : "shut off"),
                "halted" or "manual" => state == "shut off",
                _ => state is "running" or "shut off",
            };
            if (!ok)
            {
                return $"domain {d.Name} ({d.Strategy}) is {state} ({Str(dom, "reason")})";
            }

            var message = Str(status["domain/" + d.Name], "message");
            if (!message.StartsWith($"{state} ({Str(dom, "reason")})", StringComparison.Ordinal))
            {
                return $"domain {d.Name}: the status says '{message}' but the domain is {state} ({Str(dom, "reason")})";
            }
        }

        foreach (var d in fleet.Removed)
        {
            if (byName.ContainsKey(d.Name) || status.ContainsKey("domain/" + d.Name))
            {
                return $"domain {d.Name} is still there after its spec was removed";
            }
        }

        foreach (var n in (await GetAsync(http, "v1/networks?all=true")).EnumerateArray())
        {
            if (!n.GetProperty("active").GetBoolean())
            {
                return $"network {Str(n, "name")} is not active";
            }
        }

        foreach (var p in fleet.Pools)
        {
            var volumes = (await GetAsync(http, $"v1/pools/{p.Name}/volumes")).EnumerateArray()
                .ToDictionary(v => Str(v, "name"), v => v.GetProperty("capacity").GetUInt64(), StringComparer.Ordinal);
            foreach (var v in fleet.Volumes.Where(v => v.Pool == p.Name))
            {
                if (!volumes.TryGetValue(v.Name, out var capacity) || capacity != v.CapacityBytes)
                {
                    return $"volume {v.Key} has capacity {(volumes.ContainsKey(v.Name) ? capacity.ToString(CultureInfo.InvariantCulture) : "(missing)")}, its spec {v.CapacityBytes}";
                }
            }
        }

        var plan = await GetAsync(http, "v1/plan");
        return plan.GetArrayLength() == 0 ? null : $"the plan is not empty: {plan}";
    }

    /// <summary>
    /// The runtime's view of a converged host against the specs: each domain once (names and UUIDs unique,
    /// no domain no spec names), IDs unique, the bridges of the networks and no other, a tap for each
    /// interface of each running domain and none else, each lease owned, each running interface leased,
    /// each VNC port held once.
    /// </summary>
    /// <summary>
    /// Whether a leftover the previous kill left is still there: a file of an interrupted write, or flags
    /// still without a definition (a domain defined again since has flags of its own under that name).
    /// </summary>
    private static bool StillLeftOver(string path) =>
        File.Exists(path) && !(path.EndsWith(".json", StringComparison.Ordinal) && Path.GetFileName(Path.GetDirectoryName(path)) == "domains" &&
                               File.Exists(Path.ChangeExtension(path, ".xml")));

    private static async Task<List<string>> LiveProblemsAsync(HttpClient http, StateInspector inspector, Fleet fleet)
    {
        var problems = new List<string>();
        var domains = (await GetAsync(http, "v1/domains?all=true")).EnumerateArray().ToList();
        Dup(domains.Select(d => Str(d, "name")), "domain name", problems);
        Dup(domains.Select(d => Str(d, "uuid")), "domain UUID", problems);
        var running = domains.Where(d => Str(d, "state") == "running").ToList();
        Dup(running.Select(d => d.GetProperty("id").ToString()), "domain ID", problems);
        foreach (var d in domains)
        {
            var active = Str(d, "state") is "running" or "paused";
            if (active != (d.GetProperty("id").ValueKind == JsonValueKind.Number))
            {
                problems.Add($"domain {Str(d, "name")} is {Str(d, "state")} with ID {d.GetProperty("id")}");
            }
        }

        var names = fleet.Domains.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(domains.Where(d => !names.Contains(Str(d, "name"))).Select(d => $"domain {Str(d, "name")} exists but no spec names it"));

        // Definitions as the runtime keeps them (their generated MACs): read while the daemon runs (every write is atomic).
        var definitions = new Dictionary<string, StateInspector.Definition>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(Path.Combine(inspector.Runtime, "domains"), "*.xml"))
        {
            var root = System.Xml.Linq.XDocument.Parse(await File.ReadAllTextAsync(path)).Root!;
            var interfaces = root.Element("devices")!.Elements("interface")
                .Select(i => (i.Element("source")!.Attribute("network")!.Value, i.Element("mac")!.Attribute("address")!.Value)).ToList();
            definitions[root.Element("name")!.Value] = new StateInspector.Definition(root.Element("name")!.Value, Guid.Parse(root.Element("uuid")!.Value), interfaces, 0, false);
        }

        var bridges = await GetAsync(http, "v1/bridges");
        var bridgeNames = bridges.GetProperty("bridges").EnumerateArray().Select(b => Str(b, "name")).Order(StringComparer.Ordinal).ToList();
        var wantedBridges = fleet.Networks.Select(n => n.Bridge).Order(StringComparer.Ordinal).ToList();
        if (!bridgeNames.SequenceEqual(wantedBridges))
        {
            problems.Add($"bridges {string.Join(", ", bridgeNames)}; the networks have {string.Join(", ", wantedBridges)}");
        }

        foreach (var b in bridges.GetProperty("bridges").EnumerateArray())
        {
            var mac = b.GetProperty("mac").GetString() ?? "(none)";
            if (inspector.BridgeMacs.TryGetValue(Str(b, "name"), out var before) && before != mac)
            {
                problems.Add($"bridge {Str(b, "name")} changed its MAC from {before} to {mac}");
            }

            inspector.BridgeMacs[Str(b, "name")] = mac;
        }

        var taps = bridges.GetProperty("taps").EnumerateArray().ToList();
        Dup(taps.Select(t => Str(t, "name")), "tap", problems);
        var runningNames = running.Select(d => Str(d, "name")).ToHashSet(StringComparer.Ordinal);
        foreach (var tap in taps.Where(t => !runningNames.Contains(Str(t, "domain"))))
        {
            problems.Add($"tap {Str(tap, "name")} of domain {Str(tap, "domain")}, which is not running: leaked");
        }

        foreach (var name in runningNames)
        {
            var def = definitions[name];
            foreach (var (network, mac) in def.Interfaces)
            {
                var bridge = fleet.Networks.Single(n => n.Name == network).Bridge;
                var count = taps.Count(t => Str(t, "domain") == name && string.Equals(Str(t, "mac"), mac, StringComparison.OrdinalIgnoreCase) && Str(t, "bridge") == bridge);
                if (count != 1)
                {
                    problems.Add($"running domain {name}: {count} taps for its interface {mac} on {bridge}");
                }
            }

            if (def.Interfaces.Count != taps.Count(t => Str(t, "domain") == name))
            {
                problems.Add($"running domain {name} has {taps.Count(t => Str(t, "domain") == name)} taps for {def.Interfaces.Count} interfaces");
            }
        }

        var leases = new List<StateInspector.Lease>();
        foreach (var n in fleet.Networks)
        {
            leases.AddRange((await GetAsync(http, $"v1/networks/{n.Name}/leases")).EnumerateArray()
                .Select(l => new StateInspector.Lease(Str(l, "network"), Str(l, "mac"), Str(l, "address"), Guid.Parse(Str(l, "domain")))));
        }

        StateInspector.CheckLeases(leases, definitions.Values, problems);
        foreach (var name in runningNames)
        {
            foreach (var (network, mac) in definitions[name].Interfaces)
            {
                if (!leases.Any(l => l.Network == network && string.Equals(l.Mac, mac, StringComparison.OrdinalIgnoreCase)))
                {
                    problems.Add($"running domain {name}: its interface {mac} on {network} has no lease");
                }
            }
        }

        // VNC ports: the run records of the running domains (the API shows them only per domain).
        var records = Directory.EnumerateFiles(Path.Combine(inspector.Runtime, "run"), "*.json")
            .Select(p => JsonSerializer.Deserialize<StateInspector.RunRecord>(File.ReadAllText(p), new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase })!)
            .ToList();
        Dup(records.SelectMany(r => r.VncPorts).Select(p => p.ToString(CultureInfo.InvariantCulture)), "VNC port", problems);
        if (!records.Select(r => r.Name).ToHashSet(StringComparer.Ordinal).SetEquals(runningNames))
        {
            problems.Add($"run records ({records.Count}) and running domains ({runningNames.Count}) differ");
        }

        foreach (var spec in fleet.Domains.Where(d => runningNames.Contains(d.Name)))
        {
            var ports = records.Single(r => r.Name == spec.Name).VncPorts.Length;
            if (ports != (spec.Vnc ? 1 : 0))
            {
                problems.Add($"running domain {spec.Name} holds {ports} VNC ports for {(spec.Vnc ? 1 : 0)} graphics devices");
            }
        }

        return problems;
    }

    private static void Dup(IEnumerable<string> values, string what, List<string> problems) =>
        problems.AddRange(values.GroupBy(v => v, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => $"{what} {g.Key} appears {g.Count()} times"));

    private sealed class Figures
    {
        public int Kills { get; set; }

        public int KillsBeforeApi { get; set; }

        public int Checkpoints { get; set; }

        public int Mutations { get; set; }

        public int CleanShutdowns { get; set; }

        public int TemporaryFilesLeft { get; set; }

        public int CleanedTemporaryFiles { get; set; }

        public long RunningAtKill { get; set; }

        public Dictionary<string, int> KillPhases { get; } = new(StringComparer.Ordinal);

        public List<int> Delays { get; } = [];

        public List<double> ConvergeSeconds { get; } = [];

        public string Summary(int rounds, Fleet fleet, StateInspector inspector, TimeSpan elapsed) =>
            $"summary: {rounds} rounds, {Kills} SIGKILLs (delays {Delays.Min()}-{Delays.Max()} ms; " +
            string.Join(", ", KillPhases.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Value} while {p.Key}")) + "), " +
            $"{fleet.ObjectCount} objects at the end ({fleet.Domains.Count} domains, {fleet.Volumes.Count} volumes, {fleet.Removed.Count} domains removed on the way, {Mutations} spec changes), " +
            $"{RunningAtKill} guests killed with the daemon, {inspector.Starts} guest starts, {CleanShutdowns} rerun-on-failure guests shut down cleanly (not rerun), {inspector.VolumesCreated} volume files created once each, " +
            $"{inspector.ImageChecks} qemu-img checks, {TemporaryFilesLeft} half-written files left by kills (all gone after the restart), {inspector.SocketStagingLeftovers} socket staging directories left, " +
            $"{Checkpoints + 1} full convergences ({ConvergeSeconds.Min():0.0}-{ConvergeSeconds.Max():0.0} s), losses 0, in {elapsed.TotalMinutes:0.0} min";
    }
}

/// <summary>The reliability tests load the machine (hundreds of guests, bursts of writes): they run alone.</summary>
[CollectionDefinition(nameof(ReliabilityCollection), DisableParallelization = true)]
public sealed class ReliabilityCollection
{
}
