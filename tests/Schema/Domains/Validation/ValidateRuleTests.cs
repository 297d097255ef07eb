using Xunit;

namespace Reconciler.Schema.Tests.Domains.Validation;

/// <summary>
/// One passing and one failing domain for each post-parse and validation rule (validate-rule-cases.txt).
/// The expected messages and codes are libvirt 9.0.0's own, checked against libvirt itself.
/// </summary>
public sealed class ValidateRuleTests
{
    public static TheoryData<string> CaseNames() => new(ValidateRuleCase.Load().Select(c => c.Name));

    [Fact]
    public void CaseNamesAreUnique()
    {
        var names = ValidateRuleCase.Load().Select(c => c.Name).ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void GoodDomainIsAcceptedAndBadDomainGetsLibvirtsError(string name)
    {
        var rule = ValidateRuleCase.Load().Single(c => c.Name == name);

        var good = ValidationSpecs.Errors(rule.Build(rule.Fields["good"]));
        Assert.True(good.Count == 0, $"{name}: the good domain was refused: {string.Join("; ", good)}");

        var bad = ValidationSpecs.Errors(rule.Build(rule.Fields["bad"]));
        Assert.True(bad.Count > 0, $"{name}: the bad domain was accepted");
        Assert.Equal(rule.Message, bad[0].Message);
        Assert.Equal(rule.Code, bad[0].CodeName);

        // The error points into the document.
        Assert.InRange(bad[0].Line, 1, 7);
        Assert.True(bad[0].Column >= 1);
    }
}
