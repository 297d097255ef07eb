namespace Reconciler.Schema;

/// <summary>
/// What the schema layer knows about one kind of libvirt object, in libvirt's own stages:
/// checks made while parsing, the defaults filled in after parsing, and the validation that follows.
/// </summary>
internal interface IKindSchema
{
    SpecKind Kind { get; }

    /// <summary>libvirt's parse-time checks, on the document as written.</summary>
    void Check(SpecContext context);

    /// <summary>libvirt's post-parse defaults, in place; only called when <see cref="Check"/> found nothing.</summary>
    void ApplyDefaults(SpecContext context);

    /// <summary>libvirt's post-parse and validate checks, and the operator rules, on the completed definition.</summary>
    void Validate(SpecContext context);
}
