using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains;

/// <summary>A domain document as validators see it: the root and quick access to its parts.</summary>
public sealed class DomainXml(XElement root)
{
    private readonly Dictionary<string, object?> _memo = new(StringComparer.Ordinal);

    public XElement Root { get; } = root;

    public XElement? Os => Root.El("os");

    public XElement? Devices => Root.El("devices");

    /// <summary>The devices of a kind, from every &lt;devices&gt; element (libvirt's ./devices/NAME).</summary>
    public IEnumerable<XElement> DevicesOf(string name) => Root.Elements("devices").Elements(name);

    public string? VirtType => Root.A("type");

    /// <summary>The architecture as written; an empty one counts as none.</summary>
    public string? Arch => Os.El("type").A("arch") is { Length: > 0 } arch ? arch : null;

    /// <summary>The OS type as written; an empty one counts as none.</summary>
    public string? OsType => Os.Text("type") is { Length: > 0 } type ? type : null;

    /// <summary>
    /// A fact about the whole document that a rule run for each device asks for, computed once: asking it
    /// again for each of thousands of devices would make a validation quadratic. Only for rules that read
    /// the document without changing it.
    /// </summary>
    internal T Memo<T>(string key, Func<DomainXml, T> compute)
    {
        if (!_memo.TryGetValue(key, out var value))
        {
            value = compute(this);
            _memo[key] = value;
        }

        return (T)value!;
    }
}
