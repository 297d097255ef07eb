using System.Text;
using System.Xml;
using System.Xml.Linq;
using Reconciler.Schema.Tests.Fuzzing;
using Reconciler.Schema.Tests.Support;
using Reconciler.Schema.Xml;
using Reconciler.Tests.Hostile;
using Xunit;

namespace Reconciler.Schema.Tests.Xml;

/// <summary>
/// The spec reader's fast path must build exactly the tree that .NET's XML reader builds (less the
/// indentation, which the spec reader drops from the reader's tree) — the same nodes, names, values and line
/// information, on which every later message and position depends — or give the document up to that reader. Compared on every public spec file, every hostile file, mutants of them and
/// the corner cases of the XML grammar it reads.
/// </summary>
public sealed class SimpleXmlLoaderTests
{
    private static readonly XmlLimits Limits = XmlLimits.Default;

    /// <summary>
    /// What the fast path gave, against the XML reader: null when it gave the document up; otherwise
    /// whether the trees agree (the reader must have accepted the document).
    /// </summary>
    private static bool? Compare(byte[] bytes, out string fastDump, out string slowDump)
    {
        fastDump = slowDump = string.Empty;
        var fast = SimpleXmlLoader.TryLoad(bytes, Limits);
        if (fast is null)
        {
            return null;
        }

        var slow = SpecXmlReader.Parse(bytes, Limits, plainPath: false, out var error);
        fastDump = Dump(fast);
        slowDump = slow is null ? "refused: " + error?.Message : Dump(slow);
        return fastDump == slowDump;
    }

    /// <summary>Everything about a tree that code can observe: node kinds, names, values, emptiness, positions.</summary>
    private static string Dump(XDocument doc)
    {
        var sb = new StringBuilder();
        sb.Append("declaration ").Append(doc.Declaration?.ToString() ?? "none").Append(' ').AppendLine(Position(doc));
        foreach (var node in doc.Nodes())
        {
            Dump(sb, node, 0);
        }

        return sb.ToString();
    }

    private static void Dump(StringBuilder sb, XNode node, int depth)
    {
        sb.Append(' ', depth * 2);
        switch (node)
        {
            case XElement e:
                sb.Append('<').Append(e.Name.ToString()).Append(e.IsEmpty ? " empty " : " ").AppendLine(Position(e));
                foreach (var a in e.Attributes())
                {
                    sb.Append(' ', (depth * 2) + 2).Append('@').Append(a.Name.ToString()).Append("=[").Append(a.Value).Append("] ").AppendLine(Position(a));
                }

                foreach (var child in e.Nodes())
                {
                    Dump(sb, child, depth + 1);
                }

                break;
            case XCData c:
                sb.Append("cdata[").Append(c.Value).Append("] ").AppendLine(Position(c));
                break;
            case XText t:
                sb.Append("text[").Append(t.Value).Append("] ").AppendLine(Position(t));
                break;
            default:
                sb.Append(node.NodeType).Append(' ').Append(node.ToString()).Append(' ').AppendLine(Position(node));
                break;
        }
    }

    private static string Position(XObject o) =>
        o is IXmlLineInfo info && info.HasLineInfo() ? $"{info.LineNumber}:{info.LinePosition}" : "-";

    [Fact]
    public void Every_public_spec_file_gives_the_tree_of_the_XML_reader_and_most_take_the_fast_path()
    {
        var (taken, total) = (0, 0);
        foreach (var file in Corpus.AllSpecFiles())
        {
            total++;
            switch (Compare(File.ReadAllBytes(file), out var fast, out var slow))
            {
                case true:
                    taken++;
                    break;
                case false:
                    Assert.Fail($"{file}: the fast path built\n{fast}\nthe XML reader\n{slow}");
                    break;
            }
        }

        // The fast path is only worth having when the files users write take it, comments and namespaced
        // metadata included; libvirt's own test data has the odd character reference or CDATA section.
        Assert.True(taken >= total * 0.95, $"{taken} of {total} files took the fast path");
    }

    [Fact]
    public void Every_hostile_file_gives_the_tree_of_the_XML_reader_or_is_left_to_it()
    {
        foreach (var file in Directory.EnumerateFiles(HostileFiles.Directory))
        {
            if (Compare(File.ReadAllBytes(file), out var fast, out var slow) == false)
            {
                Assert.Fail($"{file}: the fast path built\n{fast}\nthe XML reader\n{slow}");
            }
        }
    }

    [Fact]
    public void Mutants_of_the_public_corpus_give_the_tree_of_the_XML_reader_or_are_left_to_it()
    {
        var seeds = Corpus.AllSpecFiles().Select(File.ReadAllBytes).ToList();
        var taken = 0;
        for (var n = 0; n < 4000; n++)
        {
            var random = new Random(7_000_003 + n);
            var (mutant, what) = Mutator.Mutate(seeds[random.Next(seeds.Count)], random);
            switch (Compare(mutant, out var fast, out var slow))
            {
                case true:
                    taken++;
                    break;
                case false:
                    Assert.Fail($"mutant #{n} ({what}): the fast path built\n{fast}\nthe XML reader\n{slow}");
                    break;
            }
        }

        Assert.True(taken > 1000, $"only {taken} mutants took the fast path: the comparison proves little");
    }

    [Theory]
    [InlineData("<domain/>")]
    [InlineData("<domain></domain>")]
    [InlineData("<domain><name></name><uuid/></domain>")]
    [InlineData("<?xml version=\"1.0\"?><domain/>")]
    [InlineData("<?xml version='1.0' encoding='utf-8'?>\n<domain/>\n")]
    [InlineData("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\n<domain>\n</domain>")]
    [InlineData("<?xml version=\"1.0\" standalone='no' ?>\t<domain/>")]
    [InlineData("\n  \t<domain type='kvm'\n   id = \"1\"   >\n  <name>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;</name>\n</domain>\n\n")]
    [InlineData("<domain a='x\ty\nz' b=\"&lt;&amp;&gt;\" c='\"' d=\"'\"/>")]
    [InlineData("<domain>\t<name>\ttab\there\t</name>\t</domain>")]
    [InlineData("<domain><description>é – 漢字 😀 then</description><b x='é😀' y='1'/> <c/></domain>")]
    [InlineData("<domain><name>😀😀</name><uuid a='1'/></domain>")]
    [InlineData("<domain><name>a>b ] ]] ]>x</name></domain>")]
    [InlineData("<domain><x y='\u0085\u2028\u00a0\u007f' z='1'/><w>\u0085\u2028\u00a0</w></domain>")]
    [InlineData("<Domain_1 x.y-z='1' _a='2'><a-b.c_d/></Domain_1>")]
    [InlineData("<domain></domain >")]
    [InlineData("<domain></domain\n>")]
    [InlineData("<!-- c --><domain/>")]
    [InlineData("<?xml version=\"1.0\"?>\n<!-- a\n  comment -->\n<domain><!---->x<!-- - & < é -->y\n <!--z--></domain>\n<!-- after -->\n")]
    [InlineData("<domain xmlns:q='urn:q'><q:x q:a='1' b='2'/></domain>")]
    [InlineData("<domain><metadata>\n <rc:reconciler xmlns:rc='https://reconciler.dev/xmlns/domain/1.0'>\n  <rc:runStrategy>once</rc:runStrategy>\n </rc:reconciler>\n</metadata><name>n</name></domain>")]
    [InlineData("<domain xmlns='urn:d' a='1'><x xmlns=''><y/></x><z/></domain>")]
    [InlineData("<a:domain xmlns:a='urn:a' xmlns:b='urn:b'><b:x a:y='1' b:y='2'/><a:x xmlns:a='urn:other'/><a:z/></a:domain>")]
    [InlineData("<domain xmlns:q='urn:&amp;q'><q:x/></domain>")]
    [InlineData("<domain><name> </name><title>\t\n</title><a> <!-- c --> </a><b>\n  <c/>\n  <!-- d -->\n  <e> x </e>\n</b></domain>")]
    public void Well_formed_documents_give_the_tree_of_the_XML_reader(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        Assert.True(Compare(bytes, out var fast, out var slow) is true, $"fast path:\n{fast}\nXML reader:\n{slow}");
    }

    [Theory]
    [InlineData("<domain>")]
    [InlineData("<domain></domian>")]
    [InlineData("<domain a='1' a='2'/>")]
    [InlineData("<domain a='1'b='2'/>")]
    [InlineData("<domain a=1/>")]
    [InlineData("<domain a='<'/>")]
    [InlineData("<domain>&nbsp;</domain>")]
    [InlineData("<domain>&amp</domain>")]
    [InlineData("<domain>a ]]> b</domain>")]
    [InlineData("<domain/><domain/>")]
    [InlineData("<domain/>text")]
    [InlineData("<domain><description>a <b>bold</b> move</description></domain>")]
    [InlineData("<domain><description> <b/>x</description></domain>")]
    [InlineData("<domain>\u00a0<x/></domain>")]
    [InlineData("text<domain/>")]
    [InlineData("<1domain/>")]
    [InlineData("<domain/ >")]
    [InlineData("< domain/>")]
    [InlineData("<domain>\u0001</domain>")]
    [InlineData("<domain>\uFFFF</domain>")]
    [InlineData("<?xml version=\"1.1\"?><domain/>")]
    [InlineData("<?xml encoding=\"UTF-8\" version=\"1.0\"?><domain/>")]
    [InlineData("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><domain/>")]
    [InlineData("<?xml version=\"1.0\"?><?xml version=\"1.0\"?><domain/>")]
    [InlineData("<domain><!-- a -- b --></domain>")]
    [InlineData("<domain><!-- a ---></domain>")]
    [InlineData("<domain><!-- a </domain>")]
    [InlineData("<domain><q:x/></domain>")]
    [InlineData("<domain xmlns:q=''><q:x/></domain>")]
    [InlineData("<domain xmlns:q='urn:q'></domain><q:x/>")]
    [InlineData("<domain><x xmlns:q='urn:q'/><q:y/></domain>")]
    [InlineData("<domain xmlns:a='urn:s' xmlns:b='urn:s' a:x='1' b:x='2'/>")]
    [InlineData("<domain xmlns:xml='urn:x'/>")]
    [InlineData("<domain xmlns:q='http://www.w3.org/2000/xmlns/'/>")]
    [InlineData("<domain xmlns='http://www.w3.org/XML/1998/namespace'/>")]
    [InlineData("<q:domain xmlns:q='urn:q'></domain>")]
    [InlineData("<domain a:b:c='1'/>")]
    public void Documents_the_fast_path_does_not_read_are_left_to_the_XML_reader(string xml)
    {
        Assert.Null(SimpleXmlLoader.TryLoad(Encoding.UTF8.GetBytes(xml), Limits));
    }

    [Theory]
    [InlineData("<domain><![CDATA[x]]></domain>")]
    [InlineData("<domain>&#65;</domain>")]
    [InlineData("<domain xml:lang='en'/>")]
    [InlineData("<domain>\r\n</domain>")]
    [InlineData("\uFEFF<domain/>")]
    public void Forms_outside_the_fast_path_are_left_to_the_XML_reader_which_reads_them(string xml)
    {
        var bytes = Encoding.UTF8.GetBytes(xml);
        Assert.Null(SimpleXmlLoader.TryLoad(bytes, Limits));
        Assert.True(SpecXmlReader.Parse(bytes, Limits, out var error) is not null, error?.Message);
    }

    [Fact]
    public void Limits_leave_the_document_to_the_XML_reader_which_reports_them()
    {
        var limits = new XmlLimits { MaxDepth = 3, MaxAttributeLength = 4, MaxTextLength = 4 };
        Assert.Null(SimpleXmlLoader.TryLoad("<a><b><c><d/></c></b></a>"u8, limits));
        Assert.Null(SimpleXmlLoader.TryLoad("<a x='12345'/>"u8, limits));
        Assert.Null(SimpleXmlLoader.TryLoad("<a>12345</a>"u8, limits));
        Assert.NotNull(SimpleXmlLoader.TryLoad("<a x='1234'><b><c>1234</c></b></a>"u8, limits));

        Assert.Null(SpecXmlReader.Parse("<a><b><c><d/></c></b></a>"u8.ToArray(), limits, out var error));
        Assert.Contains("nested more than 3 levels", error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tag_of_a_hundred_thousand_attributes_or_namespaces_gives_the_tree_of_the_XML_reader()
    {
        // Under the tag limit (1 MiB): a check for a repeated name that compared each attribute with every
        // earlier one would make billions of comparisons.
        var attributes = new StringBuilder("<domain");
        for (var i = 0; i < 100_000; i++)
        {
            attributes.Append(" a").Append(i).Append("=''");
        }

        Assert.True(Compare(Encoding.UTF8.GetBytes(attributes.Append("/>").ToString()), out var fast, out var slow) is true, slow);

        var namespaces = new StringBuilder("<domain");
        for (var i = 0; i < 30_000; i++)
        {
            namespaces.Append(" xmlns:p").Append(i).Append("='u").Append(i).Append('\'');
        }

        for (var i = 0; i < 2_000; i++)
        {
            namespaces.Append(" p").Append(i).Append(":a=''");
        }

        var bytes = Encoding.UTF8.GetBytes(namespaces.Append("/>").ToString());
        Assert.Null(SimpleXmlLoader.TryLoad(bytes, Limits));
        Assert.True(SpecXmlReader.Parse(bytes, Limits, out var error) is not null, error?.Message);
    }

    [Fact]
    public void A_document_of_more_distinct_names_than_the_name_cache_holds_reads_whole()
    {
        var sb = new StringBuilder("<domain>");
        for (var i = 0; i < 10_000; i++)
        {
            sb.Append("<n").Append(i).Append("/>");
        }

        var doc = SimpleXmlLoader.TryLoad(Encoding.UTF8.GetBytes(sb.Append("</domain>").ToString()), Limits);
        Assert.Equal(10_000, doc!.Root!.Elements().Count());
        Assert.Equal("n9999", doc.Root.Elements().Last().Name.LocalName);
    }
}
