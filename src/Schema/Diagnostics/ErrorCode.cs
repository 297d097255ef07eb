namespace Reconciler.Schema.Diagnostics;

/// <summary>
/// The subset of libvirt's <c>virErrorNumber</c> that the schema layer reports. Each code carries the
/// prefix libvirt puts in front of the detail text, so that messages read exactly like libvirt's.
/// </summary>
public enum ErrorCode
{
    /// <summary>VIR_ERR_XML_ERROR: "XML error: ..."</summary>
    XmlError,

    /// <summary>VIR_ERR_XML_DETAIL: the detail alone (libxml2 and some post-parse checks).</summary>
    XmlDetail,

    /// <summary>VIR_ERR_CONFIG_UNSUPPORTED: "unsupported configuration: ..."</summary>
    ConfigUnsupported,

    /// <summary>VIR_ERR_INTERNAL_ERROR: "internal error: ..."</summary>
    InternalError,

    /// <summary>
    /// A failure libvirt reports without any error set (a parser returning failure silently): the client sees
    /// VIR_ERR_INTERNAL_ERROR and "An error occurred, but the cause is unknown".
    /// </summary>
    UnknownCause,

    /// <summary>VIR_ERR_INVALID_ARG: "invalid argument: ..."</summary>
    InvalidArgument,

    /// <summary>VIR_ERR_NO_TARGET: "missing target information for device ..."</summary>
    NoTarget,

    /// <summary>VIR_ERR_OPERATION_INVALID: "Requested operation is not valid: ..."</summary>
    OperationInvalid,

    /// <summary>VIR_ERR_NO_SOURCE: "missing source information for device ..."</summary>
    NoSource,

    /// <summary>VIR_ERR_NO_NAME: "missing name information in ..."</summary>
    NoName,

    /// <summary>VIR_ERR_NO_OS: "missing operating system information for ..."</summary>
    NoOs,

    /// <summary>VIR_ERR_OS_TYPE: "unknown OS type ..."</summary>
    OsType,

    /// <summary>VIR_ERR_OVERFLOW: "numerical overflow: ..."</summary>
    Overflow,

    /// <summary>VIR_ERR_NO_SUPPORT: "this function is not supported by the connection driver: ..."</summary>
    NoSupport,

    /// <summary>VIR_ERR_OPERATION_FAILED: "operation failed: ..."</summary>
    OperationFailed,

    /// <summary>VIR_ERR_NO_SECRET: "Secret not found: ..."</summary>
    NoSecret,

    /// <summary>VIR_ERR_NO_DOMAIN: "Domain not found: ..."</summary>
    NoDomain,

    /// <summary>VIR_ERR_OPERATION_UNSUPPORTED: "Operation not supported: ..."</summary>
    OperationUnsupported,

    /// <summary>VIR_ERR_OPERATION_TIMEOUT: "Timed out during operation: ..."</summary>
    OperationTimeout,

    /// <summary>VIR_ERR_RESOURCE_BUSY: "resource busy: ..."</summary>
    ResourceBusy,

    /// <summary>VIR_ERR_SYSTEM_ERROR: the detail alone (an errno-style message).</summary>
    SystemError,

    /// <summary>VIR_ERR_DEVICE_MISSING: "device not found: ..."</summary>
    DeviceMissing,

    /// <summary>VIR_ERR_NO_NETWORK: "Network not found: ..."</summary>
    NoNetwork,

    /// <summary>VIR_ERR_NO_STORAGE_POOL: "Storage pool not found: ..."</summary>
    NoStoragePool,

    /// <summary>VIR_ERR_NO_STORAGE_VOL: "Storage volume not found: ..."</summary>
    NoStorageVolume,

    /// <summary>VIR_ERR_STORAGE_VOL_EXIST: "storage volume ... exists already"</summary>
    StorageVolumeExists,

    /// <summary>VIR_ERR_STORAGE_POOL_BUILT: "Storage pool already built: ..."</summary>
    StoragePoolBuilt,

    /// <summary>VIR_ERR_INVALID_DOMAIN etc. are not parse errors; reconciler-specific policy errors use this.</summary>
    PolicyViolation,
}

public static class ErrorCodes
{
    /// <summary>The libvirt enum name, e.g. <c>VIR_ERR_XML_ERROR</c>, used as the machine-readable code.</summary>
    public static string Name(this ErrorCode code) => code switch
    {
        ErrorCode.XmlError => "VIR_ERR_XML_ERROR",
        ErrorCode.XmlDetail => "VIR_ERR_XML_DETAIL",
        ErrorCode.ConfigUnsupported => "VIR_ERR_CONFIG_UNSUPPORTED",
        ErrorCode.InternalError => "VIR_ERR_INTERNAL_ERROR",
        ErrorCode.UnknownCause => "VIR_ERR_INTERNAL_ERROR",
        ErrorCode.InvalidArgument => "VIR_ERR_INVALID_ARG",
        ErrorCode.NoTarget => "VIR_ERR_NO_TARGET",
        ErrorCode.OperationInvalid => "VIR_ERR_OPERATION_INVALID",
        ErrorCode.NoSource => "VIR_ERR_NO_SOURCE",
        ErrorCode.NoName => "VIR_ERR_NO_NAME",
        ErrorCode.NoOs => "VIR_ERR_NO_OS",
        ErrorCode.OsType => "VIR_ERR_OS_TYPE",
        ErrorCode.Overflow => "VIR_ERR_OVERFLOW",
        ErrorCode.NoSupport => "VIR_ERR_NO_SUPPORT",
        ErrorCode.OperationFailed => "VIR_ERR_OPERATION_FAILED",
        ErrorCode.NoSecret => "VIR_ERR_NO_SECRET",
        ErrorCode.NoDomain => "VIR_ERR_NO_DOMAIN",
        ErrorCode.OperationUnsupported => "VIR_ERR_OPERATION_UNSUPPORTED",
        ErrorCode.OperationTimeout => "VIR_ERR_OPERATION_TIMEOUT",
        ErrorCode.ResourceBusy => "VIR_ERR_RESOURCE_BUSY",
        ErrorCode.SystemError => "VIR_ERR_SYSTEM_ERROR",
        ErrorCode.DeviceMissing => "VIR_ERR_DEVICE_MISSING",
        ErrorCode.NoNetwork => "VIR_ERR_NO_NETWORK",
        ErrorCode.NoStoragePool => "VIR_ERR_NO_STORAGE_POOL",
        ErrorCode.NoStorageVolume => "VIR_ERR_NO_STORAGE_VOL",
        ErrorCode.StorageVolumeExists => "VIR_ERR_STORAGE_VOL_EXIST",
        ErrorCode.StoragePoolBuilt => "VIR_ERR_STORAGE_POOL_BUILT",
        ErrorCode.PolicyViolation => "RECONCILER_POLICY",
        _ => "VIR_ERR_INTERNAL_ERROR",
    };

    /// <summary>Builds the full message the way libvirt's virErrorMsg formats it.</summary>
    public static string Format(this ErrorCode code, string detail) => detail.Length == 0 ? Bare(code) : code switch
    {
        ErrorCode.XmlError => "XML error: " + detail,
        ErrorCode.ConfigUnsupported => "unsupported configuration: " + detail,
        ErrorCode.InternalError => "internal error: " + detail,
        ErrorCode.InvalidArgument => "invalid argument: " + detail,
        ErrorCode.NoTarget => "missing target information for device " + detail,
        ErrorCode.OperationInvalid => "Requested operation is not valid: " + detail,
        ErrorCode.NoSource => "missing source information for device " + detail,
        ErrorCode.NoName => "missing name information in " + detail,
        ErrorCode.NoOs => "missing operating system information for " + detail,
        ErrorCode.OsType => "unknown OS type " + detail,
        ErrorCode.Overflow => "numerical overflow: " + detail,
        ErrorCode.NoSupport => "this function is not supported by the connection driver: " + detail,
        ErrorCode.OperationFailed => "operation failed: " + detail,
        ErrorCode.NoSecret => "Secret not found: " + detail,
        ErrorCode.NoDomain => "Domain not found: " + detail,
        ErrorCode.OperationUnsupported => "Operation not supported: " + detail,
        ErrorCode.OperationTimeout => "Timed out during operation: " + detail,
        ErrorCode.ResourceBusy => "resource busy: " + detail,
        ErrorCode.DeviceMissing => "device not found: " + detail,
        ErrorCode.NoNetwork => "Network not found: " + detail,
        ErrorCode.NoStoragePool => "Storage pool not found: " + detail,
        ErrorCode.NoStorageVolume => "Storage volume not found: " + detail,
        ErrorCode.StorageVolumeExists => $"storage volume {detail} exists already",
        ErrorCode.StoragePoolBuilt => "Storage pool already built: " + detail,
        _ => detail,
    };

    /// <summary>The message libvirt prints for a code reported without detail.</summary>
    private static string Bare(ErrorCode code) => code switch
    {
        ErrorCode.XmlError => "XML description is invalid or not well formed",
        ErrorCode.NoTarget => "missing target information for device",
        ErrorCode.NoSource => "missing source information for device",
        ErrorCode.NoName => "missing name information",
        ErrorCode.NoOs => "missing operating system information",
        ErrorCode.Overflow => "numerical overflow",
        ErrorCode.InternalError => "internal error",
        ErrorCode.UnknownCause => "An error occurred, but the cause is unknown",
        _ => string.Empty,
    };
}
