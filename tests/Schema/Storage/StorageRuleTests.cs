using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>Every pool and volume check: the accepted definition passes, the rejected one fails with libvirt's message, where it should.</summary>
public sealed class StorageRuleTests
{
    public static TheoryData<StorageCase> PoolCases() => new(PoolRuleCases.All());

    public static TheoryData<StorageCase> VolumeCases() => new(VolumeRuleCases.All());

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool_rule_accepts_the_valid_definition(StorageCase rule) => rule.AssertValid();

    [Theory]
    [MemberData(nameof(PoolCases))]
    public void Pool_rule_rejects_with_libvirts_message_at_the_offending_node(StorageCase rule) => rule.AssertRejected();

    [Theory]
    [MemberData(nameof(VolumeCases))]
    public void Volume_rule_accepts_the_valid_definition(StorageCase rule) => rule.AssertValid();

    [Theory]
    [MemberData(nameof(VolumeCases))]
    public void Volume_rule_rejects_with_libvirts_message_at_the_offending_node(StorageCase rule) => rule.AssertRejected();

    [Fact]
    public void Rule_names_are_unique()
    {
        var names = PoolRuleCases.All().Concat(VolumeRuleCases.All()).Select(c => c.Rule).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }
}
