using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>
/// virDomainCachetuneDefParse and virDomainMemorytuneDefParse: resource-control groups by vCPU set, cache
/// and memory-bandwidth allocations, and monitors.
/// </summary>
internal static class Resctrl
{
    private sealed class Group(SortedSet<int> vcpus)
    {
        public SortedSet<int> Vcpus { get; } = vcpus;

        public HashSet<(uint Level, string Type, uint Id)> Caches { get; } = [];

        public HashSet<uint> Bandwidth { get; } = [];

        public List<(string Tag, SortedSet<int> Vcpus)> Monitors { get; } = [];

        public bool AllocEmpty => Caches.Count == 0 && Bandwidth.Count == 0;
    }

    public static IEnumerable<Problem?> Check(XElement cputune, uint maxVcpus)
    {
        var groups = new List<Group>();
        foreach (var tune in cputune.Elements().Where(e => e.Name.LocalName is "cachetune" or "memorytune"))
        {
            var isCache = tune.Name.LocalName == "cachetune";
            if (ParseVcpus(tune, maxVcpus, out var vcpus) is { } vp)
            {
                yield return vp;
                yield break;
            }

            if (vcpus.Count == 0)
            {
                continue;
            }

            Group? existing = null;
            foreach (var g in groups)
            {
                if (g.Vcpus.SetEquals(vcpus))
                {
                    existing = g;
                    break;
                }

                if (g.Vcpus.Overlaps(vcpus))
                {
                    yield return new Problem(ErrorCode.XmlError, "Overlapping vcpus in resctrls", tune);
                    yield break;
                }
            }

            if (isCache && existing is not null)
            {
                yield return new Problem(ErrorCode.XmlError, "Identical vcpus in cachetunes found", tune);
                yield break;
            }

            var group = existing ?? new Group(vcpus);
            var allocations = 0;
            if (isCache)
            {
                foreach (var cache in tune.Els("cache"))
                {
                    allocations++;
                    var p = XmlProp.UInt(cache, "id", flags: PropFlags.Required) ??
                            XmlProp.UInt(cache, "level", flags: PropFlags.Required) ??
                            XmlProp.Enum(cache, "type", LibvirtEnums.Cache, PropFlags.Required) ??
                            (cache.A("size") is null ? new Problem(ErrorCode.XmlError, "missing element or attribute './@size'", cache) : null) ??
                            ParseRules.ScaledAttribute(cache, "size", "unit", "./@size");
                    if (p is not null)
                    {
                        yield return p;
                        yield break;
                    }

                    var level = uint.Parse(cache.A("level")!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    var id = uint.Parse(cache.A("id")!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    var type = cache.A("type")!;
                    if (Collides(group, level, type, id))
                    {
                        yield return new Problem(ErrorCode.XmlError, $"Colliding cache allocations for cache level '{level}' id '{id}', type '{type}'", cache);
                        yield break;
                    }

                    group.Caches.Add((level, type, id));
                }
            }
            else
            {
                foreach (var node in tune.Els("node"))
                {
                    allocations++;
                    var p = XmlProp.UInt(node, "id", flags: PropFlags.Required) ?? XmlProp.UInt(node, "bandwidth", flags: PropFlags.Required);
                    if (p is not null)
                    {
                        yield return p;
                        yield break;
                    }

                    var id = uint.Parse(node.A("id")!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    if (uint.Parse(node.A("bandwidth")!.Trim(), System.Globalization.CultureInfo.InvariantCulture) > 100)
                    {
                        yield return new Problem(ErrorCode.XmlError, "Memory Bandwidth value exceeding 100 is invalid.", node);
                        yield break;
                    }

                    if (!group.Bandwidth.Add(id))
                    {
                        yield return new Problem(ErrorCode.XmlError, $"Memory Bandwidth already defined for node {id}", node);
                        yield break;
                    }
                }
            }

            var monitorsBefore = group.Monitors.Count;
            foreach (var monitor in tune.Els("monitor"))
            {
                if (isCache)
                {
                    if (XmlProp.UInt(monitor, "level", flags: PropFlags.Required) is { } lp)
                    {
                        yield return lp;
                        yield break;
                    }

                    var level = uint.Parse(monitor.A("level")!.Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    if (level != 3)
                    {
                        yield return new Problem(ErrorCode.XmlError, $"Invalid monitor cache level '{level}'", monitor);
                        yield break;
                    }
                }

                if (ParseVcpus(monitor, maxVcpus, out var mvcpus) is { } mp)
                {
                    yield return mp;
                    yield break;
                }

                if (ValidateMonitor(group, isCache ? "cache" : "membw", mvcpus) is { } detail)
                {
                    yield return new Problem(ErrorCode.InvalidArgument, detail, monitor);
                    yield break;
                }

                group.Monitors.Add((isCache ? "cache" : "membw", mvcpus));
            }

            if (existing is null && (allocations > 0 || group.Monitors.Count > monitorsBefore))
            {
                groups.Add(group);
            }
        }
    }

    /// <summary>virDomainResctrlParseVcpus: required, a bitmap, limited to the vCPU count.</summary>
    private static Problem? ParseVcpus(XElement e, uint maxVcpus, out SortedSet<int> vcpus)
    {
        vcpus = [];
        var name = e.Name.LocalName;
        var a = e.Attribute("vcpus");
        if (a is null)
        {
            return new Problem(ErrorCode.XmlError, $"Missing {name} attribute 'vcpus'", e);
        }

        if (!CpuSet.TryParse(a.Value, out var set))
        {
            return new Problem(ErrorCode.XmlError, $"Invalid {name} attribute 'vcpus' value '{a.Value}'", a);
        }

        set.RemoveWhere(v => v >= maxVcpus);
        vcpus = set;
        return null;
    }

    /// <summary>virResctrlAllocCheckCollision: 'both' excludes code and data on the same cache, and vice versa.</summary>
    private static bool Collides(Group group, uint level, string type, uint id)
    {
        if (group.Caches.Contains((level, "both", id)))
        {
            return true;
        }

        return type == "both"
            ? group.Caches.Contains((level, "code", id)) || group.Caches.Contains((level, "data", id))
            : group.Caches.Contains((level, type, id));
    }

    /// <summary>virDomainResctrlValidateMonitor.</summary>
    private static string? ValidateMonitor(Group group, string tag, SortedSet<int> vcpus)
    {
        if (vcpus.Count == 0)
        {
            return "vcpus is empty";
        }

        if (!vcpus.IsSubsetOf(group.Vcpus))
        {
            return "Monitor vcpus conflicts with allocation";
        }

        var equalToGroup = vcpus.SetEquals(group.Vcpus);
        var overlapAny = false;
        var overlapNoResctrl = false;
        foreach (var (otherTag, other) in group.Monitors)
        {
            if (vcpus.SetEquals(other))
            {
                if (otherTag != tag)
                {
                    continue;
                }

                return "Identical vcpus found in same type monitors";
            }

            if (vcpus.Overlaps(other))
            {
                overlapAny = true;
            }

            if (equalToGroup || other.SetEquals(group.Vcpus))
            {
                continue;
            }

            if (vcpus.Overlaps(other))
            {
                overlapNoResctrl = true;
            }
        }

        return overlapNoResctrl || (group.AllocEmpty && overlapAny) ? "vcpus overlaps in resctrl groups" : null;
    }
}
