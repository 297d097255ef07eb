using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Controller.Daemon;

namespace Reconciler.Controller.Api;

/// <summary>
/// The daemon's local API: HTTP/1.1 with JSON bodies on a Unix domain socket that only its owner can open
/// (mode 0600). The CLI verbs (<c>reconciler status</c>, <c>list</c>, <c>start</c>, ...) are its clients.
/// Start it with <see cref="StartAsync"/> once the controller can answer, dispose it to stop listening
/// (streams of events end, the socket file is removed).
/// </summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ILogger _log;
    private int _eventStreams;
    private int _disposed;

    private ApiServer(string socketPath, WebApplication app, ILogger log)
    {
        SocketPath = socketPath;
        _app = app;
        _log = log;
    }

    /// <summary>The full path of the socket the server listens on.</summary>
    public string SocketPath { get; }

    /// <summary>How many clients follow the event stream right now.</summary>
    internal int EventStreams => Volatile.Read(ref _eventStreams);

    /// <summary>
    /// Listens on <paramref name="socketPath"/> (its directory is created, mode 0700, when missing). A stale
    /// socket left by a daemon that died is removed; an <see cref="IOException"/> says so when another daemon
    /// is listening there, or the path is something else than a socket.
    /// </summary>
    public static async Task<ApiServer> StartAsync(string socketPath, IControllerView view, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(socketPath);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the reconciler API needs Unix domain sockets with Unix file modes");
        }

        var path = Path.GetFullPath(socketPath);
        OwnerOnlySocket.ClearStale(path);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "reconciler" });
        builder.Services.AddLogging();
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        builder.Services.Replace(ServiceDescriptor.Singleton<IHostLifetime, OwnedLifetime>());
        builder.Services.AddRoutingCore();
        builder.Services.ConfigureHttpJsonOptions(o => ApiJson.Configure(o.SerializerOptions));
        builder.WebHost
            .UseKestrelCore()
            .UseSockets(o => o.CreateBoundListenSocket = _ => OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException() : OwnerOnlySocket.Bind(path))
            .ConfigureKestrel(k =>
            {
                k.AddServerHeader = false;
                k.ListenUnixSocket(path, l => l.Protocols = HttpProtocols.Http1);
            });

        var app = builder.Build();
        var server = new ApiServer(path, app, loggerFactory.CreateLogger("Reconciler.Api"));
        ApiEndpoints.Map(app, view, server);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        ApiLog.Listening(server._log, path);
        return server;
    }

    /// <summary>Stops listening: requests in flight get a few seconds, event streams end, the socket file goes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await _app.StopAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        await _app.DisposeAsync().ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            OwnerOnlySocket.Remove(SocketPath);
        }
    }

    internal IDisposable TrackEventStream()
    {
        Interlocked.Increment(ref _eventStreams);
        return new Release(() => Interlocked.Decrement(ref _eventStreams));
    }

    private sealed class Release(Action action) : IDisposable
    {
        private Action? _action = action;

        public void Dispose() => Interlocked.Exchange(ref _action, null)?.Invoke();
    }

    /// <summary>The API server stops when its owner disposes it, not on Ctrl-C or SIGTERM (the daemon's host handles those).</summary>
    private sealed class OwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

internal static partial class ApiLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "API listening on {Socket}")]
    public static partial void Listening(ILogger logger, string socket);

    [LoggerMessage(Level = LogLevel.Error, Message = "API request {Method} {Path} failed")]
    public static partial void Failed(ILogger logger, Exception exception, string method, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "API: {Action} of domain {Domain} asked by a client")]
    public static partial void PowerAction(ILogger logger, string action, string domain);
}
