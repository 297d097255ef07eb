using Reconciler.Schema.Domains.Defaults;
using Reconciler.Schema.Domains.Validation;
using Reconciler.Schema.Metadata;
using Reconciler.Schema.Validation;

namespace Reconciler.Schema.Domains;

/// <summary>libvirt 9.0.0's domain XML: parse checks, post-parse defaults and validation.</summary>
internal sealed class DomainSchema : IKindSchema
{
    private static readonly DomainParseValidator ParseValidator = new();
    private static readonly DomainOperatorValidator OperatorValidator = new();
    private static readonly DomainValidator PostParseValidator = new();
    private static readonly DomainValidator DevicePostParseValidator = new(devicesOnly: true);
    private static readonly ReconcilerMetadataValidator MetadataValidator = new();

    public SpecKind Kind => SpecKind.Domain;

    public void Check(SpecContext context)
    {
        var doc = new DomainXml(context.Root);
        context.Errors.AddRange(ParseValidator.Validate(doc).ToSchemaErrors());
        context.Errors.AddRange(OperatorValidator.Validate(doc).ToSchemaErrors());
    }

    public void ApplyDefaults(SpecContext context)
    {
        // Keep the domain as written: some of libvirt's validation rules look at values the defaults rewrite.
        if (context.Options.Validates)
        {
            WrittenDomain.Capture(context.Root);
        }

        var before = context.Errors.Count;
        DomainDefaults.Apply(context);
        if (context.Errors.Count > before)
        {
            // The defaults report the memory sizes libvirt cannot accept, but libvirt post-parses the devices
            // first: a device's error is the one it reports.
            var device = DevicePostParseValidator.Validate(new DomainXml(context.Root)).ToSchemaErrors().Take(1);
            context.Errors.InsertRange(before, device);
        }
    }

    public void Validate(SpecContext context)
    {
        var doc = new DomainXml(context.Root);
        context.Errors.AddRange(PostParseValidator.Validate(doc).ToSchemaErrors());
        context.Errors.AddRange(MetadataValidator.Validate(doc).ToSchemaErrors());
    }
}
