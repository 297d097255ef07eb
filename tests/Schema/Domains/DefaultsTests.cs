using System.Globalization;
using System.Xml.Linq;
using System.Xml.XPath;
using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Domains;

/// <summary>
/// What libvirt 9.0.0 fills in after a define (default-cases.txt): each case is a fragment and XPath
/// expectations on the effective XML, checked against libvirt itself.
/// </summary>
public sealed class DefaultsTests
{
    public static TheoryData<string> CaseNames() => new(DefaultCases.Load().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void EffectiveDefinitionHasLibvirtsDefaults(string name)
    {
        var @case = DefaultCases.Load().Single(c => c.Name == name);
        var doc = Specs.Load(new RuleCase(name, @case.Slot, string.Empty, string.Empty, string.Empty).Build(@case.Input));
        Assert.True(doc.IsValid, string.Join("; ", doc.Errors));
        var effective = XDocument.Parse(doc.Format());
        foreach (var (xpath, expected) in @case.Expectations)
        {
            var actual = effective.XPathEvaluate(xpath) switch
            {
                bool b => b ? "true" : "false",
                double d => d.ToString(CultureInfo.InvariantCulture),
                string s => s,
                var other => other?.ToString(),
            };
            Assert.True(expected == actual, $"{name}: {xpath} is '{actual}', libvirt gives '{expected}'");
        }
    }

    [Fact]
    public void NormalizingIsDeterministicApartFromGeneratedIdentifiers()
    {
        const string xml = "<domain type='kvm'><name>a</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory>65536</memory><os><type>hvm</type></os><devices><disk type='file' device='disk'><source file='/a'/><target dev='sda'/></disk></devices></domain>";
        Assert.Equal(Specs.Normalize(xml), Specs.Normalize(xml));
    }
}

internal sealed record DefaultCase(string Name, string Slot, string Input, IReadOnlyList<(string XPath, string Value)> Expectations);

internal static class DefaultCases
{
    public static IReadOnlyList<DefaultCase> Load()
    {
        var path = Path.Combine(Corpus.RepositoryRoot, "tests", "Schema", "Domains", "default-cases.txt");
        var cases = new List<DefaultCase>();
        string? name = null, slot = null, input = null;
        var expectations = new List<(string, string)>();
        foreach (var raw in File.ReadLines(path).Append(string.Empty))
        {
            if (raw.StartsWith('#'))
            {
                continue;
            }

            if (raw.Trim().Length == 0)
            {
                if (name is not null)
                {
                    cases.Add(new DefaultCase(name, slot!, input ?? string.Empty, expectations.ToList()));
                }

                name = slot = input = null;
                expectations.Clear();
                continue;
            }

            var colon = raw.IndexOf(':', StringComparison.Ordinal);
            var key = raw[..colon];
            var value = raw[(colon + 1)..].TrimStart();
            switch (key)
            {
                case "name": name = value; break;
                case "slot": slot = value; break;
                case "input": input = value; break;
                case "expect":
                    var arrow = value.IndexOf(" => ", StringComparison.Ordinal);
                    expectations.Add((value[..arrow], value[(arrow + 4)..]));
                    break;
            }
        }

        return cases;
    }
}
