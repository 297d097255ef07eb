using System.Xml.Linq;

namespace Reconciler.Schema.Storage.Support;

/// <summary>libvirt's virXMLProp* readers (src/util/virxml.c) as checks that return libvirt's error.</summary>
internal static class VirXmlProp
{
    /// <summary>virXMLPropUInt: absent is 0 (or an error when required); otherwise a non-negative number in the base.</summary>
    public static StorageFault? UInt(XElement element, string name, int numberBase, out uint value, bool required = false)
    {
        value = 0;
        var text = Prop(element, name);
        if (text is null)
        {
            return required ? Missing(element, name) : null;
        }

        if (CStrToLong.TryUIntPositive(text, numberBase, out value))
        {
            return null;
        }

        return StorageFault.Xml(
            $"Invalid value for attribute '{name}' in element '{element.Name.LocalName}': '{text}'. Expected non-negative integer value",
            element.Attribute(name));
    }

    /// <summary>virXMLPropInt (no flags): absent is 0; otherwise an int in the base.</summary>
    public static StorageFault? Int(XElement element, string name, int numberBase, out int value)
    {
        value = 0;
        var text = Prop(element, name);
        if (text is null || CStrToLong.TryInt(text, numberBase, out value))
        {
            return null;
        }

        return StorageFault.Xml(
            $"Invalid value for attribute '{name}' in element '{element.Name.LocalName}': '{text}'. Expected integer value",
            element.Attribute(name));
    }

    /// <summary>
    /// virXMLPropTristateBool/Switch and virXMLPropEnum: absent is 0 (or an error when required); a value the
    /// enum does not know, or its first value when <paramref name="nonZero"/>, is an error.
    /// </summary>
    public static StorageFault? Enum(XElement element, string name, VirEnum values, out int value, bool nonZero = true, bool required = false)
    {
        value = 0;
        var text = Prop(element, name);
        if (text is null)
        {
            return required ? Missing(element, name) : null;
        }

        value = values.FromString(text);
        return value < 0 || (nonZero && value == 0)
            ? StorageFault.Xml($"Invalid value for attribute '{name}' in element '{element.Name.LocalName}': '{text}'.", element.Attribute(name))
            : null;
    }

    /// <summary>A tristate bool or switch (its "absent" value is not accepted).</summary>
    public static StorageFault? Tristate(XElement element, string name, VirEnum values, out int value) =>
        Enum(element, name, values, out value);

    /// <summary>virXMLPropString: the attribute's value, empty kept, null when absent.</summary>
    public static string? Prop(XElement? element, string name) => element?.Attribute(name)?.Value;

    private static StorageFault Missing(XElement element, string name) =>
        StorageFault.Xml($"Missing required attribute '{name}' in element '{element.Name.LocalName}'", element);
}
