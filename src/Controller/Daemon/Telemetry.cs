using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Reconciler.Runtime;

namespace Reconciler.Controller.Daemon;

/// <summary>
/// The controller's traces and metrics (System.Diagnostics, exported by OpenTelemetry when
/// <see cref="TelemetryExtensions.AddReconcilerTelemetry"/> is wired): spans from <see cref="Source"/>,
/// instruments on <see cref="Meter"/>.
/// </summary>
public static class Telemetry
{
    /// <summary>The name of the activity source and of the meter.</summary>
    public const string Name = "Reconciler";

    private static readonly ConcurrentDictionary<long, Func<long>> QueueDepths = new();
    private static readonly ConcurrentDictionary<long, IControllerView> Views = new();
    private static long _registrations;

    /// <summary>Spans: one per reconcile of an object, per runtime operation, per API request.</summary>
    public static ActivitySource Source { get; } = new(Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    /// <summary>The meter of every instrument below.</summary>
    public static Meter Meter { get; } = new(Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    /// <summary>How long one reconcile of one object took, in seconds; tags <c>kind</c> and <c>outcome</c>.</summary>
    public static Histogram<double> ReconcileDuration { get; } = Meter.CreateHistogram<double>(
        "reconciler.reconcile.duration", "s", "How long one reconcile of one object took");

    /// <summary>Operations the controller asked of the runtime; tag <c>operation</c>.</summary>
    public static Counter<long> RuntimeOperations { get; } = Meter.CreateCounter<long>(
        "reconciler.runtime.operations", "{operation}", "Operations the controller asked of the runtime");

    /// <summary>Runtime operations that failed; tags <c>operation</c> and <c>code</c> (libvirt's error code name).</summary>
    public static Counter<long> RuntimeFailures { get; } = Meter.CreateCounter<long>(
        "reconciler.runtime.failures", "{operation}", "Runtime operations that failed");

    /// <summary>Keys waiting in the work queue (from the callbacks given to <see cref="RegisterQueueDepth"/>).</summary>
    public static ObservableGauge<long> QueueDepth { get; } = Meter.CreateObservableGauge(
        "reconciler.queue.depth", ObserveQueueDepth, "{object}", "Objects waiting in the work queue");

    /// <summary>Objects by <c>kind</c>, <c>sync</c> and <c>health</c> (from the views given to <see cref="RegisterView"/>).</summary>
    public static ObservableGauge<long> Objects { get; } = Meter.CreateObservableGauge(
        "reconciler.objects", ObserveObjects, "{object}", "Objects the controller manages, by kind, sync and health");

    /// <summary>Records one reconcile: <paramref name="outcome"/> is what it came to (synced, requeued, error, ...).</summary>
    public static void RecordReconcile(ObjectKind kind, string outcome, TimeSpan duration) =>
        ReconcileDuration.Record(duration.TotalSeconds, new("kind", KindTag(kind)), new("outcome", outcome));

    /// <summary>Counts one runtime operation, and a failure when <paramref name="failure"/> is given.</summary>
    public static void RecordRuntimeOperation(string operation, Exception? failure = null)
    {
        RuntimeOperations.Add(1, new KeyValuePair<string, object?>("operation", operation));
        if (failure is not null)
        {
            var code = failure is RuntimeException r ? r.CodeName : failure.GetType().Name;
            RuntimeFailures.Add(1, new("operation", operation), new("code", code));
        }
    }

    /// <summary>
    /// Runs a runtime operation in a span of its own, counting it (and its failure). The span is a child of
    /// the current one (the object's reconcile).
    /// </summary>
    public static async Task<T> TraceRuntimeAsync<T>(string operation, string target, Func<Task<T>> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        using var activity = Source.StartActivity("runtime " + operation, ActivityKind.Internal);
        activity?.SetTag("reconciler.runtime.operation", operation);
        activity?.SetTag("reconciler.object", target);
        try
        {
            var result = await run().ConfigureAwait(false);
            RecordRuntimeOperation(operation);
            return result;
        }
        catch (Exception e)
        {
            RecordRuntimeOperation(operation, e);
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            activity?.AddException(e);
            throw;
        }
    }

    /// <summary>The same for an operation without a result.</summary>
    public static Task TraceRuntimeAsync(string operation, string target, Func<Task> run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return TraceRuntimeAsync(operation, target, async () =>
        {
            await run().ConfigureAwait(false);
            return true;
        });
    }

    /// <summary>Starts the span of one reconcile of <paramref name="key"/> (null when nobody listens).</summary>
    public static Activity? StartReconcile(ObjectKey key)
    {
        var activity = Source.StartActivity("reconcile " + KindTag(key.Kind), ActivityKind.Internal);
        activity?.SetTag("reconciler.kind", KindTag(key.Kind));
        activity?.SetTag("reconciler.name", key.Name);
        return activity;
    }

    /// <summary>Reports the work queue's depth from <paramref name="depth"/> until the registration is disposed.</summary>
    public static IDisposable RegisterQueueDepth(Func<long> depth)
    {
        ArgumentNullException.ThrowIfNull(depth);
        var id = Interlocked.Increment(ref _registrations);
        QueueDepths[id] = depth;
        return new Registration(() => QueueDepths.TryRemove(id, out _));
    }

    /// <summary>Reports the objects of <paramref name="view"/> by kind, sync and health until the registration is disposed.</summary>
    public static IDisposable RegisterView(IControllerView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var id = Interlocked.Increment(ref _registrations);
        Views[id] = view;
        return new Registration(() => Views.TryRemove(id, out _));
    }

    internal static string KindTag(ObjectKind kind) => kind switch
    {
        ObjectKind.Network => "network",
        ObjectKind.Pool => "pool",
        ObjectKind.Volume => "volume",
        _ => "domain",
    };

    private static Measurement<long> ObserveQueueDepth() => new(QueueDepths.Values.Sum(f => f()));

    private static IEnumerable<Measurement<long>> ObserveObjects() =>
        Views.Values
            .SelectMany(v => v.Status())
            .GroupBy(s => (s.Kind, s.Sync, s.Health))
            .Select(g => new Measurement<long>(
                g.Count(),
                new("kind", KindTag(g.Key.Kind)),
                new("sync", g.Key.Sync.ToString()),
                new("health", g.Key.Health.ToString())))
            .ToList();

    private sealed class Registration(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}

/// <summary>Wiring of the controller's telemetry into OpenTelemetry.</summary>
public static class TelemetryExtensions
{
    /// <summary>
    /// Adds OpenTelemetry tracing and metrics for <see cref="Telemetry.Source"/> and <see cref="Telemetry.Meter"/>
    /// (service <c>reconciler</c>, instance <paramref name="hostName"/>). They are exported over OTLP only when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (with <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> grpc, the default,
    /// or http/protobuf, and <c>OTEL_EXPORTER_OTLP_HEADERS</c>); otherwise nothing leaves the process.
    /// </summary>
    /// <param name="services">The daemon's services.</param>
    /// <param name="hostName">This host's name.</param>
    /// <param name="environment">Where the OTEL_* variables come from (the process environment when null).</param>
    public static IServiceCollection AddReconcilerTelemetry(this IServiceCollection services, string hostName, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(hostName);
        var otlp = OtlpSettings.From(environment ?? Environment.GetEnvironmentVariable);
        services.AddOpenTelemetry()
            .ConfigureResource(r => r
                .AddService("reconciler", serviceVersion: typeof(Telemetry).Assembly.GetName().Version?.ToString(), serviceInstanceId: hostName)
                .AddAttributes([new("host.name", hostName)]))
            .WithTracing(t =>
            {
                t.AddSource(Telemetry.Name);
                if (otlp is not null)
                {
                    t.AddOtlpExporter(o => otlp.Apply(o, "traces"));
                }
            })
            .WithMetrics(m =>
            {
                m.AddMeter(Telemetry.Name);
                if (otlp is not null)
                {
                    m.AddOtlpExporter(o => otlp.Apply(o, "metrics"));
                }
            });
        return services;
    }
}

/// <summary>The OTLP exporter's settings from the standard environment variables.</summary>
internal sealed record OtlpSettings(Uri Endpoint, OtlpExportProtocol Protocol, string? Headers)
{
    /// <summary>The settings, or null when OTEL_EXPORTER_OTLP_ENDPOINT is not set (no export).</summary>
    public static OtlpSettings? From(Func<string, string?> environment)
    {
        if (environment("OTEL_EXPORTER_OTLP_ENDPOINT") is not { Length: > 0 } endpoint)
        {
            return null;
        }

        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"OTEL_EXPORTER_OTLP_ENDPOINT must be an http or https URL, not '{endpoint}'");
        }

        var protocol = environment("OTEL_EXPORTER_OTLP_PROTOCOL") switch
        {
            null or "" or "grpc" => OtlpExportProtocol.Grpc,
            "http/protobuf" => OtlpExportProtocol.HttpProtobuf,
            var other => throw new ArgumentException($"OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf, not '{other}'"),
        };
        return new(uri, protocol, environment("OTEL_EXPORTER_OTLP_HEADERS"));
    }

    /// <summary>
    /// The endpoint of one signal: for http/protobuf, the base URL with <c>v1/traces</c> or <c>v1/metrics</c>
    /// appended, as the OpenTelemetry specification says of OTEL_EXPORTER_OTLP_ENDPOINT; for grpc, the URL itself.
    /// </summary>
    public Uri EndpointOf(string signal) =>
        Protocol == OtlpExportProtocol.HttpProtobuf
            ? new Uri(Endpoint.AbsoluteUri.TrimEnd('/') + "/v1/" + signal)
            : Endpoint;

    public void Apply(OtlpExporterOptions options, string signal)
    {
        options.Protocol = Protocol;
        options.Endpoint = EndpointOf(signal);
        if (Headers is not null)
        {
            options.Headers = Headers;
        }
    }
}
