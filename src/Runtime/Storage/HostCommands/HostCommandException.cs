using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>
/// libvirt's error when a storage backend refuses to run its command for a pool, such as
/// "unsupported configuration: expected exactly 1 device for the storage pool";
/// <see cref="Exception.Message"/> is libvirt's full message.
/// </summary>
public sealed class HostCommandException : Exception
{
    public HostCommandException(ErrorCode code, string detail)
        : base(code.Format(detail))
    {
        Code = code;
        Detail = detail;
    }

    public HostCommandException()
        : this(ErrorCode.InternalError, string.Empty)
    {
    }

    public HostCommandException(string message)
        : this(ErrorCode.InternalError, message)
    {
    }

    public HostCommandException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = ErrorCode.InternalError;
        Detail = message;
    }

    /// <summary>libvirt's error code.</summary>
    public ErrorCode Code { get; }

    /// <summary>The message without the code's prefix.</summary>
    public string Detail { get; }
}
