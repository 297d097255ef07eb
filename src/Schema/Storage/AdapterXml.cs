using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage;

/// <summary>
/// A pool source's &lt;adapter&gt; (storage_adapter_conf.c): virStorageAdapterParseXML, which every pool type
/// runs, virStorageAdapterValidate, which SCSI pools run, and virStorageAdapterFormat.
/// </summary>
internal static class AdapterXml
{
    private const int ScsiHost = 1;
    private const int FcHost = 2;

    /// <summary>virStorageAdapterParseXML.</summary>
    public static StorageFault? Check(XElement adapter)
    {
        if (VirXmlProp.Enum(adapter, "type", StorageEnums.AdapterType, out var type) is { } fault)
        {
            return fault;
        }

        if (type == 0)
        {
            // The legacy form: a scsi_host name alone.
            if (VirXmlProp.Prop(adapter, "wwnn") is not null || VirXmlProp.Prop(adapter, "wwpn") is not null ||
                VirXmlProp.Prop(adapter, "parent") is not null)
            {
                return StorageFault.Xml("Use of 'wwnn', 'wwpn', and 'parent' attributes requires use of the adapter 'type'", adapter);
            }

            return adapter.Element("parentaddr") is { } parentaddr
                ? StorageFault.Xml("Use of 'parentaddr' element requires use of the adapter 'type'", parentaddr)
                : null;
        }

        if (type == FcHost)
        {
            return VirXmlProp.Tristate(adapter, "managed", StorageEnums.TristateBool, out _);
        }

        var parent = adapter.Element("parentaddr");
        if (parent is null)
        {
            return null;
        }

        var address = XPathLite.Node(adapter, "parentaddr/address");
        if (address is null)
        {
            return StorageFault.Xml("Missing scsi_host PCI address element", parent);
        }

        if (PciAddressXml.Check(address) is { } bad)
        {
            return bad;
        }

        return UniqueId(adapter) is null
            ? StorageFault.Xml("Missing or invalid scsi adapter 'unique_id' value", parent)
            : null;
    }

    /// <summary>virStorageAdapterValidate, for the pool types whose source is an adapter.</summary>
    public static StorageFault? Validate(XElement? adapter, XObject at)
    {
        var type = adapter is null ? 0 : TypeOf(adapter);
        if (adapter is null || type == 0)
        {
            return StorageFault.Xml("missing storage pool source adapter", adapter ?? at);
        }

        return type == FcHost ? ValidateFcHost(adapter) : ValidateScsiHost(adapter);
    }

    private static StorageFault? ValidateFcHost(XElement adapter)
    {
        var wwnn = VirXmlProp.Prop(adapter, "wwnn");
        var wwpn = VirXmlProp.Prop(adapter, "wwpn");
        if (wwnn is null || wwpn is null)
        {
            return StorageFault.Xml("'wwnn' and 'wwpn' must be specified for adapter type 'fchost'", adapter);
        }

        if ((Wwn(adapter, "wwnn") ?? Wwn(adapter, "wwpn")) is { } malformed)
        {
            return malformed;
        }

        var parentWwnn = VirXmlProp.Prop(adapter, "parent_wwnn");
        var parentWwpn = VirXmlProp.Prop(adapter, "parent_wwpn");
        if (parentWwnn is not null && parentWwpn is null)
        {
            return StorageFault.Xml($"when providing parent_wwnn='{parentWwnn}', the parent_wwpn must also be provided", adapter);
        }

        if (parentWwnn is null && parentWwpn is not null)
        {
            return StorageFault.Xml($"when providing parent_wwpn='{parentWwpn}', the parent_wwnn must also be provided", adapter);
        }

        return Wwn(adapter, "parent_wwnn") ?? Wwn(adapter, "parent_wwpn") ?? Wwn(adapter, "parent_fabric_wwn");
    }

    private static StorageFault? ValidateScsiHost(XElement adapter)
    {
        var hasName = VirXmlProp.Prop(adapter, "name") is not null;
        var hasParent = adapter.Element("parentaddr") is not null;
        if (!hasName && !hasParent)
        {
            return StorageFault.Xml("Either 'name' or 'parent' must be specified for the 'scsi_host' adapter", adapter);
        }

        return hasName && hasParent
            ? StorageFault.Xml("Both 'name' and 'parent' cannot be specified for the 'scsi_host' adapter", adapter)
            : null;
    }

    /// <summary>virValidateWWN on an attribute, when present: 16 hex digits, optionally after "0x".</summary>
    private static StorageFault? Wwn(XElement adapter, string name)
    {
        var wwn = VirXmlProp.Prop(adapter, name);
        if (wwn is null)
        {
            return null;
        }

        var digits = wwn.StartsWith("0x", StringComparison.Ordinal) ? wwn[2..] : wwn;
        return digits.Length == 16 && digits.All(char.IsAsciiHexDigit)
            ? null
            : StorageFault.Internal($"Malformed wwn: {wwn}", adapter.Attribute(name));
    }

    /// <summary>The adapter type after parsing: the type attribute, or scsi_host for a legacy name alone.</summary>
    private static int TypeOf(XElement adapter)
    {
        var type = StorageEnums.AdapterType.FromString(VirXmlProp.Prop(adapter, "type"));
        if (type > 0)
        {
            return type;
        }

        return VirXmlProp.Prop(adapter, "type") is null && VirXmlProp.Prop(adapter, "name") is not null ? ScsiHost : 0;
    }

    /// <summary>virXPathInt("string(./parentaddr/@unique_id)"): a non-negative int, or null.</summary>
    private static int? UniqueId(XElement adapter) =>
        CStrToLong.TryInt(XPathLite.String(adapter, "parentaddr/@unique_id"), 10, out var id) && id >= 0 ? id : null;

    /// <summary>The adapter libvirt holds, or null when its type is the default (none).</summary>
    public static StorageAdapter? Read(XElement adapter)
    {
        var type = TypeOf(adapter);
        if (type == 0)
        {
            return null;
        }

        var managed = StorageEnums.TristateBool.FromString(VirXmlProp.Prop(adapter, "managed"));
        if (type == FcHost)
        {
            return new StorageAdapter(
                "fc_host", null, null, 0,
                VirXmlProp.Prop(adapter, "parent"),
                VirXmlProp.Prop(adapter, "parent_wwnn"),
                VirXmlProp.Prop(adapter, "parent_wwpn"),
                VirXmlProp.Prop(adapter, "parent_fabric_wwn"),
                managed > 0 ? managed == 1 : null,
                VirXmlProp.Prop(adapter, "wwnn"),
                VirXmlProp.Prop(adapter, "wwpn"));
        }

        var address = VirXmlProp.Prop(adapter, "type") is null ? null : XPathLite.Node(adapter, "parentaddr/address");
        return new StorageAdapter(
            "scsi_host",
            VirXmlProp.Prop(adapter, "name"),
            address is null ? null : PciAddressXml.Read(address),
            address is null ? 0 : UniqueId(adapter) ?? 0,
            null, null, null, null, null, null, null);
    }

    /// <summary>virStorageAdapterFormat.</summary>
    public static XElement Write(StorageAdapter adapter)
    {
        var element = new XElement("adapter", new XAttribute("type", adapter.Type));
        if (adapter.Type == "fc_host")
        {
            element.SetAttributeValue("parent", adapter.Parent);
            element.SetAttributeValue("parent_wwnn", adapter.ParentWwnn);
            element.SetAttributeValue("parent_wwpn", adapter.ParentWwpn);
            element.SetAttributeValue("parent_fabric_wwn", adapter.ParentFabricWwn);
            if (adapter.Managed is { } managed)
            {
                element.SetAttributeValue("managed", managed ? "yes" : "no");
            }

            element.SetAttributeValue("wwnn", adapter.Wwnn ?? "(null)");
            element.SetAttributeValue("wwpn", adapter.Wwpn ?? "(null)");
        }
        else if (adapter.Name is not null)
        {
            element.SetAttributeValue("name", adapter.Name);
        }
        else
        {
            element.Add(new XElement(
                "parentaddr",
                new XAttribute("unique_id", adapter.UniqueId.ToString(CultureInfo.InvariantCulture)),
                PciAddressXml.Write(adapter.ParentAddress ?? new StoragePciAddress(0, 0, 0, 0))));
        }

        return element;
    }
}
