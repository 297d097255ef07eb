using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Reconciler.Controller.Daemon;
using Reconciler.Controller.Tests.Support;
using Reconciler.Runtime;
using Reconciler.Schema.Diagnostics;
using Xunit;

namespace Reconciler.Controller.Tests.Daemon;

public sealed class TelemetryTests
{
    [Fact]
    public void Objects_are_observed_by_kind_sync_and_health_while_the_view_is_registered()
    {
        var view = new FakeControllerView(null!);
        var at = DateTimeOffset.UnixEpoch;
        view.Objects.Add(new ObjectStatus(ObjectKind.Domain, "a", null, null, SyncStatus.Synced, HealthStatus.Healthy, "", [], null, at));
        view.Objects.Add(new ObjectStatus(ObjectKind.Domain, "b", null, null, SyncStatus.Synced, HealthStatus.Healthy, "", [], null, at));
        view.Objects.Add(new ObjectStatus(ObjectKind.Network, "n", null, null, SyncStatus.OutOfSync, HealthStatus.Degraded, "", [], null, at));

        using (Telemetry.RegisterView(view))
        {
            var seen = Observe("reconciler.objects");
            Assert.Contains(("domain/Synced/Healthy", 2L), seen);
            Assert.Contains(("network/OutOfSync/Degraded", 1L), seen);
        }

        Assert.DoesNotContain(Observe("reconciler.objects"), m => m.Tags.StartsWith("network/OutOfSync", StringComparison.Ordinal) && m.Value > 0);
    }

    [Fact]
    public void The_queue_depth_comes_from_the_registered_callback()
    {
        long depth = 7;
        using var registration = Telemetry.RegisterQueueDepth(() => depth);
        Assert.Contains(Observe("reconciler.queue.depth"), m => m.Value >= 7);
        depth = 0;
        registration.Dispose();
        Assert.All(Observe("reconciler.queue.depth"), m => Assert.True(m.Value < 7));
    }

    [Fact]
    public async Task Reconciles_and_runtime_operations_are_measured_with_their_tags()
    {
        var recorded = new List<(string Instrument, double Value, string Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Telemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();

        Telemetry.RecordReconcile(ObjectKind.Pool, "synced", TimeSpan.FromMilliseconds(250));
        await Telemetry.TraceRuntimeAsync("start", "domain/web", () => Task.FromResult(1));
        await Telemetry.TraceRuntimeAsync("define", "domain/web", () => Task.CompletedTask);
        await Assert.ThrowsAsync<RuntimeException>(() => Telemetry.TraceRuntimeAsync<int>(
            "start", "domain/web", () => throw new RuntimeException(ErrorCode.OperationInvalid, "domain is already running")));

        lock (recorded)
        {
            Assert.Contains(("reconciler.reconcile.duration", 0.25, "kind=pool,outcome=synced"), recorded);
            Assert.Equal(2, recorded.Count(r => r.Instrument == "reconciler.runtime.operations" && r.Tags == "operation=start"));
            Assert.Contains(("reconciler.runtime.failures", 1d, "operation=start,code=VIR_ERR_OPERATION_INVALID"), recorded);
            Assert.Contains(("reconciler.runtime.operations", 1d, "operation=define"), recorded);
        }

        void Record(Instrument i, double v, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var text = string.Join(',', tags.ToArray().Select(t => $"{t.Key}={t.Value}"));
            lock (recorded)
            {
                recorded.Add((i.Name, v, text));
            }
        }
    }

    [Fact]
    public void Reconcile_spans_carry_the_object()
    {
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Telemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                lock (stopped)
                {
                    stopped.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        using (var activity = Telemetry.StartReconcile(new ObjectKey(ObjectKind.Domain, "web-unique-span")))
        {
            Assert.NotNull(activity);
        }

        lock (stopped)
        {
            var span = Assert.Single(stopped, a => Equals(a.GetTagItem("reconciler.name"), "web-unique-span"));
            Assert.Equal("reconcile domain", span.DisplayName);
            Assert.Equal("domain", span.GetTagItem("reconciler.kind"));
        }
    }

    [Fact]
    public void Without_an_otlp_endpoint_tracing_and_metrics_are_wired_with_no_exporter()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddReconcilerTelemetry("kvm-01", _ => null);
        using var provider = services.BuildServiceProvider();
        Assert.NotNull(provider.GetService<TracerProvider>());
        Assert.NotNull(provider.GetService<MeterProvider>());
    }

    [Fact]
    public void With_an_otlp_endpoint_the_exporters_are_added()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        var env = new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf" };
        services.AddReconcilerTelemetry("kvm-01", k => env.GetValueOrDefault(k));
        using var provider = services.BuildServiceProvider();
        Assert.NotNull(provider.GetService<TracerProvider>());
        Assert.NotNull(provider.GetService<MeterProvider>());
    }

    [Theory]
    [InlineData("http://collector:4317", null, "traces", "http://collector:4317/", OtlpExportProtocol.Grpc)]
    [InlineData("http://collector:4318", "http/protobuf", "traces", "http://collector:4318/v1/traces", OtlpExportProtocol.HttpProtobuf)]
    [InlineData("https://collector:4318/base/", "http/protobuf", "metrics", "https://collector:4318/base/v1/metrics", OtlpExportProtocol.HttpProtobuf)]
    public void Otlp_settings_follow_the_opentelemetry_environment(string endpoint, string? protocol, string signal, string expected, OtlpExportProtocol expectedProtocol)
    {
        var env = new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint, ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol, ["OTEL_EXPORTER_OTLP_HEADERS"] = "a=b" };
        var settings = OtlpSettings.From(k => env.GetValueOrDefault(k))!;
        Assert.Equal(expectedProtocol, settings.Protocol);
        Assert.Equal(expected, settings.EndpointOf(signal).AbsoluteUri);
        var options = new OtlpExporterOptions();
        settings.Apply(options, signal);
        Assert.Equal(expected, options.Endpoint.AbsoluteUri);
        Assert.Equal("a=b", options.Headers);
    }

    [Fact]
    public void Unusable_otlp_settings_say_what_is_wrong()
    {
        Assert.Null(OtlpSettings.From(_ => null));
        var e = Assert.Throws<ArgumentException>(() => OtlpSettings.From(k => k == "OTEL_EXPORTER_OTLP_ENDPOINT" ? "collector:4317" : null));
        Assert.Contains("must be an http or https URL", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => OtlpSettings.From(k => k switch
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => "http://collector:4317",
            "OTEL_EXPORTER_OTLP_PROTOCOL" => "carrier-pigeon",
            _ => null,
        }));
        Assert.Contains("grpc or http/protobuf", e.Message, StringComparison.Ordinal);
    }

    private static List<(string Tags, long Value)> Observe(string name)
    {
        var seen = new List<(string Tags, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Telemetry.Name && instrument.Name == name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            seen.Add((string.Join('/', tags.ToArray().Select(t => t.Value)), value)));
        listener.Start();
        _ = Telemetry.Objects; // make sure the instruments exist
        listener.RecordObservableInstruments();
        return seen;
    }
}
