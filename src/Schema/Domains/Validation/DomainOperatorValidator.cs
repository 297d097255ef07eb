using System.Xml.Linq;
using FluentValidation;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Defaults;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>
/// Rules an operator expects on top of libvirt's: mistakes libvirt accepts silently (it lowers
/// currentMemory, it lets two interfaces share a MAC) but that are almost always errors in a fleet's
/// specs. They run on the definition as written, before libvirt's defaults hide the problem.
/// </summary>
internal sealed class DomainOperatorValidator : AbstractValidator<DomainXml>
{
    /// <summary>The highest controller a drive address may name (libvirt's own limit for PCI controllers).</summary>
    public const int MaxDriveController = 255;

    public DomainOperatorValidator()
    {
        // One rule for the three checks (a rule each would cost FluentValidation's per-rule work each).
        RuleFor(d => d).Custom((doc, context) =>
        {
            DriveControllers(doc, context);
            CurrentMemory(doc, context);
            SharedMacs(doc, context);
        });
    }

    private static void DriveControllers(DomainXml doc, ValidationContext<DomainXml> context)
    {
        // libvirt adds an implicit controller for every index up to the highest one a drive address names:
        // controller='2147483647' would have it (and us) add two billion controllers.
        foreach (var device in doc.DevicesOf("disk").Concat(doc.DevicesOf("hostdev")))
        {
            var address = device.El("address");
            if (address?.A("type") == "drive" && CNumber.TryParseUInt(address.A("controller"), 10, out var controller) && controller > MaxDriveController)
            {
                context.Report(ErrorCode.PolicyViolation,
                    $"drive address controller {controller} is above {MaxDriveController}: libvirt would add a controller for every index from 0 to {controller}; use controller {MaxDriveController} or lower",
                    address.Attribute("controller"));
                return;
            }
        }
    }

    private static void CurrentMemory(DomainXml doc, ValidationContext<DomainXml> context)
    {
        // A memory of 0 is no memory: libvirt then takes the NUMA cells' total, or refuses the domain.
        var memory = doc.Root.El("memory");
        var current = doc.Root.El("currentMemory");
        if (memory is not null && current is not null &&
            DomainDefaults.KiB(memory) is { } memoryKiB && memoryKiB > 0 && DomainDefaults.KiB(current) is { } currentKiB && currentKiB > memoryKiB)
        {
            context.Report(ErrorCode.PolicyViolation,
                $"currentMemory ({currentKiB} KiB) is larger than memory ({memoryKiB} KiB); libvirt would silently lower it to memory: lower currentMemory or raise memory",
                current);
        }
    }

    private static void SharedMacs(DomainXml doc, ValidationContext<DomainXml> context)
    {
        var seen = new Dictionary<string, XElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var net in doc.DevicesOf("interface"))
        {
            var mac = net.El("mac");
            if (mac?.A("address") is not { } address)
            {
                continue;
            }

            if (seen.TryGetValue(address, out var first))
            {
                // A failover team (virtio + hostdev with <teaming>) deliberately shares one MAC.
                if (first.El("teaming") is not null && net.El("teaming") is not null)
                {
                    continue;
                }

                var line = XmlPosition.Of(first).Line;
                context.Report(ErrorCode.PolicyViolation,
                    $"MAC address {address.ToLowerInvariant()} is used by two interfaces (the first on line {line}); give each interface its own MAC or leave it out to have one generated",
                    mac);
            }
            else
            {
                seen[address] = net;
            }
        }
    }
}
