using System.Xml;
using System.Xml.Linq;

namespace Reconciler.Schema.Diagnostics;

/// <summary>A 1-based line and column in a spec file.</summary>
public readonly record struct XmlPosition(int Line, int Column)
{
    public static readonly XmlPosition Unknown = new(0, 0);

    /// <summary>
    /// The position of a node; for nodes created by the defaults (which have none) the position of the
    /// nearest ancestor that came from the file.
    /// </summary>
    public static XmlPosition Of(XObject? node)
    {
        for (var n = node; n is not null; n = n.Parent)
        {
            if (n is IXmlLineInfo info && info.HasLineInfo())
            {
                return new XmlPosition(info.LineNumber, info.LinePosition);
            }
        }

        return Unknown;
    }
}
