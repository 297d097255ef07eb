using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Model;

namespace Reconciler.Schema.Networks;

/// <summary>
/// libvirt's network driver XML namespace (bridge_driver.c, networkDnsmasqXMLNamespace): extra lines for the
/// network's dnsmasq configuration, written as
/// <c>&lt;dnsmasq:options&gt;&lt;dnsmasq:option value='...'/&gt;&lt;/dnsmasq:options&gt;</c> with
/// <c>xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'</c>. Only the network driver on a host
/// reads it; the effective definition (the test driver's) does not keep it, so it is read from
/// <see cref="SpecDocument.Extensions"/>.
/// </summary>
public static class DnsmasqXmlNamespace
{
    public static readonly XNamespace Uri = "http://libvirt.org/schemas/network/dnsmasq/1.0";

    /// <summary>
    /// The option values in document order (networkDnsmasqDefNamespaceParseOptions: every
    /// <c>./dnsmasq:options/dnsmasq:option</c>); an option without a value is libvirt's error.
    /// </summary>
    public static ValueList<string> Options(IEnumerable<XElement> extensions, out SchemaError? error)
    {
        error = null;
        var values = new List<string>();
        foreach (var option in extensions.Where(e => e.Name == Uri + "options").Elements(Uri + "option"))
        {
            if (option.Attribute("value")?.Value is not { } value)
            {
                error = SchemaError.Create(ErrorCode.InternalError, "No dnsmasq options value specified", XmlPosition.Of(option));
                return ValueList<string>.Empty;
            }

            values.Add(value);
        }

        return new ValueList<string>(values);
    }

    /// <summary>The options of a valid network document.</summary>
    public static ValueList<string> Options(SpecDocument document, out SchemaError? error) =>
        Options(document.Extensions, out error);
}
