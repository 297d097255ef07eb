using System.Globalization;
using System.Text;

namespace Reconciler.Schema.Xml;

/// <summary>
/// libvirt's bitmap syntax (virBitmapParse / virBitmapFormat): "0-3,^2,8" parses to {0,1,3,8} and
/// formats back as "0-1,3,8".
/// </summary>
public static class CpuSet
{
    /// <summary>VIR_DOMAIN_CPUMASK_LEN: the highest CPU number libvirt accepts in a cpuset, plus one.</summary>
    public const int MaxBits = 16384;

    public static bool TryParse(string? text, out SortedSet<int> set, int maxBits = MaxBits)
    {
        set = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                return false;
            }

            var negate = part.StartsWith('^');
            if (negate)
            {
                part = part[1..].Trim();
            }

            int first, last;
            var dash = part.IndexOf('-', 1);
            if (dash > 0)
            {
                if (negate || !TryNumber(part[..dash], out first) || !TryNumber(part[(dash + 1)..], out last) || last < first)
                {
                    return false;
                }
            }
            else if (TryNumber(part, out first))
            {
                last = first;
            }
            else
            {
                return false;
            }

            if (last >= maxBits)
            {
                return false;
            }

            for (var i = first; i <= last; i++)
            {
                if (negate)
                {
                    set.Remove(i);
                }
                else
                {
                    set.Add(i);
                }
            }
        }

        return true;
    }

    public static string Format(IEnumerable<int> set)
    {
        var sb = new StringBuilder();
        int? start = null, prev = null;
        foreach (var i in set)
        {
            if (prev is not null && i == prev + 1)
            {
                prev = i;
                continue;
            }

            Flush(sb, start, prev);
            start = prev = i;
        }

        Flush(sb, start, prev);
        return sb.ToString();
    }

    private static void Flush(StringBuilder sb, int? start, int? end)
    {
        if (start is null)
        {
            return;
        }

        if (sb.Length > 0)
        {
            sb.Append(',');
        }

        sb.Append(start.Value.ToString(CultureInfo.InvariantCulture));
        if (end != start)
        {
            sb.Append('-').Append(end!.Value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static bool TryNumber(string s, out int value) =>
        int.TryParse(s.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
