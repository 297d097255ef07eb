using Reconciler.Controller.Daemon;
using Xunit;

namespace Reconciler.Controller.Tests.Daemon;

public sealed class DefaultPathsTests
{
    private static Func<string, string?> Env(params (string Key, string Value)[] vars) =>
        key => vars.FirstOrDefault(v => v.Key == key).Value;

    [Fact]
    public void The_state_directory_variable_wins_even_for_root() =>
        Assert.Equal("/srv/rc", DefaultPaths.StateDirectory(Env(("RECONCILER_STATE_DIR", "/srv/rc"), ("XDG_STATE_HOME", "/x")), root: true));

    [Fact]
    public void Root_uses_var_lib() =>
        Assert.Equal("/var/lib/reconciler", DefaultPaths.StateDirectory(Env(("XDG_STATE_HOME", "/x"), ("HOME", "/root")), root: true));

    [Fact]
    public void A_user_uses_xdg_state_home_then_the_home_directory()
    {
        Assert.Equal("/x/reconciler", DefaultPaths.StateDirectory(Env(("XDG_STATE_HOME", "/x"), ("HOME", "/home/ann")), root: false));
        Assert.Equal("/home/ann/.local/state/reconciler", DefaultPaths.StateDirectory(Env(("HOME", "/home/ann")), root: false));
    }

    [Fact]
    public void The_socket_lives_in_the_state_directory() =>
        Assert.Equal("/srv/rc/reconciler.sock", DefaultPaths.Socket("/srv/rc"));

    [Fact]
    public void Clients_look_where_the_daemon_listens_under_the_same_environment()
    {
        Assert.Equal("/run/rc.sock", DefaultPaths.ClientSocket(Env(("RECONCILER_SOCKET", "/run/rc.sock"), ("RECONCILER_STATE", "/s")), root: false));
        Assert.Equal("/s/reconciler.sock", DefaultPaths.ClientSocket(Env(("RECONCILER_STATE", "/s"), ("RECONCILER_STATE_DIR", "/d")), root: false));
        Assert.Equal("/d/reconciler.sock", DefaultPaths.ClientSocket(Env(("RECONCILER_STATE_DIR", "/d")), root: false));
        Assert.Equal("/var/lib/reconciler/reconciler.sock", DefaultPaths.ClientSocket(Env(), root: true));
    }
}
