using FluentValidation;
using Reconciler.Schema.Validation;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>
/// The checks libvirt 9.0.0 makes after parsing a domain on its test driver, on the effective definition:
/// the errors of virDomainDefPostParse (domain_postparse.c) that the defaults do not report, then
/// virDomainDefValidate (domain_validate.c): each device, then the definition as a whole. Each area is
/// one step of libvirt's and stops at its first problem, as libvirt does; areas run in libvirt's order,
/// so the first error reported is the one libvirt reports.
/// </summary>
internal sealed class DomainValidator : AbstractValidator<DomainXml>
{
    /// <param name="devicesOnly">
    /// Only what virDomainDefPostParse checks before the memory sizes: the ISA serial ports and each device.
    /// </param>
    public DomainValidator(bool devicesOnly = false)
    {
        // One rule that runs every area in turn (a rule per area costs FluentValidation's per-rule work each).
        // virDomainDefPostParse: the ISA serial ports and each device first, then the rest.
        Func<DomainXml, IEnumerable<Problem?>>[] devices = [ValidateRules.IsaSerialPorts, ValidateRules.DevicePostParse];
        Func<DomainXml, IEnumerable<Problem?>>[] areas = devicesOnly
            ? devices
            :
            [
                .. devices,
                ValidateRules.PostParseCommon,
                ValidateRules.PostParseFeatures,

                // virDomainDefValidate
                ValidateRules.DeviceValidate,
                ValidateRules.DefinitionValidate,
            ];

        RuleFor(d => d).Custom((doc, context) =>
        {
            // Each area stops at its first problem; every area runs.
            foreach (var area in areas)
            {
                if (XmlProp.First(area(doc)) is { } first)
                {
                    context.Report(first.Code, first.Detail, ValidateRules.Locate(doc, first.At));
                }
            }
        });
    }
}
