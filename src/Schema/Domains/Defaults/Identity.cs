using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>virDomainDefParseIDs: a UUID is generated when absent; the inactive XML has no id.</summary>
    private static void ApplyIdentity(XElement root, IIdentityGenerator identity)
    {
        root.Attribute("id")?.Remove();

        // An empty <uuid/> counts as none; a domain without one takes its SMBIOS system UUID, if any.
        var uuid = root.El("uuid");
        if (uuid is not null && uuid.Value.Length == 0)
        {
            uuid.Remove();
            uuid = null;
        }

        if (uuid is null)
        {
            var name = root.El("name");
            var system = root.Els("sysinfo").Where(s => s.A("type") == "smbios")
                .Select(s => Validation.ParseRules.SysinfoEntry(s.El("system"), "uuid")?.Value)
                .LastOrDefault(u => u is not null);
            var value = Uuids.TryParse(system, out var fromSysinfo) ? fromSysinfo : identity.NewUuid();
            var generated = new XElement("uuid", Identifiers.FormatUuid(value));
            if (name is not null)
            {
                name.AddAfterSelf(generated);
            }
            else
            {
                root.AddFirst(generated);
            }
        }
        else if (Uuids.TryParse(uuid.Value, out var parsed))
        {
            uuid.SetText(Identifiers.FormatUuid(parsed));
        }

        var genid = root.El("genid");
        if (genid is not null)
        {
            if (string.IsNullOrWhiteSpace(genid.Value))
            {
                genid.SetText(Identifiers.FormatUuid(identity.NewUuid()));
            }
            else if (Uuids.TryParse(genid.Value, out var g))
            {
                genid.SetText(Identifiers.FormatUuid(g));
            }
        }

        // virXMLNodeSanitizeNamespaces: metadata keeps one element per namespace, and none without one.
        var metadata = root.El("metadata");
        if (metadata is not null)
        {
            var seen = new HashSet<XNamespace>();
            foreach (var child in metadata.Elements().ToList())
            {
                if (child.Name.Namespace == XNamespace.None || !seen.Add(child.Name.Namespace))
                {
                    child.Remove();
                    continue;
                }

                // Each kept element carries its own namespace declaration, as virXMLFormatMetadata writes it.
                var ns = child.Name.Namespace;
                var prefix = child.GetPrefixOfNamespace(ns);
                var declared = child.Attributes().Any(a => a.IsNamespaceDeclaration && a.Value == ns.NamespaceName);
                if (!declared)
                {
                    child.Add(prefix is null
                        ? new XAttribute("xmlns", ns.NamespaceName)
                        : new XAttribute(XNamespace.Xmlns + prefix, ns.NamespaceName));
                }
            }
        }
    }

    /// <summary>virDomainDefParseCaps: the architecture defaults to the driver's (i686).</summary>
    private static void ApplyCaps(XElement root)
    {
        var os = root.El("os");
        var type = os.El("type");
        if (type is null)
        {
            return;
        }

        // An empty architecture is none: the driver's default.
        if (string.IsNullOrEmpty(type.A("arch")))
        {
            type.Set("arch", "i686");
        }

        type.OrderAttributes(["arch", "machine"]);
    }
}
