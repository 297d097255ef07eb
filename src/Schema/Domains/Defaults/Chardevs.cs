using System.Xml.Linq;
using Reconciler.Schema.Domains.Devices;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

/// <summary>
/// A character device (serial, parallel, console, channel) as libvirt's virDomainChrDef holds it. The
/// element is rebuilt from this in virDomainChrDefFormat's form; device info and unknown children of
/// the original element are carried over.
/// </summary>
internal sealed class ChrDevice
{
    public required string DeviceType { get; set; }

    public required string Type { get; set; }

    public string TargetType { get; set; } = "none";

    public string? TargetModel { get; set; }

    public int Port { get; set; } = -1;

    public XElement? TargetExtra { get; init; }

    public required XElement Original { get; init; }

    /// <summary>The source-side children (source, protocol, log) as libvirt formats them for inactive XML.</summary>
    public List<XElement> Source { get; init; } = [];

    public static ChrDevice Parse(XElement element)
    {
        var device = element.Name.LocalName;
        var chr = new ChrDevice
        {
            DeviceType = device,
            Type = element.A("type") ?? "pty",
            Original = element,
            TargetExtra = element.El("target"),
        };
        var target = element.El("target");
        var targetType = target.A("type");
        chr.TargetType = device switch
        {
            "parallel" => "none",
            _ => targetType ?? "none",
        };
        chr.TargetModel = target.El("model").A("name");
        if (device is not "channel" && target?.A("port") is { } port && CNumber.TryParseUInt(port, 10, out var p))
        {
            chr.Port = (int)p;
        }

        chr.Source.AddRange(ParseSource(element, chr.Type));
        return chr;
    }

    /// <summary>virDomainChrSourceDefParseXML + virDomainChrSourceDefFormat for the children of <paramref name="element"/>.</summary>
    public static IEnumerable<XElement> ParseSource(XElement element, string type)
    {
        var sources = element.Els("source").ToList();
        var first = sources.FirstOrDefault();
        var seclabels = first?.Els("seclabel").ToList() ?? [];
        switch (type)
        {
            case "pty":
                // A pty's path is only read from live XML.
                break;
            case "dev" or "file" or "pipe":
                var attrs = new List<object>();
                if (first?.A("path") is { } filePath)
                {
                    attrs.Add(new XAttribute("path", filePath));
                }

                if (type == "file" && first?.A("append") is { } append)
                {
                    attrs.Add(new XAttribute("append", append));
                }

                if (attrs.Count > 0 || seclabels.Count > 0)
                {
                    yield return new XElement("source", attrs, seclabels);
                }

                break;
            case "unix":
                if (first?.A("path") is { } path)
                {
                    var s = new XElement("source",
                        new XAttribute("mode", first.A("mode") == "bind" ? "bind" : "connect"),
                        new XAttribute("path", path),
                        seclabels);
                    if (Reconnect(first) is { } r)
                    {
                        s.Add(r);
                    }

                    yield return s;
                }

                break;
            case "udp":
                string? bindHost = null, bindService = null, connectHost = null, connectService = null;
                foreach (var s in sources.Take(2))
                {
                    var mode = s.A("mode") ?? "connect";
                    if (mode == "connect" && connectHost is null && connectService is null)
                    {
                        connectHost = s.A("host");
                        connectService = s.A("service");
                    }
                    else if (mode == "bind" && bindHost is null && bindService is null)
                    {
                        bindHost = s.A("host");
                        bindService = s.A("service");
                    }
                }

                if (bindHost is not null || bindService is not null)
                {
                    yield return HostService("bind", bindHost, bindService);
                }

                if (connectHost is not null || connectService is not null)
                {
                    yield return HostService("connect", connectHost, connectService);
                }

                break;
            case "tcp":
                var tcp = HostService(first?.A("mode") == "bind" ? "bind" : "connect", first?.A("host"), first?.A("service"));
                if (first?.A("tls") is { } tls)
                {
                    tcp.Add(new XAttribute("tls", tls));
                }

                if (first is not null && Reconnect(first) is { } rc)
                {
                    tcp.Add(rc);
                }

                yield return tcp;
                yield return new XElement("protocol", new XAttribute("type", element.El("protocol").A("type") ?? "raw"));
                break;
            case "spiceport" or "dbus":
                var channel = first?.A("channel");
                if (channel is null && type == "dbus" && element.Name.LocalName == "redirdev")
                {
                    // virDomainRedirdevDefParseXML: a D-Bus redirdev uses the standard usbredir channel.
                    channel = "org.qemu.usbredir";
                }

                if (channel is not null)
                {
                    yield return new XElement("source", new XAttribute("channel", channel));
                }

                break;
            case "nmdm":
                if (first is not null)
                {
                    yield return new XElement("source",
                        first.A("master") is { } m ? new XAttribute("master", m) : null,
                        first.A("slave") is { } sl ? new XAttribute("slave", sl) : null);
                }

                break;
            case "qemu-vdagent":
                var clipboard = first.El("clipboard").A("copypaste");
                var mouse = first.El("mouse").A("mode");
                if (clipboard is not null || mouse is not null)
                {
                    yield return new XElement("source",
                        clipboard is null ? null : new XElement("clipboard", new XAttribute("copypaste", clipboard)),
                        mouse is null ? null : new XElement("mouse", new XAttribute("mode", mouse)));
                }

                break;
        }

        var log = element.El("log");
        if (log?.A("file") is { } file)
        {
            yield return new XElement("log", new XAttribute("file", file), log.A("append") is { } la ? new XAttribute("append", la) : null);
        }
    }

    private static XElement HostService(string mode, string? host, string? service) =>
        new("source",
            new XAttribute("mode", mode),
            host is null ? null : new XAttribute("host", host),
            service is null ? null : new XAttribute("service", service));

    private static XElement? Reconnect(XElement source)
    {
        var reconnect = source.El("reconnect");
        var enabled = reconnect.A("enabled");
        if (enabled is null)
        {
            return null;
        }

        return new XElement("reconnect",
            new XAttribute("enabled", enabled),
            enabled == "yes" && reconnect!.A("timeout") is { } t ? new XAttribute("timeout", t) : null);
    }

    /// <summary>True when two sources are the same (virDomainChrSourceDefIsEqual, for inactive XML).</summary>
    public bool SameSourceAs(ChrDevice other) =>
        Type == other.Type &&
        Source.Count == other.Source.Count &&
        Source.Zip(other.Source).All(p => XNode.DeepEquals(p.First, p.Second));

    /// <summary>virDomainChrDefFormat: the element rebuilt in libvirt's form.</summary>
    public XElement Format(string? asDeviceType = null, string? asTargetType = null)
    {
        var deviceType = asDeviceType ?? DeviceType;
        var targetType = asTargetType ?? TargetType;
        var element = new XElement(deviceType, new XAttribute("type", Type));
        foreach (var s in Source)
        {
            element.Add(new XElement(s));
        }

        element.Add(FormatTarget(deviceType, targetType));
        foreach (var info in Original.Elements().Where(e => DeviceInfo.Order.Contains(e.Name.LocalName)))
        {
            element.Add(new XElement(info));
        }

        DeviceInfo.Normalize(element, allowBoot: false, allowRom: false);
        return element;
    }

    private XElement FormatTarget(string deviceType, string targetType)
    {
        switch (deviceType)
        {
            case "channel":
                var target = new XElement("target", new XAttribute("type", targetType));
                if (targetType == "guestfwd")
                {
                    target.Set("address", TargetExtra.A("address"));
                    target.Set("port", CNumber.TryParseUInt(TargetExtra.A("port"), 10, out var gp) ? CNumber.Dec(gp) : TargetExtra.A("port"));
                }
                else if (targetType is "virtio" or "xen")
                {
                    target.Set("name", TargetExtra.A("name"));
                }

                return target;
            case "console":
                return new XElement("target", new XAttribute("type", targetType), new XAttribute("port", Port));
            case "serial":
                var serial = new XElement("target");
                if (targetType != "none")
                {
                    serial.Add(new XAttribute("type", targetType));
                }

                serial.Add(new XAttribute("port", Port));
                if (TargetModel is not null and not "none")
                {
                    serial.Add(new XElement("model", new XAttribute("name", TargetModel)));
                }

                return serial;
            default:
                return new XElement("target", new XAttribute("port", Port));
        }
    }
}
