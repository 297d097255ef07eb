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
    /// Elements of a hypervisor namespace (qemu:commandline and the like) are only understood by the driver
    /// that registered the namespace; like libvirt's test driver, ours has none, so they are not kept.
    /// </summary>
    private static void DropForeignNamespaceElements(XElement root)
    {
        foreach (var e in root.NamespacedChildren())
        {
            e.Remove();
        }

        if (HasNamespaceDeclaration(root))
        {
            foreach (var a in root.Attributes().Where(a => a.IsNamespaceDeclaration).ToList())
            {
                a.Remove();
            }
        }

        static bool HasNamespaceDeclaration(XElement root)
        {
            for (var a = root.FirstAttribute; a is not null; a = a.NextAttribute)
            {
                if (a.IsNamespaceDeclaration)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
