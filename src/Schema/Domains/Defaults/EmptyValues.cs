using System.Xml.Linq;
using Reconciler.Schema.Xml;

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
        // Hot (every definition read): walked with the local-name helpers, which allocate nothing.
        foreach (var (path, attribute) in XPathStringAttributes)
        {
            DropEmptyAttribute(root, path, 0, attribute);
        }

        // virDomainStorageSourceParse drops an empty path (a CD-ROM without media written as file='').
        foreach (var disk in root.El("devices").Els("disk"))
        {
            foreach (var source in disk.Descendants())
            {
                if (source.Name.LocalName == "source" && source.Parent?.Name.LocalName is "disk" or "backingStore")
                {
                    foreach (var name in (string[])["file", "dev", "dir"])
                    {
                        if (source.A(name) is { Length: 0 })
                        {
                            source.Attribute(name)!.Remove();
                        }
                    }
                }
            }
        }

        // Elements libvirt writes with virXMLFormatElement disappear when nothing is left in them.
        List<XElement>? empty = null;
        foreach (var (path, name) in EmptyDroppedElements)
        {
            CollectEmpty(root, path, 0, name, ref empty);
        }

        foreach (var e in empty ?? [])
        {
            e.Remove();
        }
    }

    private static void DropEmptyAttribute(XElement element, string[] path, int depth, string attribute)
    {
        if (depth == path.Length)
        {
            if (element.A(attribute) is { Length: 0 })
            {
                element.Attribute(attribute)!.Remove();
            }

            return;
        }

        foreach (var child in element.Els(path[depth]))
        {
            DropEmptyAttribute(child, path, depth + 1, attribute);
        }
    }

    private static void CollectEmpty(XElement element, string[] path, int depth, string name, ref List<XElement>? empty)
    {
        if (depth == path.Length)
        {
            foreach (var e in element.Els(name))
            {
                if (!e.HasAttributes && !e.HasElements && e.Value.Length == 0)
                {
                    (empty ??= []).Add(e);
                }
            }

            return;
        }

        foreach (var child in element.Els(path[depth]))
        {
            CollectEmpty(child, path, depth + 1, name, ref empty);
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
