using Reconciler.Schema.Tests.Support;

namespace Reconciler.Schema.Tests.Domains.Validation;

/// <summary>One case of validate-rule-cases.txt: a small domain with a good and a bad fragment.</summary>
internal sealed record ValidateRuleCase(IReadOnlyDictionary<string, string> Fields)
{
    private static readonly string[] Appending = ["top", "os", "devices"];

    public string Name => Fields["name"];

    public string Message => Fields["message"].Replace("\\n", "\n", StringComparison.Ordinal);

    public string Code => Fields["code"];

    /// <summary>The base domain with the fixed parts of the case and <paramref name="fragment"/> in its slot.</summary>
    public string Build(string fragment)
    {
        var slots = new Dictionary<string, string>
        {
            ["root-attrs"] = "type='kvm'",
            ["domain-name"] = "t",
            ["memory"] = "<memory unit='MiB'>64</memory>",
            ["top"] = string.Empty,
            ["os"] = string.Empty,
            ["os-attrs"] = string.Empty,
            ["arch"] = "x86_64",
            ["os-type"] = "hvm",
            ["devices"] = string.Empty,
        };
        foreach (var key in slots.Keys.ToList())
        {
            if (Fields.TryGetValue(key, out var value))
            {
                slots[key] = value;
            }
        }

        var slot = Fields.GetValueOrDefault("slot", "devices");
        slots[slot] = Appending.Contains(slot) ? slots[slot] + fragment : fragment;
        return $"<domain {slots["root-attrs"]}>\n  <name>{slots["domain-name"]}</name>\n  {slots["memory"]}\n  {slots["top"]}\n" +
               $"  <os {slots["os-attrs"]}><type arch='{slots["arch"]}'>{slots["os-type"]}</type>{slots["os"]}</os>\n" +
               $"  <devices>{slots["devices"]}</devices>\n</domain>\n";
    }

    public static IReadOnlyList<ValidateRuleCase> Load()
    {
        var path = Path.Combine(Corpus.RepositoryRoot, "tests", "Schema", "Domains", "Validation", "validate-rule-cases.txt");
        var cases = new List<ValidateRuleCase>();
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
                    cases.Add(new ValidateRuleCase(current));
                    current = [];
                }

                continue;
            }

            var colon = raw.IndexOf(": ", StringComparison.Ordinal);
            current[raw[..colon]] = raw[(colon + 2)..];
        }

        return cases;
    }
}
