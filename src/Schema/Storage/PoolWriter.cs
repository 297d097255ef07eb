using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Storage;

/// <summary>
/// Writes a pool into its root element the way virStoragePoolDefFormat does: libvirt's elements in libvirt's
/// order, only the source parts the pool type uses, and nothing libvirt does not keep. Elements that came
/// from the file are reused so that they keep their position.
/// </summary>
internal static class PoolWriter
{
    public static void Write(StoragePoolDefinition pool, XElement root)
    {
        var info = PoolTypeInfo.Find(pool.Type) ?? PoolTypeInfo.TestDriverDefaultPool;
        var originalSource = XPathLite.Node(root, "source");
        var source = WriteSource(pool.Source, info, originalSource);
        var target = info.HasTarget && pool.Target is { } t ? WriteTarget(t, root) : null;
        var name = root.Element("name");
        var uuid = root.Element("uuid");
        var capacity = root.Element("capacity");
        var allocation = root.Element("allocation");
        var available = root.Element("available");
        var features = root.Element("features");
        var refresh = root.Element("refresh");

        root.RemoveAll();
        root.Add(new XAttribute("type", pool.Type));
        root.Add(NodeReuse.Take(name, "name", pool.Name));
        root.Add(NodeReuse.Take(uuid, "uuid", VirUuid.Format(pool.Uuid)));
        root.Add(Bytes(capacity, "capacity", pool.Capacity));
        root.Add(Bytes(allocation, "allocation", pool.Allocation));
        root.Add(Bytes(available, "available", pool.Available));
        if (pool.Cow is { } cow)
        {
            var element = NodeReuse.Take(features, "features");
            element.Add(new XElement("cow", new XAttribute("state", cow ? "yes" : "no")));
            root.Add(element);
        }

        root.Add(source);
        root.Add(target);
        if (pool.RefreshVolumeAllocation is { } refreshAllocation)
        {
            var element = NodeReuse.Take(refresh, "refresh");
            element.Add(new XElement("volume", new XAttribute("allocation", refreshAllocation)));
            root.Add(element);
        }
    }

    private static XElement Bytes(XElement? original, string name, ulong value)
    {
        var element = NodeReuse.Take(original, name, value.ToString(CultureInfo.InvariantCulture));
        element.SetAttributeValue("unit", "bytes");
        return element;
    }

    private static XElement WriteSource(StoragePoolSource source, PoolTypeInfo info, XElement? original)
    {
        var hosts = original.Els("host").ToList();
        var devices = original.Els("device").ToList();
        var dir = original?.Element("dir");
        var name = original?.Element("name");
        var format = original?.Element("format");
        var element = NodeReuse.Take(original, "source");

        if (info.Has(PoolSourceFlags.Host))
        {
            for (var i = 0; i < source.Hosts.Count; i++)
            {
                var host = NodeReuse.Take(NodeReuse.At(hosts, i), "host");
                host.SetAttributeValue("name", source.Hosts[i].Name);
                host.SetAttributeValue("port", source.Hosts[i].Port?.ToString(CultureInfo.InvariantCulture));
                element.Add(host);
            }
        }

        if (info.Has(PoolSourceFlags.Device))
        {
            for (var i = 0; i < source.Devices.Count; i++)
            {
                var device = NodeReuse.Take(NodeReuse.At(devices, i), "device");
                device.SetAttributeValue("path", source.Devices[i].Path);
                device.SetAttributeValue("part_separator", source.Devices[i].PartSeparator is { } yes ? (yes ? "yes" : "no") : null);
                element.Add(device);
            }
        }

        if (info.Has(PoolSourceFlags.Dir) && source.Dir is not null)
        {
            element.Add(NodeReuse.Take(dir, "dir").Set("path", source.Dir));
        }

        if (info.Has(PoolSourceFlags.Adapter) && source.Adapter is { } adapter)
        {
            element.Add(AdapterXml.Write(adapter));
        }

        if (info.Has(PoolSourceFlags.Name) && source.Name is not null)
        {
            element.Add(NodeReuse.Take(name, "name", source.Name));
        }

        if (info.Has(PoolSourceFlags.InitiatorIqn) && source.InitiatorIqn is not null)
        {
            element.Add(new XElement("initiator", new XElement("iqn", new XAttribute("name", source.InitiatorIqn))));
        }

        if (info.PoolFormats is not null && source.Format is not null)
        {
            element.Add(NodeReuse.Take(format, "format").Set("type", source.Format));
        }

        if (source.Auth is { } auth)
        {
            element.Add(AuthXml.Write(auth));
        }

        AddNamed(element, "protocol", "ver", source.ProtocolVersion);
        AddNamed(element, "vendor", "name", source.Vendor);
        AddNamed(element, "product", "name", source.Product);
        return element;
    }

    private static XElement WriteTarget(StoragePoolTarget target, XElement root)
    {
        var original = XPathLite.Node(root, "target");
        var path = XPathLite.Node(root, "target/path");
        var element = NodeReuse.Take(original, "target");
        element.Add(NodeReuse.Take(path, "path", target.Path));
        element.Add(PermissionsXml.ToXml(target.Permissions));
        return element;
    }

    private static void AddNamed(XElement parent, string name, string attribute, string? value)
    {
        if (value is not null)
        {
            parent.Add(new XElement(name, new XAttribute(attribute, value)));
        }
    }
}
