namespace Reconciler.Schema.Xml;

/// <summary>Lenient number reading for typed models built from already-validated XML.</summary>
internal static class XmlNumbers
{
    public static ulong ULong(string? text, ulong fallback = 0) =>
        CNumber.TryParseULong(text?.Trim(), 10, out var v) ? v : fallback;
}
