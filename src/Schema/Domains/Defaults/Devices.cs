using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>
    /// Device post-parse in libvirt's order: what the parser does while reading each device, the controller
    /// indexes, each device's own post-parse, then the implicit devices and the checks that follow them.
    /// </summary>
    private static void ApplyDevices(SpecContext context, XElement root, XElement devices)
    {
        ApplyFeatures(root);
    }
}
