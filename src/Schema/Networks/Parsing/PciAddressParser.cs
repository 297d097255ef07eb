using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks.Parsing;

/// <summary>virPCIDeviceAddressParseXML: domain, bus, slot and function (base 0), within PCI's limits unless all zero.</summary>
internal static class PciAddressParser
{
    private static readonly string[] Fields = ["domain", "bus", "slot", "function"];

    public static Problem? Parse(XElement address, out PciAddress pci)
    {
        pci = new PciAddress(0, 0, 0, 0);
        var values = new uint[Fields.Length];
        for (var i = 0; i < Fields.Length; i++)
        {
            if (XmlProp.UInt(address, Fields[i], 0) is { } bad)
            {
                return bad;
            }

            _ = StrToLong.TryUIntPositive(NetXPath.Prop(address, Fields[i]), 0, out values[i]);
        }

        if (XmlProp.OnOff(address, "multifunction") is { } badMulti)
        {
            return badMulti;
        }

        var (domain, bus, slot, function) = (values[0], values[1], values[2], values[3]);
        if (domain != 0 || bus != 0 || slot != 0)
        {
            if (bus > 0xFF)
            {
                return NetFault.Xml($"Invalid PCI address bus='0x{bus:x}', must be <= 0xFF", address);
            }

            if (slot > 0x1F)
            {
                return NetFault.Xml($"Invalid PCI address slot='0x{slot:x}', must be <= 0x1F", address);
            }

            if (function > 7)
            {
                return NetFault.Xml($"Invalid PCI address function=0x{function:x}, must be <= 7", address);
            }
        }

        // libvirt reads the last <zpci> child.
        var zpci = address.Elements().LastOrDefault(e => e.Name.LocalName == "zpci");
        if (zpci is not null && (XmlProp.UInt(zpci, "uid", 0) ?? XmlProp.UInt(zpci, "fid", 0)) is { } badZpci)
        {
            return badZpci;
        }

        pci = new PciAddress(domain, bus, slot, function);
        return null;
    }
}
