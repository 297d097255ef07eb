using System.Xml.Linq;
using FluentValidation;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Validation;

namespace Reconciler.Schema.Storage;

/// <summary>One libvirt error found while reading storage XML: its code, its text and the node it is about.</summary>
internal sealed record StorageFault(ErrorCode Code, string Detail, XObject? At)
{
    public static StorageFault Xml(string detail, XObject? at) => new(ErrorCode.XmlError, detail, at);

    public static StorageFault Unsupported(string detail, XObject? at) => new(ErrorCode.ConfigUnsupported, detail, at);

    public static StorageFault Internal(string detail, XObject? at) => new(ErrorCode.InternalError, detail, at);

    public static StorageFault InvalidArgument(string detail, XObject? at) => new(ErrorCode.InvalidArgument, detail, at);

    /// <summary>VIR_ERR_XML_DETAIL: the detail alone.</summary>
    public static StorageFault DetailOnly(string detail, XObject? at) => new(ErrorCode.XmlDetail, detail, at);

    /// <summary>VIR_ERR_NO_SUPPORT: "this function is not supported by the connection driver: ...".</summary>
    public static StorageFault NoSupport(string detail, XObject? at) => new(ErrorCode.NoSupport, detail, at);

    /// <summary>VIR_ERR_OVERFLOW: "numerical overflow: ...".</summary>
    public static StorageFault Overflow(string detail, XObject? at) => new(ErrorCode.Overflow, detail, at);

    /// <summary>Adds this fault to a FluentValidation context.</summary>
    public void ReportTo<T>(ValidationContext<T> context) => context.Report(Code, Detail, At);
}
