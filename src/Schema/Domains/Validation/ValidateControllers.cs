using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainControllerDefValidate: the PCI controller options.</summary>
internal static partial class ValidateRules
{
    private static Problem? Controller(XElement controller)
    {
        if (controller.A("type") != "pci")
        {
            return null;
        }

        if (controller.A("model") is "pci-root" or "pcie-root" && controller.El("address") is { } address)
        {
            return P(ErrorCode.ConfigUnsupported, "pci-root and pcie-root controllers should not have an address", address);
        }

        var idx = Long(controller, "index") ?? -1;
        if (idx > 255)
        {
            return P(ErrorCode.ConfigUnsupported, $"PCI controller index {idx} too high, maximum is 255", controller);
        }

        var target = controller.El("target");
        if (Int(target, "index") is { } targetIndex)
        {
            if (targetIndex is < 0 or > 30)
            {
                return P(ErrorCode.ConfigUnsupported, $"PCI controller target index '{targetIndex}' out of range - must be 0-30", target);
            }

            if ((idx == 0 && targetIndex != 0) || (idx != 0 && targetIndex == 0))
            {
                return P(ErrorCode.ConfigUnsupported, "Only the PCI controller with index 0 can have target index 0, and vice versa", target);
            }
        }

        (string Name, int Min, int Max)[] ranges = [("chassisNr", 1, 255), ("chassis", 0, 255), ("port", 0, 255), ("busNr", 1, 254)];
        foreach (var (name, min, max) in ranges)
        {
            if (Int(target, name) is { } value && (value < min || value > max))
            {
                return P(ErrorCode.ConfigUnsupported, $"PCI controller {name} '{value}' out of range - must be {min}-{max}", target);
            }
        }

        if (target.El("node") is { } node && idx == 0)
        {
            return P(ErrorCode.ConfigUnsupported, "The PCI controller with index=0 can't be associated with a NUMA node", node);
        }

        return null;
    }

    /// <summary>An int attribute read like virXMLPropInt with base 0 (decimal, 0x hex, 0 octal), or null.</summary>
    private static int? Int(XElement? element, string name)
    {
        var text = element.A(name);
        if (text is null)
        {
            return null;
        }

        var negative = text.TrimStart().StartsWith('-');
        var digits = negative ? text.TrimStart()[1..] : text;
        if (!CNumber.TryParseULong(digits, 0, out var v) || v > int.MaxValue)
        {
            return null;
        }

        return negative ? -(int)v : (int)v;
    }
}
