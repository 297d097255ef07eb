using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>2^53 - 1: VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, the largest size libvirt accepts, in bytes.</summary>
    internal const ulong MemoryLimitBytes = 9007199254740991UL;

    /// <summary>
    /// virDomainDefParseMemory and virDomainDefPostParseMemory: sizes in KiB; the initial size from the NUMA
    /// cells when &lt;memory&gt; is absent; currentMemory never above memory; memory tunables in KiB.
    /// </summary>
    private static void ApplyMemory(SpecContext context, XElement root)
    {
        var memory = root.El("memory");
        var total = memory is null ? 0UL : KiB(memory) ?? 0UL;
        var numaTotal = NumaMemoryKiB(root);
        var hotplug = root.El("devices").Els("memory")
            .Select(m => m.El("target").El("size"))
            .Where(s => s is not null)
            .Aggregate(0UL, (sum, s) => sum + (KiB(s!) ?? 0UL));

        if (total == 0 && numaTotal > 0)
        {
            total = numaTotal + hotplug;
        }
        else if (hotplug > total)
        {
            context.Report(ErrorCode.XmlError, "Total size of memory devices exceeds the total memory size", memory ?? root);
            return;
        }

        // virDomainDefGetMemoryInitial: the NUMA cells when there are some, else memory without the modules.
        var initial = numaTotal > 0 ? numaTotal : total - hotplug;
        if (initial == 0)
        {
            context.Report(ErrorCode.XmlError, "Memory size must be specified via <memory> or in the <numa> configuration", memory ?? root);
            return;
        }

        if (memory is null)
        {
            memory = new XElement("memory");
            root.Add(memory);
        }

        SetKiB(memory, total);
        memory.OrderAttributes(["dumpCore", "unit"]);

        var current = root.El("currentMemory");
        var currentKiB = current is null ? 0UL : KiB(current) ?? 0UL;
        if (currentKiB == 0 || currentKiB > total)
        {
            currentKiB = total;
        }

        if (current is null)
        {
            current = new XElement("currentMemory");
            memory.AddAfterSelf(current);
        }

        SetKiB(current, currentKiB);

        var max = root.El("maxMemory");
        if (max is not null)
        {
            var maxKiB = KiB(max) ?? 0UL;
            var slots = ScaledInteger.TryParseULong(max.A("slots"), out var s) ? s : 0UL;
            if ((maxKiB != 0) != (slots != 0))
            {
                context.Report(ErrorCode.XmlError, "both maximum memory size and memory slot count must be specified", max);
                return;
            }

            if (maxKiB != 0 && maxKiB < total)
            {
                context.Report(ErrorCode.XmlError, "maximum memory size must be equal or greater than the actual memory size", max);
                return;
            }

            if (maxKiB == 0)
            {
                max.Remove();
            }
            else
            {
                SetKiB(max, maxKiB);
                max.Default("slots", "0");
                max.OrderAttributes(["slots", "unit"]);
            }
        }

        ApplyMemtune(root.El("memtune"));
        ApplyMemoryBacking(root.El("memoryBacking"));
    }

    /// <summary>The size of a scaled element (value in text, unit attribute, KiB by default), in KiB.</summary>
    internal static ulong? KiB(XElement element)
    {
        if (!ScaledInteger.TryParseULong(element.Value.Trim(), out var value))
        {
            return null;
        }

        return ScaledInteger.TryScale(value, element.A("unit"), 1024, long.MaxValue, out var bytes, out _)
            ? ScaledInteger.ToKiB(bytes)
            : null;
    }

    /// <summary>A scaled attribute pair (value attribute, unit attribute) in KiB.</summary>
    internal static ulong? KiB(XElement element, string valueAttribute, string unitAttribute = "unit")
    {
        if (!ScaledInteger.TryParseULong(element.A(valueAttribute), out var value))
        {
            return null;
        }

        return ScaledInteger.TryScale(value, element.A(unitAttribute), 1024, ulong.MaxValue, out var bytes, out _)
            ? ScaledInteger.ToKiB(bytes)
            : null;
    }

    internal static void SetKiB(XElement element, ulong kib)
    {
        element.SetText(ScaledInteger.Format(kib));
        element.Set("unit", "KiB");
    }

    private static ulong NumaMemoryKiB(XElement root)
    {
        ulong sum = 0;
        foreach (var cell in root.El("cpu").El("numa").Els("cell"))
        {
            sum += KiB(cell, "memory") ?? 0UL;
        }

        return sum;
    }

    /// <summary>virDomainMemtuneFormat: each limit in KiB, in libvirt's order; "unlimited" values vanish.</summary>
    private static void ApplyMemtune(XElement? memtune)
    {
        if (memtune is null)
        {
            return;
        }

        foreach (var name in (string[])["hard_limit", "soft_limit", "min_guarantee", "swap_hard_limit"])
        {
            var limit = memtune.El(name);
            if (limit is null)
            {
                continue;
            }

            var kib = KiB(limit);
            if (kib is null)
            {
                continue;
            }

            // virMemoryLimitTruncate: a limit at or above 2^53-1 KiB is "unlimited" and not shown;
            // a zero min_guarantee is not shown either.
            if (kib.Value >= MemoryLimitBytes || (name == "min_guarantee" && kib.Value == 0))
            {
                limit.Remove();
                continue;
            }

            SetKiB(limit, kib.Value);
        }

        memtune.OrderChildren(["hard_limit", "soft_limit", "min_guarantee", "swap_hard_limit"]);
        if (!memtune.HasElements)
        {
            memtune.Remove();
        }
    }

    /// <summary>virDomainMemorybackingFormat: hugepage sizes in KiB, children in libvirt's order.</summary>
    private static void ApplyMemoryBacking(XElement? backing)
    {
        if (backing is null)
        {
            return;
        }

        var withoutNuma = !backing.Parent.El("cpu").El("numa").Els("cell").Any();

        var hugepages = backing.El("hugepages");
        if (hugepages is not null)
        {
            foreach (var page in hugepages.Els("page"))
            {
                var kib = KiB(page, "size");
                if (kib is not null)
                {
                    page.Set("size", (long)kib.Value);
                    page.Set("unit", "KiB");
                }

                // virDomainDefPostParseMemtune: without guest NUMA a node set of just node 0 is dropped.
                var nodeset = page.A("nodeset");
                if (nodeset is not null && CpuSet.TryParse(nodeset, out var set))
                {
                    page.Set("nodeset", withoutNuma && set.All(n => n == 0) ? null : CpuSet.Format(set));
                }

                page.OrderAttributes(["size", "unit", "nodeset"]);
            }
        }

        backing.El("allocation")?.OrderAttributes(["mode", "threads"]);
        backing.OrderChildren(["hugepages", "nosharepages", "locked", "source", "access", "allocation", "discard"]);
        if (!backing.HasElements)
        {
            backing.Remove();
        }
    }
}
