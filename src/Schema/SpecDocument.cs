using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema;

/// <summary>
/// The outcome of reading one spec file: its kind, every error found, and when it is valid, the
/// effective definition (what <c>virsh dumpxml --inactive</c> would show after <c>virsh define</c>).
/// </summary>
public sealed class SpecDocument
{
    internal SpecDocument(
        string path, SpecKind? kind, IReadOnlyList<SchemaError> errors, XElement? effective, IReadOnlyList<XElement>? extensions = null)
    {
        Path = path;
        Kind = kind;
        Errors = errors;
        Effective = effective;
        Extensions = extensions ?? [];
    }

    public string Path { get; }

    public SpecKind? Kind { get; }

    public IReadOnlyList<SchemaError> Errors { get; }

    public bool IsValid => Errors.Count == 0 && Effective is not null;

    /// <summary>The completed definition; null when the file is not valid.</summary>
    public XElement? Effective { get; }

    /// <summary>
    /// The root's child elements in a namespace of their own, as written in the file (with their line
    /// information). They hold what only a libvirt driver on a host reads and what the effective definition
    /// therefore may not keep, such as the network driver's &lt;dnsmasq:options&gt; or the fs pool backend's
    /// &lt;fs:mount_opts&gt;.
    /// </summary>
    public IReadOnlyList<XElement> Extensions { get; }

    /// <summary>The object's name (its &lt;name&gt; element), when there is one.</summary>
    public string? Name => Effective?.Element("name")?.Value;

    /// <summary>The typed model of a valid domain (null for other kinds or invalid files).</summary>
    public DomainDefinition? Domain => IsValid && Kind == SpecKind.Domain ? DomainDefinition.FromXml(Effective!) : null;

    /// <summary>The effective definition as libvirt formats it.</summary>
    public string Format() =>
        Effective is null ? throw new InvalidOperationException($"{Path} is not valid") : LibvirtXmlWriter.Format(Effective);
}
