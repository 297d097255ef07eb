using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainVideoDefValidate and virDomainDefVideoValidate.</summary>
internal static partial class ValidateRules
{
    /// <summary>virDomainVideoDefValidate: one video device.</summary>
    private static Problem? Video(DomainXml d, XElement video)
    {
        var model = video.El("model");
        var type = model.A("type") ?? "default";
        if (d.Memo("video: a none video among several", static d => d.DevicesOf("video").Skip(1).Any() && d.DevicesOf("video").Any(v => v.El("model").A("type") == "none")))
        {
            return P(ErrorCode.ConfigUnsupported, "a 'none' video type must be the only video device defined for the domain", video);
        }

        var driver = video.El("driver");
        if (driver.A("name") == "vhostuser")
        {
            if (type != "virtio")
            {
                return P(ErrorCode.ConfigUnsupported, "'vhostuser' driver is only supported with 'virtio' device", driver);
            }
        }
        else if (model.El("acceleration")?.A("rendernode") is not null)
        {
            return P(ErrorCode.ConfigUnsupported, "unsupported rendernode accel attribute without 'vhostuser'", model.El("acceleration"));
        }

        var resolution = model.El("resolution");
        if (resolution is not null && (UInt(resolution, "x") == 0 || UInt(resolution, "y") == 0))
        {
            return P(ErrorCode.ConfigUnsupported, "video resolution values must be greater than 0", resolution);
        }

        if (type != "qxl")
        {
            foreach (var name in (string[])["ram", "vram64", "vgamem"])
            {
                if (UInt(model, name) != 0)
                {
                    return P(ErrorCode.ConfigUnsupported, $"{name} attribute only supported for video type qxl", model);
                }
            }
        }

        if (type == "ramfb" && video.El("address") is not null)
        {
            return P(ErrorCode.ConfigUnsupported, "address not supported for video type ramfb", video.El("address"));
        }

        return type != "virtio" ? VirtioOptionsAbsent(driver) : null;
    }

    /// <summary>virDomainDefVideoValidate: one primary video (the parser puts each primary='yes' first).</summary>
    private static Problem? PrimaryVideo(DomainXml d)
    {
        var primaries = WrittenDomain.Of(d).El("devices").Els("video")
            .Where(v => v.El("model").A("primary") == "yes")
            .ToList();
        return primaries.Count > 1
            ? P(ErrorCode.ConfigUnsupported, "Only one primary video device is supported", WrittenDomain.At(primaries[1]))
            : null;
    }
}
