using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Persistence;
using Reconciler.Schema;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

public sealed partial class Hypervisor
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private string DefinitionPath(Guid uuid) => Path.Combine(_state.Domains, uuid.ToString("D") + ".xml");

    private string FlagsPath(Guid uuid) => Path.Combine(_state.Domains, uuid.ToString("D") + ".json");

    private string RunRecordPath(Guid uuid) => Path.Combine(_state.Running, uuid.ToString("D") + ".json");

    private string ManagedSavePath(Guid uuid) => Path.Combine(_state.Saves, uuid.ToString("D") + ".save");

    private string TransientSavePath(Guid uuid) => Path.Combine(_state.Saves, uuid.ToString("D") + ".transient.save");

    /// <summary>The domains a graceful stop saved, to be brought back at the next start.</summary>
    private string ResumeListPath => Path.Combine(_state.Root, "resume.json");

    private void WriteDefinition(Guid uuid, XElement def) =>
        StateDirectory.WriteAtomic(DefinitionPath(uuid), LibvirtXmlWriter.Format(def));

    /// <summary>
    /// The flags file of a persistent domain: autostart, the durable count of its starts, and why it last shut
    /// off (so that a domain that shut down cleanly is still "shut off (shutdown)" after the runtime restarts).
    /// </summary>
    private void WriteFlags(DomainObject dom, bool autostart, long starts) =>
        StateDirectory.WriteAtomic(FlagsPath(dom.Uuid), JsonSerializer.Serialize(
            new DomainFlags(autostart, starts, dom.Status.State == DomainState.Shutoff ? (ShutoffReason)dom.Status.Reason : null), Json));

    /// <summary>The record of a running domain; one left behind after a crash says it was running.</summary>
    private void WriteRunRecord(DomainObject dom) =>
        StateDirectory.WriteAtomic(RunRecordPath(dom.Uuid), JsonSerializer.Serialize(
            new RunRecord(dom.Name, dom.Uuid, dom.Id ?? 0, dom.IsPersistent, [.. dom.VncPorts], [.. dom.Taps.Values]), Json));

    private void DeleteRunRecord(Guid uuid) => StateDirectory.Delete(RunRecordPath(uuid));

    /// <summary>
    /// Reads the state directory: definitions, flags, managed-save images, and the run records a crash left
    /// behind. A damaged file is set aside in quarantine/ and reported in <see cref="LoadProblems"/>.
    /// </summary>
    private void LoadState()
    {
        _state.RemoveInterruptedWrites();
        // Parsed on every core (a host may hold thousands), registered in order.
        var loaded = Directory.EnumerateFiles(_state.Domains, "*.xml").Order(StringComparer.Ordinal)
            .AsParallel().AsOrdered().Select(path => (Path: path, Document: LibvirtSchema.LoadFile(path))).ToList();
        foreach (var (path, doc) in loaded)
        {
            LoadDefinition(path, doc);
        }

        foreach (var flags in Directory.EnumerateFiles(_state.Domains, "*.json"))
        {
            if (!File.Exists(Path.ChangeExtension(flags, ".xml")))
            {
                // An undefine that was interrupted between removing the definition and its flags.
                StateDirectory.Delete(flags);
            }
        }

        foreach (var path in Directory.EnumerateFiles(_state.Running, "*.json").Order(StringComparer.Ordinal))
        {
            RunRecord? record = null;
            try
            {
                record = JsonSerializer.Deserialize<RunRecord>(File.ReadAllText(path), Json);
            }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
            {
                SetAside(path, $"damaged run record: {e.Message}");
                continue;
            }

            if (record is not null && _byUuid.TryGetValue(record.Uuid, out var dom))
            {
                // The process died while the domain ran, and its guest with it: libvirt's "crashed".
                dom.Status = DomainStatus.Shutoff(ShutoffReason.Crashed);
                _log.LogWarning("Domain {Domain} was running when the runtime stopped unexpectedly; it is shut off (crashed)", dom.Name);
            }
            else if (record is not null)
            {
                _log.LogWarning("Transient domain {Domain} was running when the runtime stopped unexpectedly; it is gone", record.Name);
            }

            StateDirectory.Delete(path);
        }
    }

    private void LoadDefinition(string path, SpecDocument doc)
    {
        if (!doc.IsValid || doc.Kind != SpecKind.Domain)
        {
            var why = doc.Errors.Count > 0 ? doc.Errors[0].ToString(path) : "not a domain definition";
            SetAside(path, $"damaged domain definition: {why}");
            return;
        }

        var model = DomainDefinition.FromXml(doc.Effective!);
        if (!Guid.TryParse(Path.GetFileNameWithoutExtension(path), out var fileUuid) || fileUuid != model.Uuid)
        {
            SetAside(path, $"domain definition whose file name does not match its UUID {model.Uuid:D}");
            return;
        }

        if (_byName.TryGetValue(model.Name, out var other))
        {
            SetAside(path, $"second definition of domain '{model.Name}' (the first has UUID {other.Uuid:D})");
            return;
        }

        var dom = new DomainObject(model.Name, model.Uuid)
        {
            Persistent = doc.Effective,
            HasManagedSave = File.Exists(ManagedSavePath(model.Uuid)),
        };
        var flags = FlagsPath(model.Uuid);
        if (File.Exists(flags))
        {
            try
            {
                var saved = JsonSerializer.Deserialize<DomainFlags>(File.ReadAllText(flags), Json);
                dom.Autostart = saved?.Autostart ?? false;
                dom.Starts = saved?.Starts ?? 0;
                if (saved?.StopReason is { } reason && Enum.IsDefined(reason))
                {
                    dom.Status = DomainStatus.Shutoff(reason);
                }
            }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
            {
                SetAside(flags, $"damaged flags of domain '{model.Name}' (autostart is off until set again): {e.Message}");
            }
        }

        if (dom.HasManagedSave)
        {
            dom.Status = DomainStatus.Shutoff(ShutoffReason.Saved);
        }

        Register(dom);
    }

    private void SetAside(string path, string reason)
    {
        var aside = _state.SetAside(path, reason);
        ReportProblem($"{path}: {reason}; moved to {aside}");
    }

    /// <summary>Brings back what a graceful stop saved, then starts the autostart domains.</summary>
    private async Task StartUpAsync(CancellationToken cancellationToken)
    {
        List<ResumeEntry> resume = [];
        if (File.Exists(ResumeListPath))
        {
            try
            {
                resume = JsonSerializer.Deserialize<List<ResumeEntry>>(await File.ReadAllTextAsync(ResumeListPath, cancellationToken).ConfigureAwait(false), Json) ?? [];
            }
            catch (JsonException e)
            {
                SetAside(ResumeListPath, $"damaged list of domains to resume: {e.Message}");
            }
        }

        // Resumed side by side: each reads its own image; IDs are given in the order the guests come up.
        await Parallel.ForEachAsync(resume, new ParallelOptions { MaxDegreeOfParallelism = SaveParallelism, CancellationToken = cancellationToken }, async (entry, ct) =>
        {
            try
            {
                if (entry.Transient)
                {
                    var path = TransientSavePath(entry.Uuid);
                    if (File.Exists(path))
                    {
                        await RestoreAsync(path, cancellationToken: ct).ConfigureAwait(false);
                        StateDirectory.Delete(path);
                    }
                }
                else if (Registered(entry.Uuid) is { IsActive: false, HasManagedSave: true } dom)
                {
                    await dom.Job.WaitAsync(ct).ConfigureAwait(false);
                    try
                    {
                        StartInactive(dom, paused: false, forceBoot: false);
                    }
                    finally
                    {
                        dom.Job.Release();
                    }
                }
            }
            catch (RuntimeException e)
            {
                ReportProblem($"Domain {entry.Name} saved at the last stop could not be resumed: {e.Message}");
            }
        }).ConfigureAwait(false);

        StateDirectory.Delete(ResumeListPath);

        foreach (var dom in _byUuid.Values.Where(d => d.Autostart).OrderBy(d => d.Name, StringComparer.Ordinal).ToList())
        {
            await dom.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!dom.IsActive)
                {
                    StartInactive(dom, paused: false, forceBoot: false);
                }
            }
            catch (RuntimeException e)
            {
                ReportProblem($"Failed to autostart VM '{dom.Name}': {e.Message}");
            }
            finally
            {
                dom.Job.Release();
            }
        }
    }

    /// <summary>Saves every running domain for the next start (libvirt-guests' ON_SHUTDOWN=suspend).</summary>
    private async Task SaveAllForShutdownAsync(CancellationToken cancellationToken)
    {
        List<DomainObject> active;
        lock (_sync)
        {
            active = [.. _byUuid.Values.Where(d => d.IsActive)];
        }

        // The list is written ahead, once: an entry whose save never happened (a kill half way) has no image
        // and is skipped at the next start. The saves themselves run side by side (each writes its image).
        StateDirectory.WriteAtomic(ResumeListPath, JsonSerializer.Serialize(
            active.Select(d => new ResumeEntry(d.Name, d.Uuid, !d.IsPersistent)).ToList(), Json));
        await Parallel.ForEachAsync(active, new ParallelOptions { MaxDegreeOfParallelism = SaveParallelism, CancellationToken = cancellationToken }, async (dom, ct) =>
        {
            await dom.Job.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                if (!dom.IsActive || dom.Removed)
                {
                    return;
                }

                if (dom.IsPersistent)
                {
                    ManagedSave(dom);
                }
                else
                {
                    WriteSaveImage(dom, TransientSavePath(dom.Uuid));
                    Stop(dom, ShutoffReason.Saved, DomainEventType.Stopped, "saved", spontaneous: false);
                }
            }
            catch (RuntimeException e)
            {
                _log.LogError(e, "Domain {Domain} could not be saved at stop; it will come back as crashed", dom.Name);
            }
            finally
            {
                dom.Job.Release();
            }
        }).ConfigureAwait(false);
    }

    private DomainObject? Registered(Guid uuid)
    {
        lock (_sync)
        {
            return _byUuid.GetValueOrDefault(uuid);
        }
    }

    /// <summary>How many domains are saved or resumed at once around a restart (their images are written and read in parallel).</summary>
    private static int SaveParallelism => Math.Max(4, Environment.ProcessorCount * 4);

    /// <summary>A persistent domain's flags: autostart, how many times a guest of it was started, why it last shut off.</summary>
    private sealed record DomainFlags(bool Autostart, long Starts = 0, ShutoffReason? StopReason = null);

    private sealed record RunRecord(string Name, Guid Uuid, int Id, bool Persistent, int[] VncPorts, string[] Taps);

    private sealed record ResumeEntry(string Name, Guid Uuid, bool Transient);
}
