using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>libvirt's parse-time checks, one method per area of virDomainDefParseXML.</summary>
internal static partial class ParseRules
{
    internal static readonly string[] Architectures =
    [
        "alpha", "armv6l", "armv7l", "armv7b", "aarch64", "cris", "i686", "ia64", "lm32", "m68k", "microblaze",
        "microblazeel", "mips", "mipsel", "mips64", "mips64el", "openrisc", "parisc", "parisc64", "ppc", "ppcle",
        "ppc64", "ppc64le", "ppcemb", "riscv32", "riscv64", "s390", "s390x", "sh4", "sh4eb", "sparc", "sparc64",
        "unicore32", "x86_64",
    ];

    private static Problem P(ErrorCode code, string detail, XObject? at) => new(code, detail, at ?? new XElement("unknown"));

    /// <summary>virDomainDefParseIDs: a name, a well-formed UUID and genid.</summary>
    public static IEnumerable<Problem?> Identity(DomainXml d)
    {
        var root = d.Root;
        var name = root.El("name");
        if (name is null || name.Value.Length == 0)
        {
            // virXPathString gives NULL for an empty name too.
            yield return P(ErrorCode.NoName, string.Empty, (XObject?)name ?? root);
        }
        else if (name.Value.Contains('\n'))
        {
            // The define API refuses newlines in names (virXMLCheckIllegalChars).
            yield return P(ErrorCode.XmlDetail, "invalid char in name: \n", name);
        }

        var uuid = root.El("uuid");
        if (uuid is not null && uuid.Value.Length > 0 && !Uuids.TryParse(uuid.Value, out _))
        {
            yield return P(ErrorCode.InternalError, "malformed uuid element", uuid);
        }

        var genids = root.Els("genid").ToList();
        if (genids.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "element 'genid' can only appear once", genids[1]);
        }

        if (genids.Count == 1 && genids[0].Value.Length > 0 && !Uuids.TryParse(genids[0].Value, out _))
        {
            yield return P(ErrorCode.InternalError, "malformed genid element", genids[0]);
        }
    }

    /// <summary>virDomainDefParseCaps: domain type, OS type and architecture (each empty value counts as absent).</summary>
    public static IEnumerable<Problem?> Caps(DomainXml d)
    {
        var root = d.Root;
        var type = root.Attribute("type");
        if (string.IsNullOrEmpty(type?.Value))
        {
            yield return P(ErrorCode.InternalError, "missing domain type attribute", root);
        }
        else if (Array.IndexOf(LibvirtEnums.DomainVirt, type.Value) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"invalid domain type {type.Value}", type);
        }

        var osType = root.El("os").El("type");
        if (string.IsNullOrEmpty(osType?.Value))
        {
            if (string.IsNullOrEmpty(root.El("bootloader")?.Value))
            {
                yield return P(ErrorCode.XmlError, "an os <type> must be specified", (XObject?)osType ?? (XObject?)root.El("os") ?? root);
            }
        }
        else if (Array.IndexOf(LibvirtEnums.DomainOS, osType.Value) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown OS type '{osType.Value}'", osType);
        }

        var arch = osType?.Attribute("arch");
        if (!string.IsNullOrEmpty(arch?.Value) && Array.IndexOf(Architectures, arch.Value) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"Unknown architecture {arch.Value}", arch);
        }
    }

    /// <summary>The title is a single line.</summary>
    public static IEnumerable<Problem?> Title(DomainXml d)
    {
        var title = d.Root.El("title");
        if (title is not null && title.Value.Contains('\n'))
        {
            yield return P(ErrorCode.XmlError, "Domain title can't contain newlines", title);
        }
    }

    /// <summary>virDomainDefParseMemory: sizes with units, slots, memory backing enums, hugepages.</summary>
    public static IEnumerable<Problem?> Memory(DomainXml d)
    {
        var root = d.Root;
        // The XPath of each element, as libvirt names it in a message (spelled out: no string built per file).
        foreach (var (name, xpath) in ((string, string)[])[("memory", "./memory[1]"), ("currentMemory", "./currentMemory[1]"), ("maxMemory", "./maxMemory[1]")])
        {
            yield return ScaledValue(root, root.El(name), xpath, 1024, long.MaxValue, memory: true);
        }

        // virXPathUInt: an empty value is no value.
        var max = root.El("maxMemory");
        if (max?.A("slots") is { Length: > 0 } slots && !CNumber.TryParseUInt(slots, 10, out _))
        {
            yield return P(ErrorCode.XmlError, "Failed to parse memory slot count", max.Attribute("slots"));
        }

        yield return XmlProp.OnOff(root.El("memory"), "dumpCore");
        var backing = root.El("memoryBacking");
        foreach (var (child, attr, values) in new (string, string, string[])[] {
            ("source", "type", LibvirtEnums.DomainMemorySource),
            ("access", "mode", LibvirtEnums.DomainMemoryAccess),
            ("allocation", "mode", LibvirtEnums.DomainMemoryAllocation)})
        {
            var value = backing.El(child)?.Attribute(attr);
            if (!string.IsNullOrEmpty(value?.Value) && Array.IndexOf(values, value.Value) <= 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown memoryBacking/{child}/{attr} '{value.Value}'", value);
            }
        }

        var threads = backing.El("allocation")?.Attribute("threads");
        if (!string.IsNullOrEmpty(threads?.Value) && !CNumber.TryParseUInt(threads.Value, 10, out _))
        {
            yield return P(ErrorCode.XmlError, "Failed to parse memory allocation threads", threads);
        }

        foreach (var page in backing.El("hugepages").Els("page"))
        {
            var size = ScaledAttr(page, "size", "unit", "./@size", 1024, long.MaxValue, required: true, memory: true);
            if (size is not null)
            {
                yield return size;
                yield break;
            }

            if (AttrKiB(page, "size", "unit") == 0)
            {
                yield return P(ErrorCode.XmlDetail, "hugepage size can't be zero", page.Attribute("size"));
            }

            if (page.Attribute("nodeset") is { } nodeset)
            {
                yield return Bitmap(nodeset, "Invalid value of 'nodeset': " + nodeset.Value);
            }
        }
    }

    /// <summary>virParseScaledValue on an element: a decimal number and a known unit.</summary>
    internal static Problem? ScaledElement(XElement? e, string xpath)
    {
        if (e is null)
        {
            return null;
        }

        var text = e.Value;
        if (!ScaledInteger.TryParseULong(text, out var value))
        {
            return P(ErrorCode.XmlError, $"Invalid value '{text}' for element or attribute '{xpath}'", e);
        }

        return ScaleProblem(e, value, e.A("unit"));
    }

    internal static Problem? ScaledAttribute(XElement e, string attribute, string unitAttribute, string xpath)
    {
        var a = e.Attribute(attribute);
        if (a is null)
        {
            return null;
        }

        if (!ScaledInteger.TryParseULong(a.Value, out var value))
        {
            return P(ErrorCode.XmlError, $"Invalid value '{a.Value}' for element or attribute '{xpath}'", a);
        }

        return ScaleProblem(e, value, e.A(unitAttribute));
    }

    private static Problem? ScaleProblem(XElement e, ulong value, string? unit)
    {
        if (!ScaledInteger.TryScale(value, unit, 1024, long.MaxValue, out _, out var error))
        {
            return error == ScaleError.UnknownUnit
                ? P(ErrorCode.InvalidArgument, $"unknown suffix '{unit}'", e)
                : P(ErrorCode.Overflow, $"value too large: {value}{unit}", e);
        }

        return null;
    }

    /// <summary>virDomainDefTunablesParse: blkiotune, memtune, vcpus, iothreads and cputune.</summary>
    public static IEnumerable<Problem?> Tunables(DomainXml d)
    {
        var root = d.Root;
        foreach (var device in root.El("blkiotune").Els("device"))
        {
            yield return BlkioDevice(device);
        }

        // Limits go up to VIR_DOMAIN_MEMORY_PARAM_UNLIMITED KiB; the guarantee is a memory size.
        var memtune = root.El("memtune");
        foreach (var (name, xpath) in ((string, string)[])
                 [
                     ("hard_limit", "./memtune/hard_limit[1]"),
                     ("soft_limit", "./memtune/soft_limit[1]"),
                     ("min_guarantee", "./memtune/min_guarantee[1]"),
                     ("swap_hard_limit", "./memtune/swap_hard_limit[1]"),
                 ])
        {
            yield return name == "min_guarantee"
                ? ScaledValue(root, memtune.El(name), xpath, 1024, long.MaxValue, memory: true)
                : ScaledValue(root, memtune.El(name), xpath, 1024, 9007199254740991UL << 10);
        }

        var vcpu = root.El("vcpu");
        var maxVcpus = 1u;
        if (vcpu is not null)
        {
            if (!CNumber.TryParseUInt(vcpu.Value, 10, out maxVcpus))
            {
                yield return P(ErrorCode.XmlError, "maximum vcpus count must be an integer", vcpu);
            }

            yield return XmlProp.UInt(vcpu, "current");
            if (CNumber.TryParseUInt(vcpu.A("current"), 10, out var current) && current > maxVcpus && root.El("vcpus") is null)
            {
                yield return P(ErrorCode.ConfigUnsupported, "maximum vCPU count must not be less than current vCPU count", vcpu.Attribute("current"));
            }

            yield return XmlProp.Enum(vcpu, "placement", LibvirtEnums.DomainCpuPlacementMode);
            if (vcpu.A("placement") != "auto" && vcpu.A("cpuset") is { } cpuset)
            {
                yield return Bitmap(vcpu.Attribute("cpuset")!, "Invalid value of 'cpuset': " + cpuset);
            }
        }

        var vcpusList = root.El("vcpus").Els("vcpu").ToList();
        foreach (var v in vcpusList)
        {
            yield return XmlProp.UInt(v, "id", flags: PropFlags.Required);
            if (CNumber.TryParseUInt(v.A("id"), 10, out var id) && id >= maxVcpus)
            {
                yield return P(ErrorCode.XmlError, $"vcpu id '{id}' is out of range of maximum vcpu count", v);
            }

            yield return XmlProp.YesNo(v, "enabled", PropFlags.Required);
            yield return XmlProp.YesNo(v, "hotpluggable");
            yield return XmlProp.UInt(v, "order");
        }

        var iothreads = root.El("iothreads");
        if (iothreads is not null && iothreads.Value.Length > 0 && !CNumber.TryParseUInt(iothreads.Value, 10, out _))
        {
            yield return P(ErrorCode.XmlError, $"invalid iothreads count '{iothreads.Value}'", iothreads);
        }

        var defaultIothread = root.El("defaultiothread");
        yield return XmlProp.Int(defaultIothread, "thread_pool_min", PropFlags.NonNegative);
        yield return XmlProp.Int(defaultIothread, "thread_pool_max", PropFlags.NonNegative);

        var seenIothreads = new HashSet<uint>();
        foreach (var t in root.El("iothreadids").Els("iothread"))
        {
            yield return XmlProp.UInt(t, "id", flags: PropFlags.Required | PropFlags.NonZero);
            yield return XmlProp.Int(t, "thread_pool_min", PropFlags.NonNegative);
            yield return XmlProp.Int(t, "thread_pool_max", PropFlags.NonNegative);
            if (CNumber.TryParseUInt(t.A("id"), 10, out var id) && !seenIothreads.Add(id))
            {
                yield return P(ErrorCode.XmlError, $"duplicate iothread id '{id}' found", t);
            }
        }

        foreach (var p in Cputune(root, maxVcpus, seenIothreads, iothreads))
        {
            yield return p;
        }
    }

    /// <summary>virDomainBlkioDeviceParseXML: a path, and numbers for the weight and the limits.</summary>
    private static Problem? BlkioDevice(XElement device)
    {
        if (string.IsNullOrEmpty(device.El("path")?.Value))
        {
            return P(ErrorCode.ConfigUnsupported, "missing per-device path", device);
        }

        foreach (var (name, wide, label) in new (string, bool, string)[] {
            ("weight", false, "weight"), ("read_bytes_sec", true, "read bytes sec"), ("write_bytes_sec", true, "write bytes sec"),
            ("read_iops_sec", false, "read iops sec"), ("write_iops_sec", false, "write iops sec")})
        {
            var value = device.El(name)?.Value;
            if (!string.IsNullOrEmpty(value) && !(wide ? StrToLongULong(value) : Networks.Support.StrToLong.TryUInt(value, 10, out _)))
            {
                return P(ErrorCode.ConfigUnsupported, $"could not parse {label} {value}", device.El(name));
            }
        }

        return null;
    }

    private static IEnumerable<Problem?> Cputune(XElement root, uint maxVcpus, HashSet<uint> explicitIothreads, XElement? iothreadsElement)
    {
        var cputune = root.El("cputune");
        if (cputune is null)
        {
            yield break;
        }

        foreach (var (name, signed, label) in new (string, bool, string)[] {
            ("shares", false, "shares"), ("period", false, "period"), ("quota", true, "quota"),
            ("global_period", false, "global period"), ("global_quota", true, "global quota"),
            ("emulator_period", false, "emulator period"), ("emulator_quota", true, "emulator quota"),
            ("iothread_period", false, "iothread period"), ("iothread_quota", true, "iothread quota")})
        {
            var e = cputune.El(name);
            if (e is not null && e.Value.Length > 0 && !(signed ? CNumber.TryParseLong(e.Value, out _) : CNumber.TryParseULong(e.Value, 10, out _)))
            {
                yield return P(ErrorCode.XmlError, $"can't parse cputune {label} value", e);
            }
        }

        var pinned = new HashSet<uint>();
        foreach (var pin in cputune.Els("vcpupin"))
        {
            yield return XmlProp.UInt(pin, "vcpu", flags: PropFlags.Required);
            if (!CNumber.TryParseUInt(pin.A("vcpu"), 10, out var id) || id >= maxVcpus)
            {
                continue;
            }

            if (pin.A("cpuset") is not { } cpuset)
            {
                yield return P(ErrorCode.InternalError, "missing cpuset for vcpupin", pin);
                continue;
            }

            if (!pinned.Add(id))
            {
                yield return P(ErrorCode.InternalError, $"duplicate vcpupin for vcpu '{id}'", pin);
            }

            yield return Bitmap(pin.Attribute("cpuset")!, "Invalid value of 'cpuset': " + cpuset);
        }

        var emulatorPins = cputune.Els("emulatorpin").ToList();
        if (emulatorPins.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one emulatorpin is supported", emulatorPins[1]);
        }

        foreach (var pin in emulatorPins.Take(1))
        {
            if (pin.A("cpuset") is not { } cpuset)
            {
                yield return P(ErrorCode.InternalError, "missing cpuset for emulatorpin", pin);
            }
            else
            {
                yield return Bitmap(pin.Attribute("cpuset")!, "Invalid value of 'cpuset': " + cpuset);
            }
        }

        // iothread ids: the explicit ones plus those filled in up to the <iothreads> count.
        var allIothreads = new HashSet<uint>(explicitIothreads);
        if (CNumber.TryParseUInt(iothreadsElement?.Value, 10, out var count))
        {
            for (uint next = 1; allIothreads.Count < count; next++)
            {
                allIothreads.Add(next);
            }
        }

        var iothreadPinned = new HashSet<uint>();
        foreach (var pin in cputune.Els("iothreadpin"))
        {
            yield return XmlProp.UInt(pin, "iothread", flags: PropFlags.Required | PropFlags.NonZero);
            var id = CNumber.TryParseUInt(pin.A("iothread"), 10, out var v) ? v : 0;
            if (!allIothreads.Contains(id))
            {
                yield return P(ErrorCode.ConfigUnsupported, $"Cannot find 'iothread' : {id}", pin);
            }

            if (pin.A("cpuset") is not { } cpuset)
            {
                yield return P(ErrorCode.InternalError, "missing cpuset for iothreadpin", pin);
                continue;
            }

            yield return Bitmap(pin.Attribute("cpuset")!, "Invalid value of 'cpuset': " + cpuset);
            if (!iothreadPinned.Add(id))
            {
                yield return P(ErrorCode.InternalError, $"duplicate iothreadpin for same iothread '{id}'", pin);
            }
        }

        foreach (var p in Schedulers(cputune, "vcpusched", "vcpus", id => id < maxVcpus
                     ? null
                     : $"vCPU '{id}' is not present in domain definition"))
        {
            yield return p;
        }

        foreach (var p in Schedulers(cputune, "iothreadsched", "iothreads", id => allIothreads.Contains(id)
                     ? null
                     : $"Cannot find 'iothread' : {id}"))
        {
            yield return p;
        }

        var emulatorScheds = cputune.Els("emulatorsched").ToList();
        if (emulatorScheds.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one emulatorsched is supported", emulatorScheds[1]);
        }

        foreach (var s in emulatorScheds.Take(1))
        {
            yield return SchedulerAttributes(s);
        }

        foreach (var p in Resctrl.Check(cputune, maxVcpus))
        {
            yield return p;
        }
    }

    /// <summary>virDomainThreadSchedParseHelper: a non-empty bitmap, a policy, no thread scheduled twice.</summary>
    private static IEnumerable<Problem?> Schedulers(XElement cputune, string element, string attribute, Func<uint, string?> missing)
    {
        var scheduled = new HashSet<int>();
        foreach (var s in cputune.Els(element))
        {
            var a = s.Attribute(attribute);
            if (a is null)
            {
                yield return P(ErrorCode.XmlError, $"Missing attribute '{attribute}' in element '{element}'", s);
                continue;
            }

            if (!CpuSet.TryParse(a.Value, out var set))
            {
                yield return P(ErrorCode.InvalidArgument, $"Failed to parse bitmap '{a.Value}'", a);
                continue;
            }

            if (set.Count == 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"'{attribute}' scheduler bitmap '{a.Value}' is empty", a);
                continue;
            }

            yield return SchedulerAttributes(s);
            foreach (var id in set)
            {
                if (missing((uint)id) is { } problem)
                {
                    yield return P(ErrorCode.ConfigUnsupported, problem, a);
                }

                if (!scheduled.Add(id))
                {
                    yield return P(ErrorCode.XmlDetail, $"'{element}' attributes '{attribute}' must not overlap", a);
                }
            }
        }
    }

    private static Problem? SchedulerAttributes(XElement s) =>
        XmlProp.Enum(s, "scheduler", LibvirtEnums.ProcessSchedPolicy, PropFlags.Required | PropFlags.NonZero) ??
        (s.A("scheduler") is "fifo" or "rr" ? XmlProp.Int(s, "priority", PropFlags.Required) : null);

    /// <summary>virBitmapParse plus the "all clear" check libvirt makes for CPU sets.</summary>
    internal static Problem? Bitmap(XAttribute a, string emptyMessage)
    {
        if (!CpuSet.TryParse(a.Value, out var set))
        {
            return P(ErrorCode.InvalidArgument, $"Failed to parse bitmap '{a.Value}'", a);
        }

        return set.Count == 0 ? P(ErrorCode.ConfigUnsupported, emptyMessage, a) : null;
    }

    /// <summary>virCPUDefParseXML for the guest CPU.</summary>
    public static IEnumerable<Problem?> Cpu(DomainXml d)
    {
        var cpu = d.Root.El("cpu");
        if (cpu is null)
        {
            yield break;
        }

        var mode = cpu.Attribute("mode");
        if (mode is not null && Array.IndexOf(LibvirtEnums.CPUMode, mode.Value) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"Invalid mode attribute '{mode.Value}'", mode);
        }

        var modeValue = mode?.Value ?? "custom";
        var migratable = XmlProp.OnOff(cpu, "migratable");
        yield return migratable;
        if (cpu.A("migratable") is not null && modeValue is not ("host-passthrough" or "maximum"))
        {
            yield return P(ErrorCode.ConfigUnsupported, "Attribute migratable is only allowed for 'host-passthrough' / 'maximum' CPU mode", cpu.Attribute("migratable"));
        }

        yield return XmlProp.Enum(cpu, "match", LibvirtEnums.CPUMatch);
        yield return XmlProp.Enum(cpu, "check", LibvirtEnums.CPUCheck);
        var model = cpu.El("model");
        if (modeValue is not ("host-passthrough" or "maximum") && model is not null)
        {
            var fallback = model.Attribute("fallback");
            if (!string.IsNullOrEmpty(fallback?.Value) && Array.IndexOf(LibvirtEnums.CPUFallback, fallback.Value) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, "Invalid fallback attribute", fallback);
            }

            var vendorId = model.Attribute("vendor_id");
            if (!string.IsNullOrEmpty(vendorId?.Value))
            {
                if (vendorId.Value.Length != 12)
                {
                    yield return P(ErrorCode.XmlError, "vendor_id must be exactly 12 characters long", vendorId);
                }
                else if (vendorId.Value.Contains(','))
                {
                    yield return P(ErrorCode.XmlError, "vendor id is invalid", vendorId);
                }
            }
        }

        var hasModel = model is not null && model.Value.Length > 0;
        if (cpu.El("vendor") is { Value.Length: > 0 } vendor && !hasModel)
        {
            yield return P(ErrorCode.XmlError, "CPU vendor specified without CPU model", vendor);
        }

        var topology = cpu.El("topology");
        if (topology is not null)
        {
            yield return XmlProp.UInt(topology, "sockets", flags: PropFlags.Required | PropFlags.NonZero);
            yield return XmlProp.UInt(topology, "dies", flags: PropFlags.NonZero);
            yield return XmlProp.UInt(topology, "cores", flags: PropFlags.Required | PropFlags.NonZero);
            yield return XmlProp.UInt(topology, "threads", flags: PropFlags.Required | PropFlags.NonZero);
        }

        var features = cpu.Els("feature").ToList();
        if (features.Count > 0 && !hasModel && modeValue == "custom")
        {
            yield return P(ErrorCode.XmlError, "Non-empty feature list specified without CPU model", features[0]);
        }

        var names = new HashSet<string>();
        foreach (var f in features)
        {
            var policy = f.Attribute("policy");
            if (policy is not null && Array.IndexOf(LibvirtEnums.CPUFeaturePolicy, policy.Value) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, "Invalid CPU feature policy", policy);
            }

            var name = f.A("name");
            if (string.IsNullOrEmpty(name))
            {
                yield return P(ErrorCode.XmlError, "Invalid CPU feature name", f);
            }
            else if (!names.Add(name))
            {
                yield return P(ErrorCode.XmlError, $"CPU feature '{name}' specified more than once", f);
            }
        }

        var caches = cpu.Els("cache").ToList();
        if (caches.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "at most one CPU cache element may be specified", caches[1]);
        }

        if (caches.Count == 1)
        {
            yield return XmlProp.Int(caches[0], "level", PropFlags.NonNegative);
            if (CNumber.TryParseInt(caches[0].A("level"), out var level) && level is < 1 or > 3)
            {
                yield return P(ErrorCode.XmlError, "invalid CPU cache level, must be in range [1,3]", caches[0].Attribute("level"));
            }

            yield return XmlProp.Enum(caches[0], "mode", LibvirtEnums.CPUCacheMode, PropFlags.Required);
        }

        var maxphysaddr = cpu.El("maxphysaddr");
        yield return XmlProp.Enum(maxphysaddr, "mode", LibvirtEnums.CPUMaxPhysAddrMode, PropFlags.Required);
        yield return XmlProp.Int(maxphysaddr, "bits", PropFlags.NonNegative);
    }

    /// <summary>virDomainNumaDefParseXML and the checks against the vCPU count that follow it.</summary>
    public static IEnumerable<Problem?> Numa(DomainXml d)
    {
        var numa = d.Root.El("cpu").El("numa");
        if (numa is null)
        {
            // The highest NUMA CPU ID is then 0, which is already too many for zero vCPUs.
            if (CNumber.TryParseUInt(d.Root.El("vcpu")?.Value, 10, out var vcpus) && vcpus == 0)
            {
                yield return P(ErrorCode.InternalError, "CPU IDs in <numa> exceed the <vcpu> count", d.Root.El("vcpu"));
            }

            yield break;
        }

        var cells = numa.Els("cell").ToList();
        if (cells.Count == 0)
        {
            yield return P(ErrorCode.XmlError, "NUMA topology defined without NUMA cells", numa);
            yield break;
        }

        var seen = new HashSet<uint>();
        var masks = new Dictionary<uint, SortedSet<int>>();
        var maxVcpus = CNumber.TryParseUInt(d.Root.El("vcpu")?.Value, 10, out var mv) ? mv : 1;
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            yield return XmlProp.UInt(cell, "id");
            var id = CNumber.TryParseUInt(cell.A("id"), 10, out var v) ? v : (uint)i;
            if (id >= cells.Count)
            {
                yield return P(ErrorCode.XmlError, "Exactly one 'cell' element per guest NUMA cell allowed, non-contiguous ranges or ranges not starting from 0 are not allowed", cell);
            }

            if (!seen.Add(id))
            {
                yield return P(ErrorCode.XmlError, $"Duplicate NUMA cell info for cell id '{id}'", cell);
            }

            if (cell.Attribute("cpus") is { } cpus)
            {
                if (!CpuSet.TryParse(cpus.Value, out var mask))
                {
                    yield return P(ErrorCode.InvalidArgument, $"Failed to parse bitmap '{cpus.Value}'", cpus);
                    continue;
                }

                foreach (var (other, otherMask) in masks)
                {
                    if (mask.Overlaps(otherMask))
                    {
                        yield return P(ErrorCode.ConfigUnsupported, $"NUMA cells {id} and {other} have overlapping vCPU ids", cell);
                    }
                }

                masks[id] = mask;
            }

            yield return ScaledAttr(cell, "memory", "unit", "./@memory", 1024, long.MaxValue, required: true, memory: true);
            yield return XmlProp.Enum(cell, "memAccess", LibvirtEnums.DomainMemoryAccess, PropFlags.NonZero);
            yield return XmlProp.YesNo(cell, "discard");
            foreach (var p in NumaDistances(cell, id, (uint)cells.Count))
            {
                yield return p;
            }

            foreach (var p in NumaCaches(cell, id))
            {
                yield return p;
            }
        }

        foreach (var link in numa.El("interconnects")?.Elements() ?? [])
        {
            var kind = link.Name.LocalName;
            if (kind == "latency")
            {
                yield return XmlProp.UInt(link, "value", flags: PropFlags.Required, max: ulong.MaxValue);
            }
            else if (kind == "bandwidth")
            {
                yield return ScaledAttr(link, "value", "unit", "./@value", 1024, long.MaxValue, required: true, memory: true);
            }
            else
            {
                continue;
            }

            yield return XmlProp.UInt(link, "initiator", flags: PropFlags.Required);
            yield return XmlProp.UInt(link, "target", flags: PropFlags.Required);
            yield return XmlProp.UInt(link, "cache");
            yield return XmlProp.Enum(link, "type", LibvirtEnums.MemoryLatency, PropFlags.Required | PropFlags.NonZero);
        }

        var total = masks.Values.Sum(m => m.Count);
        if (total > maxVcpus)
        {
            yield return P(ErrorCode.InternalError, "Number of CPUs in <numa> exceeds the <vcpu> count", numa);
        }

        // virDomainNumaGetMaxCPUID: 0 when no cell has CPUs.
        if (masks.Values.Where(m => m.Count > 0).Select(m => m.Max).DefaultIfEmpty(0).Max() >= maxVcpus)
        {
            yield return P(ErrorCode.InternalError, "CPU IDs in <numa> exceed the <vcpu> count", numa);
        }
    }

    /// <summary>virDomainNumaDefNodeDistanceParseXML: siblings with IDs of existing cells and distances that fit them.</summary>
    private static IEnumerable<Problem?> NumaDistances(XElement cell, uint id, uint cells)
    {
        var distances = cell.El("distances");
        if (distances is null)
        {
            yield break;
        }

        var siblings = distances.Els("sibling").ToList();
        if (siblings.Count == 0)
        {
            yield return P(ErrorCode.XmlError, "NUMA distances defined without siblings", distances);
            yield break;
        }

        foreach (var sibling in siblings)
        {
            yield return XmlProp.UInt(sibling, "id", flags: PropFlags.Required);
            var siblingId = CNumber.TryParseUInt(sibling.A("id"), 10, out var sid) ? sid : 0;
            if (siblingId >= cells)
            {
                yield return P(ErrorCode.XmlError, $"'sibling_id {siblingId}' does not refer to a valid cell within NUMA 'cell id {id}'", sibling.Attribute("id"));
            }

            yield return XmlProp.UInt(sibling, "value", flags: PropFlags.Required);
            var value = CNumber.TryParseUInt(sibling.A("value"), 10, out var v) ? v : 0;
            if (value is < 10 or > 255 || (siblingId == id && value != 10) || (siblingId != id && value == 10))
            {
                yield return P(ErrorCode.XmlError, $"'value {value}' is invalid for 'sibling id {siblingId}' under NUMA 'cell id {id}'", sibling.Attribute("value"));
            }
        }
    }

    /// <summary>virDomainNumaDefNodeCacheParseXML: level, associativity, policy, size and line of each cell cache.</summary>
    private static IEnumerable<Problem?> NumaCaches(XElement cell, uint id)
    {
        foreach (var cache in cell.Els("cache"))
        {
            var level = cache.A("level");
            if (level is null)
            {
                yield return P(ErrorCode.XmlError, $"Missing 'level' attribute in cache element for NUMA node {id}", cache);
            }
            else if (!CNumber.TryParseUInt(level, 10, out var l) || l == 0)
            {
                yield return P(ErrorCode.XmlError, $"Invalid 'level' attribute in cache element for NUMA node {id}", cache.Attribute("level"));
            }

            var associativity = cache.A("associativity");
            if (associativity is null)
            {
                yield return P(ErrorCode.XmlError, $"Missing 'associativity' attribute in cache element for NUMA node {id}", cache);
            }
            else if (Array.IndexOf(LibvirtEnums.NumaCacheAssociativity, associativity) < 0)
            {
                yield return P(ErrorCode.XmlError, $"Invalid cache associativity '{associativity}'", cache.Attribute("associativity"));
            }

            // A missing policy is reported and then overwritten by the invalid one.
            var policy = cache.A("policy");
            if (policy is null || Array.IndexOf(LibvirtEnums.NumaCachePolicy, policy) < 0)
            {
                yield return P(ErrorCode.XmlError, $"Invalid cache policy '{policy ?? "(null)"}'", (XObject?)cache.Attribute("policy") ?? cache);
            }

            // The units are looked for in ./size/unit and ./line/unit elements, which do not exist.
            var size = cache.El("size");
            yield return size is null
                ? P(ErrorCode.XmlError, "missing element or attribute './size/@value'", cache)
                : ScaledAttr(size, "value", "no-unit", "./size/@value", 1024, long.MaxValue, required: true, memory: true);
            var line = cache.El("line");
            yield return line is null
                ? P(ErrorCode.XmlError, "missing element or attribute './line/@value'", cache)
                : ScaledAttr(line, "value", "no-unit", "./line/@value", 1, ulong.MaxValue, required: true);
        }
    }

    /// <summary>virDomainNumatuneParseXML: modes, placements, nodesets and memnodes.</summary>
    public static IEnumerable<Problem?> Numatune(DomainXml d)
    {
        var root = d.Root;
        var all = root.Els("numatune").ToList();
        if (all.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one numatune is supported", all[1]);
        }

        var numatune = all.FirstOrDefault();
        if (numatune is null)
        {
            yield break;
        }

        var memory = numatune.El("memory");
        string? mode = null;
        if (memory is not null)
        {
            var modeAttr = memory.Attribute("mode");
            if (modeAttr is not null && Array.IndexOf(LibvirtEnums.DomainNumatuneMemMode, modeAttr.Value) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"Unsupported NUMA memory tuning mode '{modeAttr.Value}'", modeAttr);
            }

            var placementAttr = memory.Attribute("placement");
            if (placementAttr is not null && Array.IndexOf(LibvirtEnums.DomainNumatunePlacement, placementAttr.Value) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"Unsupported NUMA memory placement mode '{placementAttr.Value}'", placementAttr);
            }

            if (memory.Attribute("nodeset") is { } nodeset)
            {
                yield return Bitmap(nodeset, "Invalid value of 'nodeset': " + nodeset.Value);
            }
        }

        // virDomainNumatuneSet: memory tuning is specified by any of mode, placement and nodeset (or, with
        // automatic vCPU placement, by the absence of <memory>); a default placement is static with a nodeset
        // or static vCPU placement, automatic otherwise, and static needs a nodeset.
        var placementStatic = root.El("vcpu").A("placement") != "auto";
        var placement = memory?.A("placement") ?? (!placementStatic && memory is null ? "auto" : null);
        var hasNodeset = memory?.A("nodeset") is not null;
        string? effectivePlacement = null;
        if (memory?.A("mode") is not null || placement is not null || hasNodeset)
        {
            mode = memory?.A("mode") ?? "strict";
            effectivePlacement = placement ?? "default";
            if (effectivePlacement == "default")
            {
                effectivePlacement = hasNodeset || placementStatic ? "static" : "auto";
            }

            if (effectivePlacement == "static" && !hasNodeset)
            {
                yield return P(ErrorCode.ConfigUnsupported, "nodeset for NUMA memory tuning must be set if 'placement' is 'static'", (XObject?)memory ?? numatune);
            }
        }

        var memnodes = numatune.Els("memnode").ToList();
        if (memnodes.Count == 0)
        {
            yield break;
        }

        if (effectivePlacement == "auto")
        {
            yield return P(ErrorCode.ConfigUnsupported, "Per-node binding is not compatible with automatic NUMA placement.", memnodes[0]);
        }

        var cells = root.El("cpu").El("numa").Els("cell").Count();
        if (cells == 0)
        {
            yield return P(ErrorCode.XmlError, "Element 'memnode' is invalid without any guest NUMA cells", memnodes[0]);
        }

        var used = new HashSet<uint>();
        foreach (var node in memnodes)
        {
            yield return XmlProp.UInt(node, "cellid", flags: PropFlags.Required);
            var id = CNumber.TryParseUInt(node.A("cellid"), 10, out var v) ? v : 0;
            if (id >= cells)
            {
                yield return P(ErrorCode.XmlError, "Argument 'cellid' in memnode element must correspond to existing guest's NUMA cell", node);
            }

            if (!used.Add(id))
            {
                yield return P(ErrorCode.XmlError, $"Multiple memnode elements with cellid {id}", node);
            }

            yield return XmlProp.Enum(node, "mode", LibvirtEnums.DomainNumatuneMemMode);
            if (mode == "restrictive" && (node.A("mode") ?? "strict") != "restrictive")
            {
                yield return P(ErrorCode.XmlError, "'restrictive' mode is required in memnode element when mode is 'restrictive' in memory element", node);
            }

            if (node.Attribute("nodeset") is not { } nodeset)
            {
                yield return P(ErrorCode.XmlError, "Missing required nodeset attribute in memnode element", node);
            }
            else
            {
                yield return Bitmap(nodeset, "Invalid value of 'nodeset': " + nodeset.Value);
            }
        }
    }

    /// <summary>virDomainFeaturesDefParse: known features and their attributes.</summary>
    public static IEnumerable<Problem?> Features(DomainXml d)
    {
        foreach (var f in d.Root.El("features")?.Elements() ?? [])
        {
            var name = f.Name.LocalName;
            if (f.Name.Namespace != XNamespace.None || Array.IndexOf(LibvirtEnums.DomainFeature, name) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unexpected feature '{name}'", f);
                continue;
            }

            switch (name)
            {
                case "apic":
                    yield return XmlProp.OnOff(f, "eoi");
                    break;
                case "msrs":
                    yield return XmlProp.Enum(f, "unknown", LibvirtEnums.DomainMsrsUnknown, PropFlags.Required);
                    break;
                case "vmcoreinfo" or "hap" or "pmu" or "pvspinlock" or "vmport":
                    yield return XmlProp.OnOff(f, "state");
                    break;
                case "smm":
                    yield return XmlProp.OnOff(f, "state");
                    if (f.A("state") != "off")
                    {
                        // The TSEG size is read through string(...): in MiB by default.
                        yield return ScaledValue(f, d.Root.El("features").El("smm").El("tseg"), "string(./features/smm/tseg)", 1024 * 1024, ulong.MaxValue);
                    }

                    break;
                case "htm" or "nested-hv" or "ccf-assist":
                    yield return XmlProp.OnOff(f, "state", PropFlags.Required);
                    break;
                case "gic":
                    yield return XmlProp.Enum(f, "version", LibvirtEnums.GICVersion, PropFlags.NonZero);
                    break;
                case "ioapic":
                    yield return XmlProp.Enum(f, "driver", LibvirtEnums.DomainIOAPIC, PropFlags.NonZero);
                    break;
                case "hpt":
                    yield return XmlProp.Enum(f, "resizing", LibvirtEnums.DomainHPTResizing, PropFlags.NonZero);
                    var maxpagesize = d.Root.El("features").El("hpt").El("maxpagesize");
                    if (ScaledValue(f, maxpagesize, "./features/hpt/maxpagesize", 1024, ulong.MaxValue) is not null)
                    {
                        yield return P(ErrorCode.ConfigUnsupported, "Unable to parse HPT maxpagesize setting", maxpagesize);
                    }

                    break;
                case "cfpc":
                    yield return XmlProp.Enum(f, "value", LibvirtEnums.DomainCFPC, PropFlags.NonZero);
                    break;
                case "sbbc":
                    yield return XmlProp.Enum(f, "value", LibvirtEnums.DomainSBBC, PropFlags.NonZero);
                    break;
                case "ibs":
                    yield return XmlProp.Enum(f, "value", LibvirtEnums.DomainIBS, PropFlags.NonZero);
                    break;
                case "hyperv":
                    foreach (var p in Hyperv(f))
                    {
                        yield return p;
                    }

                    break;
                case "xen":
                    foreach (var x in f.Elements())
                    {
                        if (Array.IndexOf(LibvirtEnums.DomainXen, x.Name.LocalName) < 0)
                        {
                            yield return P(ErrorCode.ConfigUnsupported, $"unsupported Xen feature: {x.Name.LocalName}", x);
                            continue;
                        }

                        yield return XmlProp.OnOff(x, "state", PropFlags.Required);
                        if (x.Name.LocalName == "passthrough" && x.A("state") == "on")
                        {
                            yield return XmlProp.Enum(x, "mode", LibvirtEnums.DomainXenPassthroughMode, PropFlags.NonZero);
                        }
                    }

                    break;
                case "capabilities":
                    yield return XmlProp.Enum(f, "policy", LibvirtEnums.DomainCapabilitiesPolicy);
                    foreach (var c in f.Elements())
                    {
                        if (Array.IndexOf(LibvirtEnums.DomainProcessCapsFeature, c.Name.LocalName) < 0)
                        {
                            yield return P(ErrorCode.ConfigUnsupported, $"unexpected capability feature '{c.Name.LocalName}'", c);
                            continue;
                        }

                        yield return XmlProp.OnOff(c, "state");
                    }

                    break;
                case "tcg":
                    var tbCache = f.El("tb-cache");
                    yield return ScaledValue(f, tbCache, "./tb-cache", 1024, long.MaxValue, memory: true);
                    break;
                case "kvm":
                    foreach (var k in f.Elements())
                    {
                        if (Array.IndexOf(LibvirtEnums.DomainKVM, k.Name.LocalName) < 0)
                        {
                            yield return P(ErrorCode.ConfigUnsupported, $"unsupported KVM feature: {k.Name.LocalName}", k);
                            continue;
                        }

                        yield return XmlProp.OnOff(k, "state", PropFlags.Required);
                        if (k.Name.LocalName == "dirty-ring" && k.A("state") == "on")
                        {
                            yield return XmlProp.UInt(k, "size", 0, PropFlags.Required);
                            if (CNumber.TryParseUInt(k.A("size"), 0, out var size) && (size < 1024 || size > 65536 || (size & (size - 1)) != 0))
                            {
                                yield return P(ErrorCode.XmlError, "dirty ring must be power of 2 and ranges [1024, 65536]", k);
                            }
                        }
                    }

                    break;
            }
        }
    }

    private static IEnumerable<Problem?> Hyperv(XElement f)
    {
        yield return XmlProp.Enum(f, "mode", LibvirtEnums.DomainHyperVMode, PropFlags.NonZero);
        foreach (var h in f.Elements())
        {
            var name = h.Name.LocalName;
            if (Array.IndexOf(LibvirtEnums.DomainHyperv, name) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unsupported HyperV Enlightenment feature: {name}", h);
                continue;
            }

            yield return XmlProp.OnOff(h, "state", PropFlags.Required);
            if (h.A("state") != "on")
            {
                continue;
            }

            switch (name)
            {
                case "spinlocks":
                    yield return XmlProp.UInt(h, "retries", 0, PropFlags.Required);
                    if (CNumber.TryParseUInt(h.A("retries"), 0, out var retries) && retries < 0xFFF)
                    {
                        yield return P(ErrorCode.XmlError, "HyperV spinlock retry count must be at least 4095", h);
                    }

                    break;
                case "vendor_id":
                    var value = h.A("value");
                    if (value is null)
                    {
                        yield return P(ErrorCode.XmlError, "missing 'value' attribute for HyperV feature 'vendor_id'", h);
                    }
                    else if (value.Length > 12)
                    {
                        yield return P(ErrorCode.XmlError, "HyperV vendor_id value must not be more than 12 characters.", h);
                    }
                    else if (value.Contains(','))
                    {
                        yield return P(ErrorCode.XmlError, "HyperV vendor_id value is invalid", h);
                    }

                    break;
                case "stimer":
                    foreach (var c in h.Elements())
                    {
                        if (c.Name.LocalName != "direct")
                        {
                            yield return P(ErrorCode.ConfigUnsupported, $"unsupported Hyper-V stimer feature: {c.Name.LocalName}", c);
                        }

                        yield return XmlProp.OnOff(c, "state", PropFlags.Required);
                    }

                    break;
            }
        }
    }

    /// <summary>virDomainDefLifecycleParse: known actions.</summary>
    public static IEnumerable<Problem?> Lifecycle(DomainXml d)
    {
        foreach (var (name, values) in new (string, string[])[] {
            ("on_reboot", LibvirtEnums.DomainLifecycleAction), ("on_poweroff", LibvirtEnums.DomainLifecycleAction),
            ("on_crash", LibvirtEnums.DomainLifecycleAction), ("on_lockfailure", LibvirtEnums.DomainLockFailure)})
        {
            var e = d.Root.El(name);
            if (e is not null && e.Value.Length > 0 && Array.IndexOf(values, e.Value) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown {name} action: {e.Value}", e);
            }
        }

        foreach (var state in (string[])["suspend-to-mem", "suspend-to-disk"])
        {
            yield return XmlProp.YesNo(d.Root.El("pm").El(state), "enabled");
        }
    }

    /// <summary>virDomainDefClockParse: offsets, adjustments and timers.</summary>
    public static IEnumerable<Problem?> Clock(DomainXml d)
    {
        var clock = d.Root.El("clock");
        if (clock is null)
        {
            yield break;
        }

        // virXPathString: an empty attribute is no attribute.
        var offset = clock.Attribute("offset");
        var offsetValue = NonEmpty(offset?.Value);
        if (offsetValue is not null && Array.IndexOf(LibvirtEnums.DomainClockOffset, offsetValue) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown clock offset '{offsetValue}'", offset);
        }

        switch (offsetValue ?? "utc")
        {
            case "utc" or "localtime":
                var adjustment = NonEmpty(clock.A("adjustment"));
                if (adjustment is not null && adjustment != "reset" && !CNumber.TryParseLong(adjustment, out _))
                {
                    yield return P(ErrorCode.XmlError, $"unknown clock adjustment '{adjustment}'", clock.Attribute("adjustment"));
                }

                break;
            case "variable":
                var basis = clock.Attribute("basis");
                if (NonEmpty(basis?.Value) is { } basisValue && Array.IndexOf(LibvirtEnums.DomainClockBasis, basisValue) < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown clock basis '{basisValue}'", basis);
                }

                break;
            case "timezone":
                if (NonEmpty(clock.A("timezone")) is null)
                {
                    yield return P(ErrorCode.InternalError, "missing 'timezone' attribute for clock with offset='timezone'", clock);
                }

                break;
            case "absolute":
                if (!CNumber.TryParseULong(clock.A("start"), 10, out _))
                {
                    yield return P(ErrorCode.InternalError, "missing 'start' attribute for clock with offset='absolute'", clock);
                }

                break;
        }

        foreach (var timer in clock.Els("timer"))
        {
            yield return XmlProp.Enum(timer, "name", LibvirtEnums.DomainTimerName, PropFlags.Required);
            yield return XmlProp.YesNo(timer, "present");
            yield return XmlProp.Enum(timer, "tickpolicy", LibvirtEnums.DomainTimerTickpolicy, PropFlags.NonZero);
            yield return XmlProp.Enum(timer, "track", LibvirtEnums.DomainTimerTrack, PropFlags.NonZero);
            yield return XmlProp.UInt(timer, "frequency", max: ulong.MaxValue);
            yield return XmlProp.Enum(timer, "mode", LibvirtEnums.DomainTimerMode, PropFlags.NonZero);
            var catchup = timer.El("catchup");
            yield return XmlProp.UInt(catchup, "threshold", max: ulong.MaxValue);
            yield return XmlProp.UInt(catchup, "slew", max: ulong.MaxValue);
            yield return XmlProp.UInt(catchup, "limit", max: ulong.MaxValue);
        }
    }

    /// <summary>virDomainDefParseBootOptions for HVM guests: boot devices, menu, BIOS, firmware, loader, ACPI.</summary>
    public static IEnumerable<Problem?> Boot(DomainXml d)
    {
        var os = d.Root.El("os");
        if (os is null)
        {
            yield break;
        }

        var osType = d.OsType ?? "xen";
        if (osType == "linux" && d.VirtType == "xen")
        {
            osType = "xen";
        }

        if (osType == "hvm")
        {
            // Firmware features are only read with firmware autoselection (a non-empty firmware attribute).
            var firmware = os.Attribute("firmware");
            if (!string.IsNullOrEmpty(firmware?.Value))
            {
                foreach (var feature in os.El("firmware").Els("feature"))
                {
                    yield return XmlProp.Enum(feature, "name", LibvirtEnums.DomainOsDefFirmwareFeature, PropFlags.Required);
                    yield return XmlProp.YesNo(feature, "enabled", PropFlags.Required);
                }

                if (Array.IndexOf(LibvirtEnums.DomainOsDefFirmware, firmware.Value) <= 0)
                {
                    yield return P(ErrorCode.XmlError, $"unknown firmware value {firmware.Value}", firmware);
                }
            }
        }

        if (osType is "hvm" or "xen" or "xenpvh" or "uml")
        {
            var nvram = os.El("nvram");
            if (nvram is not null)
            {
                yield return XmlProp.Enum(nvram, "type", LibvirtEnums.Storage);
                if (nvram.A("type") is { } nvramType)
                {
                    // A typed NVRAM without <source> fails without saying why.
                    var source = nvram.El("source");
                    if (source is null)
                    {
                        yield return P(ErrorCode.UnknownCause, string.Empty, nvram);
                    }
                    else
                    {
                        foreach (var p in StorageSource(source, nvramType))
                        {
                            yield return p;
                        }
                    }
                }
            }

            var loader = os.El("loader");
            if (loader is not null)
            {
                yield return XmlProp.YesNo(loader, "readonly");
                yield return XmlProp.Enum(loader, "type", LibvirtEnums.DomainLoader, PropFlags.NonZero);
                yield return XmlProp.YesNo(loader, "secure");
                yield return XmlProp.YesNo(loader, "stateless");
            }
        }

        if (osType != "hvm")
        {
            yield break;
        }

        var tables = os.El("acpi").Els("table").ToList();
        if (tables.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "Only one acpi table is supported", tables[1]);
        }

        if (tables.Count == 1)
        {
            var type = tables[0].A("type");
            if (type is null)
            {
                yield return P(ErrorCode.XmlError, "Missing acpi table type", tables[0]);
            }
            else if (type != "slic")
            {
                yield return P(ErrorCode.XmlError, $"Unknown acpi table type: {type}", tables[0]);
            }
        }

        foreach (var boot in os.Els("boot").Take(4))
        {
            yield return XmlProp.Enum(boot, "dev", LibvirtEnums.DomainBoot, PropFlags.Required);
        }

        var menu = os.El("bootmenu");
        if (menu is not null)
        {
            yield return XmlProp.YesNo(menu, "enable");
            if (menu.A("enable") == "yes")
            {
                yield return XmlProp.UInt(menu, "timeout");
            }
        }

        var bios = os.El("bios");
        if (bios is not null)
        {
            yield return XmlProp.Int(bios, "rebootTimeout");
        }
    }

    /// <summary>
    /// virSysinfoParseXML: a known type; for SMBIOS the BIOS date format and a system UUID that is the
    /// domain's (or becomes it when the domain has none); for fw_cfg a name and a value or file per entry.
    /// </summary>
    public static IEnumerable<Problem?> Sysinfo(DomainXml d)
    {
        var domainUuid = NonEmpty(d.Root.El("uuid")?.Value);
        Guid? uuid = domainUuid is not null && Uuids.TryParse(domainUuid, out var parsed) ? parsed : null;
        foreach (var sysinfo in d.Root.Els("sysinfo"))
        {
            var problem = XmlProp.Enum(sysinfo, "type", LibvirtEnums.Sysinfo, PropFlags.Required);
            if (problem is not null)
            {
                yield return problem;
                continue;
            }

            if (sysinfo.A("type") == "fwcfg")
            {
                foreach (var entry in sysinfo.Els("entry"))
                {
                    if (entry.A("name") is null)
                    {
                        yield return P(ErrorCode.XmlError, "Firmware entry is missing 'name' attribute", entry);
                    }
                    else if (string.IsNullOrWhiteSpace(entry.Value) && entry.A("file") is null)
                    {
                        yield return P(ErrorCode.XmlError, "Firmware entry must have either value or 'file' attribute", entry);
                    }
                }

                continue;
            }

            var date = SysinfoEntry(sysinfo.El("bios"), "date");
            if (date is not null && !ValidBiosDate(date.Value))
            {
                yield return P(ErrorCode.XmlDetail, "Invalid BIOS 'date' format", date);
            }

            var systemUuid = SysinfoEntry(sysinfo.El("system"), "uuid");
            if (systemUuid is null)
            {
                continue;
            }

            if (!Uuids.TryParse(systemUuid.Value, out var sysUuid))
            {
                yield return P(ErrorCode.XmlDetail, "malformed <sysinfo> uuid element", systemUuid);
            }
            else if (domainUuid is null)
            {
                // A domain without a UUID takes the system's.
                uuid = sysUuid;
            }
            else if (uuid != sysUuid)
            {
                yield return P(ErrorCode.XmlDetail, "UUID mismatch between <uuid> and <sysinfo>", systemUuid);
            }
        }
    }

    /// <summary>string(entry[@name='NAME']) as virXPathString reads it: the first such entry, when it is not empty.</summary>
    internal static XElement? SysinfoEntry(XElement? section, string name)
    {
        var entry = section.Els("entry").FirstOrDefault(e => e.A("name") == name);
        return string.IsNullOrEmpty(entry?.Value) ? null : entry;
    }

    /// <summary>mm/dd/yyyy or mm/dd/yy, as virSysinfoBIOSParseXML accepts it.</summary>
    private static bool ValidBiosDate(string date)
    {
        var parts = date.Split('/');
        return parts.Length == 3 &&
               CNumber.TryParseInt(parts[0], out var month) &&
               CNumber.TryParseInt(parts[1], out var day) &&
               CNumber.TryParseInt(parts[2], out var year) &&
               month is >= 1 and <= 12 && day is >= 1 and <= 31 && year >= 0 && (year < 100 || year >= 1900);
    }
}
