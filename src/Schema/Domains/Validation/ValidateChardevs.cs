using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Defaults;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainChrSourceDefValidate and the devices built on a character device source.</summary>
internal static partial class ValidateRules
{
    private const string ChannelNameChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.";

    /// <summary>
    /// virDomainChrSourceDefValidate for the source held by <paramref name="owner"/> (its &lt;source&gt;
    /// children), of type <paramref name="type"/>; <paramref name="chr"/> is the serial, parallel, channel
    /// or console it belongs to, if any.
    /// </summary>
    private static Problem? ChrSource(DomainXml d, XElement owner, string type, XElement? chr)
    {
        var sources = owner.Els("source").ToList();
        var first = sources.FirstOrDefault();
        switch (type)
        {
            case "file" or "dev" or "pipe":
                if (first?.A("path") is null)
                {
                    return P(ErrorCode.InternalError, "Missing source path attribute for char device", owner);
                }

                break;
            case "nmdm":
                if ((first?.A("master") is null) != (first?.A("slave") is null))
                {
                    return P(ErrorCode.InternalError, "Should define both master and slave path attributes for nmdm device", owner);
                }

                break;
            case "tcp":
                if (first?.A("host") is null)
                {
                    return P(ErrorCode.InternalError, "Missing source host attribute for char device", owner);
                }

                if (first.A("service") is null)
                {
                    return P(ErrorCode.InternalError, "Missing source service attribute for char device", owner);
                }

                if (first.A("mode") == "bind" && first.El("reconnect")?.A("enabled") is not null)
                {
                    return P(ErrorCode.InternalError, "chardev reconnect is possible only for connect mode", first.El("reconnect"));
                }

                break;
            case "udp":
                if (sources.FirstOrDefault(s => s.A("mode") == "connect")?.A("service") is null)
                {
                    return P(ErrorCode.InternalError, "Missing source service attribute for char device", owner);
                }

                break;
            case "unix":
                var generated = chr.Is("channel") && chr.El("target").A("type") is "xen" or "virtio";
                if (first?.A("path") is null && !generated)
                {
                    return P(ErrorCode.InternalError, "Missing source path attribute for char device", owner);
                }

                if (first?.A("mode") == "bind" && first.El("reconnect")?.A("enabled") is not null)
                {
                    return P(ErrorCode.InternalError, "chardev reconnect is possible only for connect mode", first.El("reconnect"));
                }

                break;
            case "spiceport" or "dbus":
                var channel = first?.A("channel");
                if (channel is null)
                {
                    return P(ErrorCode.ConfigUnsupported, "Missing source channel attribute for char device", owner);
                }

                if (channel.Any(c => !ChannelNameChars.Contains(c)))
                {
                    return P(ErrorCode.InvalidArgument, "Invalid character in source channel for char device", first);
                }

                break;
        }

        foreach (var source in sources)
        {
            if (DeviceSeclabels(d, source) is { } problem)
            {
                return problem;
            }
        }

        return null;
    }

    /// <summary>virDomainChrDefValidate: a serial, parallel, channel or console.</summary>
    private static Problem? Chr(DomainXml d, XElement chr) => ChrSource(d, chr, chr.A("type") ?? "pty", chr);

    /// <summary>virDomainRedirdevDefValidate: USB redirection needs a USB controller.</summary>
    private static Problem? Redirdev(DomainXml d, XElement redirdev)
    {
        if ((redirdev.A("bus") ?? "usb") == "usb" &&
            !d.DevicesOf("controller").Any(c => c.A("type") == "usb" && c.A("model") != "none"))
        {
            return P(ErrorCode.ConfigUnsupported, "cannot add redirected USB device: USB is disabled for this domain", redirdev);
        }

        return ChrSource(d, redirdev, redirdev.A("type") ?? "null", null);
    }

    /// <summary>virDomainSmartcardDefValidate.</summary>
    private static Problem? Smartcard(DomainXml d, XElement smartcard)
    {
        var addressType = smartcard.El("address").A("type");
        if (addressType is not null and not "ccid")
        {
            return P(ErrorCode.ConfigUnsupported, "Controllers must use the 'ccid' address type", smartcard.El("address"));
        }

        return smartcard.A("mode") == "passthrough"
            ? ChrSource(d, smartcard, smartcard.A("type") ?? "pty", null)
            : null;
    }

    /// <summary>virDomainRNGDefValidate: the EGD backend's character device.</summary>
    private static Problem? Rng(DomainXml d, XElement rng)
    {
        var backend = rng.El("backend");
        return backend?.A("model") == "egd" && backend.A("type") is { } type
            ? ChrSource(d, backend, type, null)
            : null;
    }

    /// <summary>
    /// True for the first console of an HVM guest when it stands for the first serial port: the defaults
    /// rebuild it from the serial port, but libvirt keeps a console of its own there.
    /// </summary>
    private static bool IsCompatConsole(DomainXml d, XElement device) =>
        device.Is("console") && OsType(d) == "hvm" && device.El("target").A("type") == "serial" &&
        d.Memo("chardev: a serial port", static d => d.DevicesOf("serial").Any()) &&
        d.Memo("chardev: the first console", static d => d.DevicesOf("console").First()) == device;

    /// <summary>
    /// The first console as virDomainDefAddConsoleCompat leaves it, as written: the console itself when it was
    /// written beside a serial port with the same source, otherwise null (libvirt puts an empty stub there).
    /// </summary>
    private static XElement? CompatConsole(DomainXml d)
    {
        var devices = WrittenDomain.Of(d).El("devices");
        var serial = devices.Els("serial").FirstOrDefault();
        var console = devices.Els("console").FirstOrDefault();
        if (serial is null || console is null || console.El("target").A("type") is not (null or "none" or "serial"))
        {
            return null;
        }

        return ChrDevice.Parse(serial).SameSourceAs(ChrDevice.Parse(console)) ? console : null;
    }
}
