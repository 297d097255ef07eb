using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Reconciler.Controller.Api;
using Reconciler.Controller.Daemon;
using Reconciler.Runtime.Domains;

namespace Reconciler.Controller.Cli;

/// <summary>The controller's own verbs: status, plan and events.</summary>
internal static class ControllerVerbs
{
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr)
    {
        yield return DaemonVerb.Create("status", "Show every object the controller manages: whether the host holds what its spec says (sync), how it is doing (health), and why", stdout, stderr,
            async (c, ct) =>
            {
                var objects = await c.Client.GetAsync<List<ObjectStatusDto>>("v1/status", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(objects);
                }
                else
                {
                    c.WriteVirsh(VirshTable.Format(
                        ["Kind", "Name", "Sync", "Health", "Message"],
                        objects.Select(o => (IReadOnlyList<string>)[Telemetry.KindTag(o.Kind), o.Name, o.Sync.ToString(), o.Health.ToString(), o.Message])));
                }

                return 0;
            });

        yield return DaemonVerb.Create("plan", "Show what a reconcile would do now, doing nothing", stdout, stderr,
            async (c, ct) =>
            {
                var plan = await c.Client.GetAsync<List<PlanItem>>("v1/plan", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(plan);
                }
                else
                {
                    c.WriteVirsh(VirshTable.Format(
                        ["Kind", "Name", "Action", "Reason"],
                        plan.Select(p => (IReadOnlyList<string>)[Telemetry.KindTag(p.Kind), p.Name, p.Action, p.Reason])));
                }

                return 0;
            });

        var count = new Option<int?>("--count") { Description = "Stop after this many events (default: follow until Ctrl-C)", HelpName = "N" };
        var timestamp = DaemonVerb.Flag("--timestamp", "Start each line with the time of the event (UTC), as virsh event --timestamp does");
        yield return DaemonVerb.Create("events", "Follow the domains' lifecycle events until Ctrl-C, as virsh event --all --loop does (json: one object per line)", stdout, stderr,
            async (c, ct) =>
            {
                var left = c.Parse.GetValue(count);
                if (left is <= 0)
                {
                    await c.Err.WriteLineAsync("error: --count must be at least 1").ConfigureAwait(false);
                    return 1;
                }

                var stamp = c.Parse.GetValue(timestamp);
                try
                {
                    await foreach (var e in c.Client.StreamAsync<DomainEventDto>("v1/events", ct).ConfigureAwait(false))
                    {
                        await c.Out.WriteAsync(c.Json ? JsonSerializer.Serialize(e, ApiJson.Info<DomainEventDto>()) + "\n" : Line(e, stamp)).ConfigureAwait(false);
                        await c.Out.FlushAsync(ct).ConfigureAwait(false);
                        if (left is not null && --left == 0)
                        {
                            return 0;
                        }
                    }
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return 0;
                }

                await c.Err.WriteLineAsync("error: the reconciler daemon ended the event stream (is it stopping?)").ConfigureAwait(false);
                return 1;
            },
            Timeout.InfiniteTimeSpan,
            count,
            timestamp);
    }

    /// <summary>virsh's line for a lifecycle event: <c>event 'lifecycle' for domain 'web-01': Started Booted</c>.</summary>
    public static string Line(DomainEventDto e, bool timestamp)
    {
        ArgumentNullException.ThrowIfNull(e);
        var prefix = timestamp ? e.Time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture) + "+0000: " : string.Empty;
        if (e.Type == DomainEventType.Rebooted)
        {
            return $"{prefix}event 'reboot' for domain '{e.Name}'\n";
        }

        var type = e.Type == DomainEventType.PmSuspended ? "PMSuspended" : e.Type.ToString();
        var detail = e.Detail.Length == 0 ? string.Empty : " " + char.ToUpperInvariant(e.Detail[0]) + e.Detail[1..];
        return $"{prefix}event 'lifecycle' for domain '{e.Name}': {type}{detail}\n";
    }
}
