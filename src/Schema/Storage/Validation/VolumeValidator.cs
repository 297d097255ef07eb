using System.Xml;
using System.Xml.Linq;
using Reconciler.Schema.Storage.Model;

namespace Reconciler.Schema.Storage.Validation;

/// <summary>What the test driver's vol-create checks once the volume is parsed (testStorageVolCreateXML).</summary>
internal sealed class VolumeValidator : StorageValidator<StorageVolumeDefinition>
{
    public VolumeValidator()
    {
        // The test driver's pool has 100 GiB, none of it allocated: the volume's allocation must fit.
        Check("testStorageVolCreateXML.space", v =>
            v.Allocation > PoolReader.TestDriverCapacity
                ? StorageFault.Internal($"Not enough free space in pool for volume '{v.Name}'", SizeElement(v.Xml))
                : null);
    }

    /// <summary>The allocation element when it came from the file, else the capacity it defaults to.</summary>
    private static XElement? SizeElement(XElement root)
    {
        var allocation = root.Element("allocation");
        return allocation is IXmlLineInfo info && info.HasLineInfo() ? allocation : root.Element("capacity");
    }
}
