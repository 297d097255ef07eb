namespace Reconciler.Schema.Tests.Support;

/// <summary>A rule case file: fragments placed in a small domain, with libvirt's verdict for each.</summary>
internal sealed record RuleCase(string Name, string Slot, string Good, string Bad, string Message)
{
    /// <summary>The base domain with <paramref name="fragment"/> in this case's slot.</summary>
    public string Build(string fragment)
    {
        var slots = new Dictionary<string, string>
        {
            ["root-attrs"] = "type='kvm'",
            ["memory"] = "<memory unit='MiB'>64</memory>",
            ["top"] = string.Empty,
            ["os"] = string.Empty,
            ["devices"] = string.Empty,
            ["os-type"] = "hvm",
            ["os-attrs"] = string.Empty,
            ["name"] = "<name>t</name>",
        };
        slots[Slot] = fragment;
        return $"<domain {slots["root-attrs"]}>\n  {slots["name"]}\n  {slots["memory"]}\n  {slots["top"]}\n" +
               $"  <os {slots["os-attrs"]}><type arch='x86_64'>{slots["os-type"]}</type>{slots["os"]}</os>\n" +
               $"  <devices>{slots["devices"]}</devices>\n</domain>\n";
    }
}

internal static class RuleCases
{
    public static IReadOnlyList<RuleCase> Load(string fileName)
    {
        var path = Path.Combine(Corpus.RepositoryRoot, "tests", "Schema", "Domains", fileName);
        var cases = new List<RuleCase>();
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
                    cases.Add(new RuleCase(current["name"], current["slot"], current["good"], current["bad"], current["message"].Replace("\\n", "\n", StringComparison.Ordinal)));
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
