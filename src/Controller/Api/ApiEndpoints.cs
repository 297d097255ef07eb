using System.Diagnostics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Controller.Daemon;
using Reconciler.Runtime;
using Reconciler.Runtime.Domains;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Controller.Api;

/// <summary>
/// The routes of the API (all under <c>/v1</c>). Reads go to the controller's view and its runtime; power
/// actions are done on the runtime as virsh would do them, and the domain is queued for a reconcile.
/// </summary>
internal static class ApiEndpoints
{
    /// <summary>The power actions, as virsh names them, with virsh's message for each.</summary>
    public static readonly IReadOnlyDictionary<string, string> PowerActions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["start"] = "Domain '{0}' started",
        ["shutdown"] = "Domain '{0}' is being shutdown",
        ["destroy"] = "Domain '{0}' destroyed",
        ["suspend"] = "Domain '{0}' suspended",
        ["resume"] = "Domain '{0}' resumed",
        ["reboot"] = "Domain '{0}' is being rebooted",
    };

    public static void Map(WebApplication app, IControllerView view, ApiServer server)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Reconciler.Api");
        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        app.Use((context, next) => HandleErrorsAsync(context, next, log));

        var hv = view.Hypervisor;
        var v1 = app.MapGroup("/v1");
        v1.MapGet("/status", (bool? pending) => view.Status()
            .Where(s => pending != true || !s.Converged)
            .Select(ObjectStatusDto.From).ToList());
        v1.MapGet("/summary", () =>
        {
            var (objects, converged) = view.Counts();
            return new StatusSummaryDto(objects, converged, view.Observed);
        });
        v1.MapGet("/status/{kind}/{**name}", (string kind, string name) =>
            Enum.TryParse<ObjectKind>(kind, ignoreCase: true, out var k) && view.StatusOf(new ObjectKey(k, name)) is { } status
                ? Results.Json(ObjectStatusDto.From(status), ApiJson.Info<ObjectStatusDto>())
                : Results.Json(new ApiError($"no status for {kind} '{name}'", "NOT_FOUND"), ApiJson.Info<ApiError>(), statusCode: StatusCodes.Status404NotFound));
        v1.MapGet("/plan", async (CancellationToken ct) => await view.PlanAsync(ct).ConfigureAwait(false));

        v1.MapGet("/domains", (bool? all) =>
            hv.ListDomains().Where(d => all == true || d.Status.IsActive).Select(d => DomainListItem.From(d, view.HostName)).ToList());
        v1.MapGet("/domains/{name}", async (string name, CancellationToken ct) =>
            DomainInfoDto.From(await hv.GetInfoAsync(name, ct).ConfigureAwait(false), view.HostName));
        v1.MapGet("/domains/{name}/state", (string name) =>
        {
            var d = hv.Lookup(name);
            return new DomainStateDto(d.Name, d.Status.StateName, d.Status.ReasonName);
        });
        v1.MapGet("/domains/{name}/xml", async (string name, bool? inactive, CancellationToken ct) =>
            new XmlDto(hv.Lookup(name).Name, await hv.GetXmlAsync(name, inactive == true, ct).ConfigureAwait(false)));
        v1.MapGet("/domains/{name}/interfaces", async (string name, CancellationToken ct) =>
            (await hv.GetInterfaceAddressesAsync(name, ct).ConfigureAwait(false)).Select(InterfaceAddressDto.From).ToList());
        v1.MapGet("/domains/{name}/guest-memory", async (string name, CancellationToken ct) =>
            await hv.GetGuestMemoryAsync(name, ct).ConfigureAwait(false));
        v1.MapGet("/domains/{name}/jobinfo", (string name) => JobInfoDto.From(name, hv.GetJobInfo(name)));
        v1.MapPost("/domains/{name}/migrate", async (string name, string host, CancellationToken ct) =>
            JobInfoDto.From(name, await view.MigrateNowAsync(name, host, ct).ConfigureAwait(false)));
        v1.MapPost("/domains/{name}/{action}", (string name, string action, CancellationToken ct) =>
            PowerAsync(view, name, action, log, ct));

        v1.MapGet("/networks", (bool? all) =>
            hv.ListNetworks().Where(n => all == true || n.Active).Select(NetworkListItem.From).ToList());
        v1.MapGet("/networks/{name}/leases", async (string name, CancellationToken ct) =>
        {
            var info = await hv.GetNetworkInfoAsync(name, ct).ConfigureAwait(false);
            return hv.GetDhcpLeases(info.Name);
        });
        v1.MapGet("/bridges", () => new BridgesDto(hv.GetBridges(), hv.GetTaps(), hv.FormatBridges(), hv.GetForwardingDatabase()));
        v1.MapGet("/networks/{name}/xml", async (string name, bool? inactive, CancellationToken ct) =>
            new XmlDto(name, await hv.GetNetworkXmlAsync(name, inactive == true, ct).ConfigureAwait(false)));

        v1.MapGet("/pools", (bool? all) =>
            hv.ListPools().Where(p => all == true || p.State != Runtime.Storage.StoragePoolState.Inactive).Select(PoolListItem.From).ToList());
        v1.MapGet("/pools/{name}/volumes", async (string name, CancellationToken ct) =>
            (await hv.ListVolumesAsync(name, ct).ConfigureAwait(false)).Select(VolumeListItem.From).ToList());

        v1.MapGet("/nodeinfo", () => NodeInfoDto.From(hv.GetNodeInfo(), view.HostName, hv.FreeMemoryKiB));
        v1.MapGet("/events", (HttpContext context) => StreamEventsAsync(context, view, server, stopping));

        app.MapFallback((HttpContext context) => Results.Json(
            new ApiError($"no such endpoint: {context.Request.Method} {context.Request.Path}", "NOT_FOUND"),
            ApiJson.Info<ApiError>(),
            statusCode: StatusCodes.Status404NotFound));
    }

    /// <summary>The HTTP status of a runtime error: 404 when the object is missing, 409 when the state forbids the operation, 400 otherwise.</summary>
    public static int StatusOf(RuntimeException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return e.Code switch
        {
            ErrorCode.NoDomain or ErrorCode.NoNetwork or ErrorCode.NoStoragePool or ErrorCode.NoStorageVolume => StatusCodes.Status404NotFound,
            ErrorCode.OperationInvalid => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status400BadRequest,
        };
    }

    private static async Task HandleErrorsAsync(HttpContext context, RequestDelegate next, ILogger log)
    {
        using var activity = Telemetry.Source.StartActivity($"API {context.Request.Method} {context.Request.Path}", ActivityKind.Server);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (RuntimeException e) when (!context.Response.HasStarted)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            await WriteErrorAsync(context, StatusOf(e), new ApiError(e.Message, e.CodeName)).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await WriteErrorAsync(context, e.StatusCode, new ApiError(e.Message, "BAD_REQUEST")).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            ApiLog.Failed(log, e, context.Request.Method, context.Request.Path);
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, new ApiError(e.Message, "VIR_ERR_INTERNAL_ERROR")).ConfigureAwait(false);
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, ApiError error)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(error, ApiJson.Info<ApiError>());
    }

    private static async Task<IResult> PowerAsync(IControllerView view, string name, string action, ILogger log, CancellationToken ct)
    {
        if (!PowerActions.TryGetValue(action, out var message))
        {
            return Results.Json(
                new ApiError($"unknown action '{action}': one of {string.Join(", ", PowerActions.Keys)}", "NOT_FOUND"),
                ApiJson.Info<ApiError>(),
                statusCode: StatusCodes.Status404NotFound);
        }

        var hv = view.Hypervisor;
        var domain = hv.Lookup(name).Name;
        ApiLog.PowerAction(log, action, domain);
        var task = action switch
        {
            "start" => hv.StartAsync(domain, cancellationToken: ct),
            "shutdown" => hv.ShutdownAsync(domain, cancellationToken: ct),
            "destroy" => hv.DestroyAsync(domain, ct),
            "suspend" => hv.SuspendAsync(domain, ct),
            "resume" => hv.ResumeAsync(domain, ct),
            _ => hv.RebootAsync(domain, ct),
        };
        await task.ConfigureAwait(false);

        var strategy = view.RunStrategyOf(domain);
        if (strategy is not null)
        {
            view.Enqueue(new ObjectKey(ObjectKind.Domain, domain));
        }

        var converges = strategy is not null && !string.Equals(strategy, "manual", StringComparison.Ordinal);
        var note = converges
            ? $"'{domain}' is managed by the controller with run strategy '{strategy}': it will converge the domain back to its spec"
            : null;
        string? state = null, reason = null;
        if (hv.Exists(domain))
        {
            var status = hv.Lookup(domain).Status;
            (state, reason) = (status.StateName, status.ReasonName);
        }

        return Results.Json(
            new PowerActionResult(domain, action, string.Format(System.Globalization.CultureInfo.InvariantCulture, message, domain), state, reason, strategy, converges, note),
            ApiJson.Info<PowerActionResult>());
    }

    private static async Task StreamEventsAsync(HttpContext context, IControllerView view, ApiServer server, CancellationToken stopping)
    {
        var channel = Channel.CreateUnbounded<DomainEvent>(new UnboundedChannelOptions { SingleReader = true });
        void OnChanged(DomainEvent e) => channel.Writer.TryWrite(e);

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        view.Hypervisor.DomainChanged += OnChanged;
        using var tracked = server.TrackEventStream();
        try
        {
            context.Response.ContentType = "application/x-ndjson";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.StartAsync(cancel.Token).ConfigureAwait(false);
            await context.Response.Body.FlushAsync(cancel.Token).ConfigureAwait(false);
            await foreach (var e in channel.Reader.ReadAllAsync(cancel.Token).ConfigureAwait(false))
            {
                var line = JsonSerializer.SerializeToUtf8Bytes(DomainEventDto.From(e, view.HostName), ApiJson.Info<DomainEventDto>());
                await context.Response.Body.WriteAsync(line, cancel.Token).ConfigureAwait(false);
                await context.Response.Body.WriteAsync("\n"u8.ToArray(), cancel.Token).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(cancel.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client disconnected or the server is stopping: the stream ends.
        }
        catch (IOException)
        {
            // The client disconnected while an event was being written.
        }
        finally
        {
            view.Hypervisor.DomainChanged -= OnChanged;
        }
    }
}
