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
        // Hot (every definition read): walked with the local-name helpers, without iterator chains.
        foreach (var (path, attribute) in XPathStringAttributes)
        {
            AtPath(root, path, 0, attribute, static (element, attribute) =>
            {
                if (element.A(attribute) is { Length: 0 })
                {
                    element.Attribute(attribute)!.Remove();
                }
            });
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
        var empty = new List<XElement>();
        foreach (var path in EmptyDroppedElements)
        {
            AtPath(root, path, 0, empty, static (e, empty) =>
            {
                if (!e.HasAttributes && !e.HasElements && e.Value.Length == 0)
                {
                    empty.Add(e);
                }
            });
        }

        foreach (var e in empty)
        {
            e.Remove();
        }
    }

    /// <summary>Calls <paramref name="visit"/> on each element at <paramref name="path"/> (child names from <paramref name="element"/>), without allocating.</summary>
    private static void AtPath<TState>(XElement element, string[] path, int depth, TState state, Action<XElement, TState> visit)
    {
        if (depth == path.Length)
        {
            visit(element, state);
            return;
        }

        foreach (var child in element.Els(path[depth]))
        {
            AtPath(child, path, depth + 1, state, visit);
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

    /// <summary>The elements (each a path from the domain) dropped when nothing is left in them.</summary>
    private static readonly string[][] EmptyDroppedElements =
    [
        ["devices", "interface", "model"], ["devices", "controller", "model"],
        ["memoryBacking", "source"], ["memoryBacking", "access"], ["memoryBacking", "allocation"], ["cpu", "vendor"],
    ];
}
