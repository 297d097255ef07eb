using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Reconciler.Controller.Api;
using Reconciler.Controller.Reconcile;
using Reconciler.Runtime;
using Reconciler.Runtime.Persistence;
using Reconciler.Runtime.Host;

namespace Reconciler.Controller.Daemon;

/// <summary><c>reconciler run</c>: the daemon.</summary>
internal static class RunCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var specs = new Option<string?>("--specs") { Description = "The spec directory to converge the host to (watched)" };
        var state = new Option<string?>("--state") { Description = "The state directory (default: $RECONCILER_STATE_DIR, /var/lib/reconciler as root, else ~/.local/state/reconciler)" };
        var host = new Option<string?>("--host") { Description = "This host's name (default: the machine's)" };
        var socket = new Option<string?>("--socket") { Description = "The API socket (default: STATE/reconciler.sock)" };
        var config = new Option<string?>("--config") { Description = "A JSON file with settings (flags and RECONCILER_* variables take precedence)" };
        var allowEmpty = new Option<bool>("--allow-empty") { Description = "Let an empty spec directory tear everything down" };
        var pruneVolumes = new Option<bool>("--prune-volumes") { Description = "Delete volumes whose spec was removed (otherwise they are reported as orphaned)" };
        var listen = new Option<string?>("--listen") { Description = "Listen for peers (migrations, probes) on ADDR:PORT" };
        var peer = new Option<string[]>("--peer") { Description = "A peer host: NAME=ADDR:PORT (repeat for each); with peers, every domain needs a placement", Arity = ArgumentArity.ZeroOrMore };
        var keyFile = new Option<string?>("--peer-key-file") { Description = "The file with the key the hosts share (at least 16 bytes, e.g. head -c 32 /dev/urandom)" };
        var command = new Command("run", "Run the daemon: watch the spec directory and converge this host's domains, networks, pools and volumes to it")
        {
            specs, state, host, socket, config, allowEmpty, pruneVolumes, listen, peer, keyFile,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            new Dictionary<string, string?>(
                (parse.GetValue(peer) ?? []).Select((p, i) => new KeyValuePair<string, string?>($"Peers:{i}", p)))
            {
                ["Listen"] = parse.GetValue(listen),
                ["PeerKeyFile"] = parse.GetValue(keyFile),
                ["Specs"] = parse.GetValue(specs),
                ["State"] = parse.GetValue(state),
                ["Host"] = parse.GetValue(host),
                ["Socket"] = parse.GetValue(socket),
                ["AllowEmpty"] = parse.GetValue(allowEmpty) ? "true" : null,
                ["PruneVolumes"] = parse.GetValue(pruneVolumes) ? "true" : null,
            },
            parse.GetValue(config),
            stderr,
            cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(Dictionary<string, string?> flags, string? configFile, TextWriter stderr, CancellationToken cancellationToken)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.Sources.Clear();
        if (configFile is not null)
        {
            if (!File.Exists(configFile))
            {
                await stderr.WriteLineAsync($"reconciler run: the config file {configFile} does not exist").ConfigureAwait(false);
                return 2;
            }

            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.Configuration.AddEnvironmentVariables("RECONCILER_");
        builder.Configuration.AddInMemoryCollection(flags.Where(p => p.Value is not null));
        var options = new ControllerOptions();
        try
        {
            builder.Configuration.Bind(options);
        }
        catch (InvalidOperationException e)
        {
            await stderr.WriteLineAsync($"reconciler run: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        options.State = string.IsNullOrWhiteSpace(options.State) ? DefaultPaths.StateDirectory() : options.State;
        options.Host = string.IsNullOrWhiteSpace(options.Host) ? System.Net.Dns.GetHostName() : options.Host;
        options.Socket = string.IsNullOrWhiteSpace(options.Socket) ? DefaultPaths.Socket(options.State) : options.Socket;
        options.Specs = string.IsNullOrWhiteSpace(options.Specs) ? string.Empty : Path.GetFullPath(options.Specs);
        options.State = Path.GetFullPath(options.State);
        var check = new ControllerOptionsValidator().Validate(null, options);
        if (check.Failed)
        {
            foreach (var failure in check.Failures)
            {
                await stderr.WriteLineAsync($"reconciler run: {failure}").ConfigureAwait(false);
            }

            return 2;
        }

        if (!OperatingSystem.IsWindows())
        {
            // The state (and the API socket in it) is the daemon's own: a new state directory is private, and
            // a directory others may write to (where they could swap the socket or the state) is refused.
            if (!Directory.Exists(options.State))
            {
                Directory.CreateDirectory(options.State, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            foreach (var dir in new[] { options.State, Path.GetDirectoryName(Path.GetFullPath(options.Socket)) }.Distinct())
            {
                if (dir is not null && OpenToOthers(dir) is { } problem)
                {
                    await stderr.WriteLineAsync($"reconciler run: {problem}").ConfigureAwait(false);
                    return 2;
                }
            }
        }
        else
        {
            Directory.CreateDirectory(options.State);
        }

        // Reconciles block their pool thread in synchronous file I/O (each state file and image is fsynced
        // before it takes its name): the thread pool gets a thread for each at once, instead of adding one
        // every half second while the cores idle (a cold converge of 10,000 domains took a quarter longer).
        ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
        ThreadPool.SetMinThreads(Math.Max(minWorkers, options.Parallelism + Environment.ProcessorCount), minIo);

        builder.Services.AddSingleton<IOptions<ControllerOptions>>(Options.Create(options));
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });

        // Every API request at Information would drown the reconcile log (a CLI polling, `events`).
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);

        using var loggers = LoggerFactory.Create(l => l.AddSimpleConsole(o => o.SingleLine = true));

        // One daemon per state directory: a second one would take the first one's domains for crashed ones.
        Microsoft.Win32.SafeHandles.SafeFileHandle stateLock;
        try
        {
            stateLock = StateLock.Acquire(options.State, "reconciler daemon");
        }
        catch (Exception e) when (e is RuntimeException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"reconciler run: {(e is RuntimeException r ? r.Detail : e.Message)}").ConfigureAwait(false);
            return 1;
        }

        using var holding = stateLock;

        // The status store and the spec directory are read while the runtime loads its own state.
        using var start = ControllerStart.Begin(options, scanEarly: true);
        Hypervisor hypervisor;
        try
        {
            hypervisor = await Hypervisor.OpenAsync(new HypervisorOptions
            {
                StateDirectory = Path.Combine(options.State, "runtime"),
                Host = new HostInfo(options.Host, HostInfo.DetectNode()),
                MemoryOvercommit = options.MemoryOvercommit,
                AllowedImageDirectories = options.ImageDirectories,
                HostBridges = options.HostBridges,
                Faults = FaultInjector.Parse(options.Faults),
                StartUpInBackground = true,
                AutostartFilter = ct => start.AutostartFilterAsync(options.AllowEmpty, ct),
                GuestWorkload = options.GuestWorkload > 0 ? new Runtime.Guests.WorkloadSettings(DirtyPagesPerSecond: options.GuestWorkload) : Runtime.Guests.WorkloadSettings.Idle,
                LoggerFactory = loggers,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RuntimeException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"reconciler run: cannot open the runtime in {options.State}: {e.Message}").ConfigureAwait(false);
            return 1;
        }

        await using (hypervisor.ConfigureAwait(false))
        {
            var peers = PeerGroup.None;
            IAsyncDisposable? listener = null;
            if (!string.IsNullOrWhiteSpace(options.PeerKeyFile))
            {
                var key = await File.ReadAllBytesAsync(options.PeerKeyFile, cancellationToken).ConfigureAwait(false);
                peers = PeerGroup.From(options, key);
                if (!string.IsNullOrWhiteSpace(options.Listen))
                {
                    try
                    {
                        listener = hypervisor.StartMigrationListener(PeerGroup.ListenEndpoint(options.Listen), key, out var bound);
                        await stderr.WriteLineAsync($"reconciler run: listening for peers on {bound}").ConfigureAwait(false);
                    }
                    catch (System.Net.Sockets.SocketException e)
                    {
                        await stderr.WriteLineAsync($"reconciler run: cannot listen for peers on {options.Listen}: {e.Message}").ConfigureAwait(false);
                        return 1;
                    }
                }
            }

            await using var listening = (listener ?? new NoListener()).ConfigureAwait(false);
            builder.Services.AddSingleton(peers);
            builder.Services.AddSingleton(hypervisor);
            builder.Services.AddSingleton(start);
            builder.Services.AddSingleton<ReconcileLoop>();
            builder.Services.AddSingleton<IControllerView>(sp => sp.GetRequiredService<ReconcileLoop>());
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ReconcileLoop>());
            builder.Services.AddReconcilerTelemetry(options.Host);
            using var app = builder.Build();
            var loggerFactory = app.Services.GetRequiredService<ILoggerFactory>();
            var log = loggerFactory.CreateLogger("reconciler");
            ApiServer api;
            try
            {
                api = await ApiServer.StartAsync(options.Socket, app.Services.GetRequiredService<ReconcileLoop>(), loggerFactory, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
            {
                await stderr.WriteLineAsync($"reconciler run: cannot serve the API on {options.Socket}: {e.Message}").ConfigureAwait(false);
                return 1;
            }

            await using (api.ConfigureAwait(false))
            {
                log.LogInformation("Converging host {Host} to {Specs} (state in {State}, API on {Socket})", options.Host, options.Specs, options.State, options.Socket);
                await app.RunAsync(cancellationToken).ConfigureAwait(false);
                log.LogInformation("Stopping: saving the running domains");
            }
        }

        return 0;
    }

    /// <summary>Why a directory others can write to (without the sticky bit of /tmp) may not hold the state or the socket, or null.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string? OpenToOthers(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return null; // the socket's directory is created private when missing
        }

        var mode = File.GetUnixFileMode(directory);
        var writable = (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
        return writable && (mode & UnixFileMode.StickyBit) == 0
            ? $"{directory} can be written by other users (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}): they could replace the API socket or the state in it; make it private (chmod 700 {directory}) or choose another directory"
            : null;
    }

    private sealed class NoListener : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
