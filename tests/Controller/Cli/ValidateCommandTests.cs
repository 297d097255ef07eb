using System.Text.Json;
using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Cli;

/// <summary>`reconciler validate`, driven through the real executable.</summary>
public sealed class ValidateCommandTests
{
    private const string ValidDomain = "<domain type='kvm'><name>ok</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>";

    private const string InvalidDomain = "<domain type='kvm'>\n  <name>bad</name>\n  <memory unit='MiB'>64</memory>\n  <os><type arch='x86_64'>hvm</type></os>\n  <on_crash>explode</on_crash>\n</domain>\n";

    [Fact]
    public void ValidFilesPrintValidAndExitZero()
    {
        using var dir = new TempDir();
        var file = dir.Write("ok.xml", ValidDomain);
        var result = ReconcilerProcess.Run("validate", file);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal($"{file}: valid\n", result.Stdout);
    }

    [Fact]
    public void ErrorsArePrintedWithFileLineAndColumnAndExitOne()
    {
        using var dir = new TempDir();
        var file = dir.Write("bad.xml", InvalidDomain);
        var result = ReconcilerProcess.Run("validate", file);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"{file}:5:4: error: unsupported configuration: unknown on_crash action: explode\n", result.Stdout);
    }

    [Fact]
    public void JsonHasOneObjectPerFileWithEveryField()
    {
        using var dir = new TempDir();
        var ok = dir.Write("a-ok.xml", ValidDomain);
        var bad = dir.Write("b-bad.xml", InvalidDomain);
        var result = ReconcilerProcess.Run("validate", "--output", "json", ok, bad);
        Assert.Equal(1, result.ExitCode);
        var lines = result.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);

        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(ok, first.RootElement.GetProperty("path").GetString());
        Assert.Equal("domain", first.RootElement.GetProperty("kind").GetString());
        Assert.True(first.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(JsonValueKind.Null, first.RootElement.GetProperty("message").ValueKind);
        Assert.Equal(0, first.RootElement.GetProperty("errors").GetArrayLength());

        using var second = JsonDocument.Parse(lines[1]);
        Assert.False(second.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal("unsupported configuration: unknown on_crash action: explode", second.RootElement.GetProperty("message").GetString());
        var error = second.RootElement.GetProperty("errors")[0];
        Assert.Equal("VIR_ERR_CONFIG_UNSUPPORTED", error.GetProperty("code").GetString());
        Assert.Equal(5, error.GetProperty("line").GetInt32());
        Assert.Equal(4, error.GetProperty("column").GetInt32());
    }

    [Fact]
    public void ADirectoryStandsForItsXmlFilesAndSkipsDotfiles()
    {
        using var dir = new TempDir();
        dir.Write("domains/a.xml", ValidDomain);
        dir.Write("pools/images/vol.xml", "<volume><name>v.img</name><capacity unit='MiB'>1</capacity></volume>");
        dir.Write(".git/config.xml", "not xml at all");
        dir.Write("domains/.a.xml.swp.xml", "not xml at all");
        dir.Write("notes.txt", "ignored");
        var result = ReconcilerProcess.Run("validate", dir.Path);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.All(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.EndsWith(": valid", line, StringComparison.Ordinal));
    }

    [Fact]
    public void AMissingPathIsReportedAndFailsTheRun()
    {
        using var dir = new TempDir();
        var missing = Path.Combine(dir.Path, "nope.xml");
        var result = ReconcilerProcess.Run("validate", missing);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{missing}: error: no such file or directory", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void ThousandsOfFilesAreValidatedInOneCall()
    {
        using var dir = new TempDir();
        var files = Enumerable.Range(0, 2000).Select(i => dir.Write($"d{i:D4}.xml", ValidDomain.Replace("<name>ok</name>", $"<name>vm{i}</name>", StringComparison.Ordinal))).ToArray();
        var result = ReconcilerProcess.Run(["validate", "--output", "json", .. files]);
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(files.Length, lines.Length);
        // Results come back in the order of the arguments.
        Assert.Equal(files[1234], JsonDocument.Parse(lines[1234]).RootElement.GetProperty("path").GetString());
    }

    [Fact]
    public void HelpListsTheCommands()
    {
        var result = ReconcilerProcess.Run("--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("validate", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("normalize", result.Stdout, StringComparison.Ordinal);
    }
}
