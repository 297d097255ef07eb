using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Domains;

/// <summary>
/// One passing and one failing case for each parse-time domain rule (parse-rule-cases.txt). The expected
/// messages are libvirt 9.0.0's own, checked against libvirt itself.
/// </summary>
public sealed class ParseRuleTests
{
    public static TheoryData<string> CaseNames() => new(RuleCases.Load("parse-rule-cases.txt").Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void GoodFragmentIsAcceptedAndBadFragmentGetsLibvirtsMessage(string name)
    {
        var rule = RuleCases.Load("parse-rule-cases.txt").Single(c => c.Name == name);

        var good = Specs.Load(rule.Build(rule.Good));
        Assert.True(good.IsValid, $"{name}: the good case was refused: {string.Join("; ", good.Errors)}");

        var bad = Specs.Load(rule.Build(rule.Bad));
        Assert.False(bad.IsValid, $"{name}: the bad case was accepted");
        Assert.Equal(rule.Message, bad.Errors[0].Message);

        // The error points into the document: a real line, not a placeholder.
        Assert.InRange(bad.Errors[0].Line, 1, 8);
        Assert.True(bad.Errors[0].Column >= 1);
    }
}
