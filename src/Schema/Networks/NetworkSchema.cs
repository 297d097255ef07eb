using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Formatting;
using Reconciler.Schema.Networks.Parsing;
using Reconciler.Schema.Validation;

namespace Reconciler.Schema.Networks;

/// <summary>
/// libvirt 9.0.0's network XML as the test driver's net-define takes it: virNetworkDefParseXML's checks,
/// then the network as virsh net-dumpxml shows it.
/// </summary>
internal sealed class NetworkSchema : IKindSchema
{
    private static readonly NetworkParseValidator ParseValidator = new();

    public SpecKind Kind => SpecKind.Network;

    public void Check(SpecContext context) =>
        context.Errors.AddRange(ParseValidator.Validate(new NetworkXml(context.Root)).ToSchemaErrors());

    /// <summary>
    /// The network libvirt holds, written back in its format; a UUID is generated when none is given (as
    /// virNetworkDefParseXML does).
    /// </summary>
    public void ApplyDefaults(SpecContext context)
    {
        var network = NetworkParser.Parse(context.Root, out var fault);
        if (network is null)
        {
            context.Report(fault!.Code, fault.Detail, fault.At);
            return;
        }

        var definition = network.ToDefinition(network.Uuid ?? context.Options.Identity.NewUuid());
        if (definition.Bridge is { Delay: > long.MaxValue } bridge)
        {
            // libvirt takes it, but formats it with "%ld" and then refuses its own XML when it reads it again.
            context.Report(ErrorCode.PolicyViolation,
                $"bridge delay {bridge.Delay} is above {long.MaxValue}: libvirt accepts it but writes it back as a negative number that it cannot read again; use a smaller delay",
                context.Root.Element("bridge")?.Attribute("delay"));
            return;
        }

        NetworkFormatter.Write(definition, context.Root);
    }

    /// <summary>
    /// The test driver's net-define validates nothing after parsing (the network driver's networkValidate
    /// belongs to starting a network on a host), so neither does this.
    /// </summary>
    public void Validate(SpecContext context)
    {
    }
}
