namespace Reconciler.Schema.Storage.Support;

/// <summary>A libvirt VIR_ENUM: names by value; FromString is the index or -1, ToString null when out of range.</summary>
internal sealed class VirEnum(params string[] names)
{
    public IReadOnlyList<string> Names { get; } = names;

    public int FromString(string? name) => name is null ? -1 : Array.IndexOf(names, name);

    public string? ToString(int value) => value >= 0 && value < names.Length ? names[value] : null;
}
