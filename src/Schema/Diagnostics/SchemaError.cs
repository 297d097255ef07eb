namespace Reconciler.Schema.Diagnostics;

/// <summary>
/// One error found in a spec file: libvirt's message text, its error code and where in the file it is.
/// Line and column are 1-based; 0 means the position is not known (for example an empty file).
/// </summary>
public sealed record SchemaError(ErrorCode Code, string Message, int Line, int Column)
{
    public static SchemaError Create(ErrorCode code, string detail, XmlPosition position) =>
        new(code, code.Format(detail), position.Line, position.Column);

    public string CodeName => Code.Name();

    /// <summary><c>PATH:LINE:COL: error: MESSAGE</c>, the form compilers and editors understand.</summary>
    public string ToString(string path) => $"{path}:{Line}:{Column}: error: {Message}";

    public override string ToString() => $"{Line}:{Column}: error: {Message}";
}
