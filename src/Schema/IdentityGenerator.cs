using System.Security.Cryptography;

namespace Reconciler.Schema;

/// <summary>
/// Source of the identifiers libvirt generates when a definition leaves them out: UUIDs (random,
/// version 4, as virUUIDGenerate) and MAC addresses with the KVM prefix 52:54:00.
/// </summary>
public interface IIdentityGenerator
{
    Guid NewUuid();

    /// <summary>Six bytes starting with 52:54:00.</summary>
    byte[] NewMac();
}

public sealed class RandomIdentityGenerator : IIdentityGenerator
{
    public static readonly RandomIdentityGenerator Instance = new();

    public Guid NewUuid() => Guid.NewGuid();

    public byte[] NewMac()
    {
        var mac = new byte[6] { 0x52, 0x54, 0x00, 0, 0, 0 };
        RandomNumberGenerator.Fill(mac.AsSpan(3));
        return mac;
    }
}

public static class Identifiers
{
    /// <summary>libvirt's UUID text form: lower-case hex with dashes.</summary>
    public static string FormatUuid(Guid uuid) => uuid.ToString("D");

    /// <summary>libvirt's MAC text form: lower-case hex, colon separated.</summary>
    public static string FormatMac(ReadOnlySpan<byte> mac) =>
        string.Join(':', mac.ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
}
