using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

/// <summary>virDomainDefOSValidate: firmware autoselection, the loader and NVRAM.</summary>
internal static partial class ValidateRules
{
    private static Problem? Os(DomainXml d)
    {
        // The loader as written: the defaults drop an empty <loader/> or <nvram/>, which libvirt still counts.
        var written = WrittenDomain.Of(d);
        var os = written?.El("os") ?? d.Os;
        XObject At(XElement? e) => e is null ? d.Os ?? (XObject)d.Root : written is not null ? WrittenDomain.At(e) : e;

        var firmware = os.A("firmware") is { Length: > 0 } fw ? fw : null;
        var loaderElement = os.El("loader");
        var nvramElement = os.El("nvram");
        var hasLoader = loaderElement is not null || nvramElement is not null;
        var path = loaderElement?.Value is { Length: > 0 } p ? p : null;
        var type = loaderElement.A("type") is { } t && t != "none" ? t : path is not null ? "rom" : null;
        var template = nvramElement.A("template");
        var hasNvram = nvramElement is not null && (nvramElement.A("type") is not null || nvramElement.Value.Length > 0);
        var loaderAt = At(loaderElement ?? nvramElement);

        if (firmware is not null)
        {
            if (!hasLoader)
            {
                return null;
            }

            if (loaderElement.A("readonly") is not null)
            {
                return P(ErrorCode.XmlDetail, "loader attribute 'readonly' cannot be specified when firmware autoselection is enabled", loaderAt);
            }

            if (type is not null)
            {
                return P(ErrorCode.XmlDetail, "loader attribute 'type' cannot be specified when firmware autoselection is enabled", loaderAt);
            }

            if (path is not null)
            {
                return P(ErrorCode.XmlDetail, "loader path cannot be specified when firmware autoselection is enabled", loaderAt);
            }

            if (template is not null)
            {
                return P(ErrorCode.XmlDetail, "nvram attribute 'template' cannot be specified when firmware autoselection is enabled", At(nvramElement));
            }

            if (loaderElement.A("secure") == "no")
            {
                return P(ErrorCode.XmlDetail, "loader attribute 'secure' cannot be specified when firmware autoselection is enabled", loaderAt);
            }

            if (hasNvram && firmware != "efi")
            {
                return P(ErrorCode.XmlDetail, $"firmware type '{firmware}' does not support nvram", At(nvramElement));
            }
        }
        else
        {
            if (!hasLoader)
            {
                return null;
            }

            if (path is null)
            {
                return P(ErrorCode.XmlDetail, "no loader path specified and firmware auto selection disabled", loaderAt);
            }
        }

        switch (loaderElement.A("stateless"))
        {
            case "yes":
                if (template is not null)
                {
                    return P(ErrorCode.XmlDetail, "NVRAM template is not permitted when loader is stateless", At(nvramElement));
                }

                if (hasNvram)
                {
                    return P(ErrorCode.XmlDetail, "NVRAM is not permitted when loader is stateless", At(nvramElement));
                }

                break;
            case "no":
                if (firmware is null && type != "pflash")
                {
                    return P(ErrorCode.XmlDetail, "Only pflash loader type permits NVRAM", loaderAt);
                }

                if (firmware is not null && firmware != "efi")
                {
                    return P(ErrorCode.XmlDetail, "Only EFI firmware permits NVRAM", loaderAt);
                }

                break;
        }

        return null;
    }
}
