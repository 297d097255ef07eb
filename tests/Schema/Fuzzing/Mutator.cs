using System.Globalization;
using System.Text;
using System.Xml.Linq;

namespace Reconciler.Schema.Tests.Fuzzing;

/// <summary>
/// Mutations of a well-formed spec file, each described so that a failure can be read and reproduced:
/// byte-level (bit flips, inserted, deleted and repeated bytes, truncation, invalid UTF-8) and structural
/// (elements and attributes duplicated, removed or moved, values swapped for boundary values).
/// </summary>
internal static class Mutator
{
    /// <summary>Values at the edges of what parsers of numbers, sizes, names and paths expect.</summary>
    public static readonly string[] BoundaryValues =
    [
        "-1", "0", "1", "-0", "+1", "00", "007", "0x", "0x0", "0xffffffff", "0x100000000", "1e3", "1.5", ".5", "NaN", "inf",
        "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967295", "4294967296",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999999999999999",
        string.Empty, " ", "\t", "  1  ", "yes", "no", "on", "off", "true", "none", "default", "auto",
        "a", "-", ",", "0-", "-0", "1-0", "0-4095", "^0", "0,^0", "0-2,^1", "1,,2", "0-18446744073709551615",
        "/", "//", "/..", "../../etc/passwd", "/dev/null", "a/b", "%s%s%n", "{0}", "\u00e9", "\u202e", "\U0001D54F", "\uFFFD",
        "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "52:54:00:zz:00:00", "256.256.256.256", "::", "::ffff:1.2.3.4", "1.2.3.4/33",
        "00000000-0000-0000-0000-000000000000", "not-a-uuid", "KiB", "EiB", "ZiB", "bytes",
    ];

    private static readonly byte[] InterestingBytes = [(byte)'<', (byte)'>', (byte)'/', (byte)'"', (byte)'\'', (byte)'&', (byte)'=', (byte)' ', (byte)'\n', 0, 0x7F, 0x80, 0xC0, 0xFF, (byte)'-', (byte)'0', (byte)'9'];

    /// <summary>Bytes that are not UTF-8: a lone continuation byte, an overlong '/', a surrogate, a cut sequence, 0xFE.</summary>
    private static readonly byte[][] InvalidUtf8 = [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xFE], [0xF4, 0x90, 0x80, 0x80]];

    /// <summary>One to three mutations of <paramref name="seed"/> chosen by <paramref name="random"/>.</summary>
    public static (byte[] Bytes, string Description) Mutate(byte[] seed, Random random)
    {
        var bytes = seed;
        var steps = new List<string>();
        var count = random.Next(4) switch { 0 => 2, 1 => 3, _ => 1 };
        for (var i = 0; i < count; i++)
        {
            var (next, what) = random.Next(10) < 6 ? Structural(bytes, random) : ByteLevel(bytes, random);
            bytes = next;
            steps.Add(what);
        }

        return (bytes, string.Join("; ", steps));
    }

    private static (byte[], string) ByteLevel(byte[] bytes, Random random)
    {
        if (bytes.Length == 0)
        {
            return ([(byte)'<'], "insert '<' into nothing");
        }

        var at = random.Next(bytes.Length);
        switch (random.Next(7))
        {
            case 0:
                var bit = random.Next(8);
                var flipped = (byte[])bytes.Clone();
                flipped[at] ^= (byte)(1 << bit);
                return (flipped, $"flip bit {bit} of byte {at}");
            case 1:
                var b = random.Next(2) == 0 ? InterestingBytes[random.Next(InterestingBytes.Length)] : (byte)random.Next(256);
                return ([.. bytes.AsSpan(0, at), b, .. bytes.AsSpan(at)], $"insert byte 0x{b:X2} at {at}");
            case 2:
                var length = Math.Min(random.Next(1, 9), bytes.Length - at);
                return ([.. bytes.AsSpan(0, at), .. bytes.AsSpan(at + length)], $"delete {length} bytes at {at}");
            case 3:
                var run = Math.Min(random.Next(1, 64), bytes.Length - at);
                var times = random.Next(2, 5);
                var repeated = new List<byte>(bytes.Length + (run * times));
                repeated.AddRange(bytes.AsSpan(0, at + run));
                for (var t = 1; t < times; t++)
                {
                    repeated.AddRange(bytes.AsSpan(at, run));
                }

                repeated.AddRange(bytes.AsSpan(at + run));
                return ([.. repeated], $"repeat {run} bytes at {at} {times} times");
            case 4:
                return (bytes[..at], $"truncate at {at}");
            case 5:
                var invalid = InvalidUtf8[random.Next(InvalidUtf8.Length)];
                return ([.. bytes.AsSpan(0, at), .. invalid, .. bytes.AsSpan(at)], $"insert invalid UTF-8 {Convert.ToHexString(invalid)} at {at}");
            default:
                var other = random.Next(bytes.Length);
                var swapped = (byte[])bytes.Clone();
                (swapped[at], swapped[other]) = (swapped[other], swapped[at]);
                return (swapped, $"swap bytes {at} and {other}");
        }
    }

    private static (byte[], string) Structural(byte[] bytes, Random random)
    {
        XDocument doc;
        try
        {
            doc = XDocument.Parse(Encoding.UTF8.GetString(bytes), LoadOptions.PreserveWhitespace);
        }
        catch (System.Xml.XmlException)
        {
            return ByteLevel(bytes, random);
        }

        var elements = doc.Descendants().ToList();
        var element = elements[random.Next(elements.Count)];
        var attributes = elements.SelectMany(e => e.Attributes()).Where(a => !a.IsNamespaceDeclaration).ToList();
        string what;
        switch (random.Next(9))
        {
            case 0 when element.Parent is not null:
                element.AddAfterSelf(new XElement(element));
                what = $"duplicate <{Path(element)}>";
                break;
            case 1 when element.Parent is not null:
                what = $"remove <{Path(element)}>";
                element.Remove();
                break;
            case 2 when attributes.Count > 0:
                var removed = attributes[random.Next(attributes.Count)];
                what = $"remove @{removed.Name.LocalName} of <{Path(removed.Parent!)}>";
                removed.Remove();
                break;
            case 3 or 4 when attributes.Count > 0:
                var attribute = attributes[random.Next(attributes.Count)];
                var value = Value(random);
                what = $"set @{attribute.Name.LocalName} of <{Path(attribute.Parent!)}> to {Show(value)}";
                attribute.Value = value;
                break;
            case 5 when element.Nodes().OfType<XText>().Any() || !element.HasElements:
                var text = Value(random);
                what = $"set the text of <{Path(element)}> to {Show(text)}";
                element.ReplaceNodes(text);
                break;
            case 6 when attributes.Count > 1:
                // Another element's attribute, moved here (a valid name in the wrong place).
                var donor = attributes[random.Next(attributes.Count)];
                what = $"give <{Path(element)}> @{donor.Name.LocalName}='{donor.Value}'";
                element.SetAttributeValue(donor.Name, donor.Value);
                break;
            case 7 when elements.Count > 2 && element.Parent is not null:
                // Another element (with its subtree), added here.
                var donorElement = elements[random.Next(1, elements.Count)];
                what = $"copy <{Path(donorElement)}> into <{Path(element)}>";
                element.Add(new XElement(donorElement));
                break;
            case 8 when attributes.Count > 0:
                // The same attribute twice: libvirt's XML parser refuses that, so must we.
                var twice = attributes[random.Next(attributes.Count)];
                var text2 = doc.ToString(SaveOptions.DisableFormatting);
                var marker = $"{twice.Name.LocalName}=\"{System.Security.SecurityElement.Escape(twice.Value)}\"";
                var index = text2.IndexOf(marker, StringComparison.Ordinal);
                if (index >= 0)
                {
                    return (Encoding.UTF8.GetBytes(text2.Insert(index, marker + " ")), $"write @{twice.Name.LocalName} twice");
                }

                return ByteLevel(bytes, random);
            default:
                return ByteLevel(bytes, random);
        }

        var output = Encoding.UTF8.GetBytes(doc.ToString(SaveOptions.DisableFormatting));
        return (output, what);
    }

    private static string Value(Random random) => random.Next(12) switch
    {
        0 => new string((char)random.Next('a', 'z' + 1), random.Next(1, 100_000)),
        1 => random.NextInt64(long.MinValue, long.MaxValue).ToString(CultureInfo.InvariantCulture),
        2 => ((ulong)random.NextInt64() * 2).ToString(CultureInfo.InvariantCulture),
        _ => BoundaryValues[random.Next(BoundaryValues.Length)],
    };

    private static string Show(string value) => value.Length > 40 ? $"'{value[..10]}...' ({value.Length} characters)" : $"'{value}'";

    private static string Path(XElement element) =>
        string.Join('/', element.AncestorsAndSelf().Reverse().Select(e => e.Name.LocalName));
}
