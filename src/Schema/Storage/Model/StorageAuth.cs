namespace Reconciler.Schema.Storage.Model;

/// <summary>A pool source's &lt;auth&gt;: chap or ceph, the user name and the secret that holds the key.</summary>
public sealed record StorageAuth(string Type, string Username, StorageSecretRef Secret);

/// <summary>
/// A &lt;secret&gt; reference (virSecretLookupTypeDef): by <see cref="Uuid"/> or by <see cref="Usage"/>;
/// <see cref="Type"/> is the secret's type attribute as written (passphrase for volume encryption).
/// </summary>
public sealed record StorageSecretRef(string? Type, Guid? Uuid, string? Usage);
