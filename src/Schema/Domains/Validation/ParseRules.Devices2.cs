using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks.Support;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

internal static partial class ParseRules
{
    /// <summary>virDomainChrDefParseXML for parallel, serial, console and channel devices, in that order.</summary>
    public static IEnumerable<Problem?> Chardevs(DomainXml d)
    {
        foreach (var name in (string[])["parallel", "serial", "console", "channel"])
        {
            foreach (var chr in d.DevicesOf(name))
            {
                foreach (var p in Chardev(chr))
                {
                    yield return p;
                }
            }
        }
    }

    private static IEnumerable<Problem?> Chardev(XElement chr)
    {
        var device = chr.Name.LocalName;
        var type = chr.A("type") ?? "pty";
        if (Array.IndexOf(LibvirtEnums.DomainChr, type) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown type presented to host for character device: {type}", chr);
            yield break;
        }

        var target = chr.El("target");
        var targetTypes = device switch
        {
            "channel" => LibvirtEnums.DomainChrChannelTarget,
            "console" => LibvirtEnums.DomainChrConsoleTarget,
            "serial" => LibvirtEnums.DomainChrSerialTarget,
            _ => null,
        };

        // The target type as libvirt numbers it: each device kind has its own enum, parallel ports none.
        var targetIndex = 0;
        string? targetType = null;
        if (target is not null)
        {
            targetType = target.A("type");
            if (device == "channel" && targetType is null)
            {
                // libvirt reports the missing type, then overwrites it with the generic message.
                yield return P(ErrorCode.ConfigUnsupported, "unknown target type '(null)' specified for character device", target);
            }

            if (targetTypes is not null && targetType is not null)
            {
                targetIndex = Array.IndexOf(targetTypes, targetType);
                if (targetIndex < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown target type '{targetType}' specified for character device", target);
                }
            }

            // Only serial ports have target models.
            var model = target.El("model")?.A("name");
            if (device == "serial" && !string.IsNullOrEmpty(model) && Array.IndexOf(LibvirtEnums.DomainChrSerialTargetModel, model) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown target model '{model}' specified for character device", target);
            }

            if (device == "channel" && targetType == "guestfwd")
            {
                var address = target.Attribute("address");
                if (address is null)
                {
                    yield return P(ErrorCode.XmlError, "guestfwd channel does not define a target address", target);
                }
                else if (!VirSocketAddr.TryParse(address.Value, System.Net.Sockets.AddressFamily.Unspecified, out var ip, out var error))
                {
                    yield return P(ErrorCode.SystemError, $"Cannot parse socket address '{address.Value}': {error}", address);
                }
                else if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    yield return P(ErrorCode.ConfigUnsupported, "guestfwd channel only supports IPv4 addresses", address);
                }

                yield return XmlProp.UInt(target, "port", flags: PropFlags.Required);
            }
            else if (device != "channel" && target.Attribute("port") is { } port && !StrToLong.TryUInt(port.Value, 10, out _))
            {
                // virStrToLong_ui: a negative number wraps around and is accepted.
                yield return P(ErrorCode.XmlError, $"Invalid port number: {port.Value}", port);
            }
        }
        else if (device == "channel")
        {
            yield return P(ErrorCode.XmlError, "target type must be specified for channel device", chr);
        }

        foreach (var p in ChrSource(chr, type, chardev: true))
        {
            yield return p;
        }

        // libvirt compares the device's target type number with that of a virtio channel.
        if (type == "spicevmc" && targetIndex != Array.IndexOf(LibvirtEnums.DomainChrChannelTarget, "virtio"))
        {
            yield return P(ErrorCode.ConfigUnsupported, "spicevmc device type only supports virtio", chr);
        }

        foreach (var p in Info(chr, allowBoot: false, allowRom: false))
        {
            yield return p;
        }

        if (device == "serial" && targetType == "usb-serial" && chr.El("address")?.A("type") is { } at && at != "usb")
        {
            yield return P(ErrorCode.ConfigUnsupported, "usb-serial requires address of usb type", chr);
        }
    }

    /// <summary>virDomainChrSourceDefParseXML: sources, log and protocol.</summary>
    private static IEnumerable<Problem?> ChrSource(XElement owner, string type, bool chardev = false)
    {
        var sources = owner.Els("source").ToList();
        if (sources.Count > 1 && type != "udp")
        {
            yield return P(ErrorCode.XmlError, "only one source element is allowed for character device", sources[1]);
        }

        if (sources.Count > 2)
        {
            yield return P(ErrorCode.XmlError, "only two source elements are allowed for character device", sources[2]);
        }

        foreach (var source in sources.Take(type == "udp" ? 2 : 1))
        {
            switch (type)
            {
                case "file":
                    yield return XmlProp.OnOff(source, "append");
                    break;
                case "unix" or "tcp":
                    yield return XmlProp.Enum(source, "mode", ChrSourceModes);
                    if (type == "tcp")
                    {
                        yield return XmlProp.YesNo(source, "tls");
                    }

                    yield return Reconnect(source);
                    break;
                case "udp":
                    yield return XmlProp.Enum(source, "mode", ChrSourceModes);
                    break;
                case "qemu-vdagent":
                    yield return XmlProp.YesNo(source.El("clipboard"), "copypaste", PropFlags.Required);
                    yield return XmlProp.Enum(source.El("mouse"), "mode", LibvirtEnums.DomainMouseMode, PropFlags.Required | PropFlags.NonZero);
                    break;
            }
        }

        // Only a character device reads label overrides, from its first source.
        if (chardev)
        {
            foreach (var p in DeviceSeclabels(sources.FirstOrDefault()))
            {
                yield return p;
            }
        }

        var logs = owner.Els("log").ToList();
        if (logs.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one log element is allowed for character device", logs[1]);
        }

        yield return XmlProp.OnOff(logs.FirstOrDefault(), "append");
        var protocols = owner.Els("protocol").ToList();
        if (protocols.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one protocol element is allowed for character device", protocols[1]);
        }

        if (type == "tcp" && protocols.FirstOrDefault()?.A("type") is { } protocol && Array.IndexOf(LibvirtEnums.DomainChrTcpProtocol, protocol) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"Unknown protocol '{protocol}'", protocols[0]);
        }
    }

    /// <summary>virDomainInputDefParseXML, and no USB input without USB.</summary>
    public static IEnumerable<Problem?> Inputs(DomainXml d)
    {
        var usbNone = UsbNone(d);
        foreach (var input in d.DevicesOf("input"))
        {
            var type = input.A("type");
            if (type is null)
            {
                yield return P(ErrorCode.InternalError, "missing input device type", input);
                continue;
            }

            if (Array.IndexOf(LibvirtEnums.DomainInput, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown input device type '{type}'", input);
                continue;
            }

            if (input.A("model") is { } model && Array.IndexOf(LibvirtEnums.DomainInputModel, model) <= 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown input model '{model}'", input);
            }

            var bus = input.A("bus");
            if (bus is not null && Array.IndexOf(LibvirtEnums.DomainInputBus, bus) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown input bus type '{bus}'", input);
            }

            foreach (var p in Info(input, allowBoot: false, allowRom: false))
            {
                yield return p;
            }

            var effectiveBus = bus ?? DefaultInputBus(d, type);
            if (effectiveBus == "usb" && input.El("address")?.A("type") is { } addressType && addressType != "usb")
            {
                yield return P(ErrorCode.XmlError, "Invalid address for a USB device", input.El("address"));
            }

            // The evdev path is only looked for inside a <source>.
            if (input.El("source") is { } source)
            {
                var path = type switch
                {
                    "passthrough" => source.A("evdev"),
                    "evdev" => source.A("dev"),
                    _ => null,
                };
                if (type is "passthrough" or "evdev" && path is null)
                {
                    yield return P(ErrorCode.XmlError, "Missing evdev path for input device", source);
                }

                if (type == "evdev")
                {
                    yield return XmlProp.Enum(source, "grab", LibvirtEnums.DomainInputSourceGrab, PropFlags.NonZero);
                    yield return XmlProp.Enum(source, "grabToggle", LibvirtEnums.DomainInputSourceGrabToggle, PropFlags.NonZero);
                    yield return XmlProp.OnOff(source, "repeat");
                }
            }

            if (input.El("driver") is { } driver)
            {
                yield return VirtioOptions(driver);
            }

            if (effectiveBus == "usb" && usbNone)
            {
                yield return P(ErrorCode.ConfigUnsupported, "Can't add USB input device. USB bus is disabled", input);
            }
        }
    }

    private static string? DefaultInputBus(DomainXml d, string type)
    {
        var arch = d.Arch ?? "i686";
        return (d.OsType ?? "hvm") switch
        {
            "hvm" when type is "mouse" or "keyboard" && arch is "i686" or "x86_64" => "ps2",
            "hvm" when arch is "s390" or "s390x" || type == "passthrough" => "virtio",
            "hvm" when type == "evdev" => null,
            "hvm" => "usb",
            "xen" or "xenpvh" => "xen",
            _ => null,
        };
    }

    /// <summary>virDomainGraphicsDefParseXML: the type and what each type reads.</summary>
    public static IEnumerable<Problem?> Graphics(DomainXml d)
    {
        foreach (var g in d.DevicesOf("graphics"))
        {
            var problem = XmlProp.Enum(g, "type", LibvirtEnums.DomainGraphics, PropFlags.Required);
            if (problem is not null)
            {
                yield return problem;
                continue;
            }

            var type = g.A("type")!;
            var checks = type switch
            {
                "vnc" => GraphicsVnc(g),
                "sdl" => [XmlProp.YesNo(g, "fullscreen"), XmlProp.YesNo(g.El("gl"), "enable", PropFlags.Required)],
                "rdp" => GraphicsRdp(g),
                "desktop" => [XmlProp.YesNo(g, "fullscreen")],
                "spice" => GraphicsSpice(g),
                "dbus" => [XmlProp.YesNo(g, "p2p"), XmlProp.YesNo(g.El("gl"), "enable", PropFlags.Required),
                    XmlProp.UInt(g.El("audio"), "id", flags: PropFlags.Required | PropFlags.NonZero)],
                _ => [],
            };
            foreach (var p in checks)
            {
                yield return p;
            }
        }
    }

    private static IEnumerable<Problem?> GraphicsVnc(XElement g)
    {
        foreach (var p in GraphicsListens(g))
        {
            yield return p;
        }

        if (g.A("port") is { } port && !CNumber.TryParseInt(port, out _))
        {
            yield return P(ErrorCode.InternalError, $"cannot parse vnc port {port}", g.Attribute("port"));
        }

        yield return XmlProp.Int(g, "websocket");
        yield return XmlProp.Enum(g, "sharePolicy", LibvirtEnums.DomainGraphicsVNCSharePolicy);
        yield return XmlProp.YesNo(g, "powerControl");
        yield return XmlProp.UInt(g.El("audio"), "id", flags: PropFlags.Required | PropFlags.NonZero);
        yield return GraphicsAuth(g, "vnc");
    }

    private static IEnumerable<Problem?> GraphicsRdp(XElement g)
    {
        foreach (var p in GraphicsListens(g))
        {
            yield return p;
        }

        if (g.A("port") is { } port && !CNumber.TryParseInt(port, out _))
        {
            yield return P(ErrorCode.InternalError, $"cannot parse rdp port {port}", g.Attribute("port"));
        }
    }

    private static IEnumerable<Problem?> GraphicsSpice(XElement g)
    {
        foreach (var p in GraphicsListens(g))
        {
            yield return p;
        }

        yield return XmlProp.Int(g, "port");
        yield return XmlProp.Int(g, "tlsPort");
        yield return XmlProp.YesNo(g, "autoport");
        yield return XmlProp.Enum(g, "defaultMode", LibvirtEnums.DomainGraphicsSpiceChannelMode);
        yield return GraphicsAuth(g, "spice");
        foreach (var channel in g.Els("channel"))
        {
            yield return XmlProp.Enum(channel, "name", LibvirtEnums.DomainGraphicsSpiceChannelName, PropFlags.Required);
            yield return XmlProp.Enum(channel, "mode", LibvirtEnums.DomainGraphicsSpiceChannelMode, PropFlags.Required);
        }

        yield return XmlProp.Enum(g.El("image"), "compression", LibvirtEnums.DomainGraphicsSpiceImageCompression, PropFlags.Required | PropFlags.NonZero);
        yield return XmlProp.Enum(g.El("jpeg"), "compression", LibvirtEnums.DomainGraphicsSpiceJpegCompression, PropFlags.Required | PropFlags.NonZero);
        yield return XmlProp.Enum(g.El("zlib"), "compression", LibvirtEnums.DomainGraphicsSpiceZlibCompression, PropFlags.Required | PropFlags.NonZero);
        yield return XmlProp.OnOff(g.El("playback"), "compression", PropFlags.Required);
        yield return XmlProp.Enum(g.El("streaming"), "mode", LibvirtEnums.DomainGraphicsSpiceStreamingMode, PropFlags.Required | PropFlags.NonZero);
        yield return XmlProp.YesNo(g.El("clipboard"), "copypaste", PropFlags.Required);
        yield return XmlProp.YesNo(g.El("filetransfer"), "enable", PropFlags.Required);
        yield return XmlProp.YesNo(g.El("gl"), "enable", PropFlags.Required);
        yield return XmlProp.Enum(g.El("mouse"), "mode", LibvirtEnums.DomainMouseMode, PropFlags.Required | PropFlags.NonZero);
    }

    /// <summary>virDomainGraphicsListensParseXML: each listen's type, and its agreement with the legacy attributes.</summary>
    private static IEnumerable<Problem?> GraphicsListens(XElement g)
    {
        var type = g.A("type");
        var index = 0;
        foreach (var listen in g.Els("listen"))
        {
            var problem = XmlProp.Enum(listen, "type", LibvirtEnums.DomainGraphicsListen, PropFlags.Required);
            if (problem is not null)
            {
                yield return problem;
                yield break;
            }

            var ltype = listen.A("type");
            if (ltype is "socket" or "none" && type is not ("vnc" or "spice"))
            {
                yield return P(ErrorCode.ConfigUnsupported, $"listen type '{ltype}' is not available for graphics type '{type}'", listen);
            }

            var addressCompat = index == 0 ? g.A("listen") : null;
            var socketCompat = index == 0 ? g.A("socket") : null;
            if (ltype == "address" && listen.A("address") is { } address && addressCompat is not null && address != addressCompat)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"graphics 'listen' attribute '{addressCompat}' must match 'address' attribute of first listen element (found '{address}')", listen);
            }

            if (ltype == "socket" && listen.A("socket") is { } socket && socketCompat is not null && socket != socketCompat)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"graphics 'socket' attribute '{socketCompat}' must match 'socket' attribute of first listen element (found '{socket}')", listen);
            }

            if (!string.IsNullOrEmpty(listen.A("network")) && ltype != "network")
            {
                yield return P(ErrorCode.XmlError, "'network' attribute is valid only for listen type 'network'", listen);
            }

            var socketPath = listen.A("socket") ?? (ltype == "socket" ? socketCompat : null);
            if (!string.IsNullOrEmpty(socketPath) && ltype != "socket")
            {
                yield return P(ErrorCode.XmlError, "'socket' attribute is valid only for listen type 'socket'", listen);
            }

            index++;
        }
    }

    /// <summary>virDomainGraphicsAuthDefParseXML: with a password, its validity time and what happens to connected clients.</summary>
    private static Problem? GraphicsAuth(XElement g, string type)
    {
        if (g.A("passwd") is null)
        {
            return null;
        }

        if (g.Attribute("passwdValidTo") is { } validTo && !ValidPasswordTime(validTo.Value))
        {
            return P(ErrorCode.InternalError, $"cannot parse password validity time '{validTo.Value}', expect YYYY-MM-DDTHH:MM:SS", validTo);
        }

        if (g.Attribute("connected") is not { } connected)
        {
            return null;
        }

        var action = Array.IndexOf(LibvirtEnums.DomainGraphicsAuthConnected, connected.Value);
        if (action <= 0)
        {
            return P(ErrorCode.ConfigUnsupported, $"unknown connected value {connected.Value}", connected);
        }

        return type == "vnc" && connected.Value != "keep"
            ? P(ErrorCode.ConfigUnsupported, "VNC supports connected='keep' only", connected)
            : null;
    }

    /// <summary>%d-%d-%dT%d:%d:%d as virStrToLong_i reads each number.</summary>
    private static bool ValidPasswordTime(string text)
    {
        var rest = text;
        foreach (var separator in (char[])['-', '-', 'T', ':', ':', '\0'])
        {
            // Leading blanks, a sign, digits: what strtol takes.
            var end = 0;
            while (end < rest.Length && char.IsWhiteSpace(rest[end]))
            {
                end++;
            }

            if (end < rest.Length && rest[end] is '-' or '+')
            {
                end++;
            }

            var digits = end;
            while (end < rest.Length && char.IsAsciiDigit(rest[end]))
            {
                end++;
            }

            if (end == digits || !CNumber.TryParseInt(rest[..end], out _))
            {
                return false;
            }

            if (separator == '\0')
            {
                return end == rest.Length;
            }

            if (end >= rest.Length || rest[end] != separator)
            {
                return false;
            }

            rest = rest[(end + 1)..];
        }

        return false;
    }

    /// <summary>virDomainVideoDefParseXML: model, sizes, acceleration, resolution, driver.</summary>
    public static IEnumerable<Problem?> Videos(DomainXml d)
    {
        foreach (var video in d.DevicesOf("video"))
        {
            var model = video.El("model");
            var accel = model.El("acceleration");
            if (accel is not null)
            {
                yield return XmlProp.YesNo(accel, "accel3d") ?? XmlProp.YesNo(accel, "accel2d");
                if (accel.A("rendernode") is null && accel.A("accel3d") is null && accel.A("accel2d") is null)
                {
                    yield return P(ErrorCode.ConfigUnsupported, "missing values for acceleration", accel);
                }
            }

            var resolution = model.El("resolution");
            yield return XmlProp.UInt(resolution, "x", flags: PropFlags.Required);
            yield return XmlProp.UInt(resolution, "y", flags: PropFlags.Required);
            var driver = video.El("driver");
            yield return XmlProp.Enum(driver, "name", LibvirtEnums.DomainVideoBackend, PropFlags.NonZero);
            if (driver is not null)
            {
                yield return VirtioOptions(driver);
            }

            // virXPathString: empty model attributes count as absent.
            var type = model?.A("type");
            if (!string.IsNullOrEmpty(type) && Array.IndexOf(LibvirtEnums.DomainVideo, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown video model '{type}'", model!.Attribute("type"));
            }

            foreach (var attr in (string[])["ram", "vram", "vram64", "vgamem"])
            {
                if (model?.A(attr) is { Length: > 0 } v && !CNumber.TryParseUInt(v, 10, out _))
                {
                    yield return P(ErrorCode.XmlError, $"cannot parse video {attr} '{v}'", model.Attribute(attr));
                }
            }

            if (model?.A("heads") is { Length: > 0 } heads && !CNumber.TryParseUInt(heads, 10, out _))
            {
                yield return P(ErrorCode.InternalError, $"cannot parse video heads '{heads}'", model.Attribute("heads"));
            }

            foreach (var p in Info(video, allowBoot: false, allowRom: false))
            {
                yield return p;
            }

            // An unknown vgaconf is reported by virDomainVideoDriverDefParseXML, whose failure libvirt ignores.
        }
    }
}
