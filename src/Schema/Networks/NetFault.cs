using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Problem = Reconciler.Schema.Validation.XmlProp.Problem;

namespace Reconciler.Schema.Networks;

/// <summary>The errors libvirt's network parser reports, by error code, at the node they are about.</summary>
internal static class NetFault
{
    /// <summary>VIR_ERR_XML_ERROR: "XML error: ...".</summary>
    public static Problem Xml(string detail, XObject at) => new(ErrorCode.XmlError, detail, at);

    /// <summary>VIR_ERR_XML_DETAIL: the detail alone.</summary>
    public static Problem Detail(string detail, XObject at) => new(ErrorCode.XmlDetail, detail, at);

    /// <summary>VIR_ERR_CONFIG_UNSUPPORTED: "unsupported configuration: ...".</summary>
    public static Problem Unsupported(string detail, XObject at) => new(ErrorCode.ConfigUnsupported, detail, at);

    /// <summary>VIR_ERR_INTERNAL_ERROR: "internal error: ...".</summary>
    public static Problem Internal(string detail, XObject at) => new(ErrorCode.InternalError, detail, at);

    /// <summary>VIR_ERR_NO_NAME without detail: "missing name information".</summary>
    public static Problem NoName(XObject at) => new(ErrorCode.NoName, string.Empty, at);

    /// <summary>
    /// VIR_ERR_SYSTEM_ERROR, whose message is the detail alone (virSocketAddrParse's "Cannot parse socket
    /// address ..."). The shared error codes have no SystemError yet, so it is reported with the code that
    /// prints the same text.
    /// </summary>
    public static Problem System(string detail, XObject at) => new(ErrorCode.XmlDetail, detail, at);
}
