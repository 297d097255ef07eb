using System.Globalization;
using System.Xml;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Defaults;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>One device as libvirt's virDomainDeviceInfoIterateFlags visits it.</summary>
/// <param name="Kind">The device kind (the element name; "hostdev" for the host device of an interface).</param>
/// <param name="Element">The device element.</param>
/// <param name="ParentNet">True for the hostdev libvirt keeps for an &lt;interface type='hostdev'&gt;.</param>
internal sealed record DomainDevice(string Kind, XElement Element, bool ParentNet = false)
{
    /// <summary>
    /// False when libvirt does not read the device info (address, alias, boot) of this device: a memballoon
    /// or USB controller of model 'none'.
    /// </summary>
    public bool HasInfo => !(Kind is "memballoon" or "controller" && Element.A("model") == "none" &&
                             (Kind == "memballoon" || Element.A("type") == "usb")) &&
                           Kind is not ("graphics" or "audio" or "lease");
}

/// <summary>A drive address (controller, bus, target, unit).</summary>
internal readonly record struct DriveAddress(uint Controller, uint Bus, uint Target, uint Unit)
{
    /// <summary>The drive address of a device, or null when it has no address of type 'drive'.</summary>
    public static DriveAddress? Of(XElement? device)
    {
        var address = device.El("address");
        if (address?.A("type") != "drive")
        {
            return null;
        }

        return new DriveAddress(
            ValidateRules.UInt(address, "controller"),
            ValidateRules.UInt(address, "bus"),
            ValidateRules.UInt(address, "target"),
            ValidateRules.UInt(address, "unit"));
    }

    public override string ToString() =>
        $"controller='{Controller}' bus='{Bus}' target='{Target}' unit='{Unit}'";
}

/// <summary>Shared helpers of the post-parse and validation rules (virDomainDefPostParse, virDomainDefValidate).</summary>
internal static partial class ValidateRules
{
    private static Problem P(ErrorCode code, string detail, XObject? at) => new(code, detail, at ?? new XElement("unknown"));

    /// <summary>An unsigned attribute as the defaults write it (decimal, or 0x hex); 0 when absent or not a number.</summary>
    internal static uint UInt(XElement? element, string name) =>
        CNumber.TryParseUInt(element.A(name), 0, out var v) ? v : 0;

    /// <summary>An unsigned attribute, or null when it is absent or not a number.</summary>
    internal static ulong? ULong(XElement? element, string name, int numberBase = 10) =>
        CNumber.TryParseULong(element.A(name), numberBase, out var v) ? v : null;

    /// <summary>A signed attribute, or null when it is absent or not a number.</summary>
    internal static long? Long(XElement? element, string name) =>
        CNumber.TryParseLong(element.A(name), out var v) ? v : null;

    /// <summary>The unsigned text of an element, or null.</summary>
    internal static ulong? ULongText(XElement? element) =>
        element is not null && CNumber.TryParseULong(element.Value.Trim(), 10, out var v) ? v : null;

    internal static string Dec(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// True when the node was read from the file. Nodes the defaults create carry no line information,
    /// which tells a written address from one libvirt's post-parse assigned.
    /// </summary>
    internal static bool IsWritten(XObject? node) => node is IXmlLineInfo info && info.HasLineInfo();

    /// <summary>
    /// Where to report a problem found at <paramref name="at"/>. The defaults rebuild character devices, so
    /// those elements carry no position: point at the device of the same kind and rank as written instead.
    /// </summary>
    internal static XObject Locate(DomainXml d, XObject at)
    {
        if (IsWritten(at) || WrittenDomain.Of(d) is not { } written)
        {
            return at;
        }

        var device = at as XElement ?? at.Parent;
        while (device is not null && device.Parent != d.Devices)
        {
            device = device.Parent;
        }

        if (device is null || !device.Is("serial", "parallel", "channel", "console") || IsWritten(device))
        {
            return at;
        }

        var rank = device.ElementsBeforeSelf(device.Name).Count();
        return written.El("devices").Els(device.Name.LocalName).ElementAtOrDefault(rank) is { } original
            ? WrittenDomain.At(original)
            : at;
    }

    internal static string Arch(DomainXml d) => DomainDefaults.Arch(d.Root);

    internal static string OsType(DomainXml d) => DomainDefaults.OsType(d.Root);

    internal static bool IsVirtioModel(string? model) => model is "virtio" or "virtio-transitional" or "virtio-non-transitional";

    /// <summary>
    /// The devices in the order of virDomainDeviceInfoIterateFlags: disks, interfaces, sounds, hostdevs
    /// (those of hostdev interfaces first, as the parser inserts them), videos, controllers, smartcards,
    /// serials, parallels, channels, consoles, inputs, filesystems, watchdog, memballoon, RNGs, NVRAM,
    /// hubs, shmems, TPMs, panics, memory devices, redirdevs, IOMMU, vsock; with
    /// <paramref name="missingInfo"/> also graphics, audio and leases. Without <paramref name="allConsoles"/>
    /// the first console of an HVM guest (the serial port's alias) is skipped.
    /// </summary>
    internal static IEnumerable<DomainDevice> Devices(DomainXml d, bool allConsoles, bool missingInfo)
    {
        var devices = d.Devices;
        if (devices is null)
        {
            return [];
        }

        // One pass over the children (rather than one per kind), then a stable sort by kind.
        var found = new List<(int Rank, int Seq, DomainDevice Device)>();
        var seq = 0;
        var consoles = 0;
        var none = XNamespace.None;
        for (var node = devices.FirstNode; node is not null; node = node.NextNode)
        {
            if (node is not XElement e || e.Name.Namespace != none)
            {
                continue;
            }

            var kind = e.Name.LocalName;
            var rank = DeviceRank(kind);
            if (rank < 0 || (rank >= MissingInfoRank && !missingInfo))
            {
                continue;
            }

            if (kind == "console")
            {
                var skip = !allConsoles && consoles == 0 && OsType(d) == "hvm" && e.El("target").A("type") is null or "serial" or "none";
                consoles++;
                if (skip)
                {
                    continue;
                }
            }

            found.Add((rank, seq++, new DomainDevice(kind, e)));
            if (kind == "interface" && e.A("type") == "hostdev")
            {
                found.Add((HostdevOfInterfaceRank, seq++, new DomainDevice("hostdev", e, ParentNet: true)));
            }
        }

        found.Sort(static (x, y) => x.Rank != y.Rank ? x.Rank.CompareTo(y.Rank) : x.Seq.CompareTo(y.Seq));
        return found.ConvertAll(static f => f.Device);
    }

    private const int HostdevOfInterfaceRank = 3;

    private const int MissingInfoRank = 26;

    /// <summary>The place of a device kind in virDomainDeviceInfoIterateFlags' order, or -1 for other elements.</summary>
    private static int DeviceRank(string kind) => kind switch
    {
        "disk" => 0,
        "interface" => 1,
        "sound" => 2,
        "hostdev" => 4,
        "video" => 5,
        "controller" => 6,
        "smartcard" => 7,
        "serial" => 8,
        "parallel" => 9,
        "channel" => 10,
        "console" => 11,
        "input" => 12,
        "filesystem" => 13,
        "watchdog" => 14,
        "memballoon" => 15,
        "rng" => 16,
        "nvram" => 17,
        "hub" => 18,
        "shmem" => 19,
        "tpm" => 20,
        "panic" => 21,
        "memory" => 22,
        "redirdev" => 23,
        "iommu" => 24,
        "vsock" => 25,
        "graphics" => 26,
        "audio" => 27,
        "lease" => 28,
        _ => -1,
    };
}
