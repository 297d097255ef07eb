using System.Text.Json;
using System.Text.Json.Serialization;
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
    /// <summary>How a definition the runtime stored itself is read back: parse checks and defaults, no validation.</summary>
    private static readonly SchemaOptions StoredDefinition = new() { SkipValidation = true, Compact = true };

    /// <summary>How a network's or pool's definition is read, to be kept: validated, then compacted.</summary>
    private static readonly SchemaOptions KeptDefinition = new() { Compact = true };

    private string DefinitionPath(Guid uuid) => Path.Combine(_state.Domains, uuid.ToString("D") + ".xml");

    private string FlagsPath(Guid uuid) => Path.Combine(_state.Domains, uuid.ToString("D") + ".json");

    private string RunRecordPath(Guid uuid) => Path.Combine(_state.Running, uuid.ToString("D") + ".json");

    private string ManagedSavePath(Guid uuid) => Path.Combine(_state.Saves, uuid.ToString("D") + ".save");

    private string TransientSavePath(Guid uuid) => Path.Combine(_state.Saves, uuid.ToString("D") + ".transient.save");

    /// <summary>The domains a graceful stop saved, to be brought back at the next start.</summary>
    private string ResumeListPath => Path.Combine(_state.Root, "resume.json");

    private void WriteDefinition(Guid uuid, XElement def) =>
        StateDirectory.WriteAtomic(DefinitionPath(uuid), SealedDefinition.Seal(LibvirtXmlWriter.Format(def)));

    /// <summary>How a stored definition still sealed by this build is read back: the defaults alone (see <see cref="SealedDefinition"/>).</summary>
    private static readonly SchemaOptions SealedStoredDefinition = new() { SkipChecks = true, Compact = true };

    /// <summary>Reads a stored domain definition: without parse checks when it is sealed by this build and intact.</summary>
    private static SpecDocument LoadStoredDefinition(string path)
    {
        byte[] content;
        try
        {
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return LibvirtSchema.LoadFile(path, StoredDefinition); // which says why it cannot be read
        }

        return LibvirtSchema.Load(path, content, SealedDefinition.IsIntact(content) ? SealedStoredDefinition : StoredDefinition);
    }

    /// <summary>
    /// The flags file of a persistent domain: autostart, the durable count of its starts, and why it last shut
    /// off (so that a domain that shut down cleanly is still "shut off (shutdown)" after the runtime restarts).
    /// </summary>
    private void WriteFlags(DomainObject dom, bool autostart, long starts)
    {
        StateDirectory.WriteAtomic(FlagsPath(dom.Uuid), JsonSerializer.Serialize(
            new DomainFlags(autostart, starts, dom.Status.State == DomainState.Shutoff ? (ShutoffReason)dom.Status.Reason : null), StateJson.Default.DomainFlags));
        dom.StartsInFlags = starts;
    }

    /// <summary>
    /// The record of a running domain; one left behind after a crash says it was running (and, for a
    /// persistent one, how many times it was started, the flags file not having been told yet).
    /// </summary>
    private void WriteRunRecord(DomainObject dom) =>
        StateDirectory.WriteAtomic(RunRecordPath(dom.Uuid), JsonSerializer.Serialize(
            new RunRecord(dom.Name, dom.Uuid, dom.Id ?? 0, dom.IsPersistent, [.. dom.VncPorts], [.. dom.Taps.Values], dom.Starts), StateJson.Default.RunRecord));

    /// <summary>Removes the run record of a domain that stopped (its inode kept for the next start's record).</summary>
    private void RetireRunRecord(Guid uuid) => StateDirectory.Retire(RunRecordPath(uuid));

    /// <summary>Removes the spares of a domain's run record and managed-save image once the domain is gone.</summary>
    private void DiscardSpares(Guid uuid)
    {
        StateDirectory.Delete(RunRecordPath(uuid));
        StateDirectory.Delete(ManagedSavePath(uuid));
    }

    /// <summary>
    /// Reads the state directory: definitions, flags, managed-save images, and the run records a crash left
    /// behind. A damaged file is set aside in quarantine/ and reported in <see cref="LoadProblems"/>.
    /// </summary>
    private void LoadState()
    {
        _state.RemoveInterruptedWrites();
        // Parsed on every core (a host may hold thousands), registered in order; not validated again, as
        // libvirtd reads the definitions it stored (VIR_DOMAIN_DEF_PARSE_SKIP_VALIDATE): each was validated
        // when it was defined, and one a later check would refuse is kept, not lost.
        var loaded = Directory.EnumerateFiles(_state.Domains, "*.xml").Order(StringComparer.Ordinal)
            .AsParallel().AsOrdered().Select(path => (Path: path, Document: LoadStoredDefinition(path))).ToList();
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
                record = JsonSerializer.Deserialize(File.ReadAllText(path), StateJson.Default.RunRecord);
            }
            catch (Exception e) when (e is JsonException or IOException or NotSupportedException)
            {
                SetAside(path, $"damaged run record: {e.Message}");
                continue;
            }

            if (record is not null && _byUuid.TryGetValue(record.Uuid, out var dom))
            {
                // The process died while the domain ran, and its guest with it: libvirt's "crashed". The flags
                // take the reason and the count of starts of the run record, which goes now.
                dom.Status = DomainStatus.Shutoff(ShutoffReason.Crashed);
                dom.Starts = Math.Max(dom.Starts, record.Starts);
                try
                {
                    WriteFlags(dom, dom.Autostart, dom.Starts);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    _log.LogWarning("Could not record that domain {Domain} crashed: {Message}", dom.Name, e.Message);
                }

                _log.LogWarning("Domain {Domain} was running when the runtime stopped unexpectedly; it is shut off (crashed)", dom.Name);
            }
            else if (record is not null)
            {
                _log.LogWarning("Transient domain {Domain} was running when the runtime stopped unexpectedly; it is gone", record.Name);
            }

            StateDirectory.Retire(path);
        }

        // Retired run records and save images of domains that are gone (a transient one that ran when the
        // runtime died, a definition removed by hand).
        foreach (var spare in Directory.EnumerateFiles(_state.Running, ".*.spare").Concat(Directory.EnumerateFiles(_state.Saves, ".*.spare")))
        {
            // (Named after the domain's UUID: UUID.json, UUID.save.)
            if (StateDirectory.FileOfSpare(spare) is { } file && !File.Exists(file) &&
                !(Guid.TryParse(Path.GetFileName(file).Split('.')[0], out var uuid) && _byUuid.ContainsKey(uuid)))
            {
                File.Delete(spare);
            }
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
                var saved = JsonSerializer.Deserialize(File.ReadAllText(flags), StateJson.Default.DomainFlags);
                dom.Autostart = saved?.Autostart ?? false;
                dom.Starts = saved?.Starts ?? 0;
                dom.StartsInFlags = dom.Starts;
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
        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<ResumeEntry> resume;
        lock (_sync)
        {
            resume = [.. _resuming.Values];
        }

        // Resumed side by side, each reading its own image, on threads of their own at background priority:
        // a resume blocks on its files, and thousands of them on the thread pool, or at full priority, would
        // starve the callers the runtime answers meanwhile (the controller reading its specs and reporting
        // what it finds); they take the CPU left idle. IDs are given in the order the guests come up.
        var queue = new System.Collections.Concurrent.ConcurrentQueue<ResumeEntry>(resume);
        var workers = Enumerable.Range(0, Math.Min(SaveParallelism, resume.Count)).Select(_ => Runtime.Host.BackgroundThread.Run(() =>
        {
            while (!cancellationToken.IsCancellationRequested && queue.TryDequeue(out var entry))
            {
                try
                {
                    Resume(entry, cancellationToken);
                }
                catch (RuntimeException e)
                {
                    ReportProblem($"Domain {entry.Name} saved at the last stop could not be resumed: {e.Message}");
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return; // still saved, and on the list
                }

                lock (_sync)
                {
                    _resuming.Remove(entry.Uuid);
                }
            }
        })).ToList();
        await Task.WhenAll(workers).ConfigureAwait(false);
        if (cancellationToken.IsCancellationRequested)
        {
            // Stopping before every domain was back: the list stays for the next start (the stop adds what it saves).
            return;
        }

        StateDirectory.Delete(ResumeListPath);
        if (resume.Count > 0)
        {
            _log.LogInformation("Resumed {Count} domains saved at the last stop in {Seconds:0.00} s", resume.Count, clock.Elapsed.TotalSeconds);
        }

        var wanted = Options.AutostartFilter is { } filter ? await filter(cancellationToken).ConfigureAwait(false) : null;
        List<DomainObject> autostart;
        lock (_sync)
        {
            autostart = [.. _byUuid.Values.Where(d => d.Autostart).OrderBy(d => d.Name, StringComparer.Ordinal)];
        }

        foreach (var dom in autostart)
        {
            if (wanted is not null && !wanted(dom.Name))
            {
                _log.LogInformation("Domain {Domain} is marked autostart but is not started: its owner no longer wants it", dom.Name);
                continue;
            }

            await dom.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!dom.IsActive && !dom.Removed)
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

    /// <summary>Reads the list of domains the last graceful stop saved (before the start-up, which may run in the background, brings them back).</summary>
    private void LoadResumeList()
    {
        List<ResumeEntry> resume = [];
        if (File.Exists(ResumeListPath))
        {
            try
            {
                resume = JsonSerializer.Deserialize(File.ReadAllText(ResumeListPath), StateJson.Default.ListResumeEntry) ?? [];
            }
            catch (JsonException e)
            {
                SetAside(ResumeListPath, $"damaged list of domains to resume: {e.Message}");
            }
        }

        lock (_sync)
        {
            _resuming = resume.DistinctBy(e => e.Uuid).ToDictionary(e => e.Uuid);
        }
    }

    private void Resume(ResumeEntry entry, CancellationToken ct)
    {
        if (entry.Transient)
        {
            var path = TransientSavePath(entry.Uuid);
            if (File.Exists(path))
            {
                RestoreAsync(path, cancellationToken: ct).GetAwaiter().GetResult();
                StateDirectory.Delete(path);
            }
        }
        else if (Registered(entry.Uuid) is { } dom)
        {
            dom.Job.Wait(ct);
            try
            {
                // Looked at with the job held: a caller may have started (or undefined) it in the meantime.
                if (dom is { IsActive: false, HasManagedSave: true, Removed: false })
                {
                    StartInactive(dom, paused: false, forceBoot: false);
                }
            }
            finally
            {
                dom.Job.Release();
            }
        }
    }

    /// <summary>
    /// Whether the domain is among those a graceful stop saved that the runtime is still bringing back (with
    /// <see cref="HypervisorOptions.StartUpInBackground"/>): it will run shortly without anyone starting it.
    /// </summary>
    public bool IsResuming(string name)
    {
        lock (_sync)
        {
            return _resuming.Count > 0 && _byName.TryGetValue(name, out var dom) && _resuming.ContainsKey(dom.Uuid) && !dom.IsActive;
        }
    }

    /// <summary>Completes once the start-up (saved domains resumed, autostart domains started) is over.</summary>
    public Task StartedUp => _startUp;

    /// <summary>Saves every running domain for the next start (libvirt-guests' ON_SHUTDOWN=suspend).</summary>
    private async Task SaveAllForShutdownAsync(CancellationToken cancellationToken)
    {
        List<DomainObject> active;
        List<ResumeEntry> notYetResumed;
        lock (_sync)
        {
            active = [.. _byUuid.Values.Where(d => d.IsActive)];
            notYetResumed = [.. _resuming.Values.Where(e => !(_byUuid.GetValueOrDefault(e.Uuid)?.IsActive ?? false))];
        }

        // The list is written ahead, once: an entry whose save never happened (a kill half way) has no image
        // and is skipped at the next start. The saves themselves run side by side (each writes its image).
        // Domains the start-up had not brought back yet are still saved, and stay on the list.
        StateDirectory.WriteAtomic(ResumeListPath, JsonSerializer.Serialize(
            active.Select(d => new ResumeEntry(d.Name, d.Uuid, !d.IsPersistent)).Concat(notYetResumed).ToList(), StateJson.Default.ListResumeEntry));
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

    private sealed record RunRecord(string Name, Guid Uuid, int Id, bool Persistent, int[] VncPorts, string[] Taps, long Starts = 0);

    private sealed record ResumeEntry(string Name, Guid Uuid, bool Transient);

    /// <summary>
    /// The JSON of the state files and of the migration protocol's headers (indented camelCase), generated at
    /// build time: no reflection at run time, so that the runtime works the same compiled ahead of time.
    /// </summary>
    [JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
    [JsonSerializable(typeof(DomainFlags))]
    [JsonSerializable(typeof(RunRecord))]
    [JsonSerializable(typeof(List<ResumeEntry>))]
    [JsonSerializable(typeof(PoolFlags))]
    [JsonSerializable(typeof(NetworkFlags))]
    [JsonSerializable(typeof(ResizeJournal))]
    [JsonSerializable(typeof(PeerQuery))]
    [JsonSerializable(typeof(PeerReport))]
    [JsonSerializable(typeof(CompleteMessage))]
    [JsonSerializable(typeof(DiskCopy))]
    private sealed partial class StateJson : JsonSerializerContext;
}
