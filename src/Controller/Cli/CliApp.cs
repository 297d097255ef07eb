using System.CommandLine;

namespace Reconciler.Controller.Cli;

/// <summary>The `reconciler` command line: one binary for the daemon and for every CLI verb.</summary>
internal static class CliApp
{
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand(
            "reconciler: a declarative reconciling controller for KVM hosts. It reads libvirt domain, network, " +
            "storage pool and storage volume XML and converges a host to it.")
        {
            ValidateCommand.Create(stdout, stderr),
            NormalizeCommand.Create(stdout, stderr),
            HostPlanCommand.Create(stdout, stderr),
            Daemon.RunCommand.Create(stdout, stderr),
            BenchCommand.Create(stdout, stderr),
        };
        foreach (var verb in DaemonVerb.All(stdout, stderr))
        {
            root.Subcommands.Add(verb);
        }

        var parsed = root.Parse(args);
        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
