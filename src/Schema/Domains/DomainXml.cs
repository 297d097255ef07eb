using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains;

/// <summary>
/// A domain document as validators see it: the root and quick access to its parts. Validators read the
/// document without changing it, so the parts are looked up once.
/// </summary>
public sealed class DomainXml(XElement root)
{
    private readonly Dictionary<string, object?> _memo = new(StringComparer.Ordinal);

    private XElement? _os;
    private XElement? _devices;
    private bool _found;
    private Dictionary<string, List<XElement>>? _devicesByName;

    public XElement Root { get; } = root;

    public XElement? Os
    {
        get
        {
            Find();
            return _os;
        }
    }

    public XElement? Devices
    {
        get
        {
            Find();
            return _devices;
        }
    }

    /// <summary>The devices of a kind, from every &lt;devices&gt; element (libvirt's ./devices/NAME), in document order.</summary>
    public IReadOnlyList<XElement> DevicesOf(string name)
    {
        if (_devicesByName is null)
        {
            _devicesByName = new Dictionary<string, List<XElement>>(StringComparer.Ordinal);
            foreach (var devices in Root.Elements("devices"))
            {
                for (var node = devices.FirstNode; node is not null; node = node.NextNode)
                {
                    if (node is XElement device && device.Name.Namespace == XNamespace.None)
                    {
                        ref var list = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_devicesByName, device.Name.LocalName, out _);
                        (list ??= []).Add(device);
                    }
                }
            }
        }

        return _devicesByName.TryGetValue(name, out var found) ? found : [];
    }

    private void Find()
    {
        if (!_found)
        {
            _os = Root.El("os");
            _devices = Root.El("devices");
            _found = true;
        }
    }

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
