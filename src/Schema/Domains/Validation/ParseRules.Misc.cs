using System.Globalization;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>The devices virDomainDefParseXML reads after the host devices, and the elements after them.</summary>
internal static partial class ParseRules
{
    /// <summary>The &lt;resource&gt; element: at most one, with a partition or a Fibre Channel application ID.</summary>
    public static IEnumerable<Problem?> Resource(DomainXml d)
    {
        var resources = d.Root.Els("resource").ToList();
        if (resources.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one resource element is supported", resources[1]);
            yield break;
        }

        // virDomainResourceDefParse fails without saying why when there is neither.
        if (resources.Count == 1 && string.IsNullOrEmpty(resources[0].El("partition")?.Value) &&
            string.IsNullOrEmpty(resources[0].El("fibrechannel").A("appid")))
        {
            yield return P(ErrorCode.UnknownCause, string.Empty, resources[0]);
        }
    }

    /// <summary>virDomainPerfDefParseXML: each event named once, enabled or not.</summary>
    public static IEnumerable<Problem?> Perf(DomainXml d)
    {
        var seen = new HashSet<string>();
        foreach (var e in d.Root.El("perf").Els("event"))
        {
            var problem = XmlProp.Enum(e, "name", LibvirtEnums.PerfEvent, PropFlags.Required) ?? XmlProp.YesNo(e, "enabled", PropFlags.Required);
            if (problem is not null)
            {
                yield return problem;
                yield break;
            }

            if (!seen.Add(e.A("name")!))
            {
                yield return P(ErrorCode.XmlError, $"perf event '{e.A("name")}' was already specified", e);
            }
        }
    }

    /// <summary>virDomainLeaseDefParseXML: a key, a lockspace and a target path.</summary>
    public static IEnumerable<Problem?> Leases(DomainXml d)
    {
        foreach (var lease in d.DevicesOf("lease"))
        {
            if (string.IsNullOrEmpty(lease.El("key")?.Value))
            {
                yield return P(ErrorCode.XmlError, "Missing 'key' element for lease", lease);
            }

            if (string.IsNullOrEmpty(lease.El("lockspace")?.Value))
            {
                // libvirt fails here without saying why.
                yield return P(ErrorCode.UnknownCause, string.Empty, lease);
            }

            var target = lease.El("target");
            if (target is null)
            {
                yield return P(ErrorCode.XmlError, "Missing 'target' element for lease", lease);
                continue;
            }

            if (target.A("path") is null)
            {
                yield return P(ErrorCode.XmlError, "Missing 'path' attribute to 'target' element for lease", target);
            }

            yield return XmlProp.UInt(target, "offset", flags: PropFlags.None, max: ulong.MaxValue);
        }
    }

    /// <summary>virDomainFSDefParseXML: type, access, modes, limits, source, driver, virtiofs binary, then the device info.</summary>
    public static IEnumerable<Problem?> Filesystems(DomainXml d)
    {
        foreach (var fs in d.DevicesOf("filesystem"))
        {
            foreach (var p in Filesystem(fs))
            {
                yield return p;
            }
        }
    }

    private static IEnumerable<Problem?> Filesystem(XElement fs)
    {
        yield return XmlProp.Enum(fs, "type", LibvirtEnums.DomainFS);
        yield return XmlProp.Enum(fs, "accessmode", LibvirtEnums.DomainFSAccessMode);
        foreach (var mode in (string[])["fmode", "dmode"])
        {
            yield return XmlProp.UInt(fs, mode, 8);
            if (CNumber.TryParseUInt(fs.A(mode), 8, out var bits) && bits > Convert.ToUInt32("777", 8))
            {
                yield return P(ErrorCode.XmlError, $"invalid {mode}: '0{Convert.ToString(bits, 8)}'", fs.Attribute(mode));
            }
        }

        yield return XmlProp.Enum(fs, "model", LibvirtEnums.DomainFSModel, PropFlags.NonZero);
        yield return XmlProp.Enum(fs, "multidevs", LibvirtEnums.DomainFSMultidevs);
        yield return ScaledValue(fs, fs.El("space_hard_limit"), "./space_hard_limit[1]", 1, ulong.MaxValue);
        yield return ScaledValue(fs, fs.El("space_soft_limit"), "./space_soft_limit[1]", 1, ulong.MaxValue);
        var type = fs.A("type") ?? "mount";
        var source = fs.El("source");
        var path = type switch
        {
            "mount" or "bind" => source.A("dir"),
            "file" => source.A("file"),
            "block" => source.A("dev"),
            "template" => source.A("name"),
            _ => null,
        };
        if (type == "volume" && source is not null)
        {
            var pool = source.A("pool");
            var volume = source.A("volume");
            if ((pool is null) != (volume is null))
            {
                yield return P(ErrorCode.XmlError, "'pool' and 'volume' must be specified together for 'pool' type source", source);
            }
            else if (pool is not null && source.A("mode") is { } poolMode && Array.IndexOf(LibvirtEnums.StorageSourcePoolMode, poolMode) <= 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown source mode '{poolMode}' for volume type disk", source);
            }
        }

        var driver = fs.El("driver");
        if (driver is not null)
        {
            yield return XmlProp.Enum(driver, "type", LibvirtEnums.DomainFSDriver);
            yield return XmlProp.Enum(driver, "wrpolicy", LibvirtEnums.DomainFSWrpolicy);
            if (driver.A("format") is { } format && Array.IndexOf(LibvirtEnums.StorageFileFormat, format) <= 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown driver format value '{format}'", driver.Attribute("format"));
            }

            yield return VirtioOptions(driver);
        }

        if (driver.A("type") == "virtiofs")
        {
            if (driver.A("queue") is { Length: > 0 } queue && !StrToLongULong(queue))
            {
                yield return P(ErrorCode.XmlError, $"cannot parse queue size '{queue}' for virtiofs", driver!.Attribute("queue"));
            }

            var binary = fs.El("binary");
            if (binary.El("thread_pool").A("size") is { Length: > 0 } size && !CNumber.TryParseInt(size, out _))
            {
                yield return P(ErrorCode.XmlError, $"cannot parse thread pool size '{size}' for virtiofs", binary.El("thread_pool")!.Attribute("size"));
            }

            yield return XmlProp.OnOff(binary, "xattr");
            yield return XmlProp.OnOff(binary.El("lock"), "posix");
            yield return XmlProp.OnOff(binary.El("lock"), "flock");
            yield return XmlProp.Enum(binary.El("cache"), "mode", LibvirtEnums.DomainFSCacheMode, PropFlags.NonZero);
            yield return XmlProp.Enum(binary.El("sandbox"), "mode", LibvirtEnums.DomainFSSandboxMode, PropFlags.NonZero);
        }

        var target = fs.El("target").A("dir");
        if (path is null && type is not ("ram" or "volume") && source.A("socket") is null)
        {
            yield return P(ErrorCode.NoSource, string.IsNullOrEmpty(target) ? string.Empty : target, fs);
        }

        if (type == "ram")
        {
            var usage = source.A("usage");
            if (usage is null)
            {
                yield return P(ErrorCode.XmlError, "missing 'usage' attribute for RAM filesystem", (XObject?)source ?? fs);
            }
            else if (!StrToLongULong(usage, out var amount))
            {
                yield return P(ErrorCode.XmlError, $"cannot parse usage '{usage}' for RAM filesystem", source!.Attribute("usage"));
            }
            else
            {
                var units = NonEmpty(source!.A("units"));
                if (!ScaledInteger.TryScale(amount, units, 1024, ulong.MaxValue, out _, out var error))
                {
                    yield return error == ScaleError.UnknownUnit
                        ? P(ErrorCode.InvalidArgument, $"unknown suffix '{units}'", source)
                        : P(ErrorCode.Overflow, $"value too large: {amount}{units}", source);
                }
            }
        }

        foreach (var p in Info(fs, allowBoot: true, allowRom: false))
        {
            yield return p;
        }
    }

    /// <summary>virStrToLong_ull: an unsigned long long; a minus sign negates it modulo 2^64.</summary>
    private static bool StrToLongULong(string text, out ulong value)
    {
        value = 0;
        var t = text.TrimStart();
        var negative = t.StartsWith('-');
        if (negative)
        {
            t = t[1..];
        }

        if (t.StartsWith('-') || !CNumber.TryParseULong(t, 10, out var magnitude))
        {
            return false;
        }

        value = negative ? unchecked(0UL - magnitude) : magnitude;
        return true;
    }

    private static bool StrToLongULong(string text) => StrToLongULong(text, out _);

    /// <summary>virDomainSmartcardDefParseXML: the mode and what it needs.</summary>
    public static IEnumerable<Problem?> Smartcards(DomainXml d)
    {
        foreach (var card in d.DevicesOf("smartcard"))
        {
            yield return XmlProp.Enum(card, "mode", LibvirtEnums.DomainSmartcard, PropFlags.Required);
            switch (card.A("mode"))
            {
                case "host-certificates":
                    if (card.Els("certificate").Count() != 3)
                    {
                        yield return P(ErrorCode.XmlError, "host-certificates mode needs exactly three certificates", card);
                    }

                    if (card.El("database") is { } database && database.Value.Length > 0 && !database.Value.StartsWith('/'))
                    {
                        yield return P(ErrorCode.XmlError, $"expecting absolute path: {database.Value}", database);
                    }

                    break;
                case "passthrough":
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

                    break;
                case "host":
                    break;
                default:
                    continue;
            }

            foreach (var p in Info(card, allowBoot: false, allowRom: false))
            {
                yield return p;
            }
        }
    }

    /// <summary>virDomainSoundDefParseXML: the model, codecs of the Intel HDA models, the audio backend.</summary>
    public static IEnumerable<Problem?> Sounds(DomainXml d)
    {
        foreach (var sound in d.DevicesOf("sound"))
        {
            yield return XmlProp.Enum(sound, "model", LibvirtEnums.DomainSoundModel, PropFlags.Required);
            if (sound.A("model") is "ich6" or "ich9")
            {
                foreach (var codec in sound.Els("codec"))
                {
                    if (codec.A("type") is not { } ctype || Array.IndexOf(LibvirtEnums.DomainSoundCodec, ctype) < 0)
                    {
                        yield return P(ErrorCode.ConfigUnsupported, $"unknown codec type '{codec.A("type") ?? "(null)"}'", codec);
                    }
                }
            }

            yield return XmlProp.UInt(sound.El("audio"), "id", flags: PropFlags.Required | PropFlags.NonZero);
            foreach (var p in Info(sound, allowBoot: false, allowRom: false))
            {
                yield return p;
            }
        }
    }

    /// <summary>virDomainAudioDefParseXML: type, ID, timer period, input and output settings, backend options.</summary>
    public static IEnumerable<Problem?> Audios(DomainXml d)
    {
        foreach (var audio in d.DevicesOf("audio"))
        {
            yield return XmlProp.Enum(audio, "type", LibvirtEnums.DomainAudioType, PropFlags.Required);
            yield return XmlProp.UInt(audio, "id", flags: PropFlags.Required | PropFlags.NonZero);
            yield return XmlProp.UInt(audio, "timerPeriod", flags: PropFlags.NonZero);
            var input = audio.El("input");
            var output = audio.El("output");
            foreach (var io in (XElement?[])[input, output])
            {
                if (io is not null)
                {
                    foreach (var p in AudioCommon(io))
                    {
                        yield return p;
                    }
                }
            }

            var type = audio.A("type");
            if (type == "oss")
            {
                yield return XmlProp.YesNo(audio, "tryMMap");
                yield return XmlProp.YesNo(audio, "exclusive");
                yield return XmlProp.Int(audio, "dspPolicy");
                if (CNumber.TryParseInt(audio.A("dspPolicy"), out var policy) && policy < 0)
                {
                    yield return P(ErrorCode.XmlError, $"cannot parse 'dspPolicy' value '{policy}'", audio.Attribute("dspPolicy"));
                }
            }
            else if (type == "sdl")
            {
                yield return XmlProp.Enum(audio, "driver", LibvirtEnums.DomainAudioSDLDriver, PropFlags.NonZero);
            }

            foreach (var io in (XElement?[])[input, output])
            {
                switch (type)
                {
                    case "coreaudio" or "sdl":
                        yield return XmlProp.UInt(io, "bufferCount");
                        break;
                    case "jack":
                        yield return XmlProp.YesNo(io, "exactName");
                        break;
                    case "oss":
                        yield return XmlProp.YesNo(io, "tryPoll");
                        yield return XmlProp.UInt(io, "bufferCount");
                        break;
                    case "pulseaudio":
                        yield return XmlProp.UInt(io, "latency");
                        break;
                }
            }
        }
    }

    /// <summary>virDomainAudioCommonParse: the settings of an audio input or output.</summary>
    private static IEnumerable<Problem?> AudioCommon(XElement io)
    {
        yield return XmlProp.YesNo(io, "mixingEngine");
        yield return XmlProp.YesNo(io, "fixedSettings");
        var fixedSettings = io.A("fixedSettings") == "yes";
        if (fixedSettings && io.A("mixingEngine") != "yes")
        {
            yield return P(ErrorCode.ConfigUnsupported, "fixed audio settings requires mixing engine", io);
        }

        yield return XmlProp.UInt(io, "voices", flags: PropFlags.NonZero);
        yield return XmlProp.UInt(io, "bufferLength", flags: PropFlags.NonZero);
        if (io.El("settings") is { } settings)
        {
            if (!fixedSettings)
            {
                yield return P(ErrorCode.ConfigUnsupported, "audio settings specified without fixed settings flag", settings);
            }

            yield return XmlProp.UInt(settings, "frequency", flags: PropFlags.NonZero);
            yield return XmlProp.UInt(settings, "channels", flags: PropFlags.NonZero);
            yield return XmlProp.Enum(settings, "format", LibvirtEnums.DomainAudioFormat, PropFlags.NonZero);
        }
    }

    /// <summary>Watchdog, memory balloon, RNGs, TPMs, NVRAM, hubs, redirected devices and their filter, panics and shared memory.</summary>
    public static IEnumerable<Problem?> OtherDevices(DomainXml d)
    {
        var usbNone = UsbNone(d);
        var watchdogs = d.DevicesOf("watchdog").ToList();
        if (watchdogs.Count > 1)
        {
            yield return P(ErrorCode.InternalError, "only a single watchdog device is supported", watchdogs[1]);
        }

        foreach (var w in watchdogs.Take(1))
        {
            if (w.A("model") is not { } model)
            {
                yield return P(ErrorCode.InternalError, "watchdog must contain model name", w);
            }
            else if (Array.IndexOf(LibvirtEnums.DomainWatchdogModel, model) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown watchdog model '{model}'", w.Attribute("model"));
            }

            if (w.A("action") is { } action && Array.IndexOf(LibvirtEnums.DomainWatchdogAction, action) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown watchdog action '{action}'", w.Attribute("action"));
            }

            foreach (var p in Info(w, allowBoot: false, allowRom: false))
            {
                yield return p;
            }
        }

        var balloons = d.DevicesOf("memballoon").ToList();
        if (balloons.Count > 1)
        {
            yield return P(ErrorCode.InternalError, "only a single memory balloon device is supported", balloons[1]);
        }

        foreach (var b in balloons.Take(1))
        {
            yield return XmlProp.Enum(b, "model", LibvirtEnums.DomainMemballoonModel, PropFlags.Required);
            yield return XmlProp.OnOff(b, "autodeflate");
            yield return XmlProp.OnOff(b, "freePageReporting");
            yield return IntProp(b.El("stats"), "period", 0);

            // The device info of a balloon of model none is not read.
            if (b.A("model") != "none")
            {
                foreach (var p in Info(b, allowBoot: false, allowRom: false))
                {
                    yield return p;
                }
            }

            yield return VirtioOptionsOf(b);
        }

        foreach (var rng in d.DevicesOf("rng"))
        {
            foreach (var p in Rng(rng))
            {
                yield return p;
            }
        }

        var tpms = d.DevicesOf("tpm").ToList();
        if (tpms.Count > 2)
        {
            yield return P(ErrorCode.XmlError, "a maximum of two TPM devices is supported, one of them being a TPM Proxy device", tpms[2]);
        }

        foreach (var tpm in tpms)
        {
            foreach (var p in Tpm(tpm))
            {
                yield return p;
            }
        }

        var nvrams = d.DevicesOf("nvram").ToList();
        if (nvrams.Count > 1)
        {
            yield return P(ErrorCode.InternalError, "only a single nvram device is supported", nvrams[1]);
        }

        foreach (var nvram in nvrams.Take(1))
        {
            foreach (var p in Info(nvram, allowBoot: false, allowRom: false))
            {
                yield return p;
            }
        }

        foreach (var hub in d.DevicesOf("hub"))
        {
            var type = hub.A("type");
            if (type is null)
            {
                yield return P(ErrorCode.InternalError, "missing hub device type", hub);
                continue;
            }

            if (Array.IndexOf(LibvirtEnums.DomainHub, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown hub device type '{type}'", hub.Attribute("type"));
                continue;
            }

            foreach (var p in Info(hub, allowBoot: false, allowRom: false))
            {
                yield return p;
            }

            if (usbNone)
            {
                yield return P(ErrorCode.ConfigUnsupported, "Can't add USB hub: USB is disabled for this domain", hub);
            }
        }

        foreach (var redirdev in d.DevicesOf("redirdev"))
        {
            foreach (var p in Redirdev(redirdev))
            {
                yield return p;
            }
        }

        foreach (var p in Redirfilter(d))
        {
            yield return p;
        }

        foreach (var panic in d.DevicesOf("panic"))
        {
            foreach (var p in Info(panic, allowBoot: false, allowRom: false))
            {
                yield return p;
            }

            if (panic.A("model") is { } model && Array.IndexOf(LibvirtEnums.DomainPanicModel, model) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown panic model '{model}'", panic.Attribute("model"));
            }
        }

        foreach (var shmem in d.DevicesOf("shmem"))
        {
            foreach (var p in Shmem(shmem))
            {
                yield return p;
            }
        }
    }

    /// <summary>virDomainRNGDefParseXML.</summary>
    private static IEnumerable<Problem?> Rng(XElement rng)
    {
        var model = rng.A("model");
        if (model is null)
        {
            yield return P(ErrorCode.XmlError, "missing RNG device model", rng);
            yield break;
        }

        if (Array.IndexOf(LibvirtEnums.DomainRNGModel, model) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown RNG model '{model}'", rng.Attribute("model"));
            yield break;
        }

        // virXPathUInt: an absent or empty value is no value.
        var rate = rng.El("rate");
        var bytes = rate.A("bytes");
        var rateBytes = 0u;
        if (!string.IsNullOrEmpty(bytes) && !CNumber.TryParseUInt(bytes, 10, out rateBytes))
        {
            yield return P(ErrorCode.XmlError, "invalid RNG rate bytes value", rate!.Attribute("bytes"));
        }

        var period = rate.A("period");
        if (rateBytes > 0 && !string.IsNullOrEmpty(period) && !CNumber.TryParseUInt(period, 10, out _))
        {
            yield return P(ErrorCode.XmlError, "invalid RNG rate period value", rate!.Attribute("period"));
        }

        var backends = rng.Els("backend").ToList();
        if (backends.Count != 1)
        {
            yield return P(ErrorCode.XmlError, "only one RNG backend is supported", backends.Count > 1 ? backends[1] : rng);
            yield break;
        }

        var backend = backends[0];
        var backendModel = backend.A("model");
        if (backendModel is null)
        {
            yield return P(ErrorCode.XmlError, "missing RNG device backend model", backend);
            yield break;
        }

        if (Array.IndexOf(LibvirtEnums.DomainRNGBackend, backendModel) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown RNG backend model '{backendModel}'", backend.Attribute("model"));
            yield break;
        }

        if (backendModel == "egd")
        {
            var type = backend.A("type");
            if (type is null)
            {
                yield return P(ErrorCode.XmlError, "missing EGD backend type", backend);
                yield break;
            }

            if (Array.IndexOf(LibvirtEnums.DomainChr, type) < 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"unknown backend type '{type}' for egd", backend.Attribute("type"));
                yield break;
            }

            foreach (var p in ChrSource(backend, type))
            {
                yield return p;
            }
        }

        foreach (var p in Info(rng, allowBoot: false, allowRom: false))
        {
            yield return p;
        }

        yield return VirtioOptionsOf(rng);
    }

    /// <summary>virDomainTPMDefParseXML.</summary>
    private static IEnumerable<Problem?> Tpm(XElement tpm)
    {
        yield return XmlProp.Enum(tpm, "model", LibvirtEnums.DomainTPMModel, PropFlags.NonZero);
        var backends = tpm.Els("backend").ToList();
        if (backends.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only one TPM backend is supported", backends[1]);
            yield break;
        }

        if (backends.Count == 0)
        {
            yield return P(ErrorCode.XmlError, "missing TPM device backend", tpm);
            yield break;
        }

        var backend = backends[0];
        yield return XmlProp.Enum(backend, "type", LibvirtEnums.DomainTPMBackend, PropFlags.Required);
        switch (backend.A("type"))
        {
            case "emulator":
                yield return XmlProp.Enum(backend, "version", LibvirtEnums.DomainTPMVersion, PropFlags.NonZero);
                var secret = backend.El("encryption").A("secret");
                if (!string.IsNullOrEmpty(secret) && !Uuids.TryParse(secret, out _))
                {
                    yield return P(ErrorCode.InternalError, $"Unable to parse secret uuid '{secret}'", backend.El("encryption"));
                }

                if (backend.A("persistent_state") is { } persistent && persistent is not ("yes" or "no"))
                {
                    yield return P(ErrorCode.InternalError, "Invalid persistent_state value, either 'yes' or 'no'", backend.Attribute("persistent_state"));
                }

                foreach (var bank in backend.El("active_pcr_banks")?.Elements() ?? [])
                {
                    if (Array.IndexOf(LibvirtEnums.DomainTPMPcrBank, bank.Name.LocalName) < 0)
                    {
                        yield return P(ErrorCode.ConfigUnsupported, $"Unsupported PCR banks '{bank.Name.LocalName}'", bank);
                    }
                }

                break;
            case "external":
                var type = backend.El("source").A("type");
                if (string.IsNullOrEmpty(type))
                {
                    yield return P(ErrorCode.XmlError, "missing external TPM backend type", backend);
                    yield break;
                }

                if (Array.IndexOf(LibvirtEnums.DomainChr, type) < 0)
                {
                    yield return P(ErrorCode.ConfigUnsupported, $"unknown backend type '{type}' for external TPM", backend.El("source"));
                    yield break;
                }

                foreach (var p in ChrSource(backend, type))
                {
                    yield return p;
                }

                break;
        }

        foreach (var p in Info(tpm, allowBoot: false, allowRom: false))
        {
            yield return p;
        }
    }

    /// <summary>virDomainRedirdevDefParseXML: bus, character device type and source, a USB address on the USB bus.</summary>
    private static IEnumerable<Problem?> Redirdev(XElement redirdev)
    {
        var bus = redirdev.A("bus");
        if (bus is not null && Array.IndexOf(LibvirtEnums.DomainRedirdevBus, bus) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown redirdev bus '{bus}'", redirdev.Attribute("bus"));
            yield break;
        }

        var type = redirdev.A("type");
        if (type is null)
        {
            yield return P(ErrorCode.InternalError, "missing type in redirdev", redirdev);
            yield break;
        }

        if (Array.IndexOf(LibvirtEnums.DomainChr, type) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown redirdev character device type '{type}'", redirdev.Attribute("type"));
            yield break;
        }

        foreach (var p in ChrSource(redirdev, type))
        {
            yield return p;
        }

        foreach (var p in Info(redirdev, allowBoot: true, allowRom: false))
        {
            yield return p;
        }

        if (redirdev.El("address")?.A("type") is { } addressType && addressType != "usb")
        {
            yield return P(ErrorCode.XmlError, "Invalid address for a USB device", redirdev.El("address"));
        }
    }

    /// <summary>virDomainRedirFilterDefParseXML: one filter, each rule with its class, IDs, version and verdict.</summary>
    private static IEnumerable<Problem?> Redirfilter(DomainXml d)
    {
        var filters = d.DevicesOf("redirfilter").ToList();
        if (filters.Count > 1)
        {
            yield return P(ErrorCode.InternalError, "only one set of redirection filter rule is supported", filters[1]);
            yield break;
        }

        foreach (var usbdev in filters.FirstOrDefault().Els("usbdev"))
        {
            var problem = IntProp(usbdev, "class", 0);
            if (problem is not null)
            {
                yield return problem;
                yield break;
            }

            if (TryStrToInt(usbdev.A("class"), 0, out var usbClass) && usbClass != -1 && (usbClass & ~0xFF) != 0)
            {
                yield return P(ErrorCode.InternalError, string.Create(CultureInfo.InvariantCulture, $"Invalid USB Class code 0x{usbClass:x}"), usbdev.Attribute("class"));
            }

            yield return IntProp(usbdev, "vendor", 0);
            yield return IntProp(usbdev, "product", 0);
            if (usbdev.A("version") is { } version && version != "-1" && !ValidUsbVersion(version))
            {
                yield return P(ErrorCode.XmlError, $"Cannot parse USB device version {version}", usbdev.Attribute("version"));
            }

            yield return XmlProp.YesNo(usbdev, "allow", PropFlags.Required);
        }
    }

    /// <summary>virDomainRedirFilterUSBVersionHelper: MAJOR.MINOR, both below 100.</summary>
    private static bool ValidUsbVersion(string version)
    {
        var dot = version.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 &&
               StrToLongUInt(version[..dot], out var major) &&
               StrToLongUInt(version[(dot + 1)..], out var minor) &&
               major < 100 && minor < 100;
    }

    private static bool StrToLongUInt(string text, out uint value) =>
        Networks.Support.StrToLong.TryUInt(text, 10, out value);

    /// <summary>virDomainShmemDefParseXML.</summary>
    private static IEnumerable<Problem?> Shmem(XElement shmem)
    {
        var model = shmem.El("model");
        yield return XmlProp.Enum(model, "type", LibvirtEnums.DomainShmemModel);
        if (shmem.A("name") is null)
        {
            yield return P(ErrorCode.XmlError, "shmem element must contain 'name' attribute", shmem);
            yield break;
        }

        if ((model?.A("type") ?? "ivshmem") != "ivshmem")
        {
            yield return XmlProp.Enum(shmem, "role", LibvirtEnums.DomainShmemRole, PropFlags.NonZero);
        }

        yield return ScaledValue(shmem, shmem.El("size"), "./size[1]", 1, ulong.MaxValue);
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

    /// <summary>virDomainSecDefParseXML: a launch security type and, for SEV, its numbers.</summary>
    public static IEnumerable<Problem?> LaunchSecurity(DomainXml d)
    {
        var sec = d.Root.El("launchSecurity");
        if (sec is null)
        {
            yield break;
        }

        yield return XmlProp.Enum(sec, "type", LibvirtEnums.DomainLaunchSecurity, PropFlags.Required | PropFlags.NonZero);
        if (sec.A("type") != "sev")
        {
            yield break;
        }

        yield return XmlProp.YesNo(sec, "kernelHashes");
        var policy = sec.El("policy")?.Value;
        if (string.IsNullOrEmpty(policy) || !CNumber.TryParseUInt(policy, 16, out _))
        {
            yield return P(ErrorCode.XmlError, "failed to get launch security policy", (XObject?)sec.El("policy") ?? sec);
        }

        if (sec.El("cbitpos")?.Value is { Length: > 0 } cbitpos && !CNumber.TryParseUInt(cbitpos, 10, out _))
        {
            yield return P(ErrorCode.XmlError, "Invalid format for launch security cbitpos", sec.El("cbitpos"));
        }

        if (sec.El("reducedPhysBits")?.Value is { Length: > 0 } bits && !CNumber.TryParseUInt(bits, 10, out _))
        {
            yield return P(ErrorCode.XmlError, "Invalid format for launch security reduced-phys-bits", sec.El("reducedPhysBits"));
        }
    }

    /// <summary>virDomainMemoryDefParseXML: model, access, discard, NVDIMM UUID, source, target and device info.</summary>
    public static IEnumerable<Problem?> MemoryDevices(DomainXml d)
    {
        foreach (var mem in d.DevicesOf("memory"))
        {
            var problem = XmlProp.Enum(mem, "model", LibvirtEnums.DomainMemoryModel, PropFlags.Required | PropFlags.NonZero);
            if (problem is not null)
            {
                yield return problem;
                continue;
            }

            var model = mem.A("model");
            yield return XmlProp.Enum(mem, "access", LibvirtEnums.DomainMemoryAccess, PropFlags.NonZero);
            yield return XmlProp.YesNo(mem, "discard");
            if (model == "nvdimm" && mem.El("uuid")?.Value is { Length: > 0 } uuid && !Uuids.TryParse(uuid, out _))
            {
                yield return P(ErrorCode.InternalError, "malformed uuid element", mem.El("uuid"));
            }

            if (mem.El("source") is { } source)
            {
                foreach (var p in MemorySource(source, model!))
                {
                    yield return p;
                }
            }

            var target = mem.El("target");
            if (target is null)
            {
                yield return P(ErrorCode.XmlError, "missing <target> element for <memory> device", mem);
                continue;
            }

            foreach (var p in MemoryTarget(target, model!))
            {
                yield return p;
            }

            foreach (var p in Info(mem, allowBoot: false, allowRom: false))
            {
                yield return p;
            }
        }
    }

    private static IEnumerable<Problem?> MemorySource(XElement source, string model)
    {
        if (model is "dimm" or "virtio-mem")
        {
            yield return ScaledValue(source, source.El("pagesize"), "./pagesize", 1024, long.MaxValue, memory: true);
        }

        if (model == "nvdimm")
        {
            yield return ScaledValue(source, source.El("alignsize"), "./alignsize", 1024, long.MaxValue, memory: true);
        }

        if (model is "dimm" or "virtio-mem" or "sgx-epc" && source.El("nodemask")?.Value is { Length: > 0 } nodemask)
        {
            if (!CpuSet.TryParse(nodemask, out var set))
            {
                yield return P(ErrorCode.InvalidArgument, $"Failed to parse bitmap '{nodemask}'", source.El("nodemask"));
            }
            else if (set.Count == 0)
            {
                yield return P(ErrorCode.ConfigUnsupported, $"Invalid value of 'nodemask': {nodemask}", source.El("nodemask"));
            }
        }
    }

    private static IEnumerable<Problem?> MemoryTarget(XElement target, string model)
    {
        var node = target.El("node")?.Value;
        if (!string.IsNullOrEmpty(node) && (!CNumber.TryParseInt(node, out var n) || n < 0))
        {
            yield return P(ErrorCode.XmlError, "invalid value of memory device node", target.El("node"));
        }

        yield return ScaledValue(target, target.El("size"), "./size", 1024, long.MaxValue, required: true, memory: true);
        if (model == "nvdimm")
        {
            var label = target.El("label");
            yield return ScaledValue(label ?? target, label.El("size"), "./label/size", 1024, long.MaxValue, memory: true);
            var labelSize = KiB(label.El("size"));
            if (labelSize is > 0 and < 128)
            {
                yield return P(ErrorCode.XmlError, "nvdimm label must be at least 128KiB", label);
            }

            if ((labelSize ?? 0) >= (KiB(target.El("size")) ?? 0))
            {
                yield return P(ErrorCode.XmlError, "label size must be smaller than NVDIMM size", (XObject?)label ?? target);
            }
        }
        else if (model == "virtio-mem")
        {
            yield return ScaledValue(target, target.El("block"), "./block", 1024, long.MaxValue, memory: true);
            yield return ScaledValue(target, target.El("requested"), "./requested", 1024, long.MaxValue, memory: true);
        }
    }

    /// <summary>A size element in KiB as virDomainParseMemory stores it, or null when it is absent or unreadable.</summary>
    private static ulong? KiB(XElement? e)
    {
        if (string.IsNullOrEmpty(e?.Value) || !ScaledInteger.TryParseULong(e.Value, out var value) ||
            !ScaledInteger.TryScale(value, NonEmpty(e.A("unit")), 1024, long.MaxValue, out var bytes, out _))
        {
            return null;
        }

        return ScaledInteger.ToKiB(bytes);
    }

    /// <summary>One IOMMU (virDomainIOMMUDefParseXML) and one vsock (virDomainVsockDefParseXML).</summary>
    public static IEnumerable<Problem?> IommuAndVsock(DomainXml d)
    {
        var iommus = d.DevicesOf("iommu").ToList();
        if (iommus.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only a single IOMMU device is supported", iommus[1]);
            yield break;
        }

        foreach (var iommu in iommus)
        {
            var problem = XmlProp.Enum(iommu, "model", LibvirtEnums.DomainIOMMUModel, PropFlags.Required);
            if (problem is not null)
            {
                yield return problem;
                yield break;
            }

            if (iommu.El("driver") is { } driver)
            {
                foreach (var attribute in (string[])["intremap", "caching_mode", "iotlb", "eim"])
                {
                    yield return XmlProp.OnOff(driver, attribute);
                }

                yield return XmlProp.UInt(driver, "aw_bits");
            }

            foreach (var p in Info(iommu, allowBoot: false, allowRom: false))
            {
                yield return p;
            }
        }

        var vsocks = d.DevicesOf("vsock").ToList();
        if (vsocks.Count > 1)
        {
            yield return P(ErrorCode.XmlError, "only a single vsock device is supported", vsocks[1]);
            yield break;
        }

        foreach (var vsock in vsocks)
        {
            yield return XmlProp.Enum(vsock, "model", LibvirtEnums.DomainVsockModel);
            if (vsock.El("cid") is { } cid)
            {
                yield return XmlProp.UInt(cid, "address", flags: PropFlags.NonZero);
                yield return XmlProp.YesNo(cid, "auto");
            }

            foreach (var p in Info(vsock, allowBoot: false, allowRom: false))
            {
                yield return p;
            }

            yield return VirtioOptionsOf(vsock);
        }
    }

    /// <summary>virDomainIdmapDefParseXML: start, target and count of each uid and gid map.</summary>
    public static IEnumerable<Problem?> Idmap(DomainXml d)
    {
        foreach (var kind in (string[])["uid", "gid"])
        {
            foreach (var map in d.Root.El("idmap").Els(kind))
            {
                if (!(CNumber.TryParseUInt(map.A("start"), 10, out _) && CNumber.TryParseUInt(map.A("target"), 10, out _) &&
                      CNumber.TryParseUInt(map.A("count"), 10, out _)))
                {
                    yield return P(ErrorCode.XmlError, "invalid idmap start/target/count settings", map);
                }
            }
        }
    }

    /// <summary>The SMBIOS mode (after the sysinfo) and virDomainKeyWrapDefParseXML.</summary>
    public static IEnumerable<Problem?> SmbiosAndKeyWrap(DomainXml d)
    {
        var smbios = d.Os.El("smbios")?.Attribute("mode");
        if (smbios is not null && smbios.Value.Length > 0 && Array.IndexOf(LibvirtEnums.DomainSmbiosMode, smbios.Value) < 0)
        {
            yield return P(ErrorCode.ConfigUnsupported, $"unknown smbios mode '{smbios.Value}'", smbios);
        }

        var seen = new HashSet<string>();
        foreach (var cipher in d.Root.El("keywrap").Els("cipher"))
        {
            yield return XmlProp.Enum(cipher, "name", LibvirtEnums.DomainKeyWrapCipherName, PropFlags.Required);
            yield return XmlProp.OnOff(cipher, "state", PropFlags.Required);
            if (!seen.Add(cipher.A("name")!))
            {
                yield return P(ErrorCode.InternalError, $"A domain definition can have no more than one cipher node with name {cipher.A("name")}", cipher);
            }
        }
    }

    /// <summary>virDomainVirtioOptionsParseXML on a device's &lt;driver&gt;.</summary>
    private static Problem? VirtioOptionsOf(XElement device) =>
        device.El("driver") is { } driver ? VirtioOptions(driver) : null;

    /// <summary>virXMLPropInt with the given base (0: C prefixes).</summary>
    private static Problem? IntProp(XElement? e, string name, int numberBase)
    {
        var a = e?.Attribute(name);
        if (a is null || TryStrToInt(a.Value, numberBase, out _))
        {
            return null;
        }

        return P(ErrorCode.XmlError, $"Invalid value for attribute '{name}' in element '{e!.Name.LocalName}': '{a.Value}'. Expected integer value", a);
    }

    /// <summary>virStrToLong_i: an int with an optional sign, in base 10 or with C prefixes in base 0.</summary>
    private static bool TryStrToInt(string? text, int numberBase, out int value)
    {
        value = 0;
        if (text is null)
        {
            return false;
        }

        var t = text.TrimStart();
        var negative = t.StartsWith('-');
        if (negative || t.StartsWith('+'))
        {
            t = t[1..];
        }

        if (t.StartsWith('-') || t.StartsWith('+') || !CNumber.TryParseULong(t, numberBase, out var magnitude))
        {
            return false;
        }

        var signed = negative ? -(long)Math.Min(magnitude, (ulong)long.MaxValue + 1) : (long)Math.Min(magnitude, long.MaxValue);
        if (signed is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        value = (int)signed;
        return true;
    }

    /// <summary>
    /// virParseScaledValue on an element's text and unit (virDomainParseMemory when <paramref name="memory"/>:
    /// stored in KiB, which must stay below the limit).
    /// </summary>
    internal static Problem? ScaledValue(XElement owner, XElement? e, string xpath, ulong scale, ulong max, bool required = false, bool memory = false)
    {
        var text = e?.Value;
        if (string.IsNullOrEmpty(text))
        {
            return required ? P(ErrorCode.XmlError, $"missing element or attribute '{xpath}'", (XObject?)e ?? owner) : null;
        }

        if (!ScaledInteger.TryParseULong(text, out var value))
        {
            return P(ErrorCode.XmlError, $"Invalid value '{text}' for element or attribute '{xpath}'", e);
        }

        var unit = NonEmpty(e!.A("unit"));
        if (!ScaledInteger.TryScale(value, unit, scale, max, out var bytes, out var error))
        {
            return error == ScaleError.UnknownUnit
                ? P(ErrorCode.InvalidArgument, $"unknown suffix '{unit}'", e)
                : P(ErrorCode.Overflow, $"value too large: {value}{unit}", e);
        }

        return memory && ScaledInteger.ToKiB(bytes) >= ScaledInteger.ToKiB(max)
            ? P(ErrorCode.Overflow, "size value too large", e)
            : null;
    }

    /// <summary>
    /// virParseScaledValue (virDomainParseMemory when <paramref name="memory"/>) on an attribute and its unit
    /// attribute: an empty value counts as absent.
    /// </summary>
    internal static Problem? ScaledAttr(XElement e, string attribute, string unitAttribute, string xpath, ulong scale, ulong max, bool required = false, bool memory = false)
    {
        var a = e.Attribute(attribute);
        if (string.IsNullOrEmpty(a?.Value))
        {
            return required ? P(ErrorCode.XmlError, $"missing element or attribute '{xpath}'", e) : null;
        }

        if (!ScaledInteger.TryParseULong(a.Value, out var value))
        {
            return P(ErrorCode.XmlError, $"Invalid value '{a.Value}' for element or attribute '{xpath}'", a);
        }

        var unit = NonEmpty(e.A(unitAttribute));
        if (!ScaledInteger.TryScale(value, unit, scale, max, out var bytes, out var error))
        {
            return error == ScaleError.UnknownUnit
                ? P(ErrorCode.InvalidArgument, $"unknown suffix '{unit}'", e)
                : P(ErrorCode.Overflow, $"value too large: {value}{unit}", e);
        }

        return memory && ScaledInteger.ToKiB(bytes) >= ScaledInteger.ToKiB(max)
            ? P(ErrorCode.Overflow, "size value too large", a)
            : null;
    }

    /// <summary>An attribute size in KiB (1024 by default), or null when absent or unreadable.</summary>
    private static ulong? AttrKiB(XElement e, string attribute, string unitAttribute)
    {
        var text = e.A(attribute);
        if (string.IsNullOrEmpty(text) || !ScaledInteger.TryParseULong(text, out var value) ||
            !ScaledInteger.TryScale(value, NonEmpty(e.A(unitAttribute)), 1024, long.MaxValue, out var bytes, out _))
        {
            return null;
        }

        return ScaledInteger.ToKiB(bytes);
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
