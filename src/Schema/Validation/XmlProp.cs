using System.Xml.Linq;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;

namespace Reconciler.Schema.Validation;

/// <summary>Flags of libvirt's virXMLProp* helpers.</summary>
[Flags]
public enum PropFlags
{
    None = 0,
    Required = 1,
    NonNegative = 2,
    NonZero = 4,
}

/// <summary>
/// The checks libvirt's virXMLProp* helpers make on an attribute, with their messages. Each returns
/// null when the attribute is fine (or absent and optional), or the failure to report.
/// </summary>
public static class XmlProp
{
    public sealed record Problem(ErrorCode Code, string Detail, XObject At);

    /// <summary>The first problem a rule finds (the first non-null one it yields), or null; stops there.</summary>
    public static Problem? First(IEnumerable<Problem?> problems)
    {
        foreach (var problem in problems)
        {
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static Problem Missing(XElement e, string name) =>
        new(ErrorCode.XmlError, $"Missing required attribute '{name}' in element '{e.Name.LocalName}'", e);

    private static Problem Invalid(XElement e, XAttribute a, string suffix = "") =>
        new(ErrorCode.XmlError, $"Invalid value for attribute '{a.Name.LocalName}' in element '{e.Name.LocalName}': '{a.Value}'.{suffix}", a);

    /// <summary>virXMLPropEnum: the value must be one of <paramref name="values"/> (index 0 excluded with NonZero).</summary>
    public static Problem? Enum(XElement? e, string name, IReadOnlyList<string> values, PropFlags flags = PropFlags.None)
    {
        if (e is null)
        {
            return null;
        }

        var a = XmlExtensions.Attr(e, name);
        if (a is null)
        {
            return flags.HasFlag(PropFlags.Required) ? Missing(e, name) : null;
        }

        var index = IndexOf(values, a.Value);
        return index < 0 || (flags.HasFlag(PropFlags.NonZero) && index == 0) ? Invalid(e, a) : null;
    }

    /// <summary>virXMLPropTristateBool: yes or no.</summary>
    public static Problem? YesNo(XElement? e, string name, PropFlags flags = PropFlags.None) =>
        Enum(e, name, LibvirtEnums.TristateBool, flags | PropFlags.NonZero);

    /// <summary>virXMLPropTristateSwitch: on or off.</summary>
    public static Problem? OnOff(XElement? e, string name, PropFlags flags = PropFlags.None) =>
        Enum(e, name, LibvirtEnums.TristateSwitch, flags | PropFlags.NonZero);

    /// <summary>virXMLPropUInt / virXMLPropULongLong.</summary>
    public static Problem? UInt(XElement? e, string name, int numberBase = 10, PropFlags flags = PropFlags.None, ulong max = uint.MaxValue)
    {
        if (e is null)
        {
            return null;
        }

        var a = XmlExtensions.Attr(e, name);
        if (a is null)
        {
            return flags.HasFlag(PropFlags.Required) ? Missing(e, name) : null;
        }

        if (!CNumber.TryParseULong(a.Value, numberBase, out var v) || v > max)
        {
            return Invalid(e, a, " Expected non-negative integer value");
        }

        return flags.HasFlag(PropFlags.NonZero) && v == 0
            ? new Problem(ErrorCode.XmlError, $"Invalid value for attribute '{name}' in element '{e.Name.LocalName}': Zero is not permitted", a)
            : null;
    }

    /// <summary>virXMLPropInt / virXMLPropLongLong.</summary>
    public static Problem? Int(XElement? e, string name, PropFlags flags = PropFlags.None, bool isLong = false)
    {
        if (e is null)
        {
            return null;
        }

        var a = XmlExtensions.Attr(e, name);
        if (a is null)
        {
            return flags.HasFlag(PropFlags.Required) ? Missing(e, name) : null;
        }

        long v;
        var ok = isLong ? CNumber.TryParseLong(a.Value, out v) : CNumber.TryParseInt(a.Value, out var i) & ((v = i) == i);
        if (!ok)
        {
            return Invalid(e, a, isLong ? " Expected long long integer value" : " Expected integer value");
        }

        if (flags.HasFlag(PropFlags.NonNegative) && v < 0)
        {
            return Invalid(e, a, " Expected non-negative value");
        }

        return flags.HasFlag(PropFlags.NonZero) && v == 0
            ? new Problem(ErrorCode.XmlError, $"Invalid value for attribute '{name}' in element '{e.Name.LocalName}': Zero is not permitted", a)
            : null;
    }

    /// <summary>virXMLPropStringRequired.</summary>
    public static Problem? Required(XElement? e, string name) =>
        e is not null && XmlExtensions.Attr(e, name) is null ? Missing(e, name) : null;

    private static int IndexOf(IReadOnlyList<string> values, string value)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (values[i] == value)
            {
                return i;
            }
        }

        return -1;
    }
}
