using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains;
using Reconciler.Schema.Domains.Validation;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Tests.Domains.Validation;

/// <summary>
/// Runs a domain through the schema's stages (parse checks, defaults, validation) with the definition as
/// written captured before the defaults, which the checks on dropped values need.
/// </summary>
internal static class ValidationSpecs
{
    private static readonly DomainSchema Schema = new();

    /// <summary>The errors libvirt's stages report for <paramref name="xml"/>, in order.</summary>
    public static IReadOnlyList<SchemaError> Errors(string xml)
    {
        var document = SpecXmlReader.Parse(xml, XmlLimits.Default, out var parseError);
        if (document?.Root is null)
        {
            return [parseError!];
        }

        var context = new SpecContext(document.Root, SchemaOptions.Default);
        Schema.Check(context);
        if (context.HasErrors)
        {
            return context.Errors;
        }

        WrittenDomain.Capture(context.Root);
        Schema.ApplyDefaults(context);
        if (context.HasErrors)
        {
            return context.Errors;
        }

        Schema.Validate(context);
        return context.Errors;
    }
}
