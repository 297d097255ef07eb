using Reconciler.Schema.Storage.Support;

namespace Reconciler.Schema.Storage.Validation;

/// <summary>The checks of virStoragePoolDefParseSource (libvirt 9.0.0) on the pool's first &lt;source&gt;, in its order.</summary>
internal sealed class PoolSourceValidator : StorageValidator<PoolXml>
{
    private const int NetFsAuto = 0;
    private const int NetFsNfs = 1;

    public PoolSourceValidator()
    {
        Check("virStoragePoolDefParseSource.name", p =>
            p.Type.Type == "rbd" && XPathLite.String(p.Source, "name") is null
                ? StorageFault.Xml("element 'name' is mandatory for RBD pool", p.Source)
                : null);
        Check("virStoragePoolDefParseSource.format", p =>
            p.Type.PoolFormats is not null && XPathLite.String(p.Source, "format/@type") is { } format &&
            p.Type.PoolFormats.FromString(format) < 0
                ? StorageFault.Unsupported($"unknown pool format type {format}", XPathLite.Origin(p.Source, "format/@type"))
                : null);
        Check("virStoragePoolDefParseSource.host", Hosts);
        Check("virStoragePoolDefParseSource.device", Devices);
        Check("virStorageAdapterParseXML", p => p.Source!.Element("adapter") is { } adapter ? AdapterXml.Check(adapter) : null);
        Check("virStorageAuthDefParse", p => p.Source!.Element("auth") is { } auth ? AuthXml.Check(auth) : null);
        Check("virStoragePoolDefParseSource.protocol", Protocol);
    }

    private static StorageFault? Hosts(PoolXml p)
    {
        foreach (var host in p.Source!.Elements("host"))
        {
            if (VirXmlProp.Prop(host, "name") is null)
            {
                return StorageFault.Xml("missing storage pool host name", host);
            }

            if (VirXmlProp.Int(host, "port", 10, out _) is { } fault)
            {
                return fault;
            }
        }

        return null;
    }

    private static StorageFault? Devices(PoolXml p)
    {
        foreach (var device in p.Source!.Elements("device"))
        {
            if (VirXmlProp.Prop(device, "path") is null)
            {
                return StorageFault.Xml("missing storage pool source device path", device);
            }

            if (VirXmlProp.Tristate(device, "part_separator", StorageEnums.TristateBool, out _) is { } fault)
            {
                return fault;
            }
        }

        return null;
    }

    /// <summary>
    /// &lt;protocol ver=.../&gt;: only with the NFS or automatic format. libvirt names the format from the netfs
    /// list whatever the pool type, so that other pool types without a format (0, "auto") pass.
    /// </summary>
    private static StorageFault? Protocol(PoolXml p)
    {
        var version = XPathLite.String(p.Source, "protocol/@ver");
        if (version is null)
        {
            return null;
        }

        var format = PoolReader.SourceFormat(p.Type, p.Source);
        var at = XPathLite.Origin(p.Source, "protocol/@ver");
        if (format is not (NetFsAuto or NetFsNfs))
        {
            var name = StorageEnums.PoolFormatFileSystemNet.ToString(format) ?? "(null)";
            return StorageFault.Unsupported($"storage pool protocol ver unsupported for pool type '{name}'", at);
        }

        return version.Contains(',', StringComparison.Ordinal)
            ? StorageFault.DetailOnly($"storage pool protocol ver '{version}' must not contain ','", at)
            : null;
    }
}
