using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainNetDefValidate.</summary>
internal static partial class ValidateRules
{
    private static Problem? Net(XElement net)
    {
        var type = net.A("type") ?? "user";
        var mac = net.El("mac").A("address") ?? string.Empty;
        var source = net.El("source");
        if ((source.Els("ip").Any() || source.Els("route").Any()) && type != "ethernet")
        {
            return P(ErrorCode.ConfigUnsupported,
                $"Invalid attempt to set network interface host-side IP route and/or address info on interface of type '{type}'. This is only supported on interfaces of type 'ethernet'",
                source);
        }

        var target = net.El("target");
        if (target.A("managed") == "no" && type != "ethernet")
        {
            return P(ErrorCode.ConfigUnsupported, $"unmanaged target dev is not supported on interfaces of type '{type}'", target);
        }

        var teaming = net.El("teaming");
        if (teaming?.A("type") is { } teamingType)
        {
            if (teamingType == "transient" && teaming.A("persistent") is null)
            {
                return P(ErrorCode.ConfigUnsupported, "teaming persistent attribute must be set if teaming type is 'transient'", teaming);
            }

            if (teamingType != "transient" && teaming.A("persistent") is not null)
            {
                return P(ErrorCode.ConfigUnsupported, $"teaming persistent attribute not allowed if teaming type is '{teamingType}'", teaming);
            }
        }

        if (net.El("port")?.A("isolated") == "yes")
        {
            if (type is not ("network" or "bridge"))
            {
                return P(ErrorCode.ConfigUnsupported,
                    $"interface {mac} - <port isolated='yes'/> is not supported for network interfaces with type='{type}'", net.El("port"));
            }

            if (net.El("virtualport")?.A("type") is { } portType && portType != "none")
            {
                return P(ErrorCode.ConfigUnsupported,
                    $"interface {mac} - <port isolated='yes'/> is not supported for network interfaces with virtualport type='{portType}'", net.El("port"));
            }
        }

        var model = net.El("model").A("type");
        if (!IsVirtioModel(model) && VirtioOptionsAbsent(net.El("driver")) is { } problem)
        {
            return problem;
        }

        var passt = net.El("backend")?.A("type") == "passt";
        if (type != "user" && passt)
        {
            return P(ErrorCode.InternalError, "The 'passt' backend can only be used with interface type='user'", net.El("backend"));
        }

        if (type == "vhostuser")
        {
            if (!IsVirtioModel(model))
            {
                return P(ErrorCode.InternalError,
                    "Wrong or no <model> 'type' attribute specified with <interface type='vhostuser'/>. vhostuser requires the virtio-net* frontend",
                    (XObject?)net.El("model") ?? net);
            }

            if (source.A("mode") == "server" && source.El("reconnect")?.A("enabled") == "yes")
            {
                return P(ErrorCode.ConfigUnsupported, "'reconnect' attribute unsupported 'server' mode for <interface type='vhostuser'>", source.El("reconnect"));
            }
        }

        if (type == "user" && passt)
        {
            foreach (var range in net.Els("portForward").SelectMany(p => p.Els("range")))
            {
                if ((ULong(range, "start") ?? 0) == 0 &&
                    ((ULong(range, "end") ?? 0) != 0 || (ULong(range, "to") ?? 0) != 0 || range.A("exclude") is not null))
                {
                    return P(ErrorCode.ConfigUnsupported,
                        "The 'range' of a 'portForward' requires 'start' attribute if 'end', 'to', or 'exclude' is specified", range);
                }
            }
        }

        return null;
    }
}
