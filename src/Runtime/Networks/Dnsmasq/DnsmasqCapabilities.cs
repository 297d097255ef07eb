using System.Globalization;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Networks.Dnsmasq;

/// <summary>
/// What libvirt knows of the dnsmasq binary (dnsmasqCaps): its path and version, read from
/// <c>dnsmasq --version</c>.
/// </summary>
public sealed record DnsmasqCapabilities(string BinaryPath, Version Version)
{
    /// <summary>The oldest dnsmasq libvirt 9.0.0 accepts (DNSMASQ_MIN_MAJOR.DNSMASQ_MIN_MINOR).</summary>
    public static readonly Version MinimumVersion = new(2, 67);

    /// <summary>dnsmasq 2.67, the version libvirt's own tests assume.</summary>
    public static DnsmasqCapabilities Minimum { get; } = new("/usr/sbin/dnsmasq", MinimumVersion);

    /// <summary>
    /// Reads the output of <c>dnsmasq --version</c> the way dnsmasqCapsSetFromBuffer does: it must start with
    /// "Dnsmasq version ", then a version of at least 2.67. Throws <see cref="RuntimeException"/> with
    /// libvirt's message otherwise.
    /// </summary>
    public static DnsmasqCapabilities FromVersionOutput(string binaryPath, string output)
    {
        const string prefix = "Dnsmasq version ";
        var firstLine = output.Split('\n')[0];
        if (!output.StartsWith(prefix, StringComparison.Ordinal) || ParseVersion(output[prefix.Length..]) is not { } version)
        {
            throw CannotParse(binaryPath, firstLine);
        }

        if (version < MinimumVersion)
        {
            // libvirt reports the version error, then the parse error replaces it as the last error.
            throw CannotParse(binaryPath, firstLine);
        }

        return new DnsmasqCapabilities(binaryPath, version);
    }

    private static RuntimeException CannotParse(string binaryPath, string firstLine) =>
        new(ErrorCode.InternalError, $"cannot parse {binaryPath} version number in '{firstLine}'");

    /// <summary>virSkipToDigit, then virStringParseVersion(allowMissing): major[.minor[.micro]].</summary>
    private static Version? ParseVersion(string text)
    {
        var i = 0;
        while (i < text.Length && !char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var parts = new List<int>();
        while (parts.Count < 3 && i < text.Length && char.IsAsciiDigit(text[i]))
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (!int.TryParse(text.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture, out var part))
            {
                return null;
            }

            parts.Add(part);
            if (i < text.Length && text[i] == '.')
            {
                i++;
            }
            else
            {
                break;
            }
        }

        return parts.Count switch
        {
            0 => null,
            1 => new Version(parts[0], 0),
            2 => new Version(parts[0], parts[1]),
            _ => new Version(parts[0], parts[1], parts[2]),
        };
    }
}
