using FluentValidation;
using Reconciler.Schema.Validation;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>
/// The checks libvirt 9.0.0 makes while it parses a domain (virDomainDefParseXML and the parsers it
/// calls), in the order libvirt makes them. Each area stops at its first problem, as libvirt does.
/// </summary>
internal sealed class DomainParseValidator : AbstractValidator<DomainXml>
{
    public DomainParseValidator()
    {
        // One rule that runs every area in turn: a rule per area would cost FluentValidation's per-rule work
        // (reading the rule's property, under Native AOT an interpreted expression) 35 times per document.
        Func<DomainXml, IEnumerable<XmlProp.Problem?>>[] areas =
        [
            ParseRules.Identity,
            ParseRules.Caps,
            ParseRules.Title,
            ParseRules.Seclabels,
            ParseRules.Memory,
            ParseRules.Tunables,
            ParseRules.Cpu,
            ParseRules.Numa,
            ParseRules.Numatune,
            ParseRules.Resource,
            ParseRules.Features,
            ParseRules.Lifecycle,
            ParseRules.Perf,
            ParseRules.Clock,
            ParseRules.Boot,
            ParseRules.Disks,
            ParseRules.Controllers,
            ParseRules.Leases,
            ParseRules.Filesystems,
            ParseRules.Interfaces,
            ParseRules.Smartcards,
            ParseRules.Chardevs,
            ParseRules.Inputs,
            ParseRules.Graphics,
            ParseRules.Sounds,
            ParseRules.Audios,
            ParseRules.Videos,
            ParseRules.Hostdevs,
            ParseRules.OtherDevices,
            ParseRules.LaunchSecurity,
            ParseRules.MemoryDevices,
            ParseRules.IommuAndVsock,
            ParseRules.Idmap,
            ParseRules.Sysinfo,
            ParseRules.SmbiosAndKeyWrap,
        ];

        RuleFor(d => d).Custom((doc, context) =>
        {
            // Each area stops at its first problem; every area runs.
            foreach (var area in areas)
            {
                if (XmlProp.First(area(doc)) is { } first)
                {
                    context.Report(first.Code, first.Detail, first.At);
                }
            }
        });
    }
}
