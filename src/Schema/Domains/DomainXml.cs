using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Domains;

/// <summary>A domain document as validators see it: the root and quick access to its parts.</summary>
public sealed class DomainXml(XElement root)
{
    public XElement Root { get; } = root;

    public XElement? Os => Root.El("os");

    public XElement? Devices => Root.El("devices");

    public IEnumerable<XElement> DevicesOf(string name) => Devices.Els(name);

    public string? VirtType => Root.A("type");

    public string? Arch => Os.El("type").A("arch");

    public string? OsType => Os.Text("type");
}
