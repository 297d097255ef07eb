using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains.Defaults;

internal static partial class DomainDefaults
{
    private static readonly string[] SpiceChannelNames = ["main", "display", "inputs", "cursor", "playback", "record", "smartcard", "usbredir"];

    /// <summary>
    /// virDomainGraphicsDefParseXML / virDomainGraphicsDefFormat for inactive XML: listen elements (with
    /// the legacy listen/socket attributes folded in), autoport, and no password (a secret).
    /// </summary>
    private static void ApplyGraphics(XElement root, XElement graphics)
    {
        var type = graphics.A("type");
        var rebuilt = new XElement("graphics", new XAttribute("type", type ?? string.Empty));
        var listens = type is "vnc" or "spice" or "rdp" ? ParseListens(graphics, type) : [];
        var first = listens.FirstOrDefault();
        switch (type)
        {
            case "vnc":
                {
                    var portText = graphics.A("port");
                    var autoport = false;
                    var port = 0;
                    if (portText is not null)
                    {
                        _ = CNumber.TryParseInt(portText, out port);
                        if (port == -1)
                        {
                            port = 0;
                            autoport = true;
                        }
                    }
                    else
                    {
                        autoport = true;
                    }

                    if (graphics.A("autoport") is { } ap)
                    {
                        autoport = ap == "yes" || (ap != "no" && autoport);
                        if (autoport)
                        {
                            port = 0;
                        }
                    }

                    if (first?.A("type") == "socket")
                    {
                        rebuilt.Set("socket", first.A("socket"));
                    }
                    else if (first?.A("type") is "address" or "network")
                    {
                        if (port != 0 && !autoport)
                        {
                            rebuilt.Set("port", port);
                        }
                        else if (autoport)
                        {
                            rebuilt.Set("port", "-1");
                        }

                        rebuilt.Set("autoport", autoport ? "yes" : "no");
                        if (graphics.A("websocket") is { } ws && ws != "0")
                        {
                            rebuilt.Set("websocket", ws);
                        }

                        if (first.A("type") == "address" && first.A("address") is { } addr)
                        {
                            rebuilt.Set("listen", addr);
                        }
                    }

                    rebuilt.Set("keymap", graphics.A("keymap"));
                    rebuilt.Set("sharePolicy", graphics.A("sharePolicy"));
                    rebuilt.Set("powerControl", graphics.A("powerControl"));
                    AddAuth(rebuilt, graphics);
                    rebuilt.Add(listens);
                    if (graphics.El("audio")?.A("id") is { } audio)
                    {
                        rebuilt.Add(new XElement("audio", new XAttribute("id", audio)));
                    }

                    break;
                }

            case "spice":
                {
                    _ = CNumber.TryParseInt(graphics.A("port"), out var port);
                    _ = CNumber.TryParseInt(graphics.A("tlsPort"), out var tlsPort);
                    var autoport = graphics.A("autoport") == "yes" || (port == -1 && tlsPort == -1);
                    if (autoport)
                    {
                        port = 0;
                        tlsPort = 0;
                    }

                    // virDomainDefPostParseGraphics: no ports and no autoport means "listen nowhere".
                    if (first?.A("type") == "address" && port == 0 && tlsPort == 0 && !autoport)
                    {
                        first.RemoveAttributes();
                        first.Set("type", "none");
                    }

                    if (first?.A("type") is "address" or "network")
                    {
                        if (port != 0)
                        {
                            rebuilt.Set("port", port);
                        }

                        if (tlsPort != 0)
                        {
                            rebuilt.Set("tlsPort", tlsPort);
                        }

                        rebuilt.Set("autoport", autoport ? "yes" : "no");
                        if (first.A("type") == "address" && first.A("address") is { } addr)
                        {
                            rebuilt.Set("listen", addr);
                        }
                    }

                    rebuilt.Set("keymap", graphics.A("keymap"));
                    if (graphics.A("defaultMode") is { } mode && mode != "any")
                    {
                        rebuilt.Set("defaultMode", mode);
                    }

                    AddAuth(rebuilt, graphics);
                    rebuilt.Add(listens);
                    var channels = graphics.Els("channel")
                        .Where(c => c.A("mode") != "any" && Array.IndexOf(SpiceChannelNames, c.A("name")) >= 0)
                        .GroupBy(c => c.A("name")).Select(g => g.Last())
                        .OrderBy(c => Array.IndexOf(SpiceChannelNames, c.A("name")));
                    foreach (var c in channels)
                    {
                        rebuilt.Add(new XElement("channel", new XAttribute("name", c.A("name")!), new XAttribute("mode", c.A("mode") ?? string.Empty)));
                    }

                    foreach (var (name, attr) in (ReadOnlySpan<(string, string)>)[("image", "compression"), ("jpeg", "compression"), ("zlib", "compression"), ("playback", "compression"), ("streaming", "mode"), ("mouse", "mode"), ("clipboard", "copypaste"), ("filetransfer", "enable")])
                    {
                        if (graphics.El(name)?.A(attr) is { } v)
                        {
                            rebuilt.Add(new XElement(name, new XAttribute(attr, v)));
                        }
                    }

                    if (graphics.El("gl") is { } gl && gl.A("enable") is { } enable)
                    {
                        rebuilt.Add(new XElement("gl", new XAttribute("enable", enable), gl.A("rendernode") is { } rn ? new XAttribute("rendernode", rn) : null));
                    }

                    break;
                }

            case "rdp":
                {
                    var portText = graphics.A("port");
                    var autoport = false;
                    var port = 0;
                    if (portText is not null)
                    {
                        _ = CNumber.TryParseInt(portText, out port);
                        autoport = port == -1;
                    }
                    else
                    {
                        autoport = true;
                    }

                    if (graphics.A("autoport") == "yes")
                    {
                        autoport = true;
                    }

                    if (autoport)
                    {
                        port = 0;
                    }

                    if (port != 0)
                    {
                        rebuilt.Set("port", port);
                    }
                    else if (autoport)
                    {
                        rebuilt.Set("port", "0");
                    }

                    if (autoport)
                    {
                        rebuilt.Set("autoport", "yes");
                    }

                    if (graphics.A("replaceUser") == "yes")
                    {
                        rebuilt.Set("replaceUser", "yes");
                    }

                    if (graphics.A("multiUser") == "yes")
                    {
                        rebuilt.Set("multiUser", "yes");
                    }

                    if (first?.A("type") == "address" && first.A("address") is { } addr)
                    {
                        rebuilt.Set("listen", addr);
                    }

                    rebuilt.Add(listens);
                    break;
                }

            case "sdl":
                rebuilt.Set("display", graphics.A("display"));
                rebuilt.Set("xauth", graphics.A("xauth"));
                if (graphics.A("fullscreen") == "yes")
                {
                    rebuilt.Set("fullscreen", "yes");
                }

                if (graphics.El("gl")?.A("enable") is { } sdlGl)
                {
                    rebuilt.Add(new XElement("gl", new XAttribute("enable", sdlGl)));
                }

                break;
            case "desktop":
                rebuilt.Set("display", graphics.A("display"));
                if (graphics.A("fullscreen") == "yes")
                {
                    rebuilt.Set("fullscreen", "yes");
                }

                break;
            case "egl-headless":
                if (graphics.El("gl")?.A("rendernode") is { } rendernode)
                {
                    rebuilt.Add(new XElement("gl", new XAttribute("rendernode", rendernode)));
                }

                break;
            case "dbus":
                if (graphics.A("p2p") == "yes")
                {
                    rebuilt.Set("p2p", "yes");
                }

                rebuilt.Set("address", graphics.A("address"));
                if (graphics.El("gl") is { } dgl && dgl.A("enable") is { } den)
                {
                    rebuilt.Add(new XElement("gl", new XAttribute("enable", den), dgl.A("rendernode") is { } drn ? new XAttribute("rendernode", drn) : null));
                }

                if (graphics.El("audio")?.A("id") is { } daudio)
                {
                    rebuilt.Add(new XElement("audio", new XAttribute("id", daudio)));
                }

                break;
            default:
                return;
        }

        graphics.ReplaceWith(rebuilt);
    }

    /// <summary>virDomainGraphicsListensParseXML: explicit listens, or one built from the legacy attributes.</summary>
    private static List<XElement> ParseListens(XElement graphics, string type)
    {
        var listens = new List<XElement>();
        var addressCompat = graphics.A("listen");
        var socketCompat = type == "vnc" ? graphics.A("socket") : null;
        var index = 0;
        foreach (var l in graphics.Els("listen"))
        {
            var ltype = l.A("type") ?? "address";
            var listen = new XElement("listen", new XAttribute("type", ltype));
            var address = l.A("address");
            if (ltype == "address" && address is null && index == 0)
            {
                address = addressCompat;
            }

            if (!string.IsNullOrEmpty(address) && ltype == "address")
            {
                listen.Set("address", address);
            }

            if (ltype == "network" && !string.IsNullOrEmpty(l.A("network")))
            {
                listen.Set("network", l.A("network"));
            }

            var socket = l.A("socket");
            if (ltype == "socket" && socket is null && index == 0)
            {
                socket = socketCompat;
            }

            if (ltype == "socket" && !string.IsNullOrEmpty(socket))
            {
                listen.Set("socket", socket);
            }

            listens.Add(listen);
            index++;
        }

        XElement compat;
        if (socketCompat is not null)
        {
            compat = new XElement("listen", new XAttribute("type", "socket"), new XAttribute("socket", socketCompat));
        }
        else
        {
            compat = new XElement("listen", new XAttribute("type", "address"));
            if (!string.IsNullOrEmpty(addressCompat))
            {
                compat.Set("address", addressCompat);
            }
        }

        if (listens.Count == 0)
        {
            listens.Add(compat);
        }
        else if (listens[0].A("type") is "address" or "network" && compat.A("type") == "socket")
        {
            listens[0] = compat;
        }

        return listens;
    }

    private static void AddAuth(XElement rebuilt, XElement graphics)
    {
        // The password itself is a secret and not formatted; its validity and policy are.
        if (graphics.A("passwd") is null)
        {
            return;
        }

        rebuilt.Set("passwdValidTo", graphics.A("passwdValidTo"));
        rebuilt.Set("connected", graphics.A("connected"));
    }
}
