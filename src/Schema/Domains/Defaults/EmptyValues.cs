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
        // Hot (every definition read): one walk along the paths, with the local-name helpers. An element's
        // empty values go before it is looked at for being empty (elements found empty are removed at the end).
        var empty = new List<XElement>();
        DropEmptyValues(root, EmptyValuePaths, empty);

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
        foreach (var e in empty)
        {
            e.Remove();
        }
    }

    /// <summary>Visits the children of <paramref name="element"/> that <paramref name="paths"/> names, and theirs.</summary>
    private static void DropEmptyValues(XElement element, PathNode paths, List<XElement> empty)
    {
        for (var node = element.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is not XElement child)
            {
                continue;
            }

            foreach (var path in paths.Children)
            {
                if (!XmlExtensions.Named(child.Name, path.Name))
                {
                    continue;
                }

                foreach (var attribute in path.Attributes)
                {
                    if (child.A(attribute) is { Length: 0 })
                    {
                        child.Attribute(attribute)!.Remove();
                    }
                }

                DropEmptyValues(child, path, empty);
                if (path.DroppedWhenEmpty && !child.HasAttributes && !child.HasElements && child.Value.Length == 0)
                {
                    empty.Add(child);
                }

                break;
            }
        }
    }

    /// <summary>An element name along the paths: the attributes read there, and the names below it.</summary>
    private sealed class PathNode(string name)
    {
        public string Name { get; } = name;

        public List<string> Attributes { get; } = [];

        public bool DroppedWhenEmpty { get; private set; }

        public List<PathNode> Children { get; } = [];

        public static PathNode Build((string[] Path, string Attribute)[] attributes, string[][] dropped)
        {
            var root = new PathNode(string.Empty);
            foreach (var (path, attribute) in attributes)
            {
                root.At(path).Attributes.Add(attribute);
            }

            foreach (var path in dropped)
            {
                root.At(path).DroppedWhenEmpty = true;
            }

            return root;
        }

        private PathNode At(string[] path)
        {
            var node = this;
            foreach (var name in path)
            {
                var next = node.Children.Find(c => c.Name == name);
                if (next is null)
                {
                    next = new PathNode(name);
                    node.Children.Add(next);
                }

                node = next;
            }

            return node;
        }
    }

    /// <summary>A disk source with nothing left in it is not written (the disk keeps its type).</summary>
    private static void DropEmptyDiskSources(XElement root)
    {
        // Collected first, then removed (a removal would end the walk); most definitions have none.
        List<XElement>? empty = null;
        foreach (var devices in root.Els("devices"))
        {
            foreach (var disk in devices.Els("disk"))
            {
                foreach (var source in disk.Els("source"))
                {
                    if (!source.HasAttributes && !source.HasElements)
                    {
                        (empty ??= []).Add(source);
                    }
                }
            }
        }

        foreach (var source in empty ?? [])
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

    /// <summary>
    /// <see cref="XPathStringAttributes"/> and <see cref="EmptyDroppedElements"/> as one tree of element names,
    /// so that one walk over the definition visits every element either names. (Declared after both: static
    /// fields are initialized in the order they are written.)
    /// </summary>
    private static readonly PathNode EmptyValuePaths = PathNode.Build(XPathStringAttributes, EmptyDroppedElements);
}
