using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>The maximum vCPU count (the text of &lt;vcpu&gt;, 1 when absent).</summary>
    internal static int MaxVcpus(XElement root) =>
        int.TryParse(root.El("vcpu")?.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 1;

    /// <summary>
    /// virDomainVcpuParse / virDomainCpuDefFormat: &lt;vcpu placement='static'&gt;, a canonical cpuset,
    /// current only when some vCPUs are offline; iothreads and their ids; cputune in libvirt's form.
    /// </summary>
    private static void ApplyVcpus(XElement root)
    {
        var vcpu = root.El("vcpu");
        var max = MaxVcpus(root);
        var numatunePlacement = root.El("numatune").El("memory").A("placement");
        if (vcpu is null)
        {
            vcpu = new XElement("vcpu", "1");
            var anchor = (XElement?)root.El("currentMemory") ?? root.El("memory");
            if (anchor is not null)
            {
                anchor.AddAfterSelf(vcpu);
            }
            else
            {
                root.Add(vcpu);
            }
        }

        vcpu.SetText(max.ToString(CultureInfo.InvariantCulture));
        var placement = vcpu.A("placement");
        if (placement == "auto")
        {
            vcpu.Attribute("cpuset")?.Remove();
        }
        else if (vcpu.A("cpuset") is { } cpuset && CpuSet.TryParse(cpuset, out var set))
        {
            // A mask with every bit set is no mask at all.
            if (set.Count == CpuSet.MaxBits)
            {
                vcpu.Attribute("cpuset")?.Remove();
            }
            else
            {
                vcpu.Set("cpuset", CpuSet.Format(set));
            }
        }

        // numatune placement='auto' without pinning anywhere makes vCPU placement auto too.
        if (numatunePlacement == "auto" && vcpu.A("cpuset") is null && !HasVcpuPinning(root))
        {
            placement = "auto";
        }

        vcpu.Set("placement", placement ?? "static");

        var individual = root.El("vcpus");
        if (individual is not null && individual.Els("vcpu").Any())
        {
            var online = ApplyIndividualVcpus(individual, max);
            vcpu.Set("current", online < max ? online.ToString(CultureInfo.InvariantCulture) : null);
        }
        else
        {
            individual?.Remove();
            var current = int.TryParse(vcpu.A("current"), NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : max;
            vcpu.Set("current", current < max ? current.ToString(CultureInfo.InvariantCulture) : null);
        }

        vcpu.OrderAttributes(["placement", "cpuset", "current"]);
        ApplyIothreads(root);
        ApplyCputune(root, max);
    }

    private static bool HasVcpuPinning(XElement root)
    {
        var cputune = root.El("cputune");
        return cputune.Els("vcpupin").Any() || cputune.El("emulatorpin") is not null || cputune.Els("iothreadpin").Any();
    }

    /// <summary>&lt;vcpus&gt;: one element per vCPU in id order; hotpluggable defaults to the opposite of enabled.</summary>
    private static int ApplyIndividualVcpus(XElement vcpus, int max)
    {
        var online = 0;
        var byId = new SortedDictionary<int, XElement>();
        foreach (var v in vcpus.Els("vcpu").ToList())
        {
            if (int.TryParse(v.A("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id < max)
            {
                byId[id] = v;
            }

            v.Remove();
        }

        for (var i = 0; i < max; i++)
        {
            if (!byId.TryGetValue(i, out var v))
            {
                v = new XElement("vcpu", new XAttribute("id", i), new XAttribute("enabled", "no"));
            }

            var enabled = v.A("enabled") == "yes";
            if (enabled)
            {
                online++;
            }

            v.Default("hotpluggable", enabled ? "no" : "yes");
            if (v.A("order") == "0")
            {
                v.Attribute("order")?.Remove();
            }

            v.OrderAttributes(["id", "enabled", "hotpluggable", "order"]);
            vcpus.Add(v);
        }

        return online;
    }

    /// <summary>
    /// virDomainDefIOThreadsFormat: the count, and the ids when any was given explicitly (missing ids are
    /// filled with the lowest free numbers).
    /// </summary>
    private static void ApplyIothreads(XElement root)
    {
        var iothreads = root.El("iothreads");
        var ids = root.El("iothreadids");
        _ = int.TryParse(iothreads?.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count);
        var explicitIds = ids.Els("iothread").ToList();
        if (explicitIds.Count == 0)
        {
            ids?.Remove();
            if (iothreads is not null)
            {
                if (count == 0)
                {
                    iothreads.Remove();
                }
                else
                {
                    iothreads.SetText(count.ToString(CultureInfo.InvariantCulture));
                }
            }

            return;
        }

        var used = new HashSet<int>();
        foreach (var t in explicitIds)
        {
            if (int.TryParse(t.A("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                used.Add(id);
            }

            t.OrderAttributes(["id", "thread_pool_min", "thread_pool_max"]);
        }

        var next = 1;
        for (var n = explicitIds.Count; n < count; n++)
        {
            while (used.Contains(next))
            {
                next++;
            }

            used.Add(next);
            ids!.Add(new XElement("iothread", new XAttribute("id", next)));
        }

        var total = Math.Max(count, explicitIds.Count);
        if (iothreads is null)
        {
            iothreads = new XElement("iothreads");
            ids!.AddBeforeSelf(iothreads);
        }

        iothreads.SetText(total.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>virDomainCputuneDefFormat: pins sorted by vCPU, schedulers split per thread, cachetune without ids.</summary>
    private static void ApplyCputune(XElement root, int maxVcpus)
    {
        var cputune = root.El("cputune");
        if (cputune is null)
        {
            return;
        }

        foreach (var pin in cputune.Els("vcpupin").Concat(cputune.Els("emulatorpin")).Concat(cputune.Els("iothreadpin")))
        {
            if (CpuSet.TryParse(pin.A("cpuset"), out var set))
            {
                pin.Set("cpuset", CpuSet.Format(set));
            }

            pin.OrderAttributes(["vcpu", "iothread", "cpuset"]);
        }

        var pins = cputune.Els("vcpupin")
            .Select(p => (Id: int.TryParse(p.A("vcpu"), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : int.MaxValue, Pin: p))
            .ToList();
        foreach (var (_, pin) in pins)
        {
            pin.Remove();
        }

        var emulatorAnchor = cputune.Elements().LastOrDefault(e => e.Name.LocalName is "shares" or "period" or "quota" or
            "global_period" or "global_quota" or "emulator_period" or "emulator_quota" or "iothread_period" or "iothread_quota");
        var sortedPins = pins.GroupBy(p => p.Id).Select(g => g.Last()).OrderBy(p => p.Id).Select(p => p.Pin).ToList();
        if (emulatorAnchor is null)
        {
            cputune.AddFirst(sortedPins);
        }
        else
        {
            emulatorAnchor.AddAfterSelf(sortedPins);
        }

        SplitSchedulers(cputune, "vcpusched", "vcpus", maxVcpus);
        SplitSchedulers(cputune, "iothreadsched", "iothreads", int.MaxValue);
        cputune.El("emulatorsched")?.OrderAttributes(["scheduler", "priority"]);

        foreach (var tune in cputune.Els("cachetune").Concat(cputune.Els("memorytune")))
        {
            tune.Attribute("id")?.Remove();
            if (CpuSet.TryParse(tune.A("vcpus"), out var set))
            {
                set.RemoveWhere(v => v >= maxVcpus);
                if (set.Count == 0)
                {
                    // A tune for vCPUs the domain does not have is ignored.
                    tune.RemoveNodes();
                    continue;
                }

                tune.Set("vcpus", CpuSet.Format(set));
            }

            foreach (var cache in tune.Els("cache"))
            {
                FormatCacheSize(cache);
                cache.OrderAttributes(["id", "level", "type", "size", "unit"]);
            }

            foreach (var node in tune.Els("node"))
            {
                node.OrderAttributes(["id", "bandwidth"]);
            }

            foreach (var monitor in tune.Els("monitor"))
            {
                if (tune.Name.LocalName == "cachetune")
                {
                    monitor.Set("level", "3");
                }

                if (CpuSet.TryParse(monitor.A("vcpus"), out var mset))
                {
                    monitor.Set("vcpus", CpuSet.Format(mset));
                }

                monitor.OrderAttributes(["level", "vcpus"]);
            }

            tune.OrderChildren(["cache", "node", "monitor"]);
        }

        // Drop empty tunes (virDomainCachetuneDefFormat prints nothing without children).
        foreach (var tune in cputune.Els("cachetune").Concat(cputune.Els("memorytune")).ToList())
        {
            if (!tune.HasElements)
            {
                tune.Remove();
            }
        }

        cputune.OrderChildren(
        [
            "shares", "period", "quota", "global_period", "global_quota", "emulator_period", "emulator_quota",
            "iothread_period", "iothread_quota", "vcpupin", "emulatorpin", "iothreadpin", "emulatorsched",
            "vcpusched", "iothreadsched", "cachetune", "memorytune",
        ]);

        SortByNumber(cputune, "iothreadpin", "iothread");
        if (!cputune.HasElements)
        {
            cputune.Remove();
        }
    }

    /// <summary>One scheduler element per thread, in thread order (virDomainSchedulerFormat).</summary>
    private static void SplitSchedulers(XElement cputune, string element, string attribute, int max)
    {
        var scheds = cputune.Els(element).ToList();
        if (scheds.Count == 0)
        {
            return;
        }

        var perThread = new SortedDictionary<int, XElement>();
        foreach (var s in scheds)
        {
            if (CpuSet.TryParse(s.A(attribute), out var set))
            {
                foreach (var id in set.Where(i => i < max))
                {
                    var copy = new XElement(element, new XAttribute(attribute, id), new XAttribute("scheduler", s.A("scheduler") ?? string.Empty));
                    if (s.A("scheduler") is "fifo" or "rr")
                    {
                        copy.Set("priority", s.A("priority") ?? "0");
                    }

                    perThread[id] = copy;
                }
            }
        }

        var anchor = scheds[0];
        anchor.AddBeforeSelf(perThread.Values);
        foreach (var s in scheds)
        {
            s.Remove();
        }
    }

    private static void SortByNumber(XElement parent, string element, string attribute)
    {
        var items = parent.Els(element).ToList();
        if (items.Count < 2)
        {
            return;
        }

        var sorted = items.OrderBy(i => int.TryParse(i.A(attribute), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue).ToList();
        if (sorted.SequenceEqual(items))
        {
            return;
        }

        var anchor = new XElement("anchor");
        items[0].AddBeforeSelf(anchor);
        foreach (var i in items)
        {
            i.Remove();
        }

        anchor.AddAfterSelf(sorted);
        anchor.Remove();
    }

    /// <summary>virFormatIntPretty: the largest binary unit that divides the size exactly.</summary>
    private static void FormatCacheSize(XElement cache)
    {
        if (!ScaledInteger.TryParseULong(cache.A("size"), out var size) ||
            !ScaledInteger.TryScale(size, cache.A("unit"), 1024, ulong.MaxValue, out var bytes, out _))
        {
            return;
        }

        var (value, unit) = PrettyBytes(bytes);
        cache.Set("size", ScaledInteger.Format(value));
        cache.Set("unit", unit);
    }

    internal static (ulong Value, string Unit) PrettyBytes(ulong bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        var i = 0;
        while (bytes != 0 && bytes % 1024 == 0 && i < units.Length - 1)
        {
            bytes /= 1024;
            i++;
        }

        return (bytes, units[i]);
    }

    /// <summary>
    /// virDomainNumatuneParseXML / FormatXML: memory mode defaults to strict; placement follows the nodeset
    /// or the vCPU placement; memnodes are sorted by cell.
    /// </summary>
    private static void ApplyNumatune(XElement root)
    {
        var numatune = root.El("numatune");
        var vcpuPlacement = root.El("vcpu").A("placement");
        if (numatune is null)
        {
            if (vcpuPlacement == "auto")
            {
                var memory = new XElement("memory", new XAttribute("mode", "strict"), new XAttribute("placement", "auto"));
                root.El("vcpu")!.AddAfterSelf(new XElement("numatune", memory));
            }

            return;
        }

        var mem = numatune.El("memory");
        if (mem is not null)
        {
            mem.Default("mode", "strict");
            var nodeset = mem.A("nodeset");
            var placement = mem.A("placement");
            if (placement is null)
            {
                placement = nodeset is not null ? "static" : vcpuPlacement == "auto" ? "auto" : "static";
            }

            if (placement == "static" && nodeset is not null && CpuSet.TryParse(nodeset, out var set))
            {
                mem.Set("nodeset", CpuSet.Format(set));
                mem.Set("placement", null);
            }
            else if (placement == "auto")
            {
                mem.Set("nodeset", null);
                mem.Set("placement", "auto");
            }
            else if (nodeset is null)
            {
                // Static placement with no nodeset says nothing: libvirt does not format it.
                mem.Remove();
            }

            mem.OrderAttributes(["mode", "nodeset", "placement"]);
        }

        foreach (var node in numatune.Els("memnode"))
        {
            node.Default("mode", "strict");
            if (CpuSet.TryParse(node.A("nodeset"), out var set))
            {
                node.Set("nodeset", CpuSet.Format(set));
            }

            node.OrderAttributes(["cellid", "mode", "nodeset"]);
        }

        SortByNumber(numatune, "memnode", "cellid");
        numatune.OrderChildren(["memory", "memnode"]);
        if (!numatune.HasElements)
        {
            numatune.Remove();
        }
    }
}
