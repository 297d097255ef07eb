using Microsoft.Extensions.Options;

namespace Reconciler.Controller.Daemon;

/// <summary>
/// The daemon's settings: from the command line, the environment (RECONCILER_*, e.g. RECONCILER_SPECS)
/// and an optional JSON config file (--config), in that order of precedence. Checked at start.
/// </summary>
public sealed class ControllerOptions
{
    /// <summary>The watched spec directory.</summary>
    public string Specs { get; set; } = string.Empty;

    /// <summary>The state directory of the runtime and of the controller's status.</summary>
    public string State { get; set; } = string.Empty;

    /// <summary>This host's name (placement).</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>The API socket.</summary>
    public string Socket { get; set; } = string.Empty;

    /// <summary>Let an empty spec directory tear everything down.</summary>
    public bool AllowEmpty { get; set; }

    /// <summary>Delete volumes whose spec was removed (otherwise they are reported as orphaned).</summary>
    public bool PruneVolumes { get; set; }

    /// <summary>Seconds between full resyncs.</summary>
    public double ResyncSeconds { get; set; } = 30;

    /// <summary>Milliseconds the watcher waits for a burst of writes to settle.</summary>
    public double DebounceMilliseconds { get; set; } = 150;

    /// <summary>How many objects are reconciled at once.</summary>
    public int Parallelism { get; set; } = 8;

    /// <summary>Seconds a graceful shutdown may take before the domain is destroyed (halted run strategy, removed specs).</summary>
    public double ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>Memory overcommit ratio of the host.</summary>
    public double MemoryOvercommit { get; set; } = 1.0;

    /// <summary>Directories outside the pools where disk images may live.</summary>
    public List<string> ImageDirectories { get; set; } = [];

    /// <summary>
    /// Faults to inject into the runtime, for drills and tests: "RATE" (the fraction of changing operations
    /// that fail transiently) optionally followed by ";Operation:object" permanent faults ("0.2;Start:web-01").
    /// </summary>
    public string? Faults { get; set; }

    /// <summary>Bridges the host has of its own.</summary>
    public List<string> HostBridges { get; set; } = [];

    /// <summary>Where this host listens for its peers (migrations and probes): ADDR:PORT.</summary>
    public string? Listen { get; set; }

    /// <summary>The other hosts: NAME=ADDR:PORT each.</summary>
    public List<string> Peers { get; set; } = [];

    /// <summary>A file with the key every host of the group shares (at least 16 bytes; never logged).</summary>
    public string? PeerKeyFile { get; set; }

    /// <summary>Pages per second every freshly booted simulated guest dirties (drills and benchmarks; 0 = idle).</summary>
    public double GuestWorkload { get; set; }

    /// <summary>Migration defaults; a domain's &lt;rc:migration&gt; overrides each.</summary>
    public MigrationDefaults Migration { get; set; } = new();
}

/// <summary>The daemon's migration defaults (the seeds' values).</summary>
public sealed class MigrationDefaults
{
    public uint MaxDowntimeMilliseconds { get; set; } = 300;

    /// <summary>MiB/s; 0 = unlimited.</summary>
    public uint BandwidthMiBPerSecond { get; set; }

    public bool AutoConverge { get; set; } = true;

    public uint CompletionTimeoutPerGiBSeconds { get; set; } = 150;

    public uint ProgressTimeoutSeconds { get; set; } = 150;

    /// <summary>"pause" (pause the guest and copy what is left) or "abort".</summary>
    public string OnNonConvergence { get; set; } = "pause";

    public bool CopyStorage { get; set; }
}

/// <summary>Checks the options at start, with messages that say what to fix.</summary>
internal sealed class ControllerOptionsValidator : IValidateOptions<ControllerOptions>
{
    public ValidateOptionsResult Validate(string? name, ControllerOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Specs))
        {
            failures.Add("--specs is required: the directory of domain, network, pool and volume XML to converge to");
        }

        if (string.IsNullOrWhiteSpace(options.State))
        {
            failures.Add("--state is required: the state directory");
        }

        if (options.ResyncSeconds is <= 0 or > 86400)
        {
            failures.Add($"ResyncSeconds must be between 0 and 86400, not {options.ResyncSeconds}");
        }

        if (options.DebounceMilliseconds is < 0 or > 60000)
        {
            failures.Add($"DebounceMilliseconds must be between 0 and 60000, not {options.DebounceMilliseconds}");
        }

        if (options.Parallelism is < 1 or > 1024)
        {
            failures.Add($"Parallelism must be between 1 and 1024, not {options.Parallelism}");
        }

        if (options.ShutdownTimeoutSeconds is <= 0 or > 3600)
        {
            failures.Add($"ShutdownTimeoutSeconds must be between 0 and 3600, not {options.ShutdownTimeoutSeconds}");
        }

        if (options.MemoryOvercommit is <= 0 or > 100)
        {
            failures.Add($"MemoryOvercommit must be a ratio above 0, not {options.MemoryOvercommit}");
        }

        try
        {
            _ = Runtime.FaultInjector.Parse(options.Faults);
        }
        catch (Exception e) when (e is FormatException or ArgumentOutOfRangeException)
        {
            failures.Add($"Faults must be a rate between 0 and 1, optionally followed by ;Operation:object entries, not '{options.Faults}'");
        }

        if (options.Listen is { Length: > 0 } listen && !PeerGroup.TryParseEndpoint(listen, out _))
        {
            failures.Add($"--listen must be ADDR:PORT (for example 0.0.0.0:49152), not '{listen}'");
        }

        foreach (var peer in options.Peers)
        {
            if (!PeerGroup.TryParsePeer(peer, out var peerName, out _))
            {
                failures.Add($"--peer must be NAME=ADDR:PORT (for example kvm-02=10.0.0.2:49152), not '{peer}'");
            }
            else if (string.Equals(peerName, options.Host, StringComparison.Ordinal))
            {
                failures.Add($"--peer {peer} names this host ('{options.Host}') itself");
            }
        }

        if (options.Peers.Count > 0 && string.IsNullOrWhiteSpace(options.Listen))
        {
            failures.Add("--peer needs --listen: peers migrate domains to this host through its listener");
        }

        if ((options.Peers.Count > 0 || !string.IsNullOrWhiteSpace(options.Listen)) && string.IsNullOrWhiteSpace(options.PeerKeyFile))
        {
            failures.Add("--listen and --peer need --peer-key-file: the key the hosts authenticate each other with");
        }
        else if (!string.IsNullOrWhiteSpace(options.PeerKeyFile))
        {
            try
            {
                if (new FileInfo(options.PeerKeyFile).Length < 16)
                {
                    failures.Add($"the peer key file {options.PeerKeyFile} holds fewer than 16 bytes; make one with: head -c 32 /dev/urandom > {options.PeerKeyFile}");
                }

                // Whoever can read the key can pose as a peer (and move guests here): it must be private, as ssh
                // insists for its keys.
                const UnixFileMode Others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
                    UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
                if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(options.PeerKeyFile) & Others) is var open && open != 0)
                {
                    failures.Add($"the peer key file {options.PeerKeyFile} is open to other users (mode {Convert.ToString((int)File.GetUnixFileMode(options.PeerKeyFile), 8).PadLeft(4, '0')}); make it private: chmod 600 {options.PeerKeyFile}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                failures.Add($"the peer key file {options.PeerKeyFile} cannot be read: {e.Message}");
            }
        }

        if (options.GuestWorkload is < 0 or > 10_000_000)
        {
            failures.Add($"GuestWorkload must be between 0 and 10000000 pages per second, not {options.GuestWorkload}");
        }

        if (options.Migration.OnNonConvergence is not ("pause" or "abort"))
        {
            failures.Add($"Migration:OnNonConvergence must be 'pause' or 'abort', not '{options.Migration.OnNonConvergence}'");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
