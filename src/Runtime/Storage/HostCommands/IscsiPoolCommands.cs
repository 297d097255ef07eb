using System.Globalization;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Storage.Model;

namespace Reconciler.Runtime.Storage.HostCommands;

/// <summary>The iscsi backend (storage_backend_iscsi.c) and its iscsiadm commands (src/util/viriscsi.c).</summary>
internal static class IscsiPoolCommands
{
    /// <summary>The port of a portal that has none (ISCSI_DEFAULT_TARGET_PORT).</summary>
    public const int DefaultPort = 3260;

    /// <summary>
    /// virStorageBackendISCSIStartPool, when there is no session to the target yet: a static node record for
    /// the target, the CHAP settings of the node, then the login (through an iSCSI interface for the
    /// initiator IQN, which libvirt creates and discovers the portal through when there is none).
    /// </summary>
    public static IReadOnlyList<HostCommand> Start(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var source = pool.Source;
        if (source.Hosts.Count != 1)
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, "Expected exactly 1 host for the storage pool");
        }

        if (source.Devices.Count != 1)
        {
            throw new RuntimeException(ErrorCode.InternalError, "missing source device");
        }

        var portal = Portal(source);
        var target = source.Devices[0].Path;
        var iscsiadm = options.Tools.IscsiAdm;
        var commands = new List<HostCommand>
        {
            new(iscsiadm, "--mode", "node", "--portal", portal, "--targetname", target, "--op", "new"),
        };

        if (source.Auth is { } auth)
        {
            if (auth.Type != "chap")
            {
                throw new RuntimeException(ErrorCode.XmlError, "iscsi pool only supports 'chap' auth type");
            }

            var password = Secret(auth.Secret, options);
            commands.Add(NodeUpdate(iscsiadm, portal, target, "node.session.auth.authmethod", "CHAP"));
            commands.Add(NodeUpdate(iscsiadm, portal, target, "node.session.auth.username", auth.Username));
            commands.Add(NodeUpdate(iscsiadm, portal, target, "node.session.auth.password", password));
        }

        commands.AddRange(Connection(portal, source.InitiatorIqn, target, "--login", options));
        return commands;
    }

    /// <summary>virStorageBackendISCSIStopPool, when there is a session: the logout.</summary>
    public static IReadOnlyList<HostCommand> Stop(StoragePoolDefinition pool, StorageHostOptions options)
    {
        var source = pool.Source;
        if (source.Hosts.Count != 1)
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, "Expected exactly 1 host for the storage pool");
        }

        var target = source.Devices.Count > 0 ? source.Devices[0].Path : "(null)";
        return Connection(Portal(source), source.InitiatorIqn, target, "--logout", options);
    }

    /// <summary>virStorageBackendISCSIPortal: <c>HOST:PORT,1</c>, an IPv6 host in brackets.</summary>
    public static string Portal(StoragePoolSource source)
    {
        var host = source.Hosts[0];
        var port = (host.Port ?? DefaultPort).ToString(CultureInfo.InvariantCulture);
        return host.Name.Contains(':', StringComparison.Ordinal) ? $"[{host.Name}]:{port},1" : $"{host.Name}:{port},1";
    }

    /// <summary>
    /// virISCSIConnection: <c>iscsiadm --mode node --portal P --targetname T --login|--logout</c>, with
    /// <c>--interface</c> for an initiator IQN; an interface libvirt has to create first is created, given
    /// the IQN, and made to discover the portal.
    /// </summary>
    private static List<HostCommand> Connection(string portal, string? initiatorIqn, string target, string action, StorageHostOptions options)
    {
        var iscsiadm = options.Tools.IscsiAdm;
        var commands = new List<HostCommand>();
        var connection = new HostCommand(iscsiadm, "--mode", "node", "--portal", portal, "--targetname", target, action);
        if (initiatorIqn is not null)
        {
            var iface = options.IscsiInterfaceFor(initiatorIqn);
            if (iface is null)
            {
                iface = options.NewIscsiInterfaceName(initiatorIqn);
                commands.Add(new HostCommand(iscsiadm, "--mode", "iface", "--interface", iface, "--op", "new"));
                commands.Add(new HostCommand(iscsiadm, "--mode", "iface", "--interface", iface, "--op", "update",
                    "--name", "iface.initiatorname", "--value", initiatorIqn));
                commands.Add(new HostCommand(iscsiadm, "--mode", "discovery", "--type", "sendtargets", "--portal", portal,
                    "--interface", iface));
            }

            connection = connection.With("--interface", iface);
        }

        commands.Add(connection);
        return commands;
    }

    /// <summary>virISCSINodeUpdate: set one setting of the target's node record.</summary>
    private static HostCommand NodeUpdate(string iscsiadm, string portal, string target, string name, string value) =>
        new(iscsiadm, "--mode", "node", "--portal", portal, "--target", target, "--op", "update", "--name", name, "--value", value);

    /// <summary>virSecretGetSecretString: the CHAP password, looked up by UUID or usage.</summary>
    private static string Secret(StorageSecretRef secret, StorageHostOptions options)
    {
        if (options.SecretValue?.Invoke(secret) is { } value)
        {
            return value;
        }

        return secret.Uuid is { } uuid
            ? throw new RuntimeException(ErrorCode.NoSecret, $"no secret with matching uuid '{uuid:D}'")
            : throw new RuntimeException(ErrorCode.NoSecret, $"no secret with matching usage '{secret.Usage}'");
    }
}
