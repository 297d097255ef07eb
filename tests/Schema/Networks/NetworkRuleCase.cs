using Reconciler.Schema.Tests.Support;
using Xunit;

namespace Reconciler.Schema.Tests.Networks;

/// <summary>
/// One libvirt network check (from network-rule-cases.txt): a fragment libvirt accepts, one it rejects,
/// libvirt's message, and the text of the rejected document the error must point at.
/// </summary>
public sealed record NetworkRuleCase(string Name, string Slot, string Good, string Bad, string Message, string At)
{
    public override string ToString() => Name;

    /// <summary>The small network the fragment goes into.</summary>
    public string Build(string fragment)
    {
        var attrs = Slot == "attrs" ? " " + fragment : string.Empty;
        var name = Slot == "name" ? fragment : "<name>n1</name>";
        var body = Slot is "attrs" or "name" ? string.Empty : fragment;
        return $"<network{attrs}>\n  {name}\n  {body}\n</network>\n";
    }

    public void AssertAccepted()
    {
        var doc = Specs.Load(Build(Good));
        Assert.True(doc.IsValid, $"{Name}: {string.Join("\n", doc.Errors)}");
    }

    public void AssertRejected()
    {
        var text = Build(Bad);
        var doc = Specs.Load(text);
        Assert.False(doc.IsValid, $"{Name}: accepted");
        var error = doc.Errors[0];
        Assert.Equal(Message, error.Message);
        Assert.Equal(PositionOf(text, At), (error.Line, error.Column));
    }

    /// <summary>
    /// The 1-based line and column of the first occurrence of <paramref name="marker"/>; for a marker
    /// starting with '&lt;', of the element name after it (where an element's position is).
    /// </summary>
    public static (int Line, int Column) PositionOf(string text, string marker)
    {
        var index = text.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(index >= 0, $"'{marker}' is not in the test input");
        if (marker.StartsWith('<'))
        {
            index++;
        }

        var line = 1 + text.AsSpan(0, index).Count('\n');
        var lineStart = index == 0 ? 0 : text.LastIndexOf('\n', index - 1) + 1;
        return (line, index - lineStart + 1);
    }

    public static IReadOnlyList<NetworkRuleCase> Load()
    {
        var path = Path.Combine(Corpus.RepositoryRoot, "tests", "Schema", "Networks", "network-rule-cases.txt");
        var cases = new List<NetworkRuleCase>();
        var current = new Dictionary<string, string>();
        foreach (var raw in File.ReadLines(path).Append(string.Empty))
        {
            if (raw.StartsWith('#'))
            {
                continue;
            }

            if (raw.Trim().Length == 0)
            {
                if (current.Count > 0)
                {
                    cases.Add(new NetworkRuleCase(
                        current["name"], current.GetValueOrDefault("slot", "body"), current["good"], current["bad"], current["message"], current["at"]));
                    current.Clear();
                }

                continue;
            }

            var colon = raw.IndexOf(": ", StringComparison.Ordinal);
            current[raw[..colon]] = raw[(colon + 2)..];
        }

        return cases;
    }
}
