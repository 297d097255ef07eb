using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainDefPostParseCommon and virDomainDefPostParseCheckFeatures, in libvirt's order.</summary>
internal static partial class ValidateRules
{
    /// <summary>virDomainDefPostParseCommon: the checks between the device post-parse and address assignment.</summary>
    public static IEnumerable<Problem?> PostParseCommon(DomainXml d)
    {
        var root = d.Root;
        var written = WrittenDomain.Of(d);

        if (OsType(d) == "exe" && root.El("os").El("init") is null)
        {
            yield return P(ErrorCode.XmlError, "init binary must be specified", root.El("os"));
        }

        // virDomainVcpuDefPostParse
        var index = 0;
        foreach (var vcpu in root.El("vcpus").Els("vcpu"))
        {
            if (vcpu.A("enabled") == "no" && vcpu.A("hotpluggable") == "no")
            {
                yield return P(ErrorCode.ConfigUnsupported, $"vcpu '{index}' is both offline and not hotpluggable", vcpu);
            }

            index++;
        }

        // virDomainDefPostParseOs (as written: the defaults turn secure boot on for enrolled keys). The
        // features are only read with firmware autoselection.
        var features = string.IsNullOrEmpty(written.El("os").A("firmware")) ? [] : written.El("os").El("firmware").Els("feature").ToList();
        if (features.LastOrDefault(f => f.A("name") == "enrolled-keys")?.A("enabled") == "yes" &&
            features.LastOrDefault(f => f.A("name") == "secure-boot")?.A("enabled") == "no")
        {
            yield return P(ErrorCode.XmlDetail,
                "firmware feature 'enrolled-keys' cannot be enabled when firmware feature 'secure-boot' is disabled",
                WrittenDomain.At(features.Last(f => f.A("name") == "secure-boot")));
        }

        yield return DuplicateControllers(d);
        yield return DuplicatePanics(d, written);
        if (OsType(d) == "hvm")
        {
            yield return BootOrder(d);
        }

        yield return Timers(written?.El("clock") ?? root.El("clock"), written is not null);
        yield return SerialConsoles(d, written);

        // virDomainDefPostParseCPU
        var cpu = root.El("cpu");
        if (cpu is not null && cpu.A("mode") is null or "custom" && string.IsNullOrWhiteSpace(cpu.El("model")?.Value) &&
            cpu.A("check") is { } check && check != "default")
        {
            yield return P(ErrorCode.ConfigUnsupported, "check attribute specified for CPU with no model", cpu);
        }
    }

    /// <summary>virDomainDefPostParseCheckFeatures: what the test driver does not support.</summary>
    public static IEnumerable<Problem?> PostParseFeatures(DomainXml d)
    {
        var name = d.Root.El("name");
        if (name is not null && name.Value.Contains('/'))
        {
            yield return P(ErrorCode.XmlError, $"name {name.Value} cannot contain '/'", name);
        }
    }

    /// <summary>virDomainDefRejectDuplicateControllers: one controller per type and index (USB excepted).</summary>
    private static Problem? DuplicateControllers(DomainXml d)
    {
        var seen = new HashSet<(string, long)>();
        foreach (var controller in d.DevicesOf("controller"))
        {
            var type = controller.A("type") ?? "ide";
            if (type == "usb" || Long(controller, "index") is not { } idx)
            {
                continue;
            }

            if (!seen.Add((type, idx)))
            {
                return P(ErrorCode.XmlError, $"Multiple '{type}' controllers with index '{idx}'", controller);
            }
        }

        return null;
    }

    /// <summary>virDomainDefRejectDuplicatePanics: one panic device per model.</summary>
    private static Problem? DuplicatePanics(DomainXml d, XElement? written)
    {
        // A panic device of the default model without an address is not formatted: look at the written ones.
        var panics = written is not null ? (IEnumerable<XElement>)written.El("devices").Els("panic") : d.DevicesOf("panic");
        var seen = new HashSet<string>();
        foreach (var panic in panics)
        {
            var model = panic.A("model") ?? "default";
            if (!seen.Add(model))
            {
                return P(ErrorCode.XmlError, $"Multiple panic devices with model '{model}'", written is not null ? WrittenDomain.At(panic) : panic);
            }
        }

        return null;
    }

    /// <summary>virDomainDefBootOrderPostParse: each boot order once; not together with os/boot.</summary>
    private static Problem? BootOrder(DomainXml d)
    {
        var orders = new HashSet<ulong>();
        foreach (var device in Devices(d, allConsoles: false, missingInfo: false))
        {
            if (device.ParentNet || !device.HasInfo || device.Element.El("boot") is not { } boot || ULong(boot, "order") is not { } order || order == 0)
            {
                continue;
            }

            if (!orders.Add(order))
            {
                return P(ErrorCode.ConfigUnsupported, $"boot order '{order}' used for more than one device", boot);
            }
        }

        var osBoot = d.Os.El("boot");
        if (osBoot is not null && orders.Count > 0)
        {
            return P(ErrorCode.ConfigUnsupported, "per-device boot elements cannot be used together with os/boot elements", osBoot);
        }

        return null;
    }

    /// <summary>
    /// virDomainDefAddConsoleCompat: only the first console may be a serial port (a console without a
    /// target type became one in its post-parse).
    /// </summary>
    private static Problem? SerialConsoles(DomainXml d, XElement? written)
    {
        // The defaults may insert a console for the serial port: look at the consoles as written.
        var consoles = written is not null ? written.El("devices").Els("console").ToList() : d.DevicesOf("console").ToList();
        foreach (var console in consoles.Skip(1))
        {
            if (console.El("target").A("type") is null or "none" or "serial")
            {
                return P(ErrorCode.ConfigUnsupported, "Only the first console can be a serial port", written is not null ? WrittenDomain.At(console) : console);
            }
        }

        return null;
    }

    /// <summary>virDomainDefPostParseTimer: what each timer may set.</summary>
    private static Problem? Timers(XElement? clock, bool written)
    {
        foreach (var timer in clock.Els("timer"))
        {
            var at = written ? WrittenDomain.At(timer) : timer;
            var name = timer.A("name");
            var tickpolicy = timer.A("tickpolicy");
            if (name is "kvmclock" or "hypervclock" && tickpolicy is not null)
            {
                return P(ErrorCode.ConfigUnsupported, $"timer {name} doesn't support setting of timer tickpolicy", at);
            }

            var catchup = timer.El("catchup");
            if (tickpolicy != "catchup" && (ULong(catchup, "threshold") > 0 || ULong(catchup, "limit") > 0 || ULong(catchup, "slew") > 0))
            {
                return P(ErrorCode.XmlError, "setting of timer catchup policies is only supported with tickpolicy='catchup'", at);
            }

            if (name != "tsc")
            {
                if (ULong(timer, "frequency") > 0)
                {
                    return P(ErrorCode.ConfigUnsupported, $"timer {name} doesn't support setting of timer frequency", at);
                }

                if (timer.A("mode") is not null)
                {
                    return P(ErrorCode.ConfigUnsupported, $"timer {name} doesn't support setting of timer mode", at);
                }
            }

            if (name is not ("platform" or "rtc") && timer.A("track") is not null)
            {
                return P(ErrorCode.ConfigUnsupported, $"timer {name} doesn't support setting of timer track", at);
            }
        }

        return null;
    }
}
