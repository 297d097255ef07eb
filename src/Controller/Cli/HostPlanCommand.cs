using System.CommandLine;
using Reconciler.Runtime;
using Reconciler.Runtime.Networks;
using Reconciler.Runtime.Networks.Dnsmasq;
using Reconciler.Runtime.Networks.Firewall;
using Reconciler.Runtime.Storage.HostCommands;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Networks;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Storage;
using Reconciler.Schema.Storage.Model;

namespace Reconciler.Controller.Cli;

/// <summary>
/// `reconciler host-plan`: what libvirt 9.0.0 writes and runs on a Linux host for each network and pool: the
/// network's dnsmasq configuration and DHCP hosts file and its iptables rules, and the command that starts the pool.
/// </summary>
internal static class HostPlanCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH")
        {
            Arity = ArgumentArity.OneOrMore,
            Description = "Spec files, or directories whose *.xml files (recursively) are planned. Domains and volumes have no host plan and are only checked.",
        };
        var outDir = new Option<string?>("--out-dir")
        {
            Description = "Write the files to DIR, NAME being the file name without .xml. For a network: NAME.conf, and NAME.hostsfile when " +
                "it has DHCP hosts; NAME.firewall, the iptables/ip6tables commands that add the network's own rules (forward modes none, " +
                "nat and route), without the set-up of libvirt's LIBVIRT_* chains that libvirt runs once before its first network. " +
                "For a pool: NAME.argv. Without it, each file is printed to stdout under a '==> NAME <==' line.",
        };

        var command = new Command(
            "host-plan",
            "Show what libvirt 9.0.0 writes and runs on a Linux host for each network and storage pool: the dnsmasq configuration " +
            "(and DHCP hosts file) of a network whose bridge libvirt manages, the iptables rules libvirt adds when it starts an " +
            "isolated, nat or route network (without firewalld), and the command that starts a pool (mount, vgchange, " +
            "iscsiadm, vstorage-mount; pool types libvirt starts without a command get none). Commands are in libvirt's test " +
            "format (the program, then each option on its own line, lines joined by ' \\'). Exit status 0 only when every file is valid and planned.")
        {
            paths,
            outDir,
        };
        command.SetAction(result => Run(result.GetValue(paths) ?? [], result.GetValue(outDir), stdout, stderr));
        return command;
    }

    public static int Run(string[] arguments, string? outDir, TextWriter stdout, TextWriter stderr)
    {
        var files = SpecPaths.Expand(arguments, stderr, out var missing);
        if (outDir is not null)
        {
            Directory.CreateDirectory(outDir);
        }

        var ok = !missing;
        var documents = SpecBatch.Load(files).ToList();
        var bridges = new BridgePlanner(documents);
        foreach (var document in documents)
        {
            if (!document.IsValid)
            {
                ok = false;
                foreach (var error in document.Errors)
                {
                    stderr.WriteLine(error.ToString(document.Path));
                }

                continue;
            }

            var baseName = BaseName(document.Path);
            try
            {
                foreach (var (suffix, content) in Plan(document, bridges))
                {
                    Emit(baseName + suffix, content, outDir, stdout);
                }
            }
            catch (PlanException e)
            {
                ok = false;
                stderr.WriteLine(e.Error.ToString(document.Path));
            }
        }

        stdout.Flush();
        return ok ? 0 : 1;
    }

    /// <summary>The files of one valid document, as (suffix, content).</summary>
    private static IEnumerable<(string Suffix, string Content)> Plan(SpecDocument document, BridgePlanner bridges) => document.Kind switch
    {
        SpecKind.Network => NetworkPlan(document, bridges),
        SpecKind.StoragePool => PoolPlan(document),
        _ => [],
    };

    private static List<(string, string)> NetworkPlan(SpecDocument document, BridgePlanner bridges)
    {
        NetworkDefinition network;
        try
        {
            network = bridges.Named(NetworkDefinition.FromDocument(document));
        }
        catch (RuntimeException e)
        {
            throw Fail(document, e.Code, e.Message);
        }

        var options = DnsmasqXmlNamespace.Options(document, out var error);
        if (error is not null)
        {
            throw new PlanException(error);
        }

        // libvirt runs no dnsmasq for networks on a bridge it does not manage (bridge, macvtap, hostdev modes).
        if (!network.Forward.HasBridge)
        {
            return [];
        }

        // libvirt adds the firewall rules before it starts dnsmasq: a network it cannot add them for gets neither.
        IReadOnlyList<HostCommand> rules;
        DnsmasqConfig config;
        try
        {
            rules = IptablesPlan.NetworkRules(network);
            config = DnsmasqConfig.Build(network, DnsmasqOptions.Default, options);
        }
        catch (RuntimeException e)
        {
            // libvirt would refuse to start the network, so its bridge name stays free.
            bridges.Release(network);
            throw Fail(document, e.Code, e.Message);
        }

        var files = new List<(string, string)> { (".conf", config.Config) };
        if (config.HasDhcpHosts)
        {
            files.Add((".hostsfile", config.HostsFile));
        }

        if (rules.Count > 0)
        {
            files.Add((".firewall", IptablesPlan.ToArgs(rules)));
        }

        return files;
    }

    private static List<(string, string)> PoolPlan(SpecDocument document)
    {
        var pool = StoragePoolDefinition.FromDocument(document);
        var mountOptions = FsMountXmlNamespace.MountOptions(document, out var error);
        if (error is not null)
        {
            throw new PlanException(error);
        }

        IReadOnlyList<HostCommand> commands;
        try
        {
            commands = StoragePoolCommands.Start(pool, CliStorageOptions, mountOptions);
        }
        catch (RuntimeException e)
        {
            throw Fail(document, e.Code, e.Message);
        }

        return commands.Count == 0 ? [] : [(".argv", string.Join("\n\n", commands.Select(c => c.ToArgv())) + "\n")];
    }

    /// <summary>libvirt's Linux defaults; secrets are not looked up but shown by reference.</summary>
    private static readonly StorageHostOptions CliStorageOptions = StorageHostOptions.Default with
    {
        SecretValue = secret => $"<secret {(secret.Uuid is { } uuid ? uuid.ToString("D") : "usage " + secret.Usage)}>",
    };

    /// <summary>An error about the whole definition, at its root element.</summary>
    private static PlanException Fail(SpecDocument document, ErrorCode code, string message)
    {
        var at = XmlPosition.Of(document.Effective);
        return new PlanException(new SchemaError(code, message, at.Line, at.Column));
    }

    private static void Emit(string name, string content, string? outDir, TextWriter stdout)
    {
        if (outDir is null)
        {
            stdout.Write($"==> {name} <==\n{content}");
        }
        else
        {
            File.WriteAllText(Path.Combine(outDir, name), content);
        }
    }

    /// <summary>The file name without its .xml extension.</summary>
    private static string BaseName(string path)
    {
        var name = Path.GetFileName(path);
        return name.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) ? name[..^4] : name;
    }

    /// <summary>
    /// Names the bridges libvirt would name (virbr0, virbr1, ... or the network's own template), as its network
    /// driver does when the networks are defined in the order given on a host without other bridges: a name
    /// another network gives (in any forward mode) is taken (virNetworkObjBridgeInUse).
    /// </summary>
    private sealed class BridgePlanner(IEnumerable<SpecDocument> documents)
    {
        private readonly HashSet<string> _inUse = documents
            .Where(d => d.IsValid && d.Kind == SpecKind.Network)
            .Select(NetworkDefinition.FromDocument)
            .Select(n => n.Bridge?.Name)
            .OfType<string>()
            .Where(name => !name.Contains("%d", StringComparison.Ordinal))
            .ToHashSet(StringComparer.Ordinal);

        private readonly HashSet<string> _allocated = new(StringComparer.Ordinal);

        public NetworkDefinition Named(NetworkDefinition network)
        {
            if (!BridgeNames.NeedsName(network))
            {
                return network;
            }

            var name = BridgeNames.Allocate(network.Bridge?.Name, _inUse.Contains);
            _inUse.Add(name);
            _allocated.Add(name);
            return BridgeNames.WithBridgeName(network, name);
        }

        /// <summary>Frees the name <see cref="Named"/> gave the network, if it gave one.</summary>
        public void Release(NetworkDefinition network)
        {
            if (network.Bridge?.Name is { } name && _allocated.Remove(name))
            {
                _inUse.Remove(name);
            }
        }
    }

    private sealed class PlanException(SchemaError error) : Exception(error.Message)
    {
        public SchemaError Error { get; } = error;
    }
}
