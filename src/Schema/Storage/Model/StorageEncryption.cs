using Reconciler.Schema.Model;

namespace Reconciler.Schema.Storage.Model;

/// <summary>A volume's &lt;encryption&gt; (virStorageEncryption): format, engine (null: default), secrets, LUKS cipher.</summary>
public sealed record StorageEncryption(
    string Format,
    string? Engine,
    ValueList<StorageSecretRef> Secrets,
    StorageCipher? Cipher,
    StorageIvgen? Ivgen);

/// <summary>A LUKS &lt;cipher&gt;.</summary>
public sealed record StorageCipher(string Name, uint Size, string? Mode, string? Hash);

/// <summary>A LUKS &lt;ivgen&gt;.</summary>
public sealed record StorageIvgen(string Name, string? Hash);
