using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
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
        string? targetType = null;
        if (target is not null)
        {
            targetType = target.A("type");
            var values = device switch
            {
                "channel" => LibvirtEnums.DomainChrChannelTarget,
                "console" => LibvirtEnums.DomainChrConsoleTarget,
                "serial" => LibvirtEnums.DomainChrSerialTarget,
                _ => null,
            };
            if (device == "channel" && targetType is null)
            {
                // libvirt reports the missing type, then overwrites it with the generic message.
                yield return P(ErrorCode.ConfigUnsupported, "unknown target type '(null)' specified for character device", target);
            }

            if (values is not null && targetType is not null && Array.IndexOf(values, targetType) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown target type '{targetType}' specified for character device", target);
            }

            var model = target.El("model")?.A("name");
            if (model is not null && (device != "serial" || Array.IndexOf(LibvirtEnums.DomainChrSerialTargetModel, model) < 0))
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown target model '{model}' specified for character device", target);
            }

            if (device == "channel" && targetType == "guestfwd")
            {
                var address = target.A("address");
                if (address is null)
                {
                    yield return P(ErrorCode.XmlError, "guestfwd channel does not define a target address", target);
                }
                else if (!System.Net.IPAddress.TryParse(address, out var ip))
                {
                    yield return P(ErrorCode.XmlError, $"Cannot parse socket address '{address}'", target);
                }
                else if (ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
                {
                    yield return P(ErrorCode.ConfigUnsupported, "guestfwd channel only supports IPv4 addresses", target);
                }

                yield return XmlProp.UInt(target, "port", flags: PropFlags.Required);
            }
            else if (device != "channel" && target.A("port") is { } port && !CNumber.TryParseUInt(port, 10, out _))
            {
                yield return P(ErrorCode.XmlError, $"Invalid port number: {port}", target);
            }
        }
        else if (device == "channel")
        {
            yield return P(ErrorCode.XmlError, "target type must be specified for channel device", chr);
        }

        foreach (var p in ChrSource(chr, type))
        {
            yield return p;
        }

        if (type == "spicevmc" && (device != "channel" || targetType != "virtio"))
        {
            // Only virtio channels (and the device kinds that carry them) take spicevmc.
            if (device == "channel")
            {
                yield return P(ErrorCode.ConfigUnsupported, "spicevmc device type only supports virtio", chr);
            }
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
    private static IEnumerable<Problem?> ChrSource(XElement owner, string type)
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

            if (type is "passthrough" or "evdev")
            {
                var source = input.El("source");
                var path = type == "evdev" ? source?.A("dev") : source?.A("evdev");
                if (path is null)
                {
                    yield return P(ErrorCode.XmlError, "Missing evdev path for input device", input);
                }

                if (type == "evdev")
                {
                    yield return XmlProp.Enum(source, "grab", LibvirtEnums.DomainInputSourceGrab, PropFlags.NonZero);
                    yield return XmlProp.Enum(source, "grabToggle", LibvirtEnums.DomainInputSourceGrabToggle, PropFlags.NonZero);
                    yield return XmlProp.OnOff(source, "repeat");
                }
            }

            var effectiveBus = bus ?? DefaultInputBus(d, type);
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

    /// <summary>virDomainGraphicsDefParseXML: type, listens (and their agreement with the legacy attributes), ports.</summary>
    public static IEnumerable<Problem?> Graphics(DomainXml d)
    {
        foreach (var g in d.DevicesOf("graphics"))
        {
            var type = g.A("type");
            yield return XmlProp.Enum(g, "type", LibvirtEnums.DomainGraphics, PropFlags.Required);
            if (type is not ("vnc" or "spice" or "rdp"))
            {
                if (type == "sdl")
                {
                    yield return XmlProp.YesNo(g, "fullscreen");
                    yield return XmlProp.YesNo(g.El("gl"), "enable", PropFlags.Required);
                }

                continue;
            }

            var index = 0;
            foreach (var listen in g.Els("listen"))
            {
                yield return XmlProp.Enum(listen, "type", LibvirtEnums.DomainGraphicsListen, PropFlags.Required);
                var ltype = listen.A("type");
                if (ltype == "socket" && type is not ("vnc" or "spice"))
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"listen type 'socket' is not available for graphics type '{type}'", listen);
                }

                if (ltype == "none" && type is not ("vnc" or "spice"))
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"listen type 'none' is not available for graphics type '{type}'", listen);
                }

                if (index == 0)
                {
                    var addressCompat = g.A("listen");
                    var socketCompat = g.A("socket");
                    if (ltype == "address" && listen.A("address") is { } address && addressCompat is not null && address != addressCompat)
                    {
                        yield return P(ErrorCode.ConfigUnsupported, $"graphics 'listen' attribute '{addressCompat}' must match 'address' attribute of first listen element (found '{address}')", listen);
                    }

                    if (ltype == "socket" && listen.A("socket") is { } socket && socketCompat is not null && socket != socketCompat)
                    {
                        yield return P(ErrorCode.ConfigUnsupported, $"graphics 'socket' attribute '{socketCompat}' must match 'socket' attribute of first listen element (found '{socket}')", listen);
                    }
                }

                if (!string.IsNullOrEmpty(listen.A("network")) && ltype != "network")
                {
                    yield return P(ErrorCode.XmlError, "'network' attribute is valid only for listen type 'network'", listen);
                }

                var socketAttr = listen.A("socket") ?? (index == 0 && ltype == "socket" ? g.A("socket") : null);
                if (!string.IsNullOrEmpty(listen.A("socket")) && ltype != "socket")
                {
                    yield return P(ErrorCode.XmlError, "'socket' attribute is valid only for listen type 'socket'", listen);
                }

                _ = socketAttr;
                index++;
            }

            switch (type)
            {
                case "vnc":
                    if (g.A("port") is { } port && !CNumber.TryParseInt(port, out _))
                    {
                        yield return P(ErrorCode.InternalError, $"cannot parse vnc port {port}", g);
                    }

                    yield return XmlProp.Int(g, "websocket");
                    yield return XmlProp.Enum(g, "sharePolicy", LibvirtEnums.DomainGraphicsVNCSharePolicy);
                    yield return XmlProp.YesNo(g, "powerControl");
                    yield return XmlProp.UInt(g.El("audio"), "id", flags: PropFlags.Required | PropFlags.NonZero);
                    break;
                case "spice":
                    yield return XmlProp.Int(g, "port");
                    yield return XmlProp.Int(g, "tlsPort");
                    yield return XmlProp.YesNo(g, "autoport");
                    yield return XmlProp.Enum(g, "defaultMode", LibvirtEnums.DomainGraphicsSpiceChannelMode);
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
                    break;
                case "rdp":
                    if (g.A("port") is { } rport && !CNumber.TryParseInt(rport, out _))
                    {
                        yield return P(ErrorCode.InternalError, $"cannot parse rdp port {rport}", g);
                    }

                    break;
            }
        }
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

            var type = model?.A("type");
            if (type is not null && Array.IndexOf(LibvirtEnums.DomainVideo, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown video model '{type}'", model);
            }

            foreach (var attr in (string[])["ram", "vram", "vram64", "vgamem"])
            {
                if (model?.A(attr) is { } v && !CNumber.TryParseUInt(v, 10, out _))
                {
                    yield return P(ErrorCode.XmlError, $"cannot parse video {attr} '{v}'", model);
                }
            }

            if (model?.A("heads") is { } heads && !CNumber.TryParseUInt(heads, 10, out _))
            {
                yield return P(ErrorCode.InternalError, $"cannot parse video heads '{heads}'", model);
            }

            foreach (var p in Info(video, allowBoot: false, allowRom: false))
            {
                yield return p;
            }

            yield return XmlProp.Enum(driver, "vgaconf", LibvirtEnums.DomainVideoVGAConf);
        }
    }

    /// <summary>virDomainHostdevDefParseXML: mode, subsystem type and source, no USB hostdev without USB.</summary>
    public static IEnumerable<Problem?> Hostdevs(DomainXml d)
    {
        var usbNone = UsbNone(d);
        foreach (var hostdev in d.DevicesOf("hostdev"))
        {
            var mode = hostdev.A("mode") ?? "subsystem";
            if (Array.IndexOf(LibvirtEnums.DomainHostdevMode, mode) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown hostdev mode '{mode}'", hostdev);
                continue;
            }

            var type = hostdev.A("type");
            if (mode == "subsystem")
            {
                if (type is null)
                {
                    yield return P(ErrorCode.XmlError, "missing type in hostdev", hostdev);
                    continue;
                }

                if (Array.IndexOf(LibvirtEnums.DomainHostdevSubsys, type) < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown host device source address type '{type}'", hostdev);
                    continue;
                }

                yield return XmlProp.YesNo(hostdev, "managed");
                var source = hostdev.El("source");
                if (source is null)
                {
                    yield return P(ErrorCode.InternalError, "Missing <source> element in hostdev device", hostdev);
                    continue;
                }

                if (type == "pci")
                {
                    var address = source.El("address");
                    if (address is not null)
                    {
                        yield return PciAddress(address);
                    }
                }
            }
            else if (type is null || Array.IndexOf(LibvirtEnums.DomainHostdevCaps, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown host device source address type '{type}'", hostdev);
            }

            foreach (var p in Info(hostdev, allowBoot: true, allowRom: true))
            {
                yield return p;
            }

            if (type == "usb" && usbNone)
            {
                yield return P(ErrorCode.ConfigUnsupported, "Can't add host USB device: USB is disabled in this host", hostdev);
            }
        }
    }

    /// <summary>Watchdogs, balloons, RNGs, TPMs, NVRAM, hubs, redirdevs, panics, shmem and friends.</summary>
    public static IEnumerable<Problem?> OtherDevices(DomainXml d)
    {
        var watchdogs = d.DevicesOf("watchdog").ToList();
        if (watchdogs.Count > 1)
        {
            yield return P(ErrorCode.InternalError, "only a single watchdog device is supported", watchdogs[1]);
        }

        foreach (var w in watchdogs)
        {
            if (w.A("model") is not { } model)
            {
                yield return P(ErrorCode.InternalError, "watchdog must contain model name", w);
            }
            else if (Array.IndexOf(LibvirtEnums.DomainWatchdogModel, model) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown watchdog model '{model}'", w);
            }

            if (w.A("action") is { } action && Array.IndexOf(LibvirtEnums.DomainWatchdogAction, action) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown watchdog action '{action}'", w);
            }
        }

        var balloons = d.DevicesOf("memballoon").ToList();
        if (balloons.Count > 1)
        {
            yield return P(ErrorCode.InternalError, "only a single memory balloon device is supported", balloons[1]);
        }

        foreach (var b in balloons)
        {
            yield return XmlProp.Enum(b, "model", LibvirtEnums.DomainMemballoonModel, PropFlags.Required);
            yield return XmlProp.OnOff(b, "autodeflate");
            yield return XmlProp.OnOff(b, "freePageReporting");
            yield return XmlProp.Int(b.El("stats"), "period");
        }

        foreach (var rng in d.DevicesOf("rng"))
        {
            var model = rng.A("model");
            if (model is null)
            {
                yield return P(ErrorCode.XmlError, "missing RNG device model", rng);
                continue;
            }

            if (Array.IndexOf(LibvirtEnums.DomainRNGModel, model) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown RNG model '{model}'", rng);
            }

            var rate = rng.El("rate");
            if (rate is not null)
            {
                if (!CNumber.TryParseUInt(rate.A("bytes"), 10, out _))
                {
                    yield return P(ErrorCode.XmlError, "invalid RNG rate bytes value", rate);
                }

                if (rate.A("period") is { } period && !CNumber.TryParseUInt(period, 10, out _))
                {
                    yield return P(ErrorCode.XmlError, "invalid RNG rate period value", rate);
                }
            }

            var backends = rng.Els("backend").ToList();
            if (backends.Count > 1)
            {
                yield return P(ErrorCode.XmlError, "only one RNG backend is supported", backends[1]);
            }

            var backend = backends.FirstOrDefault();
            if (backend?.A("model") is not { } bmodel)
            {
                yield return P(ErrorCode.XmlError, "missing RNG device backend model", (XObject?)backend ?? rng);
                continue;
            }

            if (Array.IndexOf(LibvirtEnums.DomainRNGBackend, bmodel) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown RNG backend model '{bmodel}'", backend);
            }
            else if (bmodel == "egd")
            {
                var type = backend.A("type");
                if (type is null)
                {
                    yield return P(ErrorCode.XmlError, "missing EGD backend type", backend);
                }
                else if (Array.IndexOf(LibvirtEnums.DomainChr, type) < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown backend type '{type}' for egd", backend);
                }
                else
                {
                    foreach (var p in ChrSource(backend, type))
                    {
                        yield return p;
                    }
                }
            }
        }

        var tpms = d.DevicesOf("tpm").ToList();
        if (tpms.Count > 2)
        {
            yield return P(ErrorCode.XmlError, "a maximum of two TPM devices is supported, one of them being a TPM Proxy device", tpms[2]);
        }

        foreach (var tpm in tpms)
        {
            yield return XmlProp.Enum(tpm, "model", LibvirtEnums.DomainTPMModel);
            var backends = tpm.Els("backend").ToList();
            if (backends.Count > 1)
            {
                yield return P(ErrorCode.XmlError, "only one TPM backend is supported", backends[1]);
            }

            if (backends.Count == 0)
            {
                yield return P(ErrorCode.XmlError, "missing TPM device backend", tpm);
                continue;
            }

            yield return XmlProp.Enum(backends[0], "type", LibvirtEnums.DomainTPMBackend, PropFlags.Required);
            yield return XmlProp.Enum(backends[0], "version", LibvirtEnums.DomainTPMVersion);
        }

        var nvrams = d.DevicesOf("nvram").ToList();
        if (nvrams.Count > 1)
        {
            yield return P(ErrorCode.InternalError, "only a single nvram device is supported", nvrams[1]);
        }

        var usbNone = UsbNone(d);
        foreach (var hub in d.DevicesOf("hub"))
        {
            var type = hub.A("type");
            if (type is null)
            {
                yield return P(ErrorCode.InternalError, "missing hub device type", hub);
            }
            else if (Array.IndexOf(LibvirtEnums.DomainHub, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown hub device type '{type}'", hub);
            }
            else if (usbNone)
            {
                yield return P(ErrorCode.ConfigUnsupported, "Can't add USB hub: USB is disabled for this domain", hub);
            }
        }

        foreach (var redirdev in d.DevicesOf("redirdev"))
        {
            var bus = redirdev.A("bus");
            if (bus is not null && Array.IndexOf(LibvirtEnums.DomainRedirdevBus, bus) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown redirdev bus '{bus}'", redirdev);
            }

            var type = redirdev.A("type");
            if (type is null)
            {
                yield return P(ErrorCode.XmlError, "missing type in redirdev", redirdev);
            }
            else if (Array.IndexOf(LibvirtEnums.DomainChr, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown redirdev character device type '{type}'", redirdev);
            }
            else
            {
                foreach (var p in ChrSource(redirdev, type))
                {
                    yield return p;
                }
            }
        }

        foreach (var panic in d.DevicesOf("panic"))
        {
            yield return XmlProp.Enum(panic, "model", LibvirtEnums.DomainPanicModel);
        }

        foreach (var shmem in d.DevicesOf("shmem"))
        {
            var model = shmem.El("model");
            yield return XmlProp.Enum(model, "type", LibvirtEnums.DomainShmemModel);
            if (shmem.A("name") is null)
            {
                yield return P(ErrorCode.XmlError, "shmem element must contain 'name' attribute", shmem);
            }

            if ((model?.A("type") ?? "ivshmem") != "ivshmem")
            {
                yield return XmlProp.Enum(shmem, "role", LibvirtEnums.DomainShmemRole, PropFlags.NonZero);
            }

            yield return ScaledElement(shmem.El("size"), "./size[1]");
            var msi = shmem.El("msi");
            if (msi is not null)
            {
                yield return XmlProp.UInt(msi, "vectors", 0);
                yield return XmlProp.OnOff(msi, "ioeventfd");
                if (shmem.El("server") is null)
                {
                    yield return P(ErrorCode.XmlError, "msi option is only supported with a server", msi);
                }
            }

            foreach (var p in Info(shmem, allowBoot: false, allowRom: false))
            {
                yield return p;
            }
        }

        foreach (var sound in d.DevicesOf("sound"))
        {
            yield return XmlProp.Enum(sound, "model", LibvirtEnums.DomainSoundModel, PropFlags.Required);
            foreach (var codec in sound.Els("codec"))
            {
                if (codec.A("type") is not { } ctype || Array.IndexOf(LibvirtEnums.DomainSoundCodec, ctype) < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown codec type '{codec.A("type") ?? "(null)"}'", codec);
                }
            }

            yield return XmlProp.UInt(sound.El("audio"), "id", flags: PropFlags.Required | PropFlags.NonZero);
        }

        foreach (var card in d.DevicesOf("smartcard"))
        {
            yield return XmlProp.Enum(card, "mode", LibvirtEnums.DomainSmartcard, PropFlags.Required);
            if (card.A("mode") == "passthrough")
            {
                var type = card.A("type");
                if (type is null)
                {
                    yield return P(ErrorCode.XmlError, "passthrough mode requires a character device type attribute", card);
                }
                else if (Array.IndexOf(LibvirtEnums.DomainChr, type) < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown type presented to host for character device: {type}", card);
                }
                else
                {
                    foreach (var p in ChrSource(card, type))
                    {
                        yield return p;
                    }
                }
            }
        }
    }

    /// <summary>Device info on devices without a more specific area.</summary>
    public static IEnumerable<Problem?> DeviceInfo(DomainXml d)
    {
        foreach (var device in d.Devices?.Elements() ?? [])
        {
            if (device.Name.LocalName is "filesystem" or "smartcard" or "sound" or "watchdog" or "memballoon" or "rng" or
                "tpm" or "nvram" or "hub" or "redirdev" or "panic" or "memory" or "iommu" or "vsock" or "crypto" or "lease")
            {
                foreach (var p in Info(device, allowBoot: device.Name.LocalName is "filesystem" or "redirdev", allowRom: false))
                {
                    yield return p;
                }
            }
        }
    }
}
