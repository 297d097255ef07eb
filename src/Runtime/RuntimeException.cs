using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime;

/// <summary>
/// An operation the runtime refuses or cannot do, with libvirt's error code and message (for example
/// "Requested operation is not valid: domain is already running"), so that callers see what virsh shows.
/// </summary>
public sealed class RuntimeException : Exception
{
    public RuntimeException(ErrorCode code, string detail)
        : base(code.Format(detail))
    {
        Code = code;
        Detail = detail;
    }

    public RuntimeException(ErrorCode code, string detail, Exception inner)
        : base(code.Format(detail), inner)
    {
        Code = code;
        Detail = detail;
    }

    private RuntimeException(ErrorCode code, string detail, string message)
        : base(message)
    {
        Code = code;
        Detail = detail;
    }

    public ErrorCode Code { get; }

    /// <summary>Whether trying again may succeed (an injected or passing fault), as opposed to a refusal.</summary>
    public bool IsTransient { get; init; }

    public string Detail { get; }

    public string CodeName => Code.Name();

    /// <summary>A definition the schema layer refused, with its message and position.</summary>
    public static RuntimeException FromSchema(SchemaError error) =>
        new(error.Code, error.Message, error.Message);

    internal static RuntimeException NoDomain(string name) =>
        new(ErrorCode.NoDomain, $"no domain with matching name '{name}'");

    internal static RuntimeException NoDomain(Guid uuid) =>
        new(ErrorCode.NoDomain, $"no domain with matching uuid '{uuid:D}'");

    internal static RuntimeException NotRunning() => new(ErrorCode.OperationInvalid, "domain is not running");

    internal static RuntimeException AlreadyRunning() => new(ErrorCode.OperationInvalid, "domain is already running");
}
