using Reconciler.Runtime.Networks;
using Reconciler.Runtime.Tests.Support;
using Xunit;

namespace Reconciler.Runtime.Tests.Networks;

/// <summary>Bridge names libvirt's network driver picks (networkFindUnusedBridgeName).</summary>
public sealed class BridgeNamesTests
{
    [Fact]
    public void The_first_free_number_of_the_default_template()
    {
        var used = new HashSet<string> { "virbr0", "virbr1", "virbr3" };
        Assert.Equal("virbr2", BridgeNames.Allocate(null, used.Contains));
    }

    [Theory]
    [InlineData("lab%d", "lab0")]
    [InlineData("a%db%d", "virbr0")]
    [InlineData("x%s", "virbr0")]
    public void A_template_of_the_network_is_used_when_it_has_exactly_one_percent_d(string requested, string expected) =>
        Assert.Equal(expected, BridgeNames.Allocate(requested, _ => false));

    [Fact]
    public void Numbers_run_out_after_the_maximum_id()
    {
        var e = Assert.Throws<RuntimeException>(() => BridgeNames.Allocate(null, _ => true));
        Assert.Equal("internal error: Bridge generation exceeded max id 256", e.Message);
    }

    [Theory]
    [InlineData("<network><name>n</name></network>", true)]
    [InlineData("<network><name>n</name><bridge name='br%d'/></network>", true)]
    [InlineData("<network><name>n</name><bridge name='br7'/></network>", false)]
    [InlineData("<network><name>n</name><forward mode='bridge'/><bridge name='br0'/></network>", false)]
    public void Only_managed_bridges_without_a_fixed_name_need_one(string xml, bool needs) =>
        Assert.Equal(needs, BridgeNames.NeedsName(Specs.Network(xml)));

    [Fact]
    public void A_network_without_a_bridge_element_gets_one()
    {
        var network = BridgeNames.WithBridgeName(Specs.Network("<network><name>n</name></network>"), "virbr0");
        Assert.Equal("virbr0", network.Bridge?.Name);
    }
}
