using System.Xml.Linq;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>
/// parse → format → parse gives an equal model and identical XML, for every network we have: libvirt's own
/// test data (when it is beside the repository), the examples, and every accepted rule case.
/// </summary>
public sealed class NetworkRoundTripTests
{
    public static IEnumerable<(string Name, string Xml)> Networks()
    {
        foreach (var file in Corpus.AllSpecFiles())
        {
            var text = File.ReadAllText(file);
            if (text.TrimStart().StartsWith("<network", StringComparison.Ordinal))
            {
                yield return (file, text);
            }
        }

        foreach (var rule in NetworkRuleCase.Load())
        {
            yield return (rule.Name, rule.Build(rule.Good));
        }
    }

    [Fact]
    public void Formatting_and_reading_again_changes_nothing()
    {
        var failures = new List<string>();
        var checkedNetworks = 0;
        foreach (var (name, xml) in Networks())
        {
            var first = LibvirtSchema.LoadText(name, xml);
            if (!first.IsValid || first.Kind != SpecKind.Network)
            {
                continue;
            }

            checkedNetworks++;
            var text = first.Format();
            var second = LibvirtSchema.LoadText(name, text);
            if (!second.IsValid)
            {
                failures.Add($"{name}: the formatted network is not valid: {second.Errors[0]}");
                continue;
            }

            if (second.Format() != text)
            {
                failures.Add($"{name}: formatting the formatted network changes it");
            }

            var a = NetworkDefinition.FromDocument(first);
            var b = NetworkDefinition.FromDocument(second);
            if (a with { Xml = b.Xml } != b || NetworkDefinition.FromXml(XElement.Parse(text)) with { Xml = b.Xml } != b)
            {
                failures.Add($"{name}: the model differs after a round trip");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
        Assert.True(checkedNetworks >= 100, $"only {checkedNetworks} networks were checked");
    }
}
