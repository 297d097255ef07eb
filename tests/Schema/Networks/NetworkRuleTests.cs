using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>Every network parse check: the accepted fragment passes, the rejected one fails with libvirt's message, where it should.</summary>
public sealed class NetworkRuleTests
{
    public static TheoryData<NetworkRuleCase> Cases() => new(NetworkRuleCase.Load());

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rule_accepts_what_libvirt_accepts(NetworkRuleCase rule) => rule.AssertAccepted();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rule_rejects_with_libvirts_message_at_the_offending_node(NetworkRuleCase rule) => rule.AssertRejected();

    [Fact]
    public void Rule_names_are_unique()
    {
        var names = NetworkRuleCase.Load().Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public void Only_the_first_error_is_reported_as_libvirt_stops_there()
    {
        var doc = Specs.Load("<network>\n  <name>n1</name>\n  <bridge delay='x'/>\n  <mtu size='x'/>\n</network>\n");
        Assert.Equal(["XML error: Invalid delay value in network 'n1'"], doc.Errors.Select(e => e.Message));
    }

    [Fact]
    public void A_bridge_delay_libvirt_could_not_read_back_is_refused()
    {
        // libvirt takes 2^63 and writes it with "%ld" as -9223372036854775808, which it then refuses to read.
        var doc = Specs.Load("<network>\n  <name>n1</name>\n  <bridge name='br1' delay='9223372036854775808'/>\n</network>\n");
        Assert.Equal(["bridge delay 9223372036854775808 is above 9223372036854775807: libvirt accepts it but writes it back as a negative number that it cannot read again; use a smaller delay"], doc.Errors.Select(e => e.Message));
        Assert.Equal(3, doc.Errors[0].Line);

        var largest = Specs.Load("<network>\n  <name>n1</name>\n  <bridge name='br1' delay='9223372036854775807'/>\n</network>\n");
        Assert.True(largest.IsValid);
        Assert.True(LibvirtSchema.LoadText("again.xml", largest.Format()).IsValid);
    }
}
