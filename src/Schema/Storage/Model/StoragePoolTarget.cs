namespace Reconciler.Schema.Storage.Model;

/// <summary>A pool's &lt;target&gt;: the sanitised path and its permissions.</summary>
public sealed record StoragePoolTarget(string Path, StoragePermissions Permissions);
