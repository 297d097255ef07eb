using System.Security.Cryptography;
using System.Text;
using Reconciler.Schema;

namespace Reconciler.Runtime.Persistence;

/// <summary>
/// A domain definition as the runtime stores it: its text, then a last line that names the build of the
/// schema layer that accepted it and a digest of the text. A definition still sealed so when the runtime
/// starts — unchanged since, and read by the same build — skips the parse checks it passed when it was
/// defined (they depend on nothing but the text): only the defaults run. One edited by hand, damaged, or
/// read by another build goes through the parse checks, as libvirtd reads the definitions it stored.
/// </summary>
internal static class SealedDefinition
{
    private const string Prefix = "<!-- written by the reconciler runtime (edits by hand are checked again at its next start): schema ";

    /// <summary>The text to store for a definition formatted as <paramref name="text"/> (ending with a line break).</summary>
    public static string Seal(string text) => $"{text}{Prefix}{LibvirtSchema.Build} sha256 {Digest(Encoding.UTF8.GetBytes(text))} -->\n";

    /// <summary>Whether <paramref name="content"/> is sealed by this build and unchanged since.</summary>
    public static bool IsIntact(ReadOnlySpan<byte> content)
    {
        if (content.Length < 2 || content[^1] != (byte)'\n')
        {
            return false;
        }

        var start = content[..^1].LastIndexOf((byte)'\n') + 1;
        var line = Encoding.UTF8.GetString(content[start..^1]);
        var expected = $"{Prefix}{LibvirtSchema.Build} sha256 ";
        return start > 0 && line.StartsWith(expected, StringComparison.Ordinal) && line.EndsWith(" -->", StringComparison.Ordinal) &&
            line.AsSpan(expected.Length, line.Length - expected.Length - 4).SequenceEqual(Digest(content[..start]));
    }

    private static string Digest(ReadOnlySpan<byte> text) => Convert.ToHexStringLower(SHA256.HashData(text));
}
