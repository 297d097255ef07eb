using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Storage;

/// <summary>
/// Reads volume XML into a <see cref="StorageVolumeDefinition"/> the way virStorageVolDefParseXML does for a
/// volume of a pool of the given type (the test driver's default pool is a dir pool). It never fails: what
/// the parse checks would reject is read as a default.
/// </summary>
internal static class VolumeReader
{
    public static StorageVolumeDefinition Read(XElement root) => Read(root, PoolTypeInfo.TestDriverDefaultPool);

    public static StorageVolumeDefinition Read(XElement root, PoolTypeInfo pool)
    {
        var type = StorageEnums.VolumeType.FromString(XPathLite.String(root, "@type"));
        var capacity = Size(root, "capacity") ?? 0;
        var backingPath = XPathLite.String(root, "backingStore/path");
        var backing = backingPath is null
            ? null
            : new StorageVolumeBackingStore(
                backingPath,
                Format(pool, XPathLite.String(root, "backingStore/format/@type")),
                Permissions(root, "backingStore/permissions"));

        return new StorageVolumeDefinition(
            root,
            XPathLite.String(root, "name") ?? string.Empty,
            XPathLite.String(root, "key"),
            StorageEnums.VolumeType.ToString(Math.Max(type, 0))!,
            capacity,
            Size(root, "allocation") ?? capacity,
            ReadTarget(root, pool),
            backing);
    }

    private static StorageVolumeTarget ReadTarget(XElement root, PoolTypeInfo pool)
    {
        var encryption = XPathLite.Node(root, "target/encryption");
        var compat = XPathLite.String(root, "target/compat");
        ValueList<string>? features = null;
        if (XPathLite.Node(root, "target/features") is not null)
        {
            compat ??= "1.1";
            var present = XPathLite.Elements(root, "target/features/*").Select(f => f.Name.LocalName).ToHashSet();
            features = StorageEnums.FileFeature.Names.Where(present.Contains).ToValueList();
        }

        _ = CStrToLong.TryULongLongPositive(XPathLite.String(root, "target/clusterSize"), 10, out var clusterSize);
        _ = ScaledInteger.TryScale(clusterSize, XPathLite.String(root, "target/clusterSize/@unit"), 1, ulong.MaxValue, out clusterSize, out _);

        return new StorageVolumeTarget(
            XPathLite.String(root, "target/path"),
            Format(pool, XPathLite.String(root, "target/format/@type")),
            Permissions(root, "target/permissions"),
            encryption is null ? null : EncryptionXml.Read(encryption),
            compat,
            clusterSize,
            features,
            XPathLite.Node(root, "target/nocow") is not null || root.Annotation<NocowAnnotation>() is not null);
    }

    /// <summary>The name of a volume format for the pool type: the pool type's default when none is given.</summary>
    private static string? Format(PoolTypeInfo pool, string? format)
    {
        if (pool.VolumeFormats is null)
        {
            return null;
        }

        var value = format is null ? pool.DefaultVolumeFormat : pool.VolumeFormatFromString(format);
        return pool.VolumeFormats.ToString(value < 0 ? pool.DefaultVolumeFormat : value);
    }

    private static StoragePermissions Permissions(XElement root, string path)
    {
        _ = PermissionsXml.TryParse(XPathLite.Node(root, path), out var permissions);
        return permissions;
    }

    /// <summary>virStorageSize: a size and its unit in bytes (bytes by default), or null when the element is absent.</summary>
    public static ulong? Size(XElement root, string name)
    {
        var text = XPathLite.String(root, name);
        if (text is null)
        {
            return null;
        }

        return CStrToLong.TryULongLongPositive(text, 10, out var value) &&
               ScaledInteger.TryScale(value, XPathLite.String(root, name + "/@unit"), 1, long.MaxValue, out var bytes, out _)
            ? bytes
            : 0;
    }
}

/// <summary>
/// Marks an effective volume whose spec asked for &lt;nocow/&gt;: libvirt honours it when it creates the volume
/// but does not write it back, so the effective XML keeps it only as this annotation.
/// </summary>
internal sealed class NocowAnnotation;
