using System.Xml.Linq;
using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Storage.Validation;

/// <summary>
/// The checks of virStorageVolDefParseXML (libvirt 9.0.0), in its order, as the test driver's vol-create
/// runs it: capacity required, the volume formats of the pool's type.
/// </summary>
internal sealed class VolumeParseValidator : StorageValidator<VolumeXml>
{
    public VolumeParseValidator()
    {
        Check("virStorageVolDefParseXML.name", v =>
            XPathLite.String(v.Root, "name") is null ? StorageFault.Xml("missing volume name element", v.Root) : null);
        Check("virStorageVolDefParseXML.type", v =>
            XPathLite.String(v.Root, "@type") is { } type && StorageEnums.VolumeType.FromString(type) < 0
                ? StorageFault.Unsupported($"unknown volume type '{type}'", v.Root.Attribute("type"))
                : null);
        Check("virStorageVolDefParseXML.backingStore", BackingStore);
        Check("virStorageVolDefParseXML.capacity", v => XPathLite.String(v.Root, "capacity") is null
            ? StorageFault.Xml("missing capacity element", v.Root)
            : Size(v.Root, "capacity"));
        Check("virStorageVolDefParseXML.allocation", v => Size(v.Root, "allocation"));
        Check("virStorageVolDefParseXML.format", v => Format(v, "target/format/@type"));
        Check("virStorageVolDefParseXML.permissions", v =>
            PermissionsXml.TryParse(XPathLite.Node(v.Root, "target/permissions"), out _));
        Check("virStorageEncryptionParseNode", v =>
            XPathLite.Node(v.Root, "target/encryption") is { } encryption ? EncryptionXml.Check(encryption) : null);
        Check("virStorageCheckCompat", v => Compat(v.Root));
        Check("virStorageVolDefParseXML.clusterSize", v => ClusterSize(v.Root));
        Check("virStorageVolDefParseXML.features", v =>
            XPathLite.Elements(v.Root, "target/features/*").FirstOrDefault(f => StorageEnums.FileFeature.FromString(f.Name.LocalName) < 0) is { } feature
                ? StorageFault.Unsupported($"unsupported feature {feature.Name.LocalName}", feature)
                : null);
    }

    /// <summary>A backing store is read when it has a path: its format, then its permissions.</summary>
    private static StorageFault? BackingStore(VolumeXml v)
    {
        if (XPathLite.String(v.Root, "backingStore/path") is null)
        {
            return null;
        }

        return Format(v, "backingStore/format/@type") ??
               PermissionsXml.TryParse(XPathLite.Node(v.Root, "backingStore/permissions"), out _);
    }

    /// <summary>A volume format the pool type knows (for a dir pool: an image format other than "none").</summary>
    private static StorageFault? Format(VolumeXml v, string path)
    {
        if (v.Pool.VolumeFormats is null || XPathLite.String(v.Root, path) is not { } format)
        {
            return null;
        }

        return v.Pool.VolumeFormatFromString(format) < 0
            ? StorageFault.Unsupported($"unknown volume format type {format}", XPathLite.Origin(v.Root, path))
            : null;
    }

    /// <summary>virStorageSize: a non-negative decimal, scaled by its unit (bytes by default) up to LLONG_MAX.</summary>
    private static StorageFault? Size(XElement root, string name)
    {
        var text = XPathLite.String(root, name);
        if (text is null)
        {
            return null;
        }

        var element = XPathLite.Node(root, name);
        if (!CStrToLong.TryULongLongPositive(text, 10, out var value))
        {
            return StorageFault.Xml("malformed capacity element", element);
        }

        return Scale(value, XPathLite.String(root, name + "/@unit"), long.MaxValue, element);
    }

    /// <summary>virScaleInteger's errors.</summary>
    internal static StorageFault? Scale(ulong value, string? unit, ulong limit, XObject? at)
    {
        if (ScaledInteger.TryScale(value, unit, 1, limit, out _, out var error))
        {
            return null;
        }

        return error == ScaleError.UnknownUnit
            ? StorageFault.InvalidArgument($"unknown suffix '{unit}'", at)
            : StorageFault.Overflow($"value too large: {value}{unit}", at);
    }

    /// <summary>virStorageCheckCompat: two unsigned numbers separated by a dot ("0.10", "1.1").</summary>
    private static StorageFault? Compat(XElement root)
    {
        var compat = XPathLite.String(root, "target/compat");
        if (compat is null)
        {
            return null;
        }

        var dot = compat.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 || !CStrToLong.TryUInt(compat[..dot], 10, out _) || !CStrToLong.TryUInt(compat[(dot + 1)..], 10, out _)
            ? StorageFault.Xml("forbidden characters in 'compat' attribute", XPathLite.Node(root, "target/compat"))
            : null;
    }

    /// <summary>virParseScaledValue on target/clusterSize: bytes by default, up to ULLONG_MAX.</summary>
    private static StorageFault? ClusterSize(XElement root)
    {
        const string Path = "target/clusterSize";
        var text = XPathLite.String(root, Path);
        if (text is null)
        {
            return null;
        }

        var element = XPathLite.Node(root, Path);
        if (!CStrToLong.TryULongLongPositive(text, 10, out var value))
        {
            return StorageFault.Xml($"Invalid value '{text}' for element or attribute './{Path}'", element);
        }

        return Scale(value, XPathLite.String(root, Path + "/@unit"), ulong.MaxValue, element);
    }
}
