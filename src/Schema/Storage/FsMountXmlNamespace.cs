using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Model;

namespace Reconciler.Schema.Storage;

/// <summary>
/// The XML namespace of libvirt's fs and netfs pool backends (storage_backend_fs.c,
/// virStoragePoolFSXMLNamespace): extra options for the <c>mount -o</c> that starts the pool, written as
/// <c>&lt;fs:mount_opts&gt;&lt;fs:option name='...'/&gt;&lt;/fs:mount_opts&gt;</c> with
/// <c>xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'</c>. Only the storage driver on a host reads
/// it; the effective definition (the test driver's) does not keep it, so it is read from
/// <see cref="SpecDocument.Extensions"/>.
/// </summary>
public static class FsMountXmlNamespace
{
    public static readonly XNamespace Uri = "http://libvirt.org/schemas/storagepool/fs/1.0";

    /// <summary>The pool types whose backend registers the namespace.</summary>
    public static bool AppliesTo(string poolType) => poolType is "fs" or "netfs";

    /// <summary>
    /// The option names in document order (virStoragePoolDefFSNamespaceParse: every
    /// <c>./fs:mount_opts/fs:option</c>); an option without a name is libvirt's error.
    /// </summary>
    public static ValueList<string> MountOptions(IEnumerable<XElement> extensions, out SchemaError? error)
    {
        error = null;
        var names = new List<string>();
        foreach (var option in extensions.Where(e => e.Name == Uri + "mount_opts").Elements(Uri + "option"))
        {
            if (option.Attribute("name")?.Value is not { } name)
            {
                error = SchemaError.Create(ErrorCode.XmlError, "no fs mount option name specified", XmlPosition.Of(option));
                return ValueList<string>.Empty;
            }

            names.Add(name);
        }

        return new ValueList<string>(names);
    }

    /// <summary>The mount options of a pool document; none for pool types other than fs and netfs.</summary>
    public static ValueList<string> MountOptions(SpecDocument document, out SchemaError? error)
    {
        error = null;
        return document.Effective is { } pool && AppliesTo(pool.Attribute("type")?.Value ?? string.Empty)
            ? MountOptions(document.Extensions, out error)
            : ValueList<string>.Empty;
    }
}
