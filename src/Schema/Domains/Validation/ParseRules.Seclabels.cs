using System.Text;
using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Validation;
using Reconciler.Schema.Xml;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Domains.Validation;

internal static partial class ParseRules
{
    /// <summary>VIR_SECURITY_MODEL_BUFLEN - 1: a longer model is dropped, as if it were not written.</summary>
    private const int SecurityModelMax = 256;

    /// <summary>VIR_SECURITY_LABEL_BUFLEN - 1.</summary>
    private const int SecurityLabelMax = 4096;

    /// <summary>
    /// virSecurityLabelDefsParseXML: each domain &lt;seclabel&gt; (virSecurityLabelDefParseXML, inactive
    /// flags), one label per model, and a model on every label when there are several.
    /// </summary>
    public static IEnumerable<Problem?> Seclabels(DomainXml d)
    {
        var labels = d.Root.Els("seclabel").ToList();
        var models = new List<string?>();
        foreach (var seclabel in labels)
        {
            var model = SeclabelModel(seclabel);
            yield return XmlProp.Enum(seclabel, "type", LibvirtEnums.DomainSeclabel, PropFlags.NonZero);
            var type = seclabel.A("type") ?? "dynamic";
            yield return XmlProp.YesNo(seclabel, "relabel");
            var relabel = seclabel.A("relabel") is { } r ? r == "yes" : type == "dynamic";
            if (type == "dynamic" && !relabel)
            {
                yield return P(ErrorCode.ConfigUnsupported, "dynamic label type must use resource relabeling", seclabel);
            }

            if (type == "none" && relabel)
            {
                yield return P(ErrorCode.ConfigUnsupported, "resource relabeling is not compatible with 'none' label type", seclabel);
            }

            // Model 'none' has no labels to read; a static label needs its label.
            if (model != "none" && type == "static" && !FitsLabel(LabelText(seclabel.El("label"))))
            {
                yield return P(ErrorCode.XmlError, "security label is missing", seclabel);
            }

            if (models.Contains(model))
            {
                yield return P(ErrorCode.XmlDetail, $"seclabel for model {model ?? "(null)"} is already provided", seclabel);
            }

            models.Add(model);
        }

        if (labels.Count > 1 && models.Contains(null))
        {
            yield return P(ErrorCode.XmlError, "missing security model when using multiple labels", labels[models.LastIndexOf(null)]);
        }
    }

    /// <summary>
    /// virSecurityDeviceLabelDefParseXML: the label overrides of a disk source or a character device's
    /// source: one per model, relabel yes or no, and no label when relabelling is off.
    /// </summary>
    private static IEnumerable<Problem?> DeviceSeclabels(XElement? source)
    {
        var models = new HashSet<string>();
        foreach (var seclabel in source.Els("seclabel"))
        {
            var model = seclabel.A("model");
            if (model is not null && !models.Add(model))
            {
                yield return P(ErrorCode.XmlDetail, $"seclabel for model {model} is already provided", seclabel);
            }

            yield return XmlProp.YesNo(seclabel, "relabel");
            var label = LabelText(seclabel.Element("label"));
            if (seclabel.A("relabel") == "no" && label is not null && FitsLabel(label))
            {
                yield return P(ErrorCode.XmlError, $"Cannot specify a label if relabelling is turned off. model={model ?? "<null>"}", seclabel);
            }
        }
    }

    /// <summary>The model as libvirt keeps it: none when it is too long.</summary>
    private static string? SeclabelModel(XElement seclabel) =>
        seclabel.A("model") is { } model && Encoding.UTF8.GetByteCount(model) <= SecurityModelMax ? model : null;

    /// <summary>string(./label[1]) as virXPathString reads it: null when absent or empty.</summary>
    private static string? LabelText(XElement? label) => string.IsNullOrEmpty(label?.Value) ? null : label.Value;

    private static bool FitsLabel(string? label) => label is not null && Encoding.UTF8.GetByteCount(label) <= SecurityLabelMax;
}
