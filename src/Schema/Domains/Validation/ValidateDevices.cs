using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Defaults;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainDeviceDefValidateInternal for each device, in virDomainDeviceInfoIterateFlags order.</summary>
internal static partial class ValidateRules
{
    public static IEnumerable<Problem?> DeviceValidate(DomainXml d)
    {
        foreach (var device in Devices(d, allConsoles: true, missingInfo: true))
        {
            var e = device.Element;
            if (IsCompatConsole(d, e))
            {
                // libvirt's own first console: as written (its source is the serial port's), or an empty stub.
                if (CompatConsole(d).El("address") is { } address && address.A("type") == "unassigned")
                {
                    yield return P(ErrorCode.ConfigUnsupported, "address of type 'unassigned' is supported only for hostdevs", WrittenDomain.At(address));
                }

                continue;
            }

            if (device.HasInfo && e.El("address")?.A("type") == "unassigned" && device.Kind != "hostdev")
            {
                yield return P(ErrorCode.ConfigUnsupported, "address of type 'unassigned' is supported only for hostdevs", e.El("address"));
            }

            switch (device.Kind)
            {
                case "disk":
                    foreach (var problem in Disk(d, e))
                    {
                        yield return problem;
                    }

                    break;
                case "redirdev":
                    yield return Redirdev(d, e);
                    break;
                case "interface":
                    yield return Net(e);
                    break;
                case "controller":
                    yield return Controller(e);
                    break;
                case "serial" or "parallel" or "channel" or "console":
                    yield return Chr(d, e);
                    break;
                case "smartcard":
                    yield return Smartcard(d, e);
                    break;
                case "rng":
                    yield return Rng(d, e);
                    break;
                case "hostdev":
                    yield return Hostdev(e, device.ParentNet);
                    break;
                case "video":
                    yield return Video(d, e);
                    break;
                case "memory":
                    yield return MemoryDevice(d, e);
                    break;
                case "vsock":
                    yield return Vsock(e);
                    break;
                case "input":
                    yield return Input(d, e);
                    break;
                case "shmem":
                    yield return Shmem(e);
                    break;
                case "filesystem":
                    yield return Filesystem(e);
                    break;
                case "audio":
                    yield return Audio(d, e);
                    break;
                case "sound":
                    yield return AudioId(d, e.El("audio"));
                    break;
                case "graphics":
                    yield return Graphics(d, e);
                    break;
                case "iommu":
                    yield return Iommu(e);
                    break;
                case "tpm":
                    yield return Tpm(e);
                    break;
            }
        }
    }

    /// <summary>virDomainVsockDefValidate.</summary>
    private static Problem? Vsock(XElement vsock)
    {
        var cid = ULong(vsock.El("cid"), "address");
        if (cid is > 0 and <= 2)
        {
            return P(ErrorCode.ConfigUnsupported, "guest CIDs must be >= 3", vsock.El("cid"));
        }

        return IsVirtioModel(vsock.A("model")) ? null : VirtioOptionsAbsent(vsock.El("driver"));
    }

    /// <summary>virDomainInputDefValidate.</summary>
    private static Problem? Input(DomainXml d, XElement input)
    {
        var type = input.A("type");
        var bus = input.A("bus") ?? "none";
        var mouseOrKeyboard = type is "mouse" or "keyboard";
        switch (OsType(d))
        {
            case "hvm":
                if (bus == "ps2" && !mouseOrKeyboard)
                {
                    return P(ErrorCode.InternalError, $"ps2 bus does not support {type} input device", input);
                }

                if (bus == "xen")
                {
                    return P(ErrorCode.InternalError, $"unsupported input bus {bus}", input);
                }

                break;
            case "xen" or "xenpvh":
                if (bus != "xen")
                {
                    return P(ErrorCode.InternalError, $"unsupported input bus {bus}", input);
                }

                if (!mouseOrKeyboard)
                {
                    return P(ErrorCode.InternalError, $"xen bus does not support {type} input device", input);
                }

                break;
            default:
                if (d.VirtType is not ("vz" or "parallels"))
                {
                    return P(ErrorCode.InternalError, "Input devices are not supported by this virtualization driver.", input);
                }

                if (bus != "parallels")
                {
                    return P(ErrorCode.InternalError, $"parallels containers don't support input bus {bus}", input);
                }

                if (!mouseOrKeyboard)
                {
                    return P(ErrorCode.InternalError, $"parallels bus does not support {type} input device", input);
                }

                break;
        }

        // (An evdev source is only read for passthrough and evdev inputs, so the check libvirt makes on the
        // other types never fires.)
        switch (type)
        {
            case "passthrough" when bus != "virtio":
                return P(ErrorCode.ConfigUnsupported, "only bus 'virtio' is supported for 'passthrough' input devices", input);
            case "evdev" when bus != "none":
                return P(ErrorCode.ConfigUnsupported, "input evdev doesn't support bus element", input);
        }

        var model = input.A("model");
        return IsVirtioModel(model) && bus != "virtio"
            ? P(ErrorCode.ConfigUnsupported, $"only bus 'virtio' is supported for input model '{model}'", input)
            : null;
    }

    /// <summary>virDomainShmemDefValidate: the name becomes a file name.</summary>
    private static Problem? Shmem(XElement shmem)
    {
        var name = shmem.A("name") ?? string.Empty;
        if (name.Contains('/'))
        {
            return P(ErrorCode.ConfigUnsupported, "shmem name cannot include '/' character", shmem);
        }

        return name is "." or ".."
            ? P(ErrorCode.ConfigUnsupported, $"shmem name cannot be equal to '{name}'", shmem)
            : null;
    }

    /// <summary>virDomainFSDefValidate.</summary>
    private static Problem? Filesystem(XElement fs)
    {
        if (string.IsNullOrEmpty(fs.El("target")?.A("dir")))
        {
            var source = fs.El("source");
            var path = (fs.A("type") ?? "mount") switch
            {
                "mount" or "bind" => source.A("dir"),
                "file" => source.A("file"),
                "block" => source.A("dev"),
                "template" => source.A("name"),
                _ => null,
            };
            return P(ErrorCode.NoTarget, path ?? source.A("socket") ?? string.Empty, fs);
        }

        return fs.El("boot") is { } boot && fs.El("driver")?.A("type") != "virtiofs"
            ? P(ErrorCode.ConfigUnsupported, "boot order is only supported for virtiofs", boot)
            : null;
    }

    /// <summary>virDomainAudioDefValidate: audio IDs are unique.</summary>
    private static Problem? Audio(DomainXml d, XElement audio)
    {
        var id = ULong(audio, "id");
        return d.DevicesOf("audio").Any(a => a != audio && ULong(a, "id") == id)
            ? P(ErrorCode.XmlError, $"audio ID {id} is used multiple times", audio)
            : null;
    }

    /// <summary>virDomainEnsureAudioID: a reference to an audio backend names an existing one.</summary>
    private static Problem? AudioId(DomainXml d, XElement? reference)
    {
        var id = ULong(reference, "id") ?? 0;
        if (id == 0 || d.DevicesOf("audio").Any(a => ULong(a, "id") == id))
        {
            return null;
        }

        return P(ErrorCode.XmlError, $"no audio device with ID {id}", reference);
    }

    /// <summary>virDomainGraphicsDefValidate.</summary>
    private static Problem? Graphics(DomainXml d, XElement graphics)
    {
        var type = graphics.A("type");
        if (type is "vnc" or "spice" or "rdp")
        {
            foreach (var listen in graphics.Els("listen"))
            {
                if (listen.A("type") == "network" && listen.A("network") is null)
                {
                    return P(ErrorCode.XmlError, "'network' attribute is required for listen type 'network'", listen);
                }
            }
        }

        if (type == "vnc")
        {
            return AudioId(d, graphics.El("audio"));
        }

        return type == "dbus" && graphics.A("p2p") == "yes" && graphics.A("address") is not null
            ? P(ErrorCode.XmlError, "D-Bus p2p with an address is not supported", graphics)
            : null;
    }

    /// <summary>virDomainIOMMUDefValidate.</summary>
    private static Problem? Iommu(XElement iommu)
    {
        var model = iommu.A("model");
        var driver = iommu.El("driver");
        if (model is "smmuv3" or "virtio" &&
            (driver.A("intremap") is not null || driver.A("caching_mode") is not null || driver.A("eim") is not null ||
             driver.A("iotlb") is not null || (ULong(driver, "aw_bits") ?? 0) != 0))
        {
            return P(ErrorCode.XmlError, $"iommu model '{model}' doesn't support additional attributes", driver);
        }

        return model is "smmuv3" or "intel" && iommu.El("address") is { } address
            ? P(ErrorCode.XmlError, $"iommu model '{model}' can't have address", address)
            : null;
    }

    /// <summary>virDomainTPMDevValidate.</summary>
    private static Problem? Tpm(XElement tpm)
    {
        var backend = tpm.El("backend");
        switch (backend.A("type"))
        {
            case "emulator":
                if (backend.El("active_pcr_banks") is { } banks && backend.A("version") != "2.0")
                {
                    return P(ErrorCode.XmlError, "<active_pcr_banks/> requires TPM version '2.0'", banks);
                }

                break;
            case "external":
                var source = backend.El("source");
                if ((source.A("type") ?? "null") != "unix")
                {
                    return P(ErrorCode.XmlError, "only source type 'unix' is supported for external TPM device", (XObject?)source ?? backend);
                }

                if (source.A("mode") == "bind")
                {
                    return P(ErrorCode.XmlError, "only 'client' mode is supported for external TPM device", source);
                }

                if (source.A("path") is null)
                {
                    return P(ErrorCode.XmlError, "missing socket path for external TPM device", source);
                }

                break;
        }

        return null;
    }
}
