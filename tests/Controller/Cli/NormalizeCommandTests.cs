using System.Xml.Linq;
using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Cli;

/// <summary>`reconciler normalize`, driven through the real executable.</summary>
public sealed class NormalizeCommandTests
{
    private const string Domain = "<domain type='kvm'><name>n</name><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><memory unit='GiB'>1</memory><os><type arch='x86_64'>hvm</type></os></domain>";

    [Fact]
    public void OneFileGoesToStdoutInLibvirtsForm()
    {
        using var dir = new TempDir();
        var file = dir.Write("n.xml", Domain);
        var result = ReconcilerProcess.Run("normalize", file);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("<domain type='kvm'>\n  <name>n</name>\n  <uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid>\n  <memory unit='KiB'>1048576</memory>\n  <currentMemory unit='KiB'>1048576</currentMemory>\n", result.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("</domain>\n", result.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void SeveralFilesGoToTheOutputDirectoryUnderTheirNames()
    {
        using var dir = new TempDir();
        var a = dir.Write("in/a.xml", Domain);
        var b = dir.Write("in/b.xml", "<network><name>net</name></network>");
        var outDir = Path.Combine(dir.Path, "out");
        var result = ReconcilerProcess.Run("normalize", "--out-dir", outDir, a, b);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("domain", XElement.Load(Path.Combine(outDir, "a.xml")).Name.LocalName);
        Assert.Equal("network", XElement.Load(Path.Combine(outDir, "b.xml")).Name.LocalName);
    }

    [Fact]
    public void SeveralFilesWithoutAnOutputDirectoryIsAUsageError()
    {
        using var dir = new TempDir();
        var a = dir.Write("a.xml", Domain);
        var b = dir.Write("b.xml", Domain);
        var result = ReconcilerProcess.Run("normalize", a, b);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--out-dir", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidFilesAreReportedOnStderrAndNotWritten()
    {
        using var dir = new TempDir();
        var bad = dir.Write("bad.xml", "<domain type='kvm'><name>x</name><os><type>hvm</type></os></domain>");
        var outDir = Path.Combine(dir.Path, "out");
        var result = ReconcilerProcess.Run("normalize", "--out-dir", outDir, bad);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{bad}:1:2: error: XML error: Memory size must be specified via <memory> or in the <numa> configuration", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(outDir, "bad.xml")));
    }
}
