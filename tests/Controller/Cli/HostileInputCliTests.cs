using System.Text;
using Reconciler.Controller.Tests.Support;
using Reconciler.Tests.Hostile;
using Xunit;

namespace Reconciler.Controller.Tests.Cli;

/// <summary>
/// The hostile spec files through the real `reconciler validate`: exit status 1, one line naming the file,
/// line and column with the reason, nothing on stderr (no unhandled exception), and an answer in seconds —
/// a process that hangs is killed and the test fails.
/// </summary>
public sealed class HostileInputCliTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static IEnumerable<object[]> Files => HostileFiles.Names();

    private static ReconcilerProcess.Result Validate(params string[] files)
    {
        using var process = new CliProcess(null, ["validate", .. files]);
        var code = process.WaitForExit(Bound); // kills the process and throws when it does not answer in time
        return new ReconcilerProcess.Result(code, process.Stdout, process.Stderr);
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Validate_names_the_file_where_and_why_and_exits_1(string file)
    {
        var c = HostileFiles.Get(file);
        var result = Validate(c.Path);
        Assert.Equal(string.Empty, result.Stderr);
        if (c.Valid)
        {
            Assert.Equal(0, result.ExitCode);
            Assert.Equal($"{c.Path}: valid\n", result.Stdout);
            return;
        }

        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var where = c.Line is { } l ? (c.Column is { } col ? $"{l}:{col}" : $"{l}:") : string.Empty;
        Assert.StartsWith($"{c.Path}:{where}", line, StringComparison.Ordinal);
        Assert.Matches(@"^[^\n]*:\d+:\d+: error: ", line);
        Assert.Contains(c.Message, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Generated_monsters_are_refused_in_seconds()
    {
        using var dir = new TempDir();
        var big = Path.Combine(dir.Path, "eleven-megabytes.xml");
        using (var stream = File.Create(big))
        {
            stream.Write("<domain type='kvm'><name>big</name><description>"u8);
            stream.SetLength(11L * 1024 * 1024);
        }

        var attribute = dir.Write("attribute.xml", "<network>\n  <name>n</name>\n  <bridge name='" + new string('x', 200_000) + "'/>\n</network>\n");
        var tag = new StringBuilder("<network>\n  <name>n</name>\n  <bridge");
        for (var i = 0; tag.Length < 8_000_000; i++)
        {
            tag.Append(" a").Append(i).Append("='1'");
        }

        var wide = dir.Write("wide-tag.xml", tag.Append("/>\n</network>\n").ToString());
        var deep = dir.Write("deep.xml", "<domain type='kvm'>\n" + string.Concat(Enumerable.Repeat("<a>", 2_000_000)));
        var devices = new StringBuilder("<domain type='kvm'>\n<name>many</name>\n<memory unit='MiB'>256</memory>\n<os><type arch='x86_64'>hvm</type></os>\n<devices>\n");
        while (devices.Length < 9_000_000)
        {
            devices.Append("<disk type='file' device='disk'><source file='/var/lib/images/a.img'/><target dev='vda' bus='virtio'/></disk>\n");
        }

        var many = dir.Write("many-disks.xml", devices.Append("</devices>\n</domain>\n").ToString());

        var result = Validate(big, attribute, wide, deep, many);
        Assert.Equal(string.Empty, result.Stderr);
        Assert.Equal(1, result.ExitCode);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, lines.Length);
        Assert.Equal($"{big}:1:1: error: file is too large: {11 * 1024 * 1024} bytes, at most {10 * 1024 * 1024} are accepted", lines[0]);
        Assert.Equal($"{attribute}:3:11: error: attribute 'name' of <bridge> is 200000 characters long, at most 65536 are accepted", lines[1]);
        Assert.StartsWith($"{wide}:3:3: error: a tag is ", lines[2], StringComparison.Ordinal);
        Assert.Equal($"{deep}:2:767: error: elements are nested more than 256 levels deep", lines[3]);
        Assert.StartsWith($"{many}:7:", lines[4], StringComparison.Ordinal);
        Assert.EndsWith("error: XML error: target 'vda' duplicated for disk sources '/var/lib/images/a.img' and '/var/lib/images/a.img'", lines[4], StringComparison.Ordinal);
    }
}
