using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains;
using Reconciler.Schema.Networks;
using Reconciler.Schema.Storage;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema;

/// <summary>
/// Entry point of the schema layer: reads a spec file, recognises its kind from the root element, runs
/// libvirt 9.0.0's parse checks, fills in its defaults and validates the result.
/// No I/O beyond reading the one file it is asked to read.
/// </summary>
public static class LibvirtSchema
{
    private static readonly IKindSchema[] Kinds =
    [
        new DomainSchema(),
        new NetworkSchema(),
        new StoragePoolSchema(),
        new StorageVolumeSchema(),
    ];

    /// <summary>
    /// This build of the schema layer (its module version id, which changes with its code only): what it
    /// accepted once — a spec file the controller validated, a definition the runtime sealed — it accepts
    /// again, so only the defaults need to run on it.
    /// </summary>
    public static string Build { get; } = typeof(LibvirtSchema).Assembly.ManifestModule.ModuleVersionId.ToString("N");

    /// <summary>Reads and processes the file at <paramref name="path"/>; never throws for bad content.</summary>
    public static SpecDocument LoadFile(string path, SchemaOptions? options = null)
    {
        options ??= SchemaOptions.Default;
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (info.Exists && info.Length > options.Limits.MaxBytes)
            {
                return Fail(path, null, new SchemaError(ErrorCode.XmlDetail,
                    $"file is too large: {info.Length} bytes, at most {options.Limits.MaxBytes} are accepted", 1, 1));
            }

            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(path, null, new SchemaError(ErrorCode.XmlDetail, $"cannot read file: {e.Message}", 0, 0));
        }

        return Load(path, bytes, options);
    }

    /// <summary>Processes spec content; <paramref name="path"/> is only used to name the file in results.</summary>
    public static SpecDocument Load(string path, ReadOnlyMemory<byte> content, SchemaOptions? options = null) =>
        Load(path, content, options, out _);

    /// <summary>
    /// Processes spec content and, when it is valid, also gives the effective definition as libvirt formats it
    /// (what <see cref="SpecDocument.Format"/> returns until the definition is changed), made anyway to check
    /// that the definition reads back.
    /// </summary>
    public static SpecDocument Load(string path, ReadOnlyMemory<byte> content, SchemaOptions? options, out string? formatted) =>
        Load(path, content, options, asWritten: null, out formatted);

    /// <summary>
    /// Processes spec content; <paramref name="asWritten"/> first sees the parsed document as written — to
    /// read what the file itself declares before the defaults fill it in, or to change it in place, as the
    /// runtime adds the MACs a redefinition inherits.
    /// </summary>
    public static SpecDocument Load(string path, ReadOnlyMemory<byte> content, SchemaOptions? options, Action<XElement> asWritten) =>
        Load(path, content, options, asWritten, out _);

    private static SpecDocument Load(string path, ReadOnlyMemory<byte> content, SchemaOptions? options, Action<XElement>? asWritten, out string? formatted)
    {
        formatted = null;
        options ??= SchemaOptions.Default;
        var document = SpecXmlReader.Parse(content, options.Limits, out var parseError);
        if (document?.Root is null)
        {
            return Fail(path, null, parseError ?? new SchemaError(ErrorCode.XmlDetail, "no root element", 1, 1));
        }

        asWritten?.Invoke(document.Root);
        return Process(path, document.Root, content.Span, options, out formatted);
    }

    /// <summary>Processes spec text already in memory.</summary>
    public static SpecDocument LoadText(string path, string text, SchemaOptions? options = null) =>
        Load(path, System.Text.Encoding.UTF8.GetBytes(text), options);

    private static SpecDocument Process(string path, XElement root, ReadOnlySpan<byte> content, SchemaOptions options, out string? formatted)
    {
        formatted = null;
        var kind = root.Name.Namespace == XNamespace.None ? SpecKinds.FromRootElement(root.Name.LocalName) : null;
        var schema = kind is null ? null : Array.Find(Kinds, k => k.Kind == kind);
        if (schema is null)
        {
            var detail = root.Name.Namespace == XNamespace.None
                ? $"unknown root element '{root.Name.LocalName}': a spec file defines a domain, network, pool or volume"
                : $"unknown root element '{root.Name.LocalName}' in namespace '{root.Name.NamespaceName}': a spec file defines a domain, network, pool or volume, in no namespace";
            return Fail(path, null, SchemaError.Create(ErrorCode.XmlDetail, detail,
                XmlPosition.Of(root)));
        }

        var extensions = root.NamespacedChildren();
        var context = new SpecContext(root, options);
        try
        {
            if (!options.SkipChecks)
            {
                schema.Check(context);
            }

            if (!context.HasErrors)
            {
                schema.ApplyDefaults(context);
                if (!context.HasErrors && options.Validates)
                {
                    schema.Validate(context);
                }
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException or InvalidOperationException or ArgumentException)
        {
            // A check we do not have let something through that a default could not digest. Never crash:
            // report it as what it is, an internal error about this file.
            context.Report(ErrorCode.InternalError, $"cannot process the definition: {e.Message}", root);
            if (Environment.GetEnvironmentVariable("RECONCILER_DEBUG") == "1")
            {
                Console.Error.WriteLine(e);
            }
        }

        if (!context.HasErrors && !options.ReadingBack && options.Validates)
        {
            // The definition a spec becomes is what the runtime stores and reads again (and libvirt, after a
            // restart). libvirt writes a few definitions it accepts in a form it then refuses: such a spec is
            // refused now, with the reason, rather than lost later.
            // (A definition that is already in that form, as every one the runtime stored is, reads back as it
            // just read: it is not read a second time.)
            formatted = LibvirtXmlWriter.Format(root);
            var bytes = System.Text.Encoding.UTF8.GetBytes(formatted);
            var again = content.SequenceEqual(bytes) ? null : Load(path, bytes, options with { ReadingBack = true });
            if (again is { IsValid: false })
            {
                context.Report(ErrorCode.PolicyViolation,
                    $"libvirt would store this {kind!.Value.Name()} in a form that it cannot read again ({again.Errors[0].Message}); change the spec so that this does not happen",
                    root);
            }
        }

        Domains.Validation.WrittenDomain.Release(root);
        if (context.HasErrors)
        {
            formatted = null;
        }
        else if (options.Compact)
        {
            KeptTree.Compact(root);
        }

        return new SpecDocument(path, kind, context.Errors, context.HasErrors ? null : root, extensions);
    }

    private static SpecDocument Fail(string path, SpecKind? kind, SchemaError error) => new(path, kind, [error], null);
}
