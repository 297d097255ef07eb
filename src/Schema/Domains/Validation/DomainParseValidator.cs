using FluentValidation;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>The checks libvirt 9.0.0 makes while it parses a domain (virDomainDefParseXML).</summary>
internal sealed class DomainParseValidator : AbstractValidator<DomainXml>
{
    public DomainParseValidator()
    {
    }
}
