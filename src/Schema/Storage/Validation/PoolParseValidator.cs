using FluentValidation;
using Reconciler.Schema.Storage.Support;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Storage.Validation;

/// <summary>The checks of virStoragePoolDefParseXML (libvirt 9.0.0), in its order.</summary>
internal sealed class PoolParseValidator : StorageValidator<PoolXml>
{
    public PoolParseValidator()
    {
        Check("virStoragePoolDefParseXML.type", p =>
            VirXmlProp.Enum(p.Root, "type", StorageEnums.PoolType, out _, nonZero: false, required: true));
        When(p => p.Source is not null, () => Include(new PoolSourceValidator()));
        Check("virStoragePoolDefParseXML.name", Name);
        Check("virStoragePoolDefParseXML.uuid", p =>
            XPathLite.String(p.Root, "uuid") is { } uuid && !VirUuid.TryParse(uuid, out _)
                ? StorageFault.Xml("malformed uuid element", p.Root.Element("uuid"))
                : null);
        Check("virStoragePoolDefParseFeatures", Features);
        Check("virStoragePoolDefParseXML.host", p =>
            p.Type.Has(PoolSourceFlags.Host) && !p.Source.Els("host").Any()
                ? StorageFault.Xml("missing storage pool source host name", p.SourceOrRoot)
                : null);
        Check("virStoragePoolDefParseXML.dir", p =>
            p.Type.Has(PoolSourceFlags.Dir) && p.Type.Type != "gluster" && XPathLite.String(p.Source, "dir/@path") is null
                ? StorageFault.Xml("missing storage pool source path", p.SourceOrRoot)
                : null);
        Check("virStorageAdapterValidate", p =>
            p.Type.Has(PoolSourceFlags.Adapter) ? AdapterXml.Validate(p.Source?.Element("adapter"), p.SourceOrRoot) : null);
        Check("virStoragePoolDefParseXML.device", p =>
            p.Type.Flags == PoolSourceFlags.Device && !p.Source.Els("device").Any()
                ? StorageFault.Xml("missing storage pool source device name", p.SourceOrRoot)
                : null);
        Check("virStoragePoolDefParseXML.target", Target);
        Check("virStoragePoolDefParseXML.initiator", p =>
            p.Type.Type == "iscsi-direct" && XPathLite.String(p.Source, "initiator/iqn/@name") is null
                ? StorageFault.Unsupported("missing initiator IQN", p.SourceOrRoot)
                : null);
        Check("virStoragePoolDefRefreshParse", p =>
            XPathLite.String(p.Root, "refresh/volume/@allocation") is { } allocation &&
            StorageEnums.RefreshAllocation.FromString(allocation) < 0
                ? StorageFault.Unsupported(
                    $"unknown storage pool volume refresh allocation type {allocation}",
                    XPathLite.Origin(p.Root, "refresh/volume/@allocation"))
                : null);
    }

    /// <summary>The pool's name (the source name for pool types that have one), without '/'.</summary>
    private static StorageFault? Name(PoolXml p)
    {
        var name = XPathLite.String(p.Root, "name");
        if (name is null && p.Type.Has(PoolSourceFlags.Name))
        {
            name = XPathLite.String(p.Source, "name");
        }

        if (name is null)
        {
            return StorageFault.Xml("missing pool source name element", p.Root);
        }

        return name.Contains('/', StringComparison.Ordinal)
            ? StorageFault.Xml($"name {name} cannot contain '/'", p.Root.Element("name") ?? p.Source?.Element("name"))
            : null;
    }

    /// <summary>&lt;features&gt;&lt;cow state=.../&gt;: a yes/no, for fs and dir pools only.</summary>
    private static StorageFault? Features(PoolXml p)
    {
        var cow = XPathLite.Node(p.Root, "features/cow");
        if (cow is null)
        {
            return null;
        }

        if (VirXmlProp.Tristate(cow, "state", StorageEnums.TristateBool, out var state) is { } fault)
        {
            return fault;
        }

        return state > 0 && p.Type.Type is not ("fs" or "dir")
            ? StorageFault.NoSupport("cow feature may only be used for 'fs' and 'dir' pools", cow)
            : null;
    }

    /// <summary>The target path (given, or derived for logical and zfs pools) and its permissions; none for network pools.</summary>
    private static StorageFault? Target(PoolXml p)
    {
        if (p.Type.Has(PoolSourceFlags.Network))
        {
            return null;
        }

        if (p.Type.Type is not ("logical" or "zfs") && XPathLite.String(p.Root, "target/path") is null)
        {
            return StorageFault.Xml("missing storage pool target path", p.Root.Element("target") ?? p.Root);
        }

        return PermissionsXml.TryParse(XPathLite.Node(p.Root, "target/permissions"), out _);
    }
}
