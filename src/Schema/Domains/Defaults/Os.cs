using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    private static readonly string[] OsChildOrder =
    [
        "type", "firmware", "init", "initarg", "initenv", "initdir", "inituser", "initgroup", "loader", "nvram",
        "kernel", "initrd", "cmdline", "dtb", "root", "acpi", "boot", "bootmenu", "bios", "smbios",
    ];

    /// <summary>
    /// virDomainDefParseBootOptions and virDomainDefBootOrderPostParse: boot from the disk when nothing
    /// says otherwise; the loader is a ROM when only a path is given; a disabled boot menu has no timeout.
    /// </summary>
    private static void ApplyOs(XElement root)
    {
        var os = root.El("os");
        if (os is null)
        {
            return;
        }

        // An empty firmware attribute is no firmware autoselection; without it the features are not read.
        if (os.A("firmware") == string.Empty)
        {
            os.Set("firmware", null);
        }

        if (os.A("firmware") is null)
        {
            os.El("firmware")?.Remove();
        }

        var osType = OsType(root);
        var hvm = osType == "hvm";
        if (hvm)
        {
            var boots = os.Els("boot").ToList();
            if (boots.Count == 0 && !HasDeviceBootOrder(root))
            {
                os.Add(new XElement("boot", new XAttribute("dev", "hd")));
            }

            var menu = os.El("bootmenu");
            if (menu is not null)
            {
                if (menu.A("enable") is null)
                {
                    menu.Remove();
                }
                else if (menu.A("enable") != "yes")
                {
                    menu.Set("timeout", null);
                }

                menu?.OrderAttributes(["enable", "timeout"]);
            }

            var bios = os.El("bios");
            if (bios is not null)
            {
                if (bios.A("useserial") is not ("yes" or "no"))
                {
                    bios.Set("useserial", null);
                }

                if (!bios.HasAttributes)
                {
                    bios.Remove();
                }

                bios.OrderAttributes(["useserial", "rebootTimeout"]);
            }
        }
        else
        {
            foreach (var e in os.Elements().Where(e => e.Name.LocalName is "boot" or "bootmenu" or "bios" or "firmware" or "acpi").ToList())
            {
                e.Remove();
            }

            if (osType != "exe")
            {
                foreach (var e in os.Elements().Where(e => e.Name.LocalName.StartsWith("init", StringComparison.Ordinal) && e.Name.LocalName != "initrd").ToList())
                {
                    e.Remove();
                }
            }
        }

        var loader = os.El("loader");
        if (loader is not null)
        {
            var path = loader.Value.Trim();
            if (path.Length == 0)
            {
                loader.RemoveNodes();
            }
            else if (loader.A("type") is null)
            {
                // virDomainDefPostParseOs: a loader with a path is a ROM by default.
                loader.Set("type", "rom");
            }

            loader.OrderAttributes(["readonly", "secure", "type", "stateless"]);
            if (!loader.HasAttributes && path.Length == 0)
            {
                loader.Remove();
            }
        }

        var nvram = os.El("nvram");
        if (nvram is not null)
        {
            nvram.OrderAttributes(["template", "type"]);
            if (nvram.A("type") is null && nvram.Value.Trim().Length == 0 && nvram.A("template") is null)
            {
                nvram.Remove();
            }
        }

        var firmware = os.El("firmware");
        if (firmware is not null)
        {
            // virDomainDefPostParseOs: enrolled keys imply secure boot.
            var features = firmware.Els("feature").GroupBy(f => f.A("name")).Select(g => g.Last()).ToList();
            if (features.Any(f => f.A("name") == "enrolled-keys" && f.A("enabled") == "yes"))
            {
                var secure = features.FirstOrDefault(f => f.A("name") == "secure-boot");
                if (secure is null)
                {
                    secure = new XElement("feature", new XAttribute("enabled", "yes"), new XAttribute("name", "secure-boot"));
                    features.Add(secure);
                }

                secure.Set("enabled", "yes");
            }

            firmware.RemoveNodes();
            foreach (var feature in features.OrderBy(f => f.A("name") == "enrolled-keys" ? 0 : 1))
            {
                feature.OrderAttributes(["enabled", "name"]);
                firmware.Add(feature);
            }

            if (!firmware.HasElements)
            {
                firmware.Remove();
            }
        }

        os.OrderAttributes(["firmware"]);
        os.OrderChildren(OsChildOrder);
    }

    /// <summary>True when any device has a &lt;boot order='N'/&gt; of its own.</summary>
    internal static bool HasDeviceBootOrder(XElement root)
    {
        var devices = root.El("devices");
        if (devices is null)
        {
            return false;
        }

        foreach (var device in devices.Elements())
        {
            if (device.El("boot")?.A("order") is not null)
            {
                return true;
            }

            // <interface type='hostdev'> and hostdevs keep their boot element too.
        }

        return false;
    }

    /// <summary>virDomainDefClockParse / Format: offset utc by default; variable clocks always show their basis.</summary>
    private static void ApplyClock(XElement root)
    {
        var clock = root.El("clock");
        if (clock is null)
        {
            clock = new XElement("clock", new XAttribute("offset", "utc"));
            root.Add(clock);
            return;
        }

        var offset = clock.A("offset") ?? "utc";
        clock.Set("offset", offset);
        switch (offset)
        {
            case "utc" or "localtime":
                var adjustment = clock.A("adjustment");
                if (adjustment is not null && adjustment != "reset")
                {
                    clock.Set("basis", offset);
                    clock.Set("offset", "variable");
                    clock.Set("adjustment", long.TryParse(adjustment, out var adj) ? adj.ToString(System.Globalization.CultureInfo.InvariantCulture) : adjustment);
                }
                else
                {
                    clock.Set("basis", null);
                }

                clock.Set("timezone", null);
                clock.Set("start", null);
                break;
            case "variable":
                clock.Set("adjustment", long.TryParse(clock.A("adjustment"), out var a) ? a.ToString(System.Globalization.CultureInfo.InvariantCulture) : "0");
                clock.Default("basis", "utc");
                clock.Set("adjustment0", null);
                clock.Set("timezone", null);
                clock.Set("start", null);
                break;
            case "timezone":
                clock.Set("adjustment", null);
                clock.Set("basis", null);
                clock.Set("start", null);
                break;
            case "absolute":
                clock.Set("adjustment", null);
                clock.Set("basis", null);
                clock.Set("timezone", null);
                break;
        }

        clock.OrderAttributes(["offset", "adjustment", "basis", "timezone", "start"]);
        foreach (var timer in clock.Els("timer"))
        {
            if (timer.A("name") != "tsc")
            {
                timer.Set("frequency", null);
                timer.Set("mode", null);
            }
            else if (timer.A("frequency") == "0")
            {
                timer.Set("frequency", null);
            }

            timer.OrderAttributes(["name", "present", "tickpolicy", "track", "frequency", "mode"]);
            var catchup = timer.El("catchup");
            if (catchup is not null)
            {
                foreach (var attr in (string[])["threshold", "slew", "limit"])
                {
                    if (catchup.A(attr) == "0")
                    {
                        catchup.Set(attr, null);
                    }
                }

                catchup.OrderAttributes(["threshold", "slew", "limit"]);
                if (!catchup.HasAttributes)
                {
                    catchup.Remove();
                }
            }
        }
    }

    /// <summary>virDomainDefLifecycleParse: destroy on power-off and crash, restart on reboot.</summary>
    private static void ApplyLifecycle(XElement root)
    {
        Default(root, "on_poweroff", "destroy");
        Default(root, "on_reboot", "restart");
        Default(root, "on_crash", "destroy");
        foreach (var name in (string[])["on_poweroff", "on_reboot", "on_crash", "on_lockfailure"])
        {
            var e = root.El(name);
            if (e is not null)
            {
                e.SetText(e.Value.Trim());
            }
        }

        var pm = root.El("pm");
        if (pm is not null)
        {
            pm.OrderChildren(["suspend-to-mem", "suspend-to-disk"]);
            if (!pm.HasElements)
            {
                pm.Remove();
            }
        }

        static void Default(XElement root, string name, string value)
        {
            if (root.El(name) is null || string.IsNullOrWhiteSpace(root.El(name)!.Value))
            {
                root.El(name)?.Remove();
                root.Add(new XElement(name, value));
            }
        }
    }
}
