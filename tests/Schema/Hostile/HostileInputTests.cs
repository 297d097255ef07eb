using System.Net;
using System.Net.Sockets;
using System.Text;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Xml;
using Reconciler.Tests.Hostile;
using Xunit;

namespace Reconciler.Schema.Tests.Hostile;

/// <summary>
/// Hostile and broken files through the schema layer's API: each one gets a clear error that names the file
/// and says where, never an exception, never a hang, never a file read or a request made on its behalf.
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>Far above what any of these takes (milliseconds); a hang fails the test instead of stalling the run.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    public static IEnumerable<object[]> Files => HostileFiles.Names();

    private static SpecDocument Within(Func<SpecDocument> load, string what)
    {
        var task = Task.Run(load);
        Assert.True(task.Wait(Bound), $"{what}: no answer within {Bound.TotalSeconds} s");
        return task.Result;
    }

    private static SchemaError SingleError(SpecDocument doc)
    {
        Assert.False(doc.IsValid);
        Assert.Null(doc.Effective);
        var error = Assert.Single(doc.Errors);
        Assert.NotEqual(ErrorCode.InternalError, error.Code);
        return error;
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Each_file_gets_a_clear_error_naming_the_file_and_where(string file)
    {
        var c = HostileFiles.Get(file);
        var doc = Within(() => LibvirtSchema.LoadFile(c.Path), file);
        Assert.Equal(c.Path, doc.Path);
        if (c.Valid)
        {
            Assert.True(doc.IsValid, string.Join("\n", doc.Errors.Select(e => e.ToString(doc.Path))));
            return;
        }

        var error = SingleError(doc);
        Assert.Contains(c.Message, error.Message, StringComparison.Ordinal);
        if (c.Line is { } line)
        {
            Assert.Equal(line, error.Line);
        }

        if (c.Column is { } column)
        {
            Assert.Equal(column, error.Column);
        }

        Assert.True(error.Line >= 1 && error.Column >= 1, "every error of these files has a position");
        Assert.StartsWith($"{c.Path}:{error.Line}:{error.Column}: error: ", error.ToString(doc.Path), StringComparison.Ordinal);
    }

    [Fact]
    public void A_byte_order_mark_changes_nothing_of_the_definition()
    {
        var withBom = LibvirtSchema.LoadFile(HostileFiles.Get("utf8-bom.xml").Path);
        var without = LibvirtSchema.Load("plain.xml", File.ReadAllBytes(HostileFiles.Get("utf8-bom.xml").Path).AsMemory(3));
        Assert.True(withBom.IsValid);
        Assert.Equal(without.Name, withBom.Name);
        Assert.Equal("hostile", withBom.Name);
        Assert.Equal("virbr9", withBom.Effective!.Element("bridge")!.Attribute("name")!.Value);
    }

    [Fact]
    public void XInclude_is_never_processed()
    {
        var doc = LibvirtSchema.LoadFile(HostileFiles.Get("xinclude.xml").Path);
        Assert.True(doc.IsValid);
        var passwd = File.Exists("/etc/passwd") ? File.ReadAllText("/etc/passwd") : "root:";
        Assert.DoesNotContain(passwd.Split('\n')[0], doc.Format(), StringComparison.Ordinal);
        Assert.Equal("n", doc.Name);
    }

    [Fact]
    public void A_local_file_named_by_an_entity_is_never_read_into_the_answer()
    {
        var secret = Path.Combine(Path.GetTempPath(), "reconciler-secret-" + Guid.NewGuid().ToString("N"));
        var marker = "TOP-SECRET-" + Guid.NewGuid().ToString("N");
        File.WriteAllText(secret, marker);
        try
        {
            foreach (var xml in new[]
            {
                $"<?xml version='1.0'?>\n<!DOCTYPE network [<!ENTITY s SYSTEM 'file://{secret}'>]>\n<network><name>&s;</name></network>",
                $"<?xml version='1.0'?>\n<!DOCTYPE network [<!ENTITY s SYSTEM '{secret}'>]>\n<network><name>n</name><bridge name='&s;'/></network>",
                $"<?xml version='1.0'?>\n<!DOCTYPE network SYSTEM 'file://{secret}'>\n<network><name>n</name></network>",
            })
            {
                var doc = Within(() => LibvirtSchema.LoadText("xxe.xml", xml), xml);
                var error = SingleError(doc);
                Assert.Contains("DTDs and entity declarations are not allowed", error.Message, StringComparison.Ordinal);
                Assert.Equal(2, error.Line);
                Assert.DoesNotContain(marker, error.ToString("xxe.xml"), StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void No_request_is_ever_made_for_an_external_entity_a_dtd_a_stylesheet_or_a_schema()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        var files = new[]
        {
            $"<?xml version='1.0'?>\n<!DOCTYPE network [<!ENTITY x SYSTEM '{url}/entity'>]>\n<network><name>&x;</name></network>",
            $"<?xml version='1.0'?>\n<!DOCTYPE network [<!ENTITY % p SYSTEM '{url}/parameter'> %p;]>\n<network><name>n</name></network>",
            $"<?xml version='1.0'?>\n<!DOCTYPE network SYSTEM '{url}/external.dtd'>\n<network><name>n</name></network>",
            $"<?xml version='1.0'?>\n<?xml-stylesheet type='text/xsl' href='{url}/style.xsl'?>\n<network><name>n</name></network>",
            $"<network xmlns:xi='http://www.w3.org/2001/XInclude'><name>n</name><xi:include href='{url}/include.xml'/></network>",
            $"<network xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance' xsi:noNamespaceSchemaLocation='{url}/schema.xsd'><name>n</name></network>",
        };
        foreach (var xml in files)
        {
            var doc = Within(() => LibvirtSchema.LoadText("remote.xml", xml), xml);
            Assert.True(doc.IsValid || doc.Errors[0].Line >= 1, xml);
        }

        // A connection attempt would be waiting in the listener's backlog.
        Assert.False(listener.Pending(), "a request was made for a URL named in a spec file");
    }

    [Fact]
    public void A_file_over_the_size_limit_is_refused_without_being_read()
    {
        var path = Path.Combine(Path.GetTempPath(), "reconciler-big-" + Guid.NewGuid().ToString("N") + ".xml");
        using (var stream = File.Create(path))
        {
            stream.Write("<network><name>n</name><description>"u8);
            stream.SetLength(XmlLimits.DefaultMaxBytes + 1);
        }

        try
        {
            var error = SingleError(Within(() => LibvirtSchema.LoadFile(path), "11 MB file"));
            Assert.Equal($"file is too large: {XmlLimits.DefaultMaxBytes + 1} bytes, at most {XmlLimits.DefaultMaxBytes} are accepted", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_huge_attribute_value_is_refused_where_it_is()
    {
        var xml = "<network>\n  <name>n</name>\n  <bridge name='" + new string('b', 100_000) + "'/>\n</network>\n";
        var error = SingleError(Within(() => LibvirtSchema.LoadText("attr.xml", xml), "huge attribute"));
        Assert.Equal("attribute 'name' of <bridge> is 100000 characters long, at most 65536 are accepted", error.Message);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void A_huge_text_is_refused_where_it_is()
    {
        var xml = "<domain type='kvm'>\n  <name>n</name>\n  <description>" + new string('d', 2_000_000) + "</description>\n</domain>\n";
        var error = SingleError(Within(() => LibvirtSchema.LoadText("text.xml", xml), "huge text"));
        Assert.Equal("the text in <description> is 2000000 characters long, at most 1048576 are accepted", error.Message);
        Assert.Equal(3, error.Line);
    }

    [Fact]
    public void A_tag_of_megabytes_is_refused_quickly()
    {
        // 600,000 attributes in one tag: .NET's reader alone would spend most of a minute on it.
        var sb = new StringBuilder("<network>\n<name>n</name>\n<bridge");
        for (var i = 0; i < 600_000; i++)
        {
            sb.Append(" a").Append(i).Append("='1'");
        }

        sb.Append("/>\n</network>\n");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = SingleError(Within(() => LibvirtSchema.LoadText("tag.xml", sb.ToString()), "huge tag"));
        Assert.StartsWith("a tag is ", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("bytes long, at most 1048576 are accepted (too many or too long attributes)", error.Message, StringComparison.Ordinal);
        Assert.Equal((3, 1), (error.Line, error.Column));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public void Nesting_a_million_levels_deep_is_refused_at_the_limit()
    {
        var xml = "<domain type='kvm'>" + string.Concat(Enumerable.Repeat("<a>", 1_000_000));
        var error = SingleError(Within(() => LibvirtSchema.LoadText("deep.xml", xml), "deep nesting"));
        Assert.Equal("elements are nested more than 256 levels deep", error.Message);

        // Exactly at the limit is fine as far as depth goes (the schema then says what it thinks of <a>).
        var atLimit = "<network><name>n</name>" + string.Concat(Enumerable.Repeat("<a>", 255)) + string.Concat(Enumerable.Repeat("</a>", 255)) + "</network>";
        Assert.DoesNotContain(LibvirtSchema.LoadText("ok.xml", atLimit).Errors, e => e.Message.Contains("nested", StringComparison.Ordinal));
    }
}
