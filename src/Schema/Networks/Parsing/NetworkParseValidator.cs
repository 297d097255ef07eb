using FluentValidation;
using Reconciler.Schema.Validation;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>
/// The checks libvirt 9.0.0 makes while it parses a network (virNetworkDefParseXML and the parsers it
/// calls), one rule per step of <see cref="NetworkParser"/>, in libvirt's order. libvirt stops at the first
/// error, so does this.
/// </summary>
internal sealed class NetworkParseValidator : AbstractValidator<NetworkXml>
{
    public NetworkParseValidator()
    {
        ClassLevelCascadeMode = CascadeMode.Stop;
        RuleLevelCascadeMode = CascadeMode.Stop;
        foreach (var (name, step) in NetworkParser.Steps)
        {
            RuleFor(x => x).Configure(rule => rule.PropertyName = name).Custom((network, context) =>
            {
                if (step(network) is { } fault)
                {
                    context.Report(fault.Code, fault.Detail, fault.At);
                }
            });
        }
    }
}
