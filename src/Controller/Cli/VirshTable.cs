using System.Text;

namespace Reconciler.Controller.Cli;

/// <summary>
/// Tables as virsh prints them (vsh-table.c): a leading space before each cell, columns padded to their
/// widest cell plus two spaces (the last one not padded), a dashed rule under the header as wide as every
/// column plus three.
/// </summary>
internal static class VirshTable
{
    public static string Format(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var widths = new int[header.Count];
        foreach (var row in all)
        {
            for (var i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], Safe(row[i]).Length);
            }
        }

        var sb = new StringBuilder();
        AppendRow(sb, header, widths);
        sb.Append('-', widths.Sum(w => w + 3)).Append('\n');
        foreach (var row in all.Skip(1))
        {
            AppendRow(sb, row, widths);
        }

        return sb.ToString();
    }

    private static void AppendRow(StringBuilder sb, IReadOnlyList<string> row, int[] widths)
    {
        for (var i = 0; i < widths.Length; i++)
        {
            var cell = Safe(row[i]);
            sb.Append(' ').Append(cell);
            if (i < widths.Length - 1)
            {
                sb.Append(' ', widths[i] - cell.Length + 2);
            }
        }

        sb.Append('\n');
    }

    // Control characters would break the alignment (and could drive the terminal): virsh escapes them too.
    private static string Safe(string? cell)
    {
        if (string.IsNullOrEmpty(cell))
        {
            return string.Empty;
        }

        if (!cell.Any(char.IsControl))
        {
            return cell;
        }

        var sb = new StringBuilder(cell.Length);
        foreach (var c in cell)
        {
            if (char.IsControl(c))
            {
                sb.Append(@"\x").Append(((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
