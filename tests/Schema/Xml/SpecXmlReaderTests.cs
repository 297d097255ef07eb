using System.Text;
using Reconciler.Schema.Tests.Support;
using Reconciler.Schema.Xml;
using Xunit;

namespace Reconciler.Schema.Tests.Xml;

/// <summary>Hostile and broken input: a clear error with a position, never an exception or a hang.</summary>
public sealed class SpecXmlReaderTests
{
    [Fact]
    public void ExternalEntitiesAreRefusedNotResolved()
    {
        const string xml = """
            <?xml version="1.0"?>
            <!DOCTYPE domain [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
            <domain type='kvm'><name>&xxe;</name></domain>
            """;
        var doc = Specs.Load(xml);
        Assert.False(doc.IsValid);
        Assert.Contains("DTD", doc.Errors[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("root:", doc.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(2, doc.Errors[0].Line);
    }

    [Fact]
    public void BillionLaughsIsRefusedQuickly()
    {
        var sb = new StringBuilder("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>");
        for (var i = 1; i < 10; i++)
        {
            sb.Append($"<!ENTITY lol{i} '{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? string.Empty : (i - 1).ToString(System.Globalization.CultureInfo.InvariantCulture))};", 10))}'>");
        }

        sb.Append("]><domain type='kvm'><name>&lol9;</name></domain>");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var doc = Specs.Load(sb.ToString());
        Assert.False(doc.IsValid);
        Assert.Contains("DTD", doc.Errors[0].Message, StringComparison.Ordinal);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), "refusing the document must not expand it");
    }

    [Fact]
    public void EmptyAndWhitespaceFilesAreClearErrors()
    {
        foreach (var text in new[] { string.Empty, "   \n\t", "\uFEFF" })
        {
            var doc = Specs.Load(text);
            Assert.False(doc.IsValid);
            Assert.Equal("file is empty: expected an XML document", doc.Errors[0].Message);
        }
    }

    [Fact]
    public void MalformedXmlReportsLineAndColumn()
    {
        var doc = Specs.Load("<domain type='kvm'>\n  <name>a</nam>\n</domain>");
        Assert.False(doc.IsValid);
        Assert.Equal(2, doc.Errors[0].Line);
        Assert.True(doc.Errors[0].Column > 1);
    }

    [Fact]
    public void BinaryJunkIsAnErrorNotACrash()
    {
        var junk = new byte[4096];
        new Random(42).NextBytes(junk);
        var doc = LibvirtSchema.Load("junk.xml", junk);
        Assert.False(doc.IsValid);
        Assert.NotEmpty(doc.Errors[0].Message);
    }

    [Fact]
    public void AByteOrderMarkIsAccepted()
    {
        var bytes = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("<network><name>n</name></network>")).ToArray();
        var doc = LibvirtSchema.Load("bom.xml", bytes);
        Assert.Null(doc.Errors.FirstOrDefault(e => e.Message.Contains("XML", StringComparison.Ordinal) && e.Line == 1 && e.Column == 1 && e.Message.Contains("empty", StringComparison.Ordinal)));
        Assert.Equal(SpecKind.Network, doc.Kind);
    }

    [Fact]
    public void FilesAboveTheSizeLimitAreRefused()
    {
        var options = SchemaOptions.Default with { Limits = new XmlLimits { MaxBytes = 1024 } };
        var doc = LibvirtSchema.LoadText("big.xml", "<domain type='kvm'><name>" + new string('a', 2048) + "</name></domain>", options);
        Assert.False(doc.IsValid);
        Assert.StartsWith("file is too large", doc.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DeepNestingIsRefused()
    {
        var options = SchemaOptions.Default with { Limits = new XmlLimits { MaxDepth = 50 } };
        var xml = "<domain type='kvm'>" + string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100)) + "</domain>";
        var doc = LibvirtSchema.LoadText("deep.xml", xml, options);
        Assert.False(doc.IsValid);
        Assert.Contains("nested more than 50 levels", doc.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnUnknownRootElementNamesWhatIsExpected()
    {
        var doc = Specs.Load("<secret ephemeral='no'/>");
        Assert.False(doc.IsValid);
        Assert.Null(doc.Kind);
        Assert.Equal("unknown root element 'secret': a spec file defines a domain, network, pool or volume", doc.Errors[0].Message);
    }

    [Fact]
    public void WrongDeclaredEncodingIsAnError()
    {
        var bytes = Encoding.UTF8.GetBytes("<?xml version='1.0' encoding='utf-16'?><domain type='kvm'><name>a</name></domain>");
        var doc = LibvirtSchema.Load("enc.xml", bytes);
        Assert.False(doc.IsValid);
    }
}
