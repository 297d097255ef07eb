using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Networks.Dnsmasq;

/// <summary>
/// libvirt's error when it cannot write a network's dnsmasq configuration (or read the dnsmasq version);
/// <see cref="Exception.Message"/> is libvirt's full message, such as
/// "unsupported configuration: For IPv4, multiple DHCP definitions cannot be specified.".
/// </summary>
public sealed class DnsmasqConfigException : Exception
{
    public DnsmasqConfigException(ErrorCode code, string detail)
        : base(code.Format(detail))
    {
        Code = code;
        Detail = detail;
    }

    public DnsmasqConfigException()
        : this(ErrorCode.InternalError, string.Empty)
    {
    }

    public DnsmasqConfigException(string message)
        : this(ErrorCode.InternalError, message)
    {
    }

    public DnsmasqConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCode.InternalError;
        Detail = message;
    }

    /// <summary>libvirt's error code (VIR_ERR_CONFIG_UNSUPPORTED, VIR_ERR_INTERNAL_ERROR).</summary>
    public ErrorCode Code { get; }

    /// <summary>The message without the code's prefix.</summary>
    public string Detail { get; }
}
