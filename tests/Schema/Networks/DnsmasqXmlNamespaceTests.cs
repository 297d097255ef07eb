using Reconciler.Schema.Networks;
using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>
/// The network driver's &lt;dnsmasq:options&gt; (networkDnsmasqDefNamespaceParseOptions in libvirt 9.0.0's
/// bridge_driver.c): the test driver's definition drops them, the spec document keeps them as written.
/// </summary>
public sealed class DnsmasqXmlNamespaceTests
{
    [Fact]
    public void Options_are_read_by_namespace_in_document_order_and_left_out_of_the_effective_definition()
    {
        var document = Specs.Load("""
            <network xmlns:d='http://libvirt.org/schemas/network/dnsmasq/1.0'>
              <name>n</name>
              <d:options>
                <d:option value='log-queries'/>
                <d:option value='cname=a.example,b.example'/>
              </d:options>
              <d:options><d:option value=''/></d:options>
            </network>
            """);

        Assert.True(document.IsValid, string.Join("\n", document.Errors));
        Assert.Equal(["log-queries", "cname=a.example,b.example", string.Empty], DnsmasqXmlNamespace.Options(document, out var error));
        Assert.Null(error);
        Assert.DoesNotContain("options", document.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void Elements_of_other_namespaces_are_no_options()
    {
        var document = Specs.Load("<network xmlns:x='urn:other'><name>n</name><x:options><x:option value='a'/></x:options></network>");
        Assert.Empty(DnsmasqXmlNamespace.Options(document, out _));
    }

    [Fact]
    public void An_option_without_a_value_is_libvirts_error_at_the_option()
    {
        var document = Specs.Load("<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>\n<name>n</name>\n<dnsmasq:options>\n  <dnsmasq:option/>\n</dnsmasq:options>\n</network>");
        Assert.Empty(DnsmasqXmlNamespace.Options(document, out var error));
        Assert.NotNull(error);
        Assert.Equal("internal error: No dnsmasq options value specified", error.Message);
        Assert.Equal((4, 4), (error.Line, error.Column));
    }
}
