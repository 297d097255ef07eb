using System.Xml.Linq;
using Reconciler.Schema.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Model;

/// <summary>The devices of a domain that the runtime drives.</summary>
public sealed record DomainDevices(
    string? Emulator,
    ValueList<Disk> Disks,
    ValueList<Controller> Controllers,
    ValueList<NetInterface> Interfaces,
    ValueList<Graphics> Graphics,
    ValueList<Video> Videos,
    ValueList<CharDevice> Serials,
    ValueList<CharDevice> Consoles,
    ValueList<CharDevice> Channels,
    ValueList<InputDevice> Inputs,
    string? MemballoonModel)
{
    internal static DomainDevices FromXml(XElement? devices) =>
        new(devices.Text("emulator"),
            devices.Els("disk").Select(Disk.FromXml).ToValueList(),
            // libvirt addresses controllers by type and index; their order in the XML carries no meaning.
            devices.Els("controller").Select(Controller.FromXml).OrderBy(c => c.Type, StringComparer.Ordinal).ThenBy(c => c.Index).ToValueList(),
            devices.Els("interface").Select(NetInterface.FromXml).ToValueList(),
            devices.Els("graphics").Select(Model.Graphics.FromXml).ToValueList(),
            devices.Els("video").Select(Video.FromXml).ToValueList(),
            devices.Els("serial").Select(CharDevice.FromXml).ToValueList(),
            devices.Els("console").Select(CharDevice.FromXml).ToValueList(),
            devices.Els("channel").Select(CharDevice.FromXml).ToValueList(),
            devices.Els("input").Select(InputDevice.FromXml).ToValueList(),
            devices.El("memballoon").A("model"));
}

/// <summary>A device address as libvirt writes it: its type and the fields of that type.</summary>
public sealed record DeviceAddress(string Type, ValueList<KeyValuePair<string, string>> Fields)
{
    internal static DeviceAddress? FromXml(XElement? address) =>
        address?.A("type") is not { } type
            ? null
            : new DeviceAddress(type, address.Attributes().Where(a => a.Name.LocalName != "type")
                .Select(a => new KeyValuePair<string, string>(a.Name.LocalName, a.Value)).ToValueList());

    public string? this[string field] => Fields.FirstOrDefault(f => f.Key == field).Value;
}

/// <summary>Where a disk's data comes from: a file, a block device, a pool volume or a network protocol.</summary>
public sealed record DiskSource(string? Path, string? Pool, string? Volume, string? Protocol, string? Name, ValueList<string> Hosts)
{
    internal static DiskSource? FromXml(string type, XElement? source)
    {
        if (source is null)
        {
            return null;
        }

        return new DiskSource(
            type switch
            {
                "file" => source.A("file"),
                "block" => source.A("dev"),
                "dir" => source.A("dir"),
                "vhostuser" => source.A("path"),
                _ => null,
            },
            source.A("pool"),
            source.A("volume"),
            source.A("protocol"),
            source.A("name"),
            source.Els("host").Select(h => h.A("port") is { } port ? $"{h.A("name")}:{port}" : h.A("name") ?? h.A("socket") ?? string.Empty).ToValueList());
    }
}

public sealed record Disk(
    string Type,
    string Device,
    DiskSource? Source,
    string? DriverName,
    string? DriverType,
    string? Cache,
    string Target,
    string Bus,
    bool ReadOnly,
    bool Shareable,
    int? BootOrder,
    string? Serial,
    DeviceAddress? Address)
{
    internal static Disk FromXml(XElement disk)
    {
        var type = disk.A("type") ?? "file";
        var driver = disk.El("driver");
        var target = disk.El("target");
        return new Disk(
            type,
            disk.A("device") ?? "disk",
            DiskSource.FromXml(type, disk.El("source")),
            driver.A("name"),
            driver.A("type"),
            driver.A("cache"),
            target.A("dev") ?? string.Empty,
            target.A("bus") ?? string.Empty,
            disk.El("readonly") is not null,
            disk.El("shareable") is not null,
            disk.El("boot")?.A("order") is { } order ? (int)XmlNumbers.ULong(order) : null,
            disk.Text("serial"),
            DeviceAddress.FromXml(disk.El("address")));
    }
}

public sealed record Controller(string Type, int Index, string? Model, DeviceAddress? Address)
{
    internal static Controller FromXml(XElement c) =>
        new(c.A("type") ?? string.Empty, (int)XmlNumbers.ULong(c.A("index")), c.A("model"), DeviceAddress.FromXml(c.El("address")));
}

/// <summary>A network interface: its kind, MAC, model and what it is connected to.</summary>
public sealed record NetInterface(
    string Type,
    string Mac,
    string? Model,
    string? Network,
    string? PortGroup,
    string? Bridge,
    string? SourceDev,
    string? SourceMode,
    string? TargetDev,
    int? BootOrder,
    DeviceAddress? Address)
{
    internal static NetInterface FromXml(XElement net)
    {
        var source = net.El("source");
        return new NetInterface(
            net.A("type") ?? "user",
            net.El("mac").A("address") ?? string.Empty,
            net.El("model").A("type"),
            source.A("network"),
            source.A("portgroup"),
            source.A("bridge"),
            source.A("dev"),
            source.A("mode"),
            net.El("target").A("dev"),
            net.El("boot")?.A("order") is { } order ? (int)XmlNumbers.ULong(order) : null,
            DeviceAddress.FromXml(net.El("address")));
    }
}

/// <summary>A graphical console: VNC or SPICE with its port policy and listen address.</summary>
public sealed record Graphics(string Type, int? Port, bool AutoPort, string? Listen, string? Socket)
{
    internal static Graphics FromXml(XElement g)
    {
        var listen = g.El("listen");
        return new Graphics(
            g.A("type") ?? string.Empty,
            g.A("port") is { } port && int.TryParse(port, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : null,
            g.A("autoport") == "yes",
            listen.A("address"),
            listen.A("socket") ?? g.A("socket"));
    }
}

public sealed record Video(string Model, uint? VramKiB, uint Heads, bool Primary)
{
    internal static Video FromXml(XElement v)
    {
        var model = v.El("model");
        return new Video(model.A("type") ?? string.Empty, model.A("vram") is { } vram ? (uint)XmlNumbers.ULong(vram) : null, (uint)XmlNumbers.ULong(model.A("heads"), 1), model.A("primary") == "yes");
    }
}

/// <summary>A serial port, console or channel: host side type and path, guest side target.</summary>
public sealed record CharDevice(string Type, string? SourcePath, string? TargetType, int? Port, string? TargetName)
{
    internal static CharDevice FromXml(XElement chr)
    {
        var target = chr.El("target");
        return new CharDevice(
            chr.A("type") ?? "pty",
            chr.El("source").A("path"),
            target.A("type"),
            target.A("port") is { } port ? (int)XmlNumbers.ULong(port) : null,
            target.A("name"));
    }
}

public sealed record InputDevice(string Type, string? Bus)
{
    internal static InputDevice FromXml(XElement input) => new(input.A("type") ?? string.Empty, input.A("bus"));
}
