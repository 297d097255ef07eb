using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    /// <summary>virDomainFeature in enum order: the order libvirt formats &lt;features&gt; in.</summary>
    internal static readonly string[] FeatureOrder =
    [
        "acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm", "pvspinlock", "capabilities", "pmu",
        "vmport", "gic", "smm", "ioapic", "hpt", "vmcoreinfo", "htm", "nested-hv", "msrs", "ccf-assist", "xen",
        "cfpc", "sbbc", "ibs", "tcg",
    ];

    internal static readonly string[] HypervOrder =
    [
        "relaxed", "vapic", "spinlocks", "vpindex", "runtime", "synic", "stimer", "reset", "vendor_id",
        "frequencies", "reenlightenment", "tlbflush", "ipi", "evmcs", "avic",
    ];

    private static readonly string[] KvmOrder = ["hidden", "hint-dedicated", "poll-control", "pv-ipi", "dirty-ring"];

    /// <summary>virDomainFeaturesDefParse / virDomainDefFormatFeatures.</summary>
    internal static void ApplyFeatures(XElement root)
    {
        var features = root.El("features");
        if (features is null)
        {
            return;
        }

        // A feature given twice is parsed twice; the last one wins.
        foreach (var group in features.Elements().Where(e => e.Name.Namespace == XNamespace.None).GroupBy(e => e.Name.LocalName).Where(g => g.Count() > 1).ToList())
        {
            foreach (var dup in group.SkipLast(1))
            {
                dup.Remove();
            }
        }

        foreach (var f in features.Elements().ToList())
        {
            switch (f.Name.LocalName)
            {
                case "acpi" or "pae" or "viridian" or "privnet":
                    f.RemoveAttributes();
                    f.RemoveNodes();
                    break;
                case "apic":
                    f.OrderAttributes(["eoi"]);
                    break;
                case "vmcoreinfo" or "hap" or "pmu" or "pvspinlock" or "vmport":
                    f.Default("state", "on");
                    break;
                case "smm":
                    f.Default("state", "on");
                    var tseg = f.El("tseg");
                    if (tseg is not null)
                    {
                        if (f.A("state") != "on")
                        {
                            tseg.Remove();
                        }
                        else if (ScaledInteger.TryParseULong(tseg.Value.Trim(), out var v) &&
                                 ScaledInteger.TryScale(v, tseg.A("unit"), 1024 * 1024, ulong.MaxValue, out var bytes, out _))
                        {
                            var (value, unit) = PrettyBytes(bytes);
                            tseg.SetText(ScaledInteger.Format(value));
                            tseg.Set("unit", unit);
                        }
                    }

                    break;
                case "hyperv":
                    f.Default("mode", "custom");
                    foreach (var h in f.Elements())
                    {
                        if (h.Name.LocalName == "spinlocks" && h.A("state") == "on" && TryParseCUInt(h.A("retries"), out var retries))
                        {
                            h.Set("retries", retries.ToString(CultureInfo.InvariantCulture));
                        }
                        else if (h.A("state") != "on")
                        {
                            h.Set("retries", null);
                            h.Set("value", null);
                            h.RemoveNodes();
                        }

                        if (h.Name.LocalName == "stimer")
                        {
                            var direct = h.El("direct");
                            if (direct is not null && direct.A("state") != "on")
                            {
                                direct.Remove();
                            }
                        }

                        h.OrderAttributes(["state", "retries", "value"]);
                    }

                    f.OrderChildren(HypervOrder);
                    break;
                case "kvm":
                    foreach (var k in f.Elements())
                    {
                        if (k.A("state") != "on")
                        {
                            k.Set("size", null);
                        }

                        k.OrderAttributes(["state", "size"]);
                    }

                    f.OrderChildren(KvmOrder);
                    break;
                case "xen":
                    foreach (var x in f.Elements())
                    {
                        if (x.Name.LocalName == "passthrough" && (x.A("state") != "on" || x.A("mode") is not ("sync_pt" or "share_pt")))
                        {
                            x.Set("mode", null);
                        }

                        x.OrderAttributes(["state", "mode"]);
                    }

                    f.OrderChildren(["e820_host", "passthrough"]);
                    break;
                case "capabilities":
                    var policy = f.A("policy") ?? "default";
                    f.Set("policy", policy == "default" && !f.HasElements ? null : policy);
                    break;
                case "hpt":
                    var maxpagesize = f.El("maxpagesize");
                    if (maxpagesize is not null)
                    {
                        var kib = KiB(maxpagesize);
                        if (kib is > 0)
                        {
                            SetKiB(maxpagesize, kib.Value);
                        }
                        else
                        {
                            maxpagesize.Remove();
                        }
                    }

                    if (f.A("resizing") is null && !f.HasElements)
                    {
                        f.Remove();
                    }

                    break;
                case "ioapic" or "cfpc" or "sbbc" or "ibs":
                    if (!f.HasAttributes)
                    {
                        f.Remove();
                    }

                    break;
                case "tcg":
                    var tb = f.El("tb-cache");
                    if (tb is not null)
                    {
                        var kib = KiB(tb);
                        if (kib is > 0)
                        {
                            SetKiB(tb, kib.Value);
                        }
                    }

                    if (!f.HasElements)
                    {
                        f.Remove();
                    }

                    break;
            }
        }

        features.OrderChildren(FeatureOrder);
        if (!features.HasElements)
        {
            features.Remove();
        }
    }

    /// <summary>strtoul with base 0: decimal, 0x hex or 0 octal.</summary>
    internal static bool TryParseCUInt(string? text, out uint value)
    {
        value = 0;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return uint.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }

        if (t.Length > 1 && t[0] == '0')
        {
            try
            {
                value = Convert.ToUInt32(t, 8);
                return true;
            }
            catch (FormatException)
            {
                return false;
            }
            catch (OverflowException)
            {
                return false;
            }
        }

        return uint.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
