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
        Area(ParseRules.Identity);
        Area(ParseRules.Caps);
        Area(ParseRules.Title);
        Area(ParseRules.Seclabels);
        Area(ParseRules.Memory);
        Area(ParseRules.Tunables);
        Area(ParseRules.Cpu);
        Area(ParseRules.Numa);
        Area(ParseRules.Numatune);
        Area(ParseRules.Resource);
        Area(ParseRules.Features);
        Area(ParseRules.Lifecycle);
        Area(ParseRules.Perf);
        Area(ParseRules.Clock);
        Area(ParseRules.Boot);
        Area(ParseRules.Disks);
        Area(ParseRules.Controllers);
        Area(ParseRules.Leases);
        Area(ParseRules.Filesystems);
        Area(ParseRules.Interfaces);
        Area(ParseRules.Smartcards);
        Area(ParseRules.Chardevs);
        Area(ParseRules.Inputs);
        Area(ParseRules.Graphics);
        Area(ParseRules.Sounds);
        Area(ParseRules.Audios);
        Area(ParseRules.Videos);
        Area(ParseRules.Hostdevs);
        Area(ParseRules.OtherDevices);
        Area(ParseRules.LaunchSecurity);
        Area(ParseRules.MemoryDevices);
        Area(ParseRules.IommuAndVsock);
        Area(ParseRules.Idmap);
        Area(ParseRules.Sysinfo);
        Area(ParseRules.SmbiosAndKeyWrap);
    }

    private void Area(Func<DomainXml, IEnumerable<XmlProp.Problem?>> rule)
    {
        RuleFor(d => d).Custom((doc, context) =>
        {
            var first = rule(doc).FirstOrDefault(p => p is not null);
            if (first is not null)
            {
                context.Report(first.Code, first.Detail, first.At);
            }
        });
    }
}
