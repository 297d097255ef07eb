namespace Reconciler.Schema.Xml;

/// <summary>Limits that keep hostile or broken input from exhausting memory or time.</summary>
public sealed record XmlLimits
{
    /// <summary>virsh refuses XML files above 10 MiB; so do we.</summary>
    public const int DefaultMaxBytes = 10 * 1024 * 1024;

    /// <summary>libxml2's default nesting limit.</summary>
    public const int DefaultMaxDepth = 256;

    public static readonly XmlLimits Default = new();

    public int MaxBytes { get; init; } = DefaultMaxBytes;

    public int MaxDepth { get; init; } = DefaultMaxDepth;
}
