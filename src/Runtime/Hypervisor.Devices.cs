using System.Globalization;
using System.Xml.Linq;
using Reconciler.Runtime.Domains;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

public sealed partial class Hypervisor
{
    /// <summary>The smallest balloon target accepted, in KiB: below it a guest OS does not keep working.</summary>
    public const ulong MinimumMemoryKiB = 64 * 1024;

    /// <summary>
    /// Sets the balloon (current memory) in KiB: live through the balloon driver, in the persistent
    /// definition, or both. At least 64 MiB, at most the domain's memory.
    /// </summary>
    public Task SetMemoryAsync(string name, ulong kib, DeviceScope scope = DeviceScope.Current, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            var (live, config) = Resolve(dom, scope);
            var max = Math.Min(
                live ? DomainDefinition.FromXml(dom.Live!).Memory.MemoryKiB : ulong.MaxValue,
                config ? DomainDefinition.FromXml(dom.Persistent!).Memory.MemoryKiB : ulong.MaxValue);
            if (kib > max)
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, "cannot set memory higher than max memory");
            }

            if (kib < MinimumMemoryKiB)
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, $"cannot set memory lower than {MinimumMemoryKiB} KiB (64 MiB)");
            }

            if (live)
            {
                // Without a <memballoon>, QEMU domains get a virtio balloon; only model='none' has none.
                if (DomainDefinition.FromXml(dom.Live!).Devices.MemballoonModel is "none")
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid, "Unable to change memory of active domain without the balloon device and guest OS balloon driver");
                }
            }

            if (config)
            {
                var updated = new XElement(dom.Persistent!);
                SetCurrentMemory(updated, kib);
                WriteDefinition(dom.Uuid, updated);
                dom.Persistent = updated;
            }

            if (live)
            {
                dom.Guest!.SetBalloon(kib);
                SetCurrentMemory(dom.Live!, kib);
                WriteRunRecord(dom);
            }
        }, cancellationToken);

    /// <summary>Sets the number of online vCPUs: live (hotplug), in the persistent definition, or both; at most the maximum.</summary>
    public Task SetVcpusAsync(string name, int count, DeviceScope scope = DeviceScope.Current, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (count == 0)
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, "nvcpus in virDomainSetVcpusFlags must not be zero");
            }

            ArgumentOutOfRangeException.ThrowIfNegative(count);
            var (live, config) = Resolve(dom, scope);
            if (live && DomainDefinition.FromXml(dom.Live!).Vcpus.Maximum is var liveMax && count > liveMax)
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, $"requested vcpus is greater than max allowable vcpus for the live domain: {count} > {liveMax}");
            }

            if (config && DomainDefinition.FromXml(dom.Persistent!).Vcpus.Maximum is var configMax && count > configMax)
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, $"requested vcpus is greater than max allowable vcpus for the persistent domain: {count} > {configMax}");
            }

            if (config)
            {
                var updated = new XElement(dom.Persistent!);
                SetCurrentVcpus(updated, count);
                WriteDefinition(dom.Uuid, updated);
                dom.Persistent = updated;
            }

            if (live)
            {
                dom.Guest!.SetOnlineVcpus(count);
                SetCurrentVcpus(dom.Live!, count);
                lock (_sync)
                {
                    _usedVcpus = _usedVcpus - dom.ReservedVcpus + count;
                    dom.ReservedVcpus = count;
                }

                WriteRunRecord(dom);
            }
        }, cancellationToken);

    /// <summary>
    /// Attaches a disk or an interface given as libvirt device XML: to the running domain, to its
    /// persistent definition, or both. The device is completed as libvirt completes it (a generated MAC,
    /// the target bus, a drive address) and checked with the whole definition.
    /// </summary>
    public Task AttachDeviceAsync(string name, string deviceXml, DeviceScope scope = DeviceScope.Current, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            var device = ParseDevice(deviceXml);
            var (live, config) = Resolve(dom, scope);
            var kind = device.Name.LocalName;
            if (kind is not ("disk" or "interface"))
            {
                throw new RuntimeException(ErrorCode.OperationUnsupported, $"{(live ? "live" : "persistent")} attach of device '{DeviceTypeName(kind)}' is not supported");
            }

            XElement? newConfig = config ? WithDevice(dom.Persistent!, device) : null;
            XElement? newLive = live ? WithDevice(dom.Live!, device) : null;
            if (newConfig is not null)
            {
                WriteDefinition(dom.Uuid, newConfig);
                dom.Persistent = newConfig;
            }

            if (newLive is not null)
            {
                var model = DomainDefinition.FromXml(newLive);
                if (kind == "disk")
                {
                    // A hot-plugged disk must be there, as at start.
                    CheckDiskSources(new XElement("domain", new XElement("devices", new XElement(device))));
                }

                if (kind == "interface")
                {
                    var added = model.Devices.Interfaces[^1];
                    if (PlugInterface(dom, added) is { } tap)
                    {
                        dom.Taps[added.Mac] = tap;
                    }
                }

                dom.Live = newLive;
                dom.Guest!.SetDevices([.. model.Devices.Disks.Select(d => d.Target)], [.. model.Devices.Interfaces.Select(n => n.Mac)]);
                WriteRunRecord(dom);
            }
        }, cancellationToken);

    /// <summary>
    /// Detaches a disk (matched by its target) or an interface (matched by its MAC) from the running domain,
    /// its persistent definition, or both.
    /// </summary>
    public Task DetachDeviceAsync(string name, string deviceXml, DeviceScope scope = DeviceScope.Current, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            var device = ParseDevice(deviceXml);
            var (live, config) = Resolve(dom, scope);
            var kind = device.Name.LocalName;
            if (kind is not ("disk" or "interface"))
            {
                throw new RuntimeException(ErrorCode.OperationUnsupported, $"{(live ? "live" : "persistent")} detach of device '{DeviceTypeName(kind)}' is not supported");
            }

            XElement? newConfig = null;
            XElement? newLive = null;
            string? removedMac = null;
            string? removedConfigMac = null;
            if (config)
            {
                newConfig = new XElement(dom.Persistent!);
                var found = FindDevice(newConfig, device, live: false);
                removedConfigMac = kind == "interface" ? found.El("mac").A("address") : null;
                found.Remove();
            }

            if (live)
            {
                newLive = new XElement(dom.Live!);
                var found = FindDevice(newLive, device, live: true);
                removedMac = kind == "interface" ? found.El("mac").A("address") : null;
                found.Remove();
            }

            if (newConfig is not null)
            {
                WriteDefinition(dom.Uuid, newConfig);
                dom.Persistent = newConfig;
                if (removedConfigMac is not null)
                {
                    // The interface is gone from the definition: its address goes back to the network.
                    _leases.ReleaseMac(dom.Uuid, removedConfigMac);
                }
            }

            if (newLive is not null)
            {
                if (removedMac is not null)
                {
                    UnplugInterface(dom, removedMac);
                }

                dom.Live = newLive;
                var model = DomainDefinition.FromXml(newLive);
                dom.Guest!.SetDevices([.. model.Devices.Disks.Select(d => d.Target)], [.. model.Devices.Interfaces.Select(n => n.Mac)]);
                WriteRunRecord(dom);
            }
        }, cancellationToken);

    /// <summary>libvirt's virDomainObjUpdateModificationImpact: which definitions a change applies to.</summary>
    private static (bool Live, bool Config) Resolve(DomainObject dom, DeviceScope scope)
    {
        var live = scope.HasFlag(DeviceScope.Live);
        var config = scope.HasFlag(DeviceScope.Config);
        if (!live && !config)
        {
            live = dom.IsActive;
            config = !dom.IsActive;
        }

        if (live && !dom.IsActive)
        {
            throw RuntimeException.NotRunning();
        }

        if (config && !dom.IsPersistent)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, "transient domains do not have any persistent config");
        }

        return (live, config);
    }

    private static string DeviceTypeName(string element) => element switch
    {
        "interface" => "net",
        "serial" or "parallel" or "console" or "channel" => "chr",
        _ => element,
    };

    private static XElement ParseDevice(string deviceXml)
    {
        ArgumentNullException.ThrowIfNull(deviceXml);
        var doc = SpecXmlReader.Parse(deviceXml, Schema.Xml.XmlLimits.Default, out var error);
        if (doc?.Root is null)
        {
            throw RuntimeException.FromSchema(error ?? new SchemaError(ErrorCode.XmlError, ErrorCode.XmlError.Format(string.Empty), 1, 1));
        }

        return doc.Root;
    }

    /// <summary>
    /// The definition with <paramref name="device"/> added where libvirt adds it (a disk sorted by bus and
    /// target as virDomainDiskInsert does, an interface last), completed and checked by the schema layer.
    /// </summary>
    private XElement WithDevice(XElement def, XElement device)
    {
        var copy = new XElement(def);
        var devices = copy.GetOrAdd("devices");
        var added = new XElement(device);
        if (device.Name.LocalName == "disk" && device.El("target").A("dev") is { } dev &&
            def.El("devices").Els("disk").Any(d => d.El("target").A("dev") == dev))
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, $"target {dev} already exists");
        }

        devices.Add(added);
        var doc = LibvirtSchema.LoadText("device.xml", LibvirtXmlWriter.Format(copy), new SchemaOptions { Identity = new HostIdentity(this) });
        if (doc.Errors.Count > 0)
        {
            throw RuntimeException.FromSchema(doc.Errors[0]);
        }

        var result = doc.Effective!;
        if (device.Name.LocalName == "disk")
        {
            var target = device.El("target").A("dev");
            var disk = result.El("devices").Els("disk").Last(d => d.El("target").A("dev") == target);
            disk.Remove();
            InsertDisk(result.El("devices")!, disk);
        }

        return result;
    }

    /// <summary>virDomainDiskInsert: after the disks of the same bus that sort before it, else at the end.</summary>
    private static void InsertDisk(XElement devices, XElement disk)
    {
        var disks = devices.Els("disk").ToList();
        var bus = disk.El("target").A("bus");
        var index = DiskNameToIndex(disk.El("target").A("dev"));
        var insertAt = -1;
        for (var i = disks.Count - 1; i >= 0; i--)
        {
            if (disks[i].El("target").A("bus") != bus)
            {
                continue;
            }

            if (DiskNameToIndex(disks[i].El("target").A("dev")) > index)
            {
                insertAt = i;
            }
            else if (insertAt == -1)
            {
                insertAt = i + 1;
            }
        }

        if (insertAt == -1 || insertAt >= disks.Count)
        {
            if (disks.Count > 0)
            {
                disks[^1].AddAfterSelf(disk);
            }
            else
            {
                devices.AddFirst(disk);
            }
        }
        else
        {
            disks[insertAt].AddBeforeSelf(disk);
        }
    }

    /// <summary>virDiskNameToIndex: "vda" is 0, "sdb" 1, "hdaa" 26.</summary>
    private static long DiskNameToIndex(string? name)
    {
        if (name is null)
        {
            return -1;
        }

        var rest = name;
        foreach (var prefix in (string[])["fd", "hd", "vd", "sd", "xvd", "ubd"])
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal))
            {
                rest = name[prefix.Length..];
                break;
            }
        }

        long idx = 0;
        for (var i = 0; i < rest.Length && rest[i] is >= 'a' and <= 'z'; i++)
        {
            idx = (idx + (i < 1 ? 0 : 1)) * 26;
            idx += rest[i] - 'a';
        }

        return idx;
    }

    /// <summary>The device of <paramref name="def"/> that <paramref name="device"/> names, with libvirt's messages when there is none.</summary>
    private static XElement FindDevice(XElement def, XElement device, bool live)
    {
        var devices = def.El("devices");
        if (device.Name.LocalName == "disk")
        {
            var dev = device.El("target").A("dev");
            if (dev is null)
            {
                throw new RuntimeException(ErrorCode.NoTarget, device.El("source")?.Attributes().FirstOrDefault()?.Value ?? string.Empty);
            }

            return devices.Els("disk").FirstOrDefault(d => d.El("target").A("dev") == dev)
                ?? throw new RuntimeException(ErrorCode.DeviceMissing, live ? $"disk {dev} not found" : $"no target device {dev}");
        }

        var mac = device.El("mac").A("address");
        var nets = devices.Els("interface").Where(n => mac is null || string.Equals(n.El("mac").A("address"), mac, StringComparison.OrdinalIgnoreCase)).ToList();
        if (nets.Count > 1)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, mac is null ? "multiple matching devices found" : $"multiple devices matching MAC address {mac} found");
        }

        return nets.Count == 1
            ? nets[0]
            : throw new RuntimeException(ErrorCode.DeviceMissing, $"no device found at address '(<null>)' matching MAC address '{mac?.ToLowerInvariant() ?? "(<null>)"}' and alias '(<null>)'");
    }

    private static void SetCurrentMemory(XElement def, ulong kib)
    {
        var current = def.El("currentMemory");
        if (current is null)
        {
            current = new XElement("currentMemory");
            (def.El("memory") ?? def.Elements().Last()).AddAfterSelf(current);
        }

        current.SetAttributeValue("unit", "KiB");
        current.Value = kib.ToString(CultureInfo.InvariantCulture);
    }

    private static void SetCurrentVcpus(XElement def, int count)
    {
        var vcpu = def.El("vcpu")!;
        var max = int.Parse(vcpu.Value.Trim(), CultureInfo.InvariantCulture);
        vcpu.SetAttributeValue("current", count == max ? null : count.ToString(CultureInfo.InvariantCulture));
    }
}
