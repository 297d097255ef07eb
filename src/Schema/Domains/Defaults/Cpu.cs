using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>
    /// virCPUDefParseXML / virCPUDefFormatBufFull: mode custom with match exact by default, model fallback
    /// allow, feature policy require, topology with dies, NUMA cells by id with KiB sizes and symmetric distances.
    /// </summary>
    private static void ApplyCpu(XElement root)
    {
        var cpu = root.El("cpu");
        if (cpu is null)
        {
            return;
        }

        var mode = cpu.A("mode") ?? "custom";
        var model = cpu.El("model");
        var hasModel = model is not null && !string.IsNullOrEmpty(model.Value.Trim());
        if (mode != "custom" || hasModel)
        {
            cpu.Set("mode", mode);
            if (mode == "custom")
            {
                cpu.Default("match", "exact");
            }
            else
            {
                cpu.Set("match", null);
            }
        }

        if (mode is not ("host-passthrough" or "maximum"))
        {
            cpu.Set("migratable", null);
        }

        cpu.OrderAttributes(["mode", "match", "check", "migratable"]);

        var formatModel = mode is "custom" or "host-model";
        if (model is not null)
        {
            if (!formatModel || (!hasModel && model.A("vendor_id") is null))
            {
                model.Remove();
            }
            else
            {
                if (hasModel)
                {
                    model.Default("fallback", "allow");
                    model.SetText(model.Value.Trim());
                }
                else
                {
                    model.Set("fallback", null);
                    model.RemoveNodes();
                }

                model.OrderAttributes(["fallback", "vendor_id"]);
            }
        }

        if (!formatModel)
        {
            cpu.El("vendor")?.Remove();
        }

        var topology = cpu.El("topology");
        if (topology is not null)
        {
            topology.Default("dies", "1");
            topology.OrderAttributes(["sockets", "dies", "cores", "threads"]);
        }

        cpu.El("cache")?.OrderAttributes(["level", "mode"]);
        cpu.El("maxphysaddr")?.OrderAttributes(["mode", "bits"]);
        foreach (var feature in cpu.Els("feature"))
        {
            feature.Default("policy", "require");
            feature.OrderAttributes(["policy", "name"]);
        }

        ApplyNuma(cpu.El("numa"));
        cpu.OrderChildren(["model", "vendor", "topology", "cache", "maxphysaddr", "feature", "numa"]);
        if (!cpu.HasElements && !cpu.HasAttributes)
        {
            cpu.Remove();
        }
    }

    private static void ApplyNuma(XElement? numa)
    {
        if (numa is null)
        {
            return;
        }

        var cells = numa.Els("cell").ToList();
        var count = cells.Count;
        var byId = new XElement?[count];
        for (var i = 0; i < count; i++)
        {
            var cell = cells[i];
            var id = int.TryParse(cell.A("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : i;
            if (id < count && byId[id] is null)
            {
                byId[id] = cell;
            }

            cell.Set("id", id);
            var kib = KiB(cell, "memory");
            if (kib is not null)
            {
                cell.Set("memory", (long)kib.Value);
                cell.Set("unit", "KiB");
            }

            if (cell.A("cpus") is { } cpus && CpuSet.TryParse(cpus, out var set))
            {
                cell.Set("cpus", CpuSet.Format(set));
            }

            cell.OrderAttributes(["id", "cpus", "memory", "unit", "memAccess", "discard"]);
        }

        ApplyNumaDistances(byId);

        foreach (var cell in cells)
        {
            cell.Remove();
        }

        var interconnects = numa.El("interconnects");
        var ordered = byId.Where(c => c is not null).Concat(cells.Where(c => !byId.Contains(c))).ToList();
        if (interconnects is not null)
        {
            interconnects.AddBeforeSelf(ordered);
        }
        else
        {
            numa.AddFirst(ordered);
        }

        foreach (var cell in ordered)
        {
            foreach (var cache in cell!.Els("cache"))
            {
                cache.OrderAttributes(["level", "associativity", "policy"]);
                cache.El("size")?.OrderAttributes(["value", "unit"]);
                cache.El("line")?.OrderAttributes(["value", "unit"]);
                cache.OrderChildren(["size", "line"]);
            }

            cell!.OrderChildren(["distances", "cache"]);
        }

        foreach (var link in interconnects.Els("latency").Concat(interconnects.Els("bandwidth")))
        {
            link.OrderAttributes(["initiator", "target", "cache", "type", "value", "unit"]);
        }

        interconnects?.OrderChildren(["latency", "bandwidth"]);
    }

    /// <summary>virDomainNumaDefNodeDistanceParseXML: local distance 10 and symmetry where not given.</summary>
    private static void ApplyNumaDistances(XElement?[] cells)
    {
        var count = cells.Length;
        if (!cells.Any(c => c?.El("distances") is not null))
        {
            return;
        }

        var table = new int[count][];
        for (var cur = 0; cur < count; cur++)
        {
            var distances = cells[cur]?.El("distances");
            if (distances is null)
            {
                continue;
            }

            foreach (var sibling in distances.Els("sibling"))
            {
                if (!int.TryParse(sibling.A("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var sid) || sid >= count ||
                    !int.TryParse(sibling.A("value"), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                {
                    continue;
                }

                table[cur] ??= NewDistances(count, cur);
                table[cur][sid] = value;
                table[sid] ??= NewDistances(count, sid);
                if (table[sid][cur] == 0)
                {
                    table[sid][cur] = value;
                }
            }
        }

        for (var i = 0; i < count; i++)
        {
            var cell = cells[i];
            if (cell is null)
            {
                continue;
            }

            cell.El("distances")?.Remove();
            if (table[i] is null)
            {
                continue;
            }

            var distances = new XElement("distances");
            for (var j = 0; j < count; j++)
            {
                if (table[i][j] != 0)
                {
                    distances.Add(new XElement("sibling", new XAttribute("id", j), new XAttribute("value", table[i][j])));
                }
            }

            cell.AddFirst(distances);
        }
    }

    private static int[] NewDistances(int count, int self)
    {
        var d = new int[count];
        d[self] = 10;
        return d;
    }
}
