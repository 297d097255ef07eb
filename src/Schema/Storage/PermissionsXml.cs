using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Storage;

/// <summary>libvirt's &lt;permissions&gt; of pool targets and volumes: virStorageDefParsePerms and its formatter.</summary>
internal static class PermissionsXml
{
    /// <summary>virStorageDefParsePerms on a &lt;permissions&gt; element (null: none given).</summary>
    public static StorageFault? TryParse(XElement? node, out StoragePermissions permissions)
    {
        permissions = StoragePermissions.None;
        if (node is null)
        {
            return null;
        }

        uint? mode = null;
        var modeText = XPathLite.String(node, "mode");
        if (modeText is not null)
        {
            if (!CStrToLong.TryInt(modeText, 8, out var value) || (value & ~0x1FF) != 0)
            {
                return StorageFault.Xml("malformed octal mode", node.El("mode"));
            }

            mode = (uint)value;
        }

        if (!TryParseId(node, "owner", out var owner))
        {
            return StorageFault.Xml("malformed owner element", node.El("owner"));
        }

        if (!TryParseId(node, "group", out var group))
        {
            return StorageFault.Xml("malformed group element", node.El("group"));
        }

        permissions = new StoragePermissions(mode, owner, group, XPathLite.String(node, "label"));
        return null;
    }

    /// <summary>An owner or group: a long long that fits in uid_t, or -1; (uid_t)-1 means none.</summary>
    private static bool TryParseId(XElement node, string name, out uint? id)
    {
        id = null;
        if (node.El(name) is null)
        {
            return true;
        }

        if (!CStrToLong.TryLongLong(XPathLite.String(node, name), 10, out var value) ||
            (value is < 0 or > uint.MaxValue && value != -1))
        {
            return false;
        }

        var raw = unchecked((uint)value);
        id = raw == uint.MaxValue ? null : raw;
        return true;
    }

    /// <summary>The &lt;permissions&gt; element libvirt writes, or null when nothing is set.</summary>
    public static XElement? ToXml(StoragePermissions permissions)
    {
        var (mode0, owner0, group0, label) = permissions;
        if (!permissions.IsSet)
        {
            return null;
        }

        var element = new XElement("permissions");
        if (mode0 is { } mode)
        {
            element.Add(new XElement("mode", "0" + Convert.ToString(mode, 8)));
        }

        if (owner0 is { } owner)
        {
            element.Add(new XElement("owner", unchecked((int)owner).ToString(CultureInfo.InvariantCulture)));
        }

        if (group0 is { } group)
        {
            element.Add(new XElement("group", unchecked((int)group).ToString(CultureInfo.InvariantCulture)));
        }

        if (label is not null)
        {
            element.Add(new XElement("label", label));
        }

        return element;
    }
}
