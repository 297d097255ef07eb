using System.Xml.Linq;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Networks;
using Xunit;

namespace Reconciler.Runtime.Tests.Networks;

/// <summary>The host's MACs in use, against which a generated MAC is checked.</summary>
public sealed class MacTableTests
{
    private static XElement Domain(params string[] macs) => new("domain",
        new XElement("name", "d"),
        new XElement("devices", macs.Select(m => new XElement("interface", new XAttribute("type", "network"),
            new XElement("mac", new XAttribute("address", m)), new XElement("source", new XAttribute("network", "default"))))));

    [Fact]
    public void A_definition_counts_its_macs_until_it_is_replaced()
    {
        var table = new MacTable();
        var first = Domain("52:54:00:00:00:01", "52:54:00:00:00:02");
        table.Replace(null, first);
        Assert.True(table.Contains("52:54:00:00:00:02"));
        Assert.True(table.Contains("52:54:00:00:00:01".ToUpperInvariant()));

        var second = Domain("52:54:00:00:00:02");
        table.Replace(first, second);
        Assert.False(table.Contains("52:54:00:00:00:01"));
        Assert.True(table.Contains("52:54:00:00:00:02"));

        table.Replace(second, null);
        Assert.False(table.Contains("52:54:00:00:00:02"));
    }

    [Fact]
    public void A_mac_named_by_two_definitions_stays_while_either_does()
    {
        var table = new MacTable();
        var a = Domain("52:54:00:00:00:0a");
        var b = Domain("52:54:00:00:00:0a");
        table.Replace(null, a);
        table.Replace(null, b);
        table.Replace(a, null);
        Assert.True(table.Contains("52:54:00:00:00:0a"));
        table.Replace(b, null);
        Assert.False(table.Contains("52:54:00:00:00:0a"));
    }

    [Fact]
    public void A_definition_changed_in_place_is_read_again()
    {
        var table = new MacTable();
        var tree = Domain("52:54:00:00:00:01");
        table.Replace(null, tree);
        tree.Element("devices")!.Element("interface")!.Element("mac")!.SetAttributeValue("address", "52:54:00:00:00:07");
        tree.Element("devices")!.Add(Domain("52:54:00:00:00:08").Element("devices")!.Element("interface"));
        Assert.False(table.Contains("52:54:00:00:00:01"));
        Assert.True(table.Contains("52:54:00:00:00:07"));
        Assert.True(table.Contains("52:54:00:00:00:08"));

        // Gone from the table, its later changes no longer count.
        table.Replace(tree, null);
        tree.Element("devices")!.Element("interface")!.Element("mac")!.SetAttributeValue("address", "52:54:00:00:00:09");
        Assert.False(table.Contains("52:54:00:00:00:09"));
    }

    [Fact]
    public void A_domain_counts_its_persistent_and_live_definitions_while_it_belongs_to_the_host()
    {
        var table = new MacTable();
        var dom = new DomainObject("d", Guid.NewGuid()) { Persistent = Domain("52:54:00:00:00:01") };
        Assert.False(table.Contains("52:54:00:00:00:01"));

        dom.Macs = table;
        dom.Live = Domain("52:54:00:00:00:02");
        Assert.True(table.Contains("52:54:00:00:00:01"));
        Assert.True(table.Contains("52:54:00:00:00:02"));

        dom.Live = null;
        Assert.False(table.Contains("52:54:00:00:00:02"));

        dom.Macs = null;
        Assert.False(table.Contains("52:54:00:00:00:01"));
    }
}
