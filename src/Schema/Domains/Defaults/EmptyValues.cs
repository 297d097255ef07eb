using System.Xml.Linq;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>
    /// The attributes libvirt reads with virXPathString (string(...)), for which an empty value is no value:
    /// each path is the element (from the domain) and the attribute.
    /// </summary>
    private static readonly (string[] Path, string Attribute)[] XPathStringAttributes =
    [
        (["clock"], "offset"), (["clock"], "adjustment"), (["clock"], "basis"), (["clock"], "timezone"),
        (["os", "type"], "machine"), (["cpu", "model"], "fallback"), (["cpu", "model"], "vendor_id"),
        (["devices", "video", "model"], "type"), (["devices", "video", "model"], "ram"), (["devices", "video", "model"], "vram"),
        (["devices", "video", "model"], "vram64"), (["devices", "video", "model"], "vgamem"), (["devices", "video", "model"], "heads"),
        (["devices", "video", "model"], "primary"), (["memoryBacking", "source"], "type"), (["memoryBacking", "access"], "mode"),
        (["memoryBacking", "allocation"], "mode"), (["memoryBacking", "allocation"], "threads"), (["maxMemory"], "slots"),
        (["devices", "interface", "model"], "type"), (["devices", "interface", "link"], "state"),
        (["devices", "interface", "guest"], "dev"), (["devices", "interface", "guest"], "actual"),
        (["devices", "interface", "script"], "path"), (["devices", "interface", "downscript"], "path"),
        (["devices", "interface", "backenddomain"], "name"), (["devices", "disk", "backenddomain"], "name"),
    ];

    /// <summary>Removes the empty values of <see cref="XPathStringAttributes"/>, which libvirt does not keep.</summary>
    private static void DropEmptyXPathValues(XElement root)
    {
        foreach (var (path, attribute) in XPathStringAttributes)
        {
            IEnumerable<XElement> elements = [root];
            foreach (var step in path)
            {
                elements = elements.Elements(step);
            }

            foreach (var e in elements.ToList())
            {
                if (e.Attribute(attribute) is { Value.Length: 0 } empty)
                {
                    empty.Remove();
                }
            }
        }

        // virDomainStorageSourceParse drops an empty path (a CD-ROM without media written as file='').
        foreach (var source in root.Elements("devices").Elements("disk").DescendantsAndSelf()
                     .Where(e => e.Name.LocalName == "source" && e.Parent?.Name.LocalName is "disk" or "backingStore").ToList())
        {
            foreach (var name in (string[])["file", "dev", "dir"])
            {
                if (source.Attribute(name) is { Value.Length: 0 } empty)
                {
                    empty.Remove();
                }
            }
        }

        // Elements libvirt writes with virXMLFormatElement disappear when nothing is left in them.
        foreach (var (path, name) in EmptyDroppedElements)
        {
            IEnumerable<XElement> parents = [root];
            foreach (var step in path)
            {
                parents = parents.Elements(step);
            }

            foreach (var e in parents.Elements(name).Where(e => !e.HasAttributes && !e.HasElements && e.Value.Length == 0).ToList())
            {
                e.Remove();
            }
        }
    }

    /// <summary>A disk source with nothing left in it is not written (the disk keeps its type).</summary>
    private static void DropEmptyDiskSources(XElement root)
    {
        foreach (var source in root.Elements("devices").Elements("disk").Elements("source")
                     .Where(e => !e.HasAttributes && !e.HasElements).ToList())
        {
            source.Remove();
        }
    }

    private static readonly (string[] Path, string Element)[] EmptyDroppedElements =
    [
        (["devices", "interface"], "model"), (["devices", "controller"], "model"),
        (["memoryBacking"], "source"), (["memoryBacking"], "access"), (["memoryBacking"], "allocation"), (["cpu"], "vendor"),
    ];
}
