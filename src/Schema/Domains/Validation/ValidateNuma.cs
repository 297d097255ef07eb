using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainDefMemtuneValidate (hugepages) and virDomainNumaDefValidate.</summary>
internal static partial class ValidateRules
{
    private static List<XElement> NumaCells(DomainXml d) => d.Root.El("cpu").El("numa").Els("cell").ToList();

    /// <summary>virDomainDefMemtuneValidate: hugepage node sets are disjoint, one default size, nodes exist.</summary>
    private static Problem? Hugepages(DomainXml d)
    {
        var cells = NumaCells(d).Count;
        var pages = d.Root.El("memoryBacking").El("hugepages").Els("page")
            .Select(page => (Page: page, Size: ULong(page, "size") ?? 0, Nodes: NodeSet(page, cells)))
            .ToList();
        for (var i = 0; i < pages.Count; i++)
        {
            for (var j = 0; j < i; j++)
            {
                if (pages[i].Nodes is { } a && pages[j].Nodes is { } b && a.Overlaps(b))
                {
                    return P(ErrorCode.XmlDetail, $"nodeset attribute of hugepages of sizes {pages[i].Size} and {pages[j].Size} intersect", pages[i].Page);
                }

                if (pages[i].Nodes is null && pages[j].Nodes is null)
                {
                    return P(ErrorCode.XmlDetail, $"two master hugepages detected: {pages[i].Size} and {pages[j].Size}", pages[i].Page);
                }
            }

            if (pages[i].Nodes?.FirstOrDefault(n => n >= cells, -1) is { } missing && missing >= 0)
            {
                return P(ErrorCode.XmlDetail, $"hugepages: node {missing} not found", pages[i].Page);
            }
        }

        return null;
    }

    /// <summary>
    /// The node set of a hugepage size; null for the default size. Without guest NUMA a node set of just
    /// node 0 means the default size too (virDomainDefPostParseMemtune).
    /// </summary>
    private static SortedSet<int>? NodeSet(XElement page, int cells)
    {
        if (page.A("nodeset") is not { } text || !CpuSet.TryParse(text, out var set))
        {
            return null;
        }

        return cells == 0 && set.All(n => n == 0) ? null : set;
    }

    /// <summary>virDomainNumaDefValidate: caches of each cell, and the interconnects between cells.</summary>
    private static Problem? Numa(DomainXml d)
    {
        var cells = NumaCells(d);
        foreach (var cell in cells)
        {
            var levels = new HashSet<ulong>();
            foreach (var cache in cell.Els("cache"))
            {
                var level = ULong(cache, "level") ?? 0;
                if (level > 3)
                {
                    return P(ErrorCode.XmlError, "Ain't nobody heard of that much cache level", cache);
                }

                if (!levels.Add(level))
                {
                    return P(ErrorCode.XmlError, $"Cache level '{level}' already defined", cache);
                }
            }
        }

        var links = d.Root.El("cpu").El("numa").El("interconnects")?.Elements()
            .Where(e => e.Name.LocalName is "latency" or "bandwidth")
            .ToList() ?? [];
        for (var i = 0; i < links.Count; i++)
        {
            var l = links[i];
            var initiator = ULong(l, "initiator") ?? 0;
            var target = ULong(l, "target") ?? 0;
            var cacheLevel = ULong(l, "cache") ?? 0;
            if (initiator >= (ulong)cells.Count)
            {
                return P(ErrorCode.XmlError, "'initiator' refers to a non-existent NUMA node", l);
            }

            if (target >= (ulong)cells.Count)
            {
                return P(ErrorCode.XmlError, "'target' refers to a non-existent NUMA node", l);
            }

            var initiatorCpus = cells[(int)initiator].A("cpus");
            if (initiatorCpus is null || !CpuSet.TryParse(initiatorCpus, out var cpus) || cpus.Count == 0)
            {
                return P(ErrorCode.XmlError, "NUMA nodes without CPUs can't be initiator", l);
            }

            if (cacheLevel > 0 && !cells[(int)target].Els("cache").Any(c => ULong(c, "level") == cacheLevel))
            {
                return P(ErrorCode.XmlError, "'cache' refers to a non-existent NUMA node cache", l);
            }

            for (var j = 0; j < i; j++)
            {
                var ll = links[j];
                var llInitiator = ULong(ll, "initiator") ?? 0;
                var llTarget = ULong(ll, "target") ?? 0;
                if (l.Name == ll.Name && initiator == llInitiator && target == llTarget &&
                    cacheLevel == (ULong(ll, "cache") ?? 0) && l.A("type") == ll.A("type"))
                {
                    return P(ErrorCode.XmlError, "Duplicate info for NUMA latencies", l);
                }

                if (initiator != target && initiator == llTarget && target == llInitiator)
                {
                    return P(ErrorCode.XmlError, "Link already defined", l);
                }
            }
        }

        return null;
    }
}
