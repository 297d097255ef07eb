using System.CommandLine;
using System.Globalization;
using System.Text;
using Reconciler.Controller.Api;

namespace Reconciler.Controller.Cli;

/// <summary>The domain verbs: list, dominfo, domstate, dumpxml, domifaddr and the power actions, shaped like virsh's.</summary>
internal static class DomainVerbs
{
    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr)
    {
        var all = DaemonVerb.Flag("--all", "List inactive domains too");
        yield return DaemonVerb.Create("list", "List the host's running domains (with --all, every domain), as virsh list does", stdout, stderr,
            async (c, ct) =>
            {
                var domains = await c.Client.GetAsync<List<DomainListItem>>(c.Parse.GetValue(all) ? "v1/domains?all=true" : "v1/domains", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(domains);
                }
                else
                {
                    c.WriteVirsh(VirshTable.Format(
                        ["Id", "Name", "State"],
                        domains.Select(d => (IReadOnlyList<string>)[d.Id?.ToString(CultureInfo.InvariantCulture) ?? "-", d.Name, d.State])));
                }

                return 0;
            },
            all);

        var infoName = DomainName();
        yield return DaemonVerb.Create("dominfo", "Show a domain's information (by name, UUID or ID), as virsh dominfo does", stdout, stderr,
            async (c, ct) =>
            {
                var d = await c.Client.GetAsync<DomainInfoDto>("v1/domains/" + ApiClient.Escape(c.Parse.GetValue(infoName)!), ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(d);
                    return 0;
                }

                var sb = new StringBuilder();
                Line(sb, "Id:", d.Id?.ToString(CultureInfo.InvariantCulture) ?? "-");
                Line(sb, "Name:", d.Name);
                Line(sb, "UUID:", d.Uuid.ToString("D"));
                Line(sb, "OS Type:", d.OsType);
                Line(sb, "State:", d.State);
                Line(sb, "CPU(s):", d.Cpus.ToString(CultureInfo.InvariantCulture));
                if (d.CpuTime > 0)
                {
                    Line(sb, "CPU time:", d.CpuTime.ToString("0.0", CultureInfo.InvariantCulture) + "s");
                }

                Line(sb, "Max memory:", d.MaxMemoryKiB.ToString(CultureInfo.InvariantCulture) + " KiB");
                Line(sb, "Used memory:", d.UsedMemoryKiB.ToString(CultureInfo.InvariantCulture) + " KiB");
                Line(sb, "Persistent:", d.Persistent ? "yes" : "no");
                Line(sb, "Autostart:", d.Autostart ? "enable" : "disable");
                Line(sb, "Managed save:", d.ManagedSave ? "yes" : "no");
                Line(sb, "Security model:", "none");
                Line(sb, "Security DOI:", "0");
                c.WriteVirsh(sb.ToString());
                return 0;
            },
            infoName);

        var stateName = DomainName();
        var reason = DaemonVerb.Flag("--reason", "Show the reason of the state too");
        yield return DaemonVerb.Create("domstate", "Show a domain's state, as virsh domstate does", stdout, stderr,
            async (c, ct) =>
            {
                var s = await c.Client.GetAsync<DomainStateDto>("v1/domains/" + ApiClient.Escape(c.Parse.GetValue(stateName)!) + "/state", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(s);
                }
                else
                {
                    c.WriteVirsh(c.Parse.GetValue(reason) ? $"{s.State} ({s.Reason})\n" : s.State + "\n");
                }

                return 0;
            },
            stateName,
            reason);

        var xmlName = DomainName();
        var inactive = DaemonVerb.Flag("--inactive", "Show the persistent definition (what the next boot uses) instead of the live one");
        yield return DaemonVerb.Create("dumpxml", "Show a domain's XML, as virsh dumpxml does", stdout, stderr,
            async (c, ct) =>
            {
                var query = c.Parse.GetValue(inactive) ? "?inactive=true" : string.Empty;
                var x = await c.Client.GetAsync<XmlDto>("v1/domains/" + ApiClient.Escape(c.Parse.GetValue(xmlName)!) + "/xml" + query, ct).ConfigureAwait(false);
                WriteXml(c, x);
                return 0;
            },
            xmlName,
            inactive);

        var ifaddrName = DomainName();
        yield return DaemonVerb.Create("domifaddr", "Show the addresses of a running domain's interfaces (from the network's DHCP leases), as virsh domifaddr does", stdout, stderr,
            async (c, ct) =>
            {
                var addresses = await c.Client.GetAsync<List<InterfaceAddressDto>>("v1/domains/" + ApiClient.Escape(c.Parse.GetValue(ifaddrName)!) + "/interfaces", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(addresses);
                    return 0;
                }

                var sb = new StringBuilder();
                sb.Append(CultureInfo.InvariantCulture, $" {"Name",-10} {"MAC address",-20} {"Protocol",-8}     Address\n");
                sb.Append('-', 79).Append('\n');
                foreach (var a in addresses)
                {
                    sb.Append(CultureInfo.InvariantCulture, $" {a.Name,-10} {a.Mac,-17}    {a.Protocol,-12} {a.Address}/{a.Prefix}\n");
                }

                c.WriteVirsh(sb.ToString());
                return 0;
            },
            ifaddrName);

        var memoryName = DomainName();
        yield return DaemonVerb.Create("guestinfo", "Show what a running guest reports of its memory: a SHA-256 digest of its content, the pages written, its workload counter", stdout, stderr,
            async (c, ct) =>
            {
                var m = await c.Client.GetAsync<Runtime.GuestMemoryReport>("v1/domains/" + ApiClient.Escape(c.Parse.GetValue(memoryName)!) + "/guest-memory", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(m);
                    return 0;
                }

                c.WriteVirsh(string.Create(CultureInfo.InvariantCulture,
                    $"{"Memory digest:",-16}{m.Digest}\n{"Memory size:",-16}{m.SizeKiB} KiB\n{"Touched pages:",-16}{m.TouchedPages}\n{"Work counter:",-16}{m.WorkCounter}\n"));
                return 0;
            },
            memoryName);

        var jobName = DomainName();
        yield return DaemonVerb.Create("domjobinfo", "Show the statistics of a domain's migration (running, or the last one), as virsh domjobinfo does", stdout, stderr,
            async (c, ct) =>
            {
                var job = await c.Client.GetAsync<JobInfoDto>("v1/domains/" + ApiClient.Escape(c.Parse.GetValue(jobName)!) + "/jobinfo", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(job);
                }
                else
                {
                    c.WriteVirsh(FormatJob(job));
                }

                return 0;
            },
            jobName);

        var migrateName = DomainName();
        var migrateHost = DaemonVerb.Name("HOST", "The peer host to move it to (one of the daemon's --peer names)");
        var verbose = DaemonVerb.Flag("--verbose", "Show the progress on every terminal, not only an interactive one");
        yield return DaemonVerb.Create("migrate", "Live-migrate a running domain to a peer host now, with a progress bar (it stays there until its spec changes)", stdout, stderr,
            async (c, ct) =>
            {
                var name = c.Parse.GetValue(migrateName)!;
                var path = "v1/domains/" + ApiClient.Escape(name);
                var migration = c.Client.PostAsync<JobInfoDto>($"{path}/migrate?host={ApiClient.Escape(c.Parse.GetValue(migrateHost)!)}", ct);
                var progress = !c.Json && (c.Parse.GetValue(verbose) || !Console.IsErrorRedirected);
                while (progress && await Task.WhenAny(migration, Task.Delay(200, ct)).ConfigureAwait(false) != migration)
                {
                    try
                    {
                        var now = await c.Client.GetAsync<JobInfoDto>(path + "/jobinfo", ct).ConfigureAwait(false);
                        if (now.JobType == "Unbounded" && now.DataTotal > 0)
                        {
                            await c.Err.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"\rMigration: [{Math.Min(100, now.DataProcessed * 100 / now.DataTotal),3} %]")).ConfigureAwait(false);
                        }
                    }
                    catch (ApiRequestException)
                    {
                        // The domain may be gone from this host already: the migration's answer says how it ended.
                    }
                }

                var job = await migration.ConfigureAwait(false);
                if (progress)
                {
                    await c.Err.WriteAsync("\rMigration: [100 %]\n").ConfigureAwait(false);
                }

                if (c.Json)
                {
                    c.WriteJson(job);
                }
                else
                {
                    c.WriteVirsh(FormatJob(job));
                }

                return 0;
            },
            TimeSpan.FromHours(6),
            migrateName,
            migrateHost,
            verbose);

        foreach (var (action, what) in new[]
        {
            ("start", "Start a defined domain"),
            ("shutdown", "Ask a domain's guest to shut down (ACPI power button)"),
            ("destroy", "Power a domain off at once"),
            ("suspend", "Pause a running domain"),
            ("resume", "Resume a paused domain"),
            ("reboot", "Ask a domain's guest to reboot"),
        })
        {
            yield return PowerVerb(action, what, stdout, stderr);
        }
    }

    public static void WriteXml(VerbContext c, XmlDto x)
    {
        ArgumentNullException.ThrowIfNull(c);
        ArgumentNullException.ThrowIfNull(x);
        if (c.Json)
        {
            c.WriteJson(x);
        }
        else
        {
            c.WriteVirsh(x.Xml.EndsWith('\n') ? x.Xml : x.Xml + "\n");
        }
    }

    private static Command PowerVerb(string action, string what, TextWriter stdout, TextWriter stderr)
    {
        var name = DomainName();
        return DaemonVerb.Create(
            action,
            $"{what}, as virsh {action} does. When a spec manages the domain (any run strategy but manual), the controller converges it back to the spec afterwards.",
            stdout,
            stderr,
            async (c, ct) =>
            {
                var r = await c.Client.PostAsync<PowerActionResult>($"v1/domains/{ApiClient.Escape(c.Parse.GetValue(name)!)}/{action}", ct).ConfigureAwait(false);
                if (c.Json)
                {
                    c.WriteJson(r);
                }
                else
                {
                    c.WriteVirsh(r.Message + "\n" + (r.Note is null ? string.Empty : "note: " + r.Note + "\n"));
                }

                return 0;
            },
            name);
    }

    /// <summary>What virsh domjobinfo prints.</summary>
    public static string FormatJob(JobInfoDto job)
    {
        var sb = new StringBuilder();
        void Row(string label, string value) => sb.Append(CultureInfo.InvariantCulture, $"{label,-17} {value}\n");
        static string Size(long bytes) => bytes >= 1L << 30
            ? string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.000} GiB")
            : string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.000} MiB");
        static string Number(double value, string unit) => string.Create(CultureInfo.InvariantCulture, $"{value,-12:0} {unit}");
        Row("Job type:", job.JobType);
        if (job.JobType == "None")
        {
            return sb.ToString();
        }

        Row("Operation:", job.Operation ?? string.Empty);
        Row("Time elapsed:", Number(job.TimeElapsedMs, "ms"));
        if (job.TimeRemainingMs is { } remaining && job.JobType == "Unbounded")
        {
            Row("Time remaining:", Number(remaining, "ms"));
        }

        Row("Data processed:", Size(job.DataProcessed));
        Row("Data remaining:", Size(job.DataRemaining));
        Row("Data total:", Size(job.DataTotal));
        Row("Memory processed:", Size(job.MemoryProcessed));
        Row("Memory remaining:", Size(job.MemoryRemaining));
        Row("Memory total:", Size(job.MemoryTotal));
        Row("Memory bandwidth:", string.Create(CultureInfo.InvariantCulture, $"{job.MemoryBandwidth / (1 << 20):0.000} MiB/s"));
        Row("Dirty rate:", Number(job.DirtyRate, "pages/s"));
        Row("Page size:", Number(4096, "bytes"));
        Row("Iteration:", job.Iteration.ToString(CultureInfo.InvariantCulture));
        if (job.DowntimeMs is { } downtime)
        {
            Row("Total downtime:", Number(downtime, "ms"));
        }

        Row("Setup time:", Number(job.SetupTimeMs, "ms"));
        if (job.Throttle > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $"Auto converge throttle: {job.Throttle} %\n");
        }

        return sb.ToString();
    }

    private static Argument<string> DomainName() => DaemonVerb.Name("NAME", "The domain's name, UUID or ID");

    private static void Line(StringBuilder sb, string label, string value) =>
        sb.Append(CultureInfo.InvariantCulture, $"{label,-15} {value}\n");
}
