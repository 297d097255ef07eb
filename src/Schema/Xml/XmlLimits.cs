namespace Reconciler.Schema.Xml;

/// <summary>
/// Limits that keep hostile or broken input from exhausting memory or time. libvirt's own test data stays
/// far below each: its largest file is 16 kB with 300 elements, 13 levels deep, attribute values of at most
/// 97 characters.
/// </summary>
public sealed record XmlLimits
{
    /// <summary>virsh refuses XML files above 10 MiB; so do we.</summary>
    public const int DefaultMaxBytes = 10 * 1024 * 1024;

    /// <summary>libxml2's default nesting limit.</summary>
    public const int DefaultMaxDepth = 256;

    /// <summary>The longest attribute value: paths (PATH_MAX is 4096) and keys fit many times over.</summary>
    public const int DefaultMaxAttributeLength = 64 * 1024;

    /// <summary>The longest text of one element (a description, a certificate, base64 data).</summary>
    public const int DefaultMaxTextLength = 1024 * 1024;

    /// <summary>
    /// The longest start tag, from &lt; to &gt;: .NET's XML reader re-reads a tag that does not fit its buffer,
    /// so a tag of megabytes (hundreds of thousands of attributes) costs it minutes.
    /// </summary>
    public const int DefaultMaxTagLength = 1024 * 1024;

    public static readonly XmlLimits Default = new();

    public int MaxBytes { get; init; } = DefaultMaxBytes;

    public int MaxDepth { get; init; } = DefaultMaxDepth;

    public int MaxAttributeLength { get; init; } = DefaultMaxAttributeLength;

    public int MaxTextLength { get; init; } = DefaultMaxTextLength;

    public int MaxTagLength { get; init; } = DefaultMaxTagLength;
}
