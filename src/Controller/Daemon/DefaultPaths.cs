namespace Reconciler.Controller.Daemon;

/// <summary>
/// Where the daemon keeps its state and its API socket when not told otherwise; the CLI verbs use the
/// same rule to find the daemon.
/// </summary>
public static class DefaultPaths
{
    /// <summary>The socket's file name inside the state directory.</summary>
    public const string SocketFileName = "reconciler.sock";

    /// <summary>
    /// The state directory: <c>$RECONCILER_STATE_DIR</c>, else <c>/var/lib/reconciler</c> when running as
    /// root, else <c>$XDG_STATE_HOME/reconciler</c> or <c>~/.local/state/reconciler</c>.
    /// </summary>
    public static string StateDirectory() => StateDirectory(Environment.GetEnvironmentVariable, Environment.IsPrivilegedProcess);

    /// <summary>The API socket: <c>STATE/reconciler.sock</c> of the default state directory.</summary>
    public static string Socket() => Socket(StateDirectory());

    /// <summary>
    /// The socket a client looks for when not told: the daemon's own default under the same environment,
    /// <c>$RECONCILER_SOCKET</c>, else <c>reconciler.sock</c> in <c>$RECONCILER_STATE</c> or the default
    /// state directory (the daemon reads its settings from RECONCILER_* variables too).
    /// </summary>
    public static string ClientSocket() => ClientSocket(Environment.GetEnvironmentVariable, Environment.IsPrivilegedProcess);

    /// <summary>The rule of <see cref="ClientSocket()"/> over an environment and a privilege given by the caller.</summary>
    public static string ClientSocket(Func<string, string?> environment, bool root)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("RECONCILER_SOCKET") is { Length: > 0 } socket)
        {
            return socket;
        }

        return Socket(environment("RECONCILER_STATE") is { Length: > 0 } state ? state : StateDirectory(environment, root));
    }

    /// <summary>The API socket of the given state directory.</summary>
    public static string Socket(string stateDirectory) => Path.Combine(stateDirectory, SocketFileName);

    /// <summary>The rule of <see cref="StateDirectory()"/> over an environment and a privilege given by the caller.</summary>
    public static string StateDirectory(Func<string, string?> environment, bool root)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment("RECONCILER_STATE_DIR") is { Length: > 0 } dir)
        {
            return dir;
        }

        if (root && !OperatingSystem.IsWindows())
        {
            return "/var/lib/reconciler";
        }

        if (environment("XDG_STATE_HOME") is { Length: > 0 } xdg)
        {
            return Path.Combine(xdg, "reconciler");
        }

        var home = environment("HOME") is { Length: > 0 } h ? h : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(home, ".local", "state", "reconciler");
    }
}
