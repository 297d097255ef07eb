using Reconciler.Runtime.Storage.HostCommands;
using Xunit;

namespace Reconciler.Runtime.Tests.Storage.HostCommands;

/// <summary>The text form of commands: libvirt's virCommandToStringFull and virBufferEscapeShell.</summary>
public sealed class HostCommandTests
{
    [Fact]
    public void Argv_form_strips_the_directory_and_keeps_an_option_with_the_value_that_follows_it()
    {
        var command = new HostCommand("/usr/sbin/vgchange", "-aly", "vg0");
        Assert.Equal("vgchange \\\n-aly vg0", command.ToArgv());
        Assert.Equal("vgchange", command.ProgramName);
    }

    [Fact]
    public void Values_after_the_last_option_get_lines_of_their_own()
    {
        var command = new HostCommand("/usr/bin/mount", "-o", "ro", "-t", "xfs", "/dev/vdb", "/srv");
        Assert.Equal("mount \\\n-o ro \\\n-t xfs \\\n/dev/vdb \\\n/srv", command.ToArgv());
    }

    [Fact]
    public void A_value_between_options_stays_on_the_line_of_the_option_before_it()
    {
        var command = new HostCommand("vstorage-mount", "-c", "cluster", "/mnt/c", "-m", "711");
        Assert.Equal("vstorage-mount \\\n-c cluster /mnt/c \\\n-m 711", command.ToArgv());
    }

    [Fact]
    public void Words_with_shell_metacharacters_are_single_quoted()
    {
        var command = new HostCommand("/bin/tool", "a b", "it's", string.Empty, "plain,opt=1");
        Assert.Equal("/bin/tool 'a b' 'it'\\''s' '' plain,opt=1", command.ToString());
    }

    [Fact]
    public void Commands_compare_by_program_and_arguments()
    {
        Assert.Equal(new HostCommand("zpool", "create", "tank"), new HostCommand("zpool").With("create", "tank"));
        Assert.NotEqual(new HostCommand("zpool", "create", "tank"), new HostCommand("zfs", "create", "tank"));
    }
}
