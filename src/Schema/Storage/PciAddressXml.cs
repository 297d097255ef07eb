using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage;

/// <summary>A PCI &lt;address&gt;: virPCIDeviceAddressParseXML and virPCIDeviceAddressFormat.</summary>
internal static class PciAddressXml
{
    private static readonly string[] Fields = ["domain", "bus", "slot", "function"];

    public static StorageFault? Check(XElement address)
    {
        var values = new uint[Fields.Length];
        for (var i = 0; i < Fields.Length; i++)
        {
            if (VirXmlProp.UInt(address, Fields[i], 0, out values[i]) is { } fault)
            {
                return fault;
            }
        }

        if (VirXmlProp.Tristate(address, "multifunction", StorageEnums.TristateSwitch, out _) is { } bad)
        {
            return bad;
        }

        var (domain, bus, slot, function) = (values[0], values[1], values[2], values[3]);
        if (domain != 0 || bus != 0 || slot != 0)
        {
            if (bus > 0xFF)
            {
                return StorageFault.Xml($"Invalid PCI address bus='0x{bus:x}', must be <= 0xFF", address);
            }

            if (slot > 0x1F)
            {
                return StorageFault.Xml($"Invalid PCI address slot='0x{slot:x}', must be <= 0x1F", address);
            }

            if (function > 7)
            {
                return StorageFault.Xml($"Invalid PCI address function=0x{function:x}, must be <= 7", address);
            }
        }

        // The last <zpci> child is the one libvirt reads.
        var zpci = address.Elements("zpci").LastOrDefault();
        if (zpci is not null)
        {
            return VirXmlProp.UInt(zpci, "uid", 0, out _) ?? VirXmlProp.UInt(zpci, "fid", 0, out _);
        }

        return null;
    }

    public static StoragePciAddress Read(XElement address)
    {
        var values = new uint[Fields.Length];
        for (var i = 0; i < Fields.Length; i++)
        {
            _ = CStrToLong.TryUIntPositive(address.Attribute(Fields[i])?.Value, 0, out values[i]);
        }

        return new StoragePciAddress(values[0], values[1], values[2], values[3]);
    }

    /// <summary>libvirt writes the function as "0x" and its decimal value.</summary>
    public static XElement Write(StoragePciAddress address) => new(
        "address",
        new XAttribute("domain", "0x" + address.Domain.ToString("x4", CultureInfo.InvariantCulture)),
        new XAttribute("bus", "0x" + address.Bus.ToString("x2", CultureInfo.InvariantCulture)),
        new XAttribute("slot", "0x" + address.Slot.ToString("x2", CultureInfo.InvariantCulture)),
        new XAttribute("function", "0x" + address.Function.ToString(CultureInfo.InvariantCulture)));
}
