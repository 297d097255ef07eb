using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Storage;

/// <summary>
/// Writes a volume into its root element the way virStorageVolDefFormat does, reusing the elements that came
/// from the file. No &lt;source&gt; (the test driver has no extents) and no timestamps (it keeps none).
/// </summary>
internal static class VolumeWriter
{
    public static void Write(StorageVolumeDefinition volume, XElement root, PoolTypeInfo pool)
    {
        var name = root.Element("name");
        var key = root.Element("key");
        var capacity = root.Element("capacity");
        var allocation = root.Element("allocation");
        var target = WriteTarget(volume.Target, XPathLite.Node(root, "target"), pool);
        var backing = volume.BackingStore is { } b ? WriteBackingStore(b, XPathLite.Node(root, "backingStore"), pool) : null;

        root.RemoveAll();
        root.Add(new XAttribute("type", volume.Type));
        root.Add(NodeReuse.Take(name, "name", volume.Name));
        if (volume.Key is not null)
        {
            root.Add(NodeReuse.Take(key, "key", volume.Key));
        }

        root.Add(Bytes(capacity, "capacity", volume.Capacity));
        root.Add(Bytes(allocation, "allocation", volume.Allocation));
        root.Add(target);
        root.Add(backing);
        if (volume.Target.Nocow)
        {
            root.AddAnnotation(new NocowAnnotation());
        }
    }

    private static XElement Bytes(XElement? original, string name, ulong value)
    {
        var element = NodeReuse.Take(original, name, value.ToString(CultureInfo.InvariantCulture));
        element.SetAttributeValue("unit", "bytes");
        return element;
    }

    private static XElement WriteTarget(StorageVolumeTarget target, XElement? original, PoolTypeInfo pool)
    {
        var path = original?.Element("path");
        var format = original?.Element("format");
        var element = NodeReuse.Take(original, "target");
        WritePathFormatPermissions(element, path, target.Path, format, target.Format, target.Permissions, pool);
        if (target.Encryption is { } encryption)
        {
            element.Add(EncryptionXml.Write(encryption));
        }

        if (target.Compat is not null)
        {
            element.Add(new XElement("compat", target.Compat));
        }

        if (target.ClusterSize > 0)
        {
            element.Add(new XElement("clusterSize", new XAttribute("unit", "B"), target.ClusterSize.ToString(CultureInfo.InvariantCulture)));
        }

        if (target.Features is { } features)
        {
            element.Add(new XElement("features", features.Select(f => new XElement(f))));
        }

        return element;
    }

    private static XElement WriteBackingStore(StorageVolumeBackingStore backing, XElement? original, PoolTypeInfo pool)
    {
        var path = original?.Element("path");
        var format = original?.Element("format");
        var element = NodeReuse.Take(original, "backingStore");
        WritePathFormatPermissions(element, path, backing.Path, format, backing.Format, backing.Permissions, pool);
        return element;
    }

    private static void WritePathFormatPermissions(
        XElement element, XElement? originalPath, string? path, XElement? originalFormat, string? format, StoragePermissions permissions, PoolTypeInfo pool)
    {
        if (path is not null)
        {
            element.Add(NodeReuse.Take(originalPath, "path", path));
        }

        if (pool.VolumeFormats is not null && format is not null)
        {
            element.Add(NodeReuse.Take(originalFormat, "format").Set("type", format));
        }

        element.Add(PermissionsXml.ToXml(permissions));
    }
}
