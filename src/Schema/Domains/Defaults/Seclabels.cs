using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>
    /// virSecurityLabelDefParseXML (inactive) / virSecurityLabelDefFormat: dynamic labels by default with
    /// relabelling, only static labels keep their label, image labels are runtime state.
    /// </summary>
    private static void ApplySeclabels(XElement root)
    {
        foreach (var seclabel in root.Els("seclabel").ToList())
        {
            var model = seclabel.A("model");
            var type = seclabel.A("type") ?? "dynamic";
            var relabel = seclabel.A("relabel") is { } r ? XmlExtensions.IsYes(r) : type == "dynamic";
            if (model == "none")
            {
                type = "none";
                relabel = false;
            }

            if (type == "default")
            {
                seclabel.Remove();
                continue;
            }

            var label = seclabel.El("label")?.Value;
            var baselabel = seclabel.El("baselabel")?.Value;
            var rebuilt = new XElement("seclabel", new XAttribute("type", type));
            rebuilt.Set("model", model);
            if (type != "none")
            {
                rebuilt.Set("relabel", relabel ? "yes" : "no");
                if (type == "static" && label is not null)
                {
                    rebuilt.Add(new XElement("label", label));
                }

                if (type == "dynamic" && baselabel is not null)
                {
                    rebuilt.Add(new XElement("baselabel", baselabel));
                }
            }

            seclabel.ReplaceWith(rebuilt);
        }
    }

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
        (["memoryBacking"], "source"), (["memoryBacking"], "access"), (["memoryBacking"], "allocation"),
    ];

    /// <summary>
    /// Elements of a hypervisor namespace (qemu:commandline and the like) are only understood by the driver
    /// that registered the namespace; like libvirt's test driver, ours has none, so they are not kept.
    /// </summary>
    private static void DropForeignNamespaceElements(XElement root)
    {
        foreach (var e in root.Elements().Where(e => e.Name.Namespace != XNamespace.None).ToList())
        {
            e.Remove();
        }

        foreach (var a in root.Attributes().Where(a => a.IsNamespaceDeclaration).ToList())
        {
            a.Remove();
        }
    }
}
