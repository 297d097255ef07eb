using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Metadata;

/// <summary>How the controller keeps a domain's power state (KubeVirt's run strategies).</summary>
public enum RunStrategy
{
    /// <summary>Keep it running: start it, and restart it after a crash or a guest shutdown (with crash-loop backoff).</summary>
    Always,

    /// <summary>Restart it after a crash, but not after the guest shut itself down.</summary>
    RerunOnFailure,

    /// <summary>Start it once; whatever happens next is left alone.</summary>
    Once,

    /// <summary>The imperative CLI decides the power state; the controller only keeps the definition.</summary>
    Manual,

    /// <summary>Keep it shut off: graceful shutdown, destroy after a timeout.</summary>
    Halted,
}

/// <summary>What to do when a live migration does not converge.</summary>
public enum NonConvergenceAction
{
    /// <summary>Pause the guest and copy what is left (the fallback to an offline migration).</summary>
    Pause,

    /// <summary>Abort the migration; the domain keeps running where it is.</summary>
    Abort,
}

/// <summary>Per-domain live-migration parameters; null means "the daemon's default".</summary>
public sealed record MigrationSettings(
    uint? MaxDowntimeMs = null,
    uint? BandwidthMiBps = null,
    bool? AutoConverge = null,
    uint? CompletionTimeoutPerGiBSeconds = null,
    uint? ProgressTimeoutSeconds = null,
    NonConvergenceAction? OnNonConvergence = null,
    bool? CopyStorage = null)
{
    public static readonly MigrationSettings Default = new();
}

/// <summary>
/// Desired state that libvirt's XML cannot say, kept in the domain's &lt;metadata&gt; in Reconciler's own
/// namespace so that every spec file remains a valid libvirt domain:
/// <code>
/// &lt;metadata&gt;
///   &lt;rc:reconciler xmlns:rc='https://reconciler.dev/xmlns/domain/1.0'&gt;
///     &lt;rc:runStrategy&gt;always&lt;/rc:runStrategy&gt;
///     &lt;rc:autostart&gt;yes&lt;/rc:autostart&gt;
///     &lt;rc:restartOnChange&gt;yes&lt;/rc:restartOnChange&gt;
///     &lt;rc:placement host='kvm-01'/&gt;
///     &lt;rc:migration maxDowntime='300' bandwidth='0' autoConverge='yes' completionTimeoutPerGiB='150'
///                   progressTimeout='150' onNonConvergence='pause' copyStorage='no'/&gt;
///   &lt;/rc:reconciler&gt;
/// &lt;/metadata&gt;
/// </code>
/// </summary>
public sealed record ReconcilerMetadata(
    RunStrategy RunStrategy = RunStrategy.Always,
    bool Autostart = false,
    string? PlacementHost = null,
    MigrationSettings? Migration = null,
    bool RestartOnChange = false)
{
    public const string NamespaceUri = "https://reconciler.dev/xmlns/domain/1.0";

    public const string Prefix = "rc";

    public static readonly XNamespace Ns = NamespaceUri;

    public static readonly ReconcilerMetadata Default = new();

    public static readonly IReadOnlyDictionary<string, RunStrategy> RunStrategies = new Dictionary<string, RunStrategy>
    {
        ["always"] = RunStrategy.Always,
        ["rerun-on-failure"] = RunStrategy.RerunOnFailure,
        ["once"] = RunStrategy.Once,
        ["manual"] = RunStrategy.Manual,
        ["halted"] = RunStrategy.Halted,
    };

    /// <summary>The spelling of a run strategy in spec files.</summary>
    public static string Name(RunStrategy strategy) => RunStrategies.First(p => p.Value == strategy).Key;

    /// <summary>The &lt;rc:reconciler&gt; element of a domain, if it has one.</summary>
    public static XElement? Element(XElement domain) => domain.El("metadata")?.Element(Ns + "reconciler");

    /// <summary>Reads the metadata of a validated domain; absent values take their defaults.</summary>
    public static ReconcilerMetadata FromDomain(XElement domain)
    {
        var e = Element(domain);
        if (e is null)
        {
            return Default;
        }

        var strategy = e.Element(Ns + "runStrategy")?.Value.Trim();
        var autostart = e.Element(Ns + "autostart")?.Value.Trim();
        var placement = e.Element(Ns + "placement")?.A("host");
        var migration = e.Element(Ns + "migration");
        return new ReconcilerMetadata(
            strategy is not null && RunStrategies.TryGetValue(strategy, out var s) ? s : RunStrategy.Always,
            autostart == "yes",
            placement,
            migration is null ? null : new MigrationSettings(
                UInt(migration, "maxDowntime"),
                UInt(migration, "bandwidth"),
                YesNo(migration, "autoConverge"),
                UInt(migration, "completionTimeoutPerGiB"),
                UInt(migration, "progressTimeout"),
                migration.A("onNonConvergence") switch
                {
                    "pause" => NonConvergenceAction.Pause,
                    "abort" => NonConvergenceAction.Abort,
                    _ => null,
                },
                YesNo(migration, "copyStorage")),
            e.Element(Ns + "restartOnChange")?.Value.Trim() == "yes");
    }

    private static uint? UInt(XElement e, string name) =>
        uint.TryParse(e.A(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    private static bool? YesNo(XElement e, string name) => e.A(name) switch
    {
        "yes" => true,
        "no" => false,
        _ => null,
    };
}
