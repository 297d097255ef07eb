using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Storage;

/// <summary>
/// Reads pool XML into a <see cref="StoragePoolDefinition"/> the way virStoragePoolDefParseXML does (source
/// name from the pool name, the logical and zfs target paths, sanitised paths ...). It never fails: what
/// the parse checks would reject is read as a default, so it is only meaningful on XML that passed them.
/// </summary>
internal static class PoolReader
{
    /// <summary>The test driver's pools (testStoragePoolDefineXML): 100 GiB, none of it allocated.</summary>
    public const ulong TestDriverCapacity = 100UL * 1024 * 1024 * 1024;

    public static StoragePoolDefinition Read(XElement root)
    {
        var type = VirXmlProp.Prop(root, "type") ?? "dir";
        var info = PoolTypeInfo.Find(type) ?? PoolTypeInfo.TestDriverDefaultPool;
        var sourceNode = XPathLite.Node(root, "source");
        var source = sourceNode is null ? StoragePoolSource.Empty with { Format = DefaultFormat(info) } : ReadSource(sourceNode, info);

        var name = XPathLite.String(root, "name") ?? (info.Has(PoolSourceFlags.Name) ? source.Name : null) ?? string.Empty;
        if (info.Has(PoolSourceFlags.Name) && source.Name is null)
        {
            source = source with { Name = name };
        }

        var cow = StorageEnums.TristateBool.FromString(XPathLite.Node(root, "features/cow")?.Attribute("state")?.Value);
        return new StoragePoolDefinition(
            root,
            info.Type,
            name,
            VirUuid.TryParse(XPathLite.String(root, "uuid"), out var uuid) ? uuid : Guid.Empty,
            Size(root, "capacity"),
            Size(root, "allocation"),
            Size(root, "available"),
            cow > 0 ? cow == 1 : null,
            source,
            ReadTarget(root, info, source),
            XPathLite.String(root, "refresh/volume/@allocation"));
    }

    /// <summary>The format number libvirt holds for a source: the pool type's default, the named one, or -1.</summary>
    public static int SourceFormat(PoolTypeInfo info, XElement? source)
    {
        if (info.PoolFormats is null)
        {
            return 0;
        }

        var format = XPathLite.String(source, "format/@type");
        return format is null ? info.DefaultPoolFormat : info.PoolFormats.FromString(format);
    }

    private static string? DefaultFormat(PoolTypeInfo info) => info.PoolFormats?.ToString(info.DefaultPoolFormat);

    private static StoragePoolSource ReadSource(XElement source, PoolTypeInfo info)
    {
        var hosts = source.Elements("host").Select(h =>
        {
            _ = CStrToLong.TryInt(VirXmlProp.Prop(h, "port"), 10, out var port);
            return new StoragePoolHost(VirXmlProp.Prop(h, "name") ?? string.Empty, port == 0 ? null : port);
        });
        var devices = source.Elements("device").Select(d =>
        {
            var separator = StorageEnums.TristateBool.FromString(VirXmlProp.Prop(d, "part_separator"));
            return new StoragePoolDevice(VirXmlProp.Prop(d, "path") ?? string.Empty, separator > 0 ? separator == 1 : null);
        });

        var dir = XPathLite.String(source, "dir/@path") is { } path ? VirFile.SanitizePath(path) : null;
        if (dir is null && info.Type == "gluster")
        {
            dir = "/";
        }

        var format = SourceFormat(info, source);
        var adapter = source.Element("adapter");
        var auth = source.Element("auth");
        return new StoragePoolSource(
            hosts.ToValueList(),
            devices.ToValueList(),
            dir,
            adapter is null ? null : AdapterXml.Read(adapter),
            XPathLite.String(source, "name"),
            info.PoolFormats is null ? null : info.PoolFormats.ToString(format) ?? DefaultFormat(info),
            auth is null ? null : AuthXml.Read(auth),
            XPathLite.String(source, "initiator/iqn/@name"),
            XPathLite.String(source, "protocol/@ver"),
            XPathLite.String(source, "vendor/@name"),
            XPathLite.String(source, "product/@name"));
    }

    private static StoragePoolTarget? ReadTarget(XElement root, PoolTypeInfo info, StoragePoolSource source)
    {
        if (info.Has(PoolSourceFlags.Network))
        {
            return null;
        }

        var path = info.Type switch
        {
            "logical" => "/dev/" + source.Name,
            "zfs" => "/dev/zvol/" + source.Name,
            _ => XPathLite.String(root, "target/path") ?? string.Empty,
        };
        _ = PermissionsXml.TryParse(XPathLite.Node(root, "target/permissions"), out var permissions);
        return new StoragePoolTarget(VirFile.SanitizePath(path), permissions);
    }

    /// <summary>A size element of the effective XML (libvirt writes them in bytes), scaled by its unit.</summary>
    private static ulong Size(XElement root, string name)
    {
        var element = root.Element(name);
        return element is not null && CStrToLong.TryULongLongPositive(element.Value, 10, out var value) &&
               ScaledInteger.TryScale(value, element.Attribute("unit")?.Value, 1, ulong.MaxValue, out var bytes, out _)
            ? bytes
            : 0;
    }
}
