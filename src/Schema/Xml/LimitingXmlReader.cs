using System.Xml;

namespace Reconciler.Schema.Xml;

/// <summary>
/// The spec reader's limits, checked while the tree is built (one pass over the text, not a streaming pass
/// first and the load after it): an element nested too deep, an attribute value or a text too long, or a
/// processing instruction stops the load where it stands, with its line and column. Everything else is
/// the inner reader's, untouched. <paramref name="length"/>, the length of the document in bytes, bounds
/// the length of any value (no byte decodes to more than one character, and with DTDs prohibited no entity
/// expands): values are only measured when the document is longer than their limit.
/// </summary>
internal sealed class LimitingXmlReader(XmlReader inner, XmlLimits limits, int length) : XmlReader, IXmlLineInfo
{
    private readonly IXmlLineInfo _lines = (IXmlLineInfo)inner;
    private readonly bool _checkAttributes = length > limits.MaxAttributeLength;
    private readonly bool _checkTexts = length > limits.MaxTextLength;
    private string? _element;

    public override int AttributeCount => inner.AttributeCount;

    public override string BaseURI => inner.BaseURI;

    public override int Depth => inner.Depth;

    public override bool EOF => inner.EOF;

    public override bool IsEmptyElement => inner.IsEmptyElement;

    public override string LocalName => inner.LocalName;

    public override string Name => inner.Name;

    public override string NamespaceURI => inner.NamespaceURI;

    public override XmlNameTable NameTable => inner.NameTable;

    public override XmlNodeType NodeType => inner.NodeType;

    public override string Prefix => inner.Prefix;

    public override ReadState ReadState => inner.ReadState;

    public override string Value => inner.Value;

    public override bool HasValue => inner.HasValue;

    public override bool CanResolveEntity => inner.CanResolveEntity;

    public int LineNumber => _lines.LineNumber;

    public int LinePosition => _lines.LinePosition;

    public bool HasLineInfo() => _lines.HasLineInfo();

    public override bool Read()
    {
        if (!inner.Read())
        {
            return false;
        }

        switch (inner.NodeType)
        {
            case XmlNodeType.Element:
                _element = inner.Name;
                if (inner.Depth >= limits.MaxDepth)
                {
                    throw new XmlLimitException($"elements are nested more than {limits.MaxDepth} levels deep", _lines);
                }

                if (_checkAttributes && inner.MoveToFirstAttribute())
                {
                    do
                    {
                        if (inner.Value.Length > limits.MaxAttributeLength)
                        {
                            throw new XmlLimitException(
                                $"attribute '{inner.Name}' of <{_element}> is {inner.Value.Length} characters long, at most {limits.MaxAttributeLength} are accepted",
                                _lines);
                        }
                    }
                    while (inner.MoveToNextAttribute());

                    inner.MoveToElement();
                }

                break;
            case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                if (_checkTexts && inner.Value.Length > limits.MaxTextLength)
                {
                    throw new XmlLimitException(
                        $"the text in <{_element}> is {inner.Value.Length} characters long, at most {limits.MaxTextLength} are accepted",
                        _lines);
                }

                break;
            case XmlNodeType.ProcessingInstruction:
                throw new XmlLimitException(
                    $"processing instructions (<?{inner.Name} ...?>) are not allowed in spec files: remove it", _lines);
        }

        return true;
    }

    public override string GetAttribute(int i) => inner.GetAttribute(i);

    public override string? GetAttribute(string name) => inner.GetAttribute(name);

    public override string? GetAttribute(string name, string? namespaceURI) => inner.GetAttribute(name, namespaceURI);

    public override string? LookupNamespace(string prefix) => inner.LookupNamespace(prefix);

    public override bool MoveToAttribute(string name) => inner.MoveToAttribute(name);

    public override bool MoveToAttribute(string name, string? ns) => inner.MoveToAttribute(name, ns);

    public override void MoveToAttribute(int i) => inner.MoveToAttribute(i);

    public override bool MoveToElement() => inner.MoveToElement();

    public override bool MoveToFirstAttribute() => inner.MoveToFirstAttribute();

    public override bool MoveToNextAttribute() => inner.MoveToNextAttribute();

    public override bool ReadAttributeValue() => inner.ReadAttributeValue();

    public override void ResolveEntity() => inner.ResolveEntity();

    // XmlReader.Dispose closes the reader (and so the inner one) when it is still open.
    public override void Close() => inner.Close();
}

/// <summary>A limit of <see cref="XmlLimits"/> exceeded, where it was.</summary>
internal sealed class XmlLimitException(string message, IXmlLineInfo at) : Exception(message)
{
    public int Line { get; } = at.LineNumber;

    public int Column { get; } = at.LinePosition;
}
