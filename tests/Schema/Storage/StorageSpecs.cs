using Reconciler.Schema;
using Xunit;

namespace Reconciler.Schema.Tests.Storage;

/// <summary>Loading storage specs with a known UUID generator and pool directory.</summary>
internal static class StorageSpecs
{
    public static readonly Guid GeneratedUuid = new("0f6e4a3c-2b1d-4c5e-9f8a-7b6c5d4e3f2a");

    public static SchemaOptions Options(string poolPath = "/default-pool") =>
        new() { Identity = new FixedIdentity(GeneratedUuid), VolumePoolPath = poolPath };

    public static SpecDocument Load(string xml, string poolPath = "/default-pool") =>
        LibvirtSchema.LoadText("spec.xml", xml, Options(poolPath));

    /// <summary>The effective XML as libvirt's formatter writes it, failing the test when the spec is invalid.</summary>
    public static string Normalize(string xml, string poolPath = "/default-pool")
    {
        var doc = Load(xml, poolPath);
        Assert.True(doc.IsValid, string.Join("\n", doc.Errors));
        return doc.Format();
    }

    private sealed class FixedIdentity(Guid uuid) : IIdentityGenerator
    {
        public Guid NewUuid() => uuid;

        public byte[] NewMac() => [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    }
}
