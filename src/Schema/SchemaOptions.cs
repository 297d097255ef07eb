using Reconciler.Schema.Xml;

namespace Reconciler.Schema;

/// <summary>How spec files are read and completed.</summary>
public sealed record SchemaOptions
{
    public static readonly SchemaOptions Default = new();

    public XmlLimits Limits { get; init; } = XmlLimits.Default;

    public IIdentityGenerator Identity { get; init; } = RandomIdentityGenerator.Instance;

    /// <summary>
    /// The target directory of the pool a volume is created in; a volume's path and key are placed there.
    /// libvirt's test driver keeps volumes of its default pool in <c>/default-pool</c>, which is also the
    /// default here for a volume read on its own.
    /// </summary>
    public string VolumePoolPath { get; init; } = "/default-pool";

    /// <summary>
    /// Parse checks and defaults only, no validation (nor the read-back): libvirt's
    /// VIR_DOMAIN_DEF_PARSE_SKIP_VALIDATE, with which libvirtd reads the definitions it stored itself when it
    /// starts (and the one inside a save image), so that a definition it once accepted is never lost to a
    /// check added since — and thousands of them load fast.
    /// </summary>
    public bool SkipValidation { get; init; }

    /// <summary>
    /// Defaults only: neither parse checks nor validation. For content this build of the schema layer has
    /// accepted before, byte for byte (the controller remembers the spec files it validated): the checks,
    /// which depend on nothing but the content, cannot answer differently, so only the defaults — which make
    /// the effective definition — run again. Implies <see cref="SkipValidation"/>.
    /// </summary>
    public bool SkipChecks { get; init; }

    /// <summary>
    /// Compacts a valid definition's effective tree once it is loaded (<see cref="KeptTree"/>: no line
    /// information, no indentation, shared short values; its errors, with their positions, are reported by
    /// then): for trees kept for long, thousands at once (the runtime's definitions, the controller's specs).
    /// </summary>
    public bool Compact { get; init; }

    /// <summary>Whether validation runs (neither <see cref="SkipValidation"/> nor <see cref="SkipChecks"/>).</summary>
    internal bool Validates => !SkipValidation && !SkipChecks;

    /// <summary>Set while the effective definition is read back (once, to see that it can be).</summary>
    internal bool ReadingBack { get; init; }
}
