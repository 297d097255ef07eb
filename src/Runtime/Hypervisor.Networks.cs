using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Networks;
using Reconciler.Runtime.Networks.Dnsmasq;
using Reconciler.Runtime.Persistence;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

/// <summary>What <c>virsh net-info</c> shows.</summary>
public sealed record NetworkInfo(string Name, Guid Uuid, bool Active, bool Persistent, bool Autostart, string? Bridge, string ForwardMode);

/// <summary>
/// What <see cref="Hypervisor.ApplyNetworkDefinitionAsync"/> did: nothing to do (the running network has its
/// definition), the change applied live, the network restarted, or — <see cref="Pending"/> — the change
/// waits for a restart, which <see cref="Users"/> (the domains connected to it) prevent.
/// </summary>
public sealed record NetworkLiveChange(bool Applied, bool Restarted, bool Pending, IReadOnlyList<string> Users)
{
    public static readonly NetworkLiveChange None = new(false, false, false, []);
}

/// <summary>An address of a domain's interface (virsh domifaddr).</summary>
public sealed record InterfaceAddress(string Interface, string Mac, string Protocol, string Address, int Prefix);

/// <summary>Virtual networks: libvirt's network driver over the in-process bridges, taps and DHCP leases.</summary>
public sealed partial class Hypervisor
{
    private readonly Dictionary<string, NetworkObject> _networksByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, NetworkObject> _networksByUuid = [];
    private HostBridges _bridges = new([]);
    private LeaseStore _leases = null!;

    private string NetworksDir => Path.Combine(_state.Root, "networks");

    private string ActiveNetworksDir => Path.Combine(NetworksDir, "active");

    private string DnsmasqDir => Path.Combine(NetworksDir, "dnsmasq");

    private DnsmasqOptions Dnsmasq => new() { StateDirectory = DnsmasqDir };

    private string NetworkDefinitionPath(Guid uuid) => Path.Combine(NetworksDir, uuid.ToString("D") + ".xml");

    private string NetworkFlagsPath(Guid uuid) => Path.Combine(NetworksDir, uuid.ToString("D") + ".json");

    private string NetworkActivePath(Guid uuid) => Path.Combine(ActiveNetworksDir, uuid.ToString("D") + ".xml");

    /// <summary>
    /// Defines a persistent network (virNetworkDefineXML): libvirt's checks of the definition, a bridge name
    /// (the first free virbrN when it names none) and a MAC for the bridge, both kept in the definition.
    /// </summary>
    public Task<NetworkInfo> DefineNetworkAsync(string xml, CancellationToken cancellationToken = default) =>
        Task.Run(async () =>
        {
            var (network, created, def, options) = ClaimNetwork(xml, forStart: false);
            if (!created)
            {
                await network.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                StateDirectory.WriteAtomic(NetworkDefinitionPath(network.Uuid), LibvirtXmlWriter.Format(def));
                network.Persistent = def;
                network.DnsmasqOptions = options;
                WriteNetworkFlags(network);
                return NetworkInfoOf(network);
            }
            catch (Exception e) when (created && e is IOException or UnauthorizedAccessException)
            {
                UnregisterNetwork(network);
                throw new RuntimeException(ErrorCode.SystemError, $"cannot save the definition of network '{network.Name}': {e.Message}", e);
            }
            finally
            {
                network.Job.Release();
            }
        }, cancellationToken);

    /// <summary>Creates and starts a transient network (virNetworkCreateXML).</summary>
    public Task<NetworkInfo> CreateNetworkAsync(string xml, CancellationToken cancellationToken = default) =>
        Task.Run(async () =>
        {
            var (network, created, def, options) = ClaimNetwork(xml, forStart: true);
            if (!created)
            {
                await network.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                if (network.IsActive)
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid, "network is already active");
                }

                try
                {
                    network.DnsmasqOptions = options;
                    StartNetwork(network, def);
                }
                catch when (created)
                {
                    UnregisterNetwork(network);
                    throw;
                }

                return NetworkInfoOf(network);
            }
            finally
            {
                network.Job.Release();
            }
        }, cancellationToken);

    /// <summary>Starts a defined network: its bridge with STP, delay, MAC and addresses, and its dnsmasq files.</summary>
    public Task StartNetworkAsync(string name, CancellationToken cancellationToken = default) =>
        NetworkJobAsync(name, network =>
        {
            if (network.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "network is already active");
            }

            StartNetwork(network, new XElement(network.Persistent!));
        }, cancellationToken);

    /// <summary>Stops a network (virNetworkDestroy): its bridge goes; a transient network disappears.</summary>
    public Task StopNetworkAsync(string name, CancellationToken cancellationToken = default) =>
        NetworkJobAsync(name, network =>
        {
            if (!network.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"network '{network.Name}' is not active");
            }

            StopNetwork(network);
        }, cancellationToken);

    /// <summary>
    /// Brings a running network to its (changed) persistent definition. What libvirt's net-update changes
    /// on a running network — DHCP hosts and ranges, DNS hosts, TXT and SRV records, port groups — is applied
    /// live: the dnsmasq files are written again (dnsmasq rereads them), leases already given stay, new ones
    /// follow the new ranges and hosts. Any other change needs the network restarted, which tears down its
    /// bridge: done here when <paramref name="restartWhenUnused"/> and no domain is connected to it;
    /// otherwise the change stays pending, and the result names the domains that hold it.
    /// </summary>
    public Task<NetworkLiveChange> ApplyNetworkDefinitionAsync(string name, bool restartWhenUnused, CancellationToken cancellationToken = default) =>
        NetworkJobAsync(name, network =>
        {
            if (network.Live is not { } live || network.Persistent is not { } persistent || XNode.DeepEquals(live, persistent))
            {
                return NetworkLiveChange.None;
            }

            if (XNode.DeepEquals(WithoutLiveParts(live), WithoutLiveParts(persistent)))
            {
                var def = new XElement(persistent);
                var model = NetworkDefinition.FromXml(def);
                if (model.Forward.HasBridge)
                {
                    WriteDnsmasqFiles(network, model);
                }

                network.Live = def;
                StateDirectory.WriteAtomic(NetworkActivePath(network.Uuid), LibvirtXmlWriter.Format(def));
                return new NetworkLiveChange(true, false, false, []);
            }

            var users = _bridges.Taps().Where(t => t.Network == network.Name).Select(t => t.Domain)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (users.Count > 0 || network.Connections.Values.Any(c => c > 0) || !restartWhenUnused)
            {
                return new NetworkLiveChange(false, false, true, users);
            }

            StopNetwork(network);
            StartNetwork(network, new XElement(persistent));
            return new NetworkLiveChange(false, true, false, []);
        }, cancellationToken);

    /// <summary>A network's definition without what net-update changes live (and without the elements that leaves empty).</summary>
    private static XElement WithoutLiveParts(XElement def)
    {
        var copy = new XElement(def);
        copy.Elements("ip").Elements("dhcp").Elements().Where(e => e.Name.LocalName is "host" or "range").Remove();
        copy.Elements("dns").Elements().Where(e => e.Name.LocalName is "host" or "txt" or "srv").Remove();
        copy.Elements("portgroup").Remove();
        copy.Elements("ip").Elements("dhcp").Where(e => !e.HasElements && !e.HasAttributes).Remove();
        copy.Elements("dns").Where(e => !e.HasElements && !e.HasAttributes).Remove();
        return copy;
    }

    /// <summary>Writes (or, when the network needs no dnsmasq, removes) the network's dnsmasq configuration, hosts file and addn-hosts.</summary>
    private void WriteDnsmasqFiles(NetworkObject network, NetworkDefinition model)
    {
        if (DnsmasqConfig.IsNeeded(model))
        {
            var files = DnsmasqConfig.Build(model, Dnsmasq, network.DnsmasqOptions);
            Directory.CreateDirectory(DnsmasqDir);
            StateDirectory.WriteAtomic(files.ConfigPath, files.Config);
            StateDirectory.WriteAtomic(files.HostsFilePath, files.HostsFile);
            StateDirectory.WriteAtomic(files.AddnHostsPath, files.AddnHosts);
        }
        else
        {
            DeleteDnsmasqFiles(model.Name);
        }
    }

    /// <summary>Removes a network's dnsmasq files, at the paths they were written to (the hosts files' names are XML-escaped, as libvirt names them).</summary>
    private void DeleteDnsmasqFiles(string network)
    {
        var hosts = new DnsmasqHostsFiles(network, DnsmasqDir);
        StateDirectory.Delete(Path.Combine(DnsmasqDir, network + ".conf"));
        StateDirectory.Delete(hosts.HostsFilePath);
        StateDirectory.Delete(hosts.AddnHostsPath);
    }

    /// <summary>Removes a network's definition (virNetworkUndefine); a running network keeps running as a transient one.</summary>
    public Task UndefineNetworkAsync(string name, CancellationToken cancellationToken = default) =>
        NetworkJobAsync(name, network =>
        {
            if (!network.IsPersistent)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "can't undefine transient network");
            }

            StateDirectory.Delete(NetworkDefinitionPath(network.Uuid));
            StateDirectory.Delete(NetworkFlagsPath(network.Uuid));
            network.Persistent = null;
            network.Autostart = false;
            if (!network.IsActive)
            {
                _leases.DropNetwork(network.Name);
                UnregisterNetwork(network);
            }
        }, cancellationToken);

    /// <summary>Sets whether the network starts when the runtime starts.</summary>
    public Task SetNetworkAutostartAsync(string name, bool autostart, CancellationToken cancellationToken = default) =>
        NetworkJobAsync(name, network =>
        {
            if (!network.IsPersistent)
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, "cannot set autostart for transient network");
            }

            network.Autostart = autostart;
            WriteNetworkFlags(network);
        }, cancellationToken);

    public Task<NetworkInfo> GetNetworkInfoAsync(string name, CancellationToken cancellationToken = default) =>
        NetworkJobAsync(name, NetworkInfoOf, cancellationToken);

    /// <summary>virsh net-dumpxml [--inactive].</summary>
    public Task<string> GetNetworkXmlAsync(string name, bool inactive = false, CancellationToken cancellationToken = default) =>
        NetworkJobAsync(name, network => LibvirtXmlWriter.Format((inactive ? network.Persistent : null) ?? network.Current), cancellationToken);

    /// <summary>Every network (virsh net-list --all).</summary>
    public IReadOnlyList<NetworkInfo> ListNetworks()
    {
        List<NetworkObject> all;
        lock (_sync)
        {
            // A network still being defined (registered, not yet complete) is not listed.
            all = [.. _networksByUuid.Values.Where(n => n.Live is not null || n.Persistent is not null)];
        }

        return [.. all.Select(NetworkInfoOf).OrderBy(n => n.Name, StringComparer.Ordinal)];
    }

    /// <summary>Whether the network is active; null when there is no such network. A lookup, not a listing.</summary>
    public bool? IsNetworkActive(string name)
    {
        lock (_sync)
        {
            return _networksByName.TryGetValue(name, out var network) && (network.Live is not null || network.Persistent is not null)
                ? network.IsActive
                : null;
        }
    }

    /// <summary>The DHCP leases of a network (virsh net-dhcp-leases), or of every network.</summary>
    public IReadOnlyList<DhcpLeaseInfo> GetDhcpLeases(string? network = null) => _leases.List(network);

    /// <summary>The host's bridges with their ports (brctl show).</summary>
    public IReadOnlyList<BridgeInfo> GetBridges() => _bridges.List();

    /// <summary>The tap and macvtap devices of running domains.</summary>
    public IReadOnlyList<TapInfo> GetTaps() => _bridges.Taps();

    /// <summary>The MACs each bridge has learned and on which port (<c>bridge fdb show</c>).</summary>
    public IReadOnlyList<FdbEntry> GetForwardingDatabase() => _bridges.ForwardingDatabase();

    /// <summary>The table <c>brctl show</c> prints for the host's bridges.</summary>
    public string FormatBridges() => _bridges.FormatBrctlShow();

    /// <summary>virsh domifaddr: the addresses the network's DHCP gave the domain's interfaces.</summary>
    public Task<IReadOnlyList<InterfaceAddress>> GetInterfaceAddressesAsync(string name, CancellationToken cancellationToken = default) =>
        JobAsync<IReadOnlyList<InterfaceAddress>>(name, dom =>
        {
            if (!dom.IsActive)
            {
                throw RuntimeException.NotRunning();
            }

            var leases = _leases.List();
            return [.. DomainDefinition.FromXml(dom.Live!).Devices.Interfaces
                .Where(n => dom.Taps.ContainsKey(n.Mac))
                .SelectMany(n => leases.Where(l => l.Domain == dom.Uuid && string.Equals(l.Mac, n.Mac, StringComparison.OrdinalIgnoreCase) && l.Network == n.Network)
                    .Select(l => new InterfaceAddress(dom.Taps[n.Mac], n.Mac, l.Address.Contains(':', StringComparison.Ordinal) ? "ipv6" : "ipv4", l.Address, l.Prefix)))];
        }, cancellationToken);

    /// <summary>Parses a network, applies libvirt's network driver checks, names its bridge and gives it a MAC; then registers it.</summary>
    private (NetworkObject Network, bool Created, XElement Def, IReadOnlyList<string> DnsmasqOptions) ClaimNetwork(string xml, bool forStart)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var doc = LibvirtSchema.LoadText("network.xml", xml, KeptDefinition);
        if (doc.Errors.Count > 0)
        {
            throw RuntimeException.FromSchema(doc.Errors[0]);
        }

        if (doc.Kind != SpecKind.Network || doc.Effective is null)
        {
            throw new RuntimeException(ErrorCode.XmlError, $"unexpected root element <{doc.Effective?.Name.LocalName}>, expecting <network>");
        }

        var def = doc.Effective;
        var model = NetworkDefinition.FromXml(def);
        var dnsmasqOptions = Schema.Networks.DnsmasqXmlNamespace.Options(doc, out var optionsError);
        if (optionsError is not null)
        {
            throw RuntimeException.FromSchema(optionsError);
        }

        lock (_sync)
        {
            ThrowIfClosing();
            if (_networksByUuid.TryGetValue(model.Uuid, out var existing))
            {
                if (existing.Name != model.Name)
                {
                    throw new RuntimeException(ErrorCode.OperationFailed, $"network '{existing.Name}' is already defined with uuid {model.Uuid:D}");
                }

                if (forStart && existing.IsActive)
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid, $"network is already active as '{existing.Name}'");
                }
            }
            else if (_networksByName.TryGetValue(model.Name, out var named))
            {
                throw new RuntimeException(ErrorCode.OperationFailed, $"network '{model.Name}' already exists with uuid {named.Uuid:D}");
            }

            def = CompleteNetwork(def, model);
            if (existing is not null)
            {
                return (existing, false, def, dnsmasqOptions);
            }

            var network = new NetworkObject(model.Name, model.Uuid) { Claimed = def };
            network.Job.Wait(0);
            _networksByName[network.Name] = network;
            _networksByUuid[network.Uuid] = network;
            return (network, true, def, dnsmasqOptions);
        }
    }

    /// <summary>networkValidate: what libvirt's network driver refuses, then the bridge name and MAC it assigns (under _sync).</summary>
    private XElement CompleteNetwork(XElement def, NetworkDefinition model)
    {
        var mode = model.Forward.Mode;
        if (model.Forward.HasBridge)
        {
            var requested = model.Bridge?.Name;
            if (BridgeNames.NeedsName(model))
            {
                // A redefinition that names no bridge keeps the one the network has, as it keeps its MAC
                // (libvirt would take the first virbrN whose device does not exist: a running network's
                // redefinition would get a new bridge, and need a restart for nothing).
                var own = requested is null ? _networksByUuid.GetValueOrDefault(model.Uuid)?.BridgeName : null;
                var name = own is not null && !_networksByUuid.Values.Any(o => o.Uuid != model.Uuid && o.BridgeName == own)
                    ? own
                    : BridgeNames.Allocate(requested, n => _networksByUuid.Values.Any(o => o.Uuid != model.Uuid && o.BridgeName == n) || _bridges.DeviceExists(n));
                def = WithBridge(def, name);
            }
            else if (_networksByUuid.Values.Any(o => o.Uuid != model.Uuid && o.BridgeName == requested))
            {
                throw new RuntimeException(ErrorCode.InternalError, $"bridge name '{requested}' already in use.");
            }

            if (def.Element("mac") is null)
            {
                // A redefinition keeps the bridge's MAC, as it keeps a domain's interfaces' MACs.
                var mac = _networksByUuid.GetValueOrDefault(model.Uuid) is { } existing && (existing.Persistent ?? existing.Live) is { } current
                    ? current.Element("mac")?.Attribute("address")?.Value ?? Identifiers.FormatMac(NewHostMac())
                    : Identifiers.FormatMac(NewHostMac());
                var anchor = def.Element("mtu") ?? def.Element("bridge")!;
                anchor.AddAfterSelf(new XElement("mac", new XAttribute("address", mac)));
            }
        }
        else
        {
            string? unsupported = model.Mac is not null ? "<mac>"
                : model.Ips.Count > 0 ? "<ip>"
                : model.Dns is { } dns && (dns.Txts.Count > 0 || dns.Hosts.Count > 0 || dns.Srvs.Count > 0) ? "<dns>"
                : model.Domain is not null ? "<domain>"
                : null;
            if (unsupported is not null)
            {
                throw new RuntimeException(ErrorCode.ConfigUnsupported, $"Unsupported {unsupported} element in network {model.Name} with forward mode='{mode}'");
            }

            if (model.Bandwidth is not null && !(mode == "bridge" && model.Bridge is not null))
            {
                throw new RuntimeException(ErrorCode.ConfigUnsupported, $"Unsupported network-wide <bandwidth> element in network {model.Name} with forward mode='{mode}'");
            }
        }

        if ((model.Forward.Pf is not null ? 1 : 0) + (model.Forward.Interfaces.Count > 0 ? 1 : 0) + (model.Forward.Addresses.Count > 0 ? 1 : 0) > 1)
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, $"<address>, <interface>, and <pf> elements of <forward> in network {model.Name} are mutually exclusive");
        }

        foreach (var family in new[] { "ipv4", "ipv6" })
        {
            if (model.IpsOf(family).Count(ip => ip.Ranges.Count > 0 || ip.Hosts.Count > 0) > 1)
            {
                var label = family == "ipv4" ? "IPv4" : "IPv6";
                throw new RuntimeException(ErrorCode.ConfigUnsupported, $"Multiple {label} dhcp sections found -- dhcp is supported only for a single {label} address on each network");
            }
        }

        return def;
    }

    /// <summary>The definition with its bridge named (libvirt's defaults stp='on' delay='0' when it had no &lt;bridge&gt;), written as libvirt orders it.</summary>
    private static XElement WithBridge(XElement def, string name)
    {
        var copy = new XElement(def);
        var bridge = copy.Element("bridge");
        if (bridge is null)
        {
            bridge = new XElement("bridge");
            var anchor = copy.Element("forward") ?? copy.Element("metadata") ?? copy.Element("uuid") ?? copy.Element("name")!;
            anchor.AddAfterSelf(bridge);
        }

        var attributes = bridge.Attributes().Where(a => a.Name != "name").ToList();
        bridge.RemoveAttributes();
        bridge.Add(new XAttribute("name", name));
        bridge.Add(attributes);
        if (bridge.Attribute("stp") is null)
        {
            bridge.Add(new XAttribute("stp", "on"));
        }

        if (bridge.Attribute("delay") is null)
        {
            bridge.Add(new XAttribute("delay", "0"));
        }

        return copy;
    }

    private void StartNetwork(NetworkObject network, XElement def)
    {
        var model = NetworkDefinition.FromXml(def);
        if (model.Forward.HasBridge)
        {
            var addresses = model.Ips.Select(ip => $"{ip.Address}/{ip.PrefixLength}");
            _bridges.Create(model.Bridge!.Name!, model.Bridge.Stp, model.Bridge.Delay, model.Mac, addresses);
            try
            {
                WriteDnsmasqFiles(network, model);
            }
            catch
            {
                _bridges.Delete(model.Bridge.Name!);
                throw;
            }
        }
        else if (model.Forward.Mode is "private" or "vepa" or "passthrough" && model.Forward.Interfaces.Count == 0 && model.Forward.Pf is null)
        {
            throw new RuntimeException(ErrorCode.InternalError, $"network '{model.Name}' uses a direct mode, but has no forward dev and no interface pool");
        }

        network.Live = def;
        network.Connections.Clear();
        StateDirectory.WriteAtomic(NetworkActivePath(network.Uuid), LibvirtXmlWriter.Format(def));
    }

    private void StopNetwork(NetworkObject network)
    {
        var model = NetworkDefinition.FromXml(network.Live!);
        if (model.Forward.HasBridge)
        {
            _bridges.Delete(model.Bridge!.Name!);
            DeleteDnsmasqFiles(model.Name);
        }

        network.Live = null;
        network.Connections.Clear();
        StateDirectory.Delete(NetworkActivePath(network.Uuid));
        if (!network.IsPersistent)
        {
            _leases.DropNetwork(network.Name);
            UnregisterNetwork(network);
        }
    }

    /// <summary>
    /// Connects a starting domain's interface (networkAllocatePort and the tap set-up of the QEMU driver): a
    /// tap on the network's or the named bridge, a macvtap for direct modes, a DHCP lease. Returns the tap.
    /// </summary>
    private string? PlugInterface(DomainObject dom, NetInterface net)
    {
        switch (net.Type)
        {
            case "network":
                NetworkObject network;
                lock (_sync)
                {
                    network = _networksByName.GetValueOrDefault(net.Network ?? string.Empty)
                        ?? throw new RuntimeException(ErrorCode.NoNetwork, $"no network with matching name '{net.Network}'");
                }

                var live = network.Live;
                if (live is null)
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid, $"network '{network.Name}' is not active");
                }

                var model = NetworkDefinition.FromXml(live);
                var clash = _bridges.TapWith(network.Name, net.Mac);
                if (clash is not null)
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid,
                        $"MAC address {net.Mac} is already in use on network '{network.Name}' by domain '{clash.Domain}'");
                }

                if (model.Forward.HasBridge || (model.Forward.Mode == "bridge" && model.Bridge?.Name is not null))
                {
                    var tap = _bridges.AddTap(dom.Name, net.Mac, model.Bridge!.Name, network.Name, macvtap: false, net.TargetDev).Name;
                    try
                    {
                        if (model.Forward.HasBridge)
                        {
                            _leases.Acquire(model, net.Mac, dom.Name, dom.Uuid);
                        }
                    }
                    catch
                    {
                        _bridges.RemoveTap(tap);
                        throw;
                    }

                    return tap;
                }

                if (model.Forward.Mode == "hostdev")
                {
                    throw new RuntimeException(ErrorCode.OperationUnsupported, $"network '{network.Name}' passes host PCI devices through, which the in-process backend cannot do");
                }

                var devices = model.Forward.Interfaces.Count > 0 ? model.Forward.Interfaces.ToList() : model.Forward.Pf is { } pf ? [pf] : [];
                if (devices.Count == 0)
                {
                    throw new RuntimeException(ErrorCode.InternalError, $"network '{network.Name}' uses a direct mode, but has no forward dev and no interface pool");
                }

                string dev;
                lock (_sync)
                {
                    if (model.Forward.Mode == "passthrough")
                    {
                        dev = devices.FirstOrDefault(d => network.Connections.GetValueOrDefault(d) == 0)
                            ?? throw new RuntimeException(ErrorCode.InternalError, $"network '{network.Name}' requires exclusive access to interfaces, but none are available");
                    }
                    else
                    {
                        dev = devices.OrderBy(d => network.Connections.GetValueOrDefault(d)).First();
                    }

                    network.Connections[dev] = network.Connections.GetValueOrDefault(dev) + 1;
                }

                dom.NetworkDevices[net.Mac] = (network.Name, dev);
                return _bridges.AddTap(dom.Name, net.Mac, null, network.Name, macvtap: true, net.TargetDev).Name;
            case "bridge":
                return _bridges.AddTap(dom.Name, net.Mac, net.Bridge, null, macvtap: false, net.TargetDev).Name;
            case "direct":
                return _bridges.AddTap(dom.Name, net.Mac, null, null, macvtap: true, net.TargetDev).Name;
            case "ethernet":
                return _bridges.AddTap(dom.Name, net.Mac, null, null, macvtap: false, net.TargetDev).Name;
            default:
                return null;
        }
    }

    /// <summary>Disconnects an interface: its tap goes, a direct-mode network gets its device back.</summary>
    private void UnplugInterface(DomainObject dom, string mac)
    {
        if (dom.Taps.Remove(mac, out var tap))
        {
            _bridges.RemoveTap(tap);
        }

        if (dom.NetworkDevices.Remove(mac, out var used))
        {
            lock (_sync)
            {
                if (_networksByName.TryGetValue(used.Network, out var network) && network.Connections.TryGetValue(used.Device, out var count))
                {
                    network.Connections[used.Device] = Math.Max(0, count - 1);
                }
            }
        }
    }

    /// <summary>A MAC with the KVM prefix that no interface of any domain of this host has.</summary>
    private byte[] NewHostMac()
    {
        lock (_sync)
        {
            while (true)
            {
                var mac = RandomIdentityGenerator.Instance.NewMac();
                var text = Identifiers.FormatMac(mac);
                if (!_macs.Contains(text) && !_networksByUuid.Values.Any(n => string.Equals(n.Current.Element("mac")?.Attribute("address")?.Value, text, StringComparison.OrdinalIgnoreCase)))
                {
                    return mac;
                }
            }
        }
    }

    private NetworkInfo NetworkInfoOf(NetworkObject network)
    {
        var model = NetworkDefinition.FromXml(network.Current);
        return new NetworkInfo(network.Name, network.Uuid, network.IsActive, network.IsPersistent, network.Autostart, model.Bridge?.Name, model.Forward.Mode);
    }

    private NetworkObject FindNetwork(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_sync)
        {
            ThrowIfClosing();
            if (_networksByName.TryGetValue(name, out var network) ||
                (Guid.TryParse(name, out var uuid) && _networksByUuid.TryGetValue(uuid, out network)))
            {
                return network;
            }
        }

        throw new RuntimeException(ErrorCode.NoNetwork, $"no network with matching name '{name}'");
    }

    private async Task<T> NetworkJobAsync<T>(string name, Func<NetworkObject, T> operation, CancellationToken cancellationToken, [System.Runtime.CompilerServices.CallerMemberName] string caller = "")
    {
        Options.Faults?.Check(caller, name);
        var network = FindNetwork(name);
        await network.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (network.Removed)
            {
                throw new RuntimeException(ErrorCode.NoNetwork, $"no network with matching name '{name}'");
            }

            return operation(network);
        }
        finally
        {
            network.Job.Release();
        }
    }

    private Task NetworkJobAsync(string name, Action<NetworkObject> operation, CancellationToken cancellationToken, [System.Runtime.CompilerServices.CallerMemberName] string caller = "") =>
        NetworkJobAsync<bool>(name, network =>
        {
            operation(network);
            return true;
        }, cancellationToken, caller);

    private void UnregisterNetwork(NetworkObject network)
    {
        lock (_sync)
        {
            network.Removed = true;
            _networksByName.Remove(network.Name);
            _networksByUuid.Remove(network.Uuid);
        }
    }

    /// <summary>The network's flags beside its definition: autostart and its &lt;dnsmasq:options&gt;.</summary>
    private void WriteNetworkFlags(NetworkObject network) =>
        StateDirectory.WriteAtomic(NetworkFlagsPath(network.Uuid), JsonSerializer.Serialize(new NetworkFlags(network.Autostart, [.. network.DnsmasqOptions]), StateJson.Default.NetworkFlags));

    private sealed record NetworkFlags(bool Autostart, string[]? DnsmasqOptions);

    /// <summary>Loads networks and leases, brings back running networks, then autostarts.</summary>
    private void LoadNetworks()
    {
        _bridges = new HostBridges(Options.HostBridges);
        Directory.CreateDirectory(ActiveNetworksDir);
        _leases = new LeaseStore(Path.Combine(NetworksDir, "leases"));
        _leases.Load();
        foreach (var damaged in _leases.Damaged)
        {
            SetAside(damaged, "damaged DHCP lease file");
        }

        // Leases whose domain or interface is gone: an undefine or a detach that was interrupted after it
        // removed the definition but before it released them, or transient domains that died with the
        // process. No domain runs yet, so the persistent definitions say which leases are owned (a transient
        // domain saved by a graceful stop released its leases when it stopped).
        var owned = _byUuid.Values.Where(d => d.Persistent is not null).ToDictionary(d => d.Uuid,
            d => MacTable.Read(d.Persistent!).ToHashSet(StringComparer.OrdinalIgnoreCase));
        var released = _leases.ReleaseWhere(l => !owned.TryGetValue(l.Domain, out var macs) || !macs.Contains(l.Mac));
        if (released > 0)
        {
            _log.LogInformation("Released {Count} DHCP leases of domains or interfaces that are gone", released);
        }

        foreach (var path in Directory.EnumerateFiles(NetworksDir, "*.xml").Order(StringComparer.Ordinal))
        {
            var doc = LibvirtSchema.LoadFile(path, KeptDefinition);
            if (!doc.IsValid || doc.Kind != SpecKind.Network)
            {
                SetAside(path, $"damaged network definition: {(doc.Errors.Count > 0 ? doc.Errors[0].ToString(path) : "not a network")}");
                continue;
            }

            var model = NetworkDefinition.FromXml(doc.Effective!);
            if (_networksByName.ContainsKey(model.Name) || _networksByUuid.ContainsKey(model.Uuid))
            {
                SetAside(path, $"second definition of network '{model.Name}'");
                continue;
            }

            var network = new NetworkObject(model.Name, model.Uuid) { Persistent = doc.Effective };
            var flags = NetworkFlagsPath(model.Uuid);
            if (File.Exists(flags))
            {
                try
                {
                    var saved = JsonSerializer.Deserialize(File.ReadAllText(flags), StateJson.Default.NetworkFlags);
                    network.Autostart = saved?.Autostart ?? false;
                    network.DnsmasqOptions = saved?.DnsmasqOptions ?? [];
                }
                catch (JsonException e)
                {
                    SetAside(flags, $"damaged flags of network '{model.Name}': {e.Message}");
                }
            }

            _networksByName[network.Name] = network;
            _networksByUuid[network.Uuid] = network;
        }

        foreach (var path in Directory.EnumerateFiles(ActiveNetworksDir, "*.xml"))
        {
            var doc = LibvirtSchema.LoadFile(path, KeptDefinition);
            if (!doc.IsValid || doc.Kind != SpecKind.Network)
            {
                SetAside(path, "damaged record of a running network");
                continue;
            }

            var model = NetworkDefinition.FromXml(doc.Effective!);
            if (!_networksByUuid.TryGetValue(model.Uuid, out var network))
            {
                network = new NetworkObject(model.Name, model.Uuid);
                _networksByName[network.Name] = network;
                _networksByUuid[network.Uuid] = network;
            }

            try
            {
                StartNetwork(network, doc.Effective!);
            }
            catch (RuntimeException e)
            {
                StateDirectory.Delete(path);
                ReportProblem($"Failed to restart network '{network.Name}': {e.Message}");
                if (!network.IsPersistent)
                {
                    UnregisterNetwork(network);
                }
            }
        }

        foreach (var network in _networksByUuid.Values.Where(n => n.Autostart && !n.IsActive).OrderBy(n => n.Name, StringComparer.Ordinal).ToList())
        {
            try
            {
                StartNetwork(network, new XElement(network.Persistent!));
            }
            catch (RuntimeException e)
            {
                ReportProblem($"Failed to autostart network '{network.Name}': {e.Message}");
            }
        }
    }

    /// <summary>A virtual network the hypervisor knows (virNetworkObj).</summary>
    private sealed class NetworkObject(string name, Guid uuid)
    {
        public string Name { get; } = name;

        public Guid Uuid { get; } = uuid;

        public XElement? Persistent { get; set; }

        public XElement? Live { get; set; }

        public bool Autostart { get; set; }

        public bool IsActive => Live is not null;

        public bool IsPersistent => Persistent is not null;

        /// <summary>
        /// The definition a network got when it was claimed, until its define or create has set it: what
        /// another define sees meanwhile (its bridge name and MAC are taken).
        /// </summary>
        public XElement? Claimed { get; init; }

        public XElement Current => Live ?? Persistent ?? Claimed!;

        public string? BridgeName => Current.Element("bridge")?.Attribute("name")?.Value;

        /// <summary>The network's &lt;dnsmasq:options&gt;, which its definition does not keep.</summary>
        public IReadOnlyList<string> DnsmasqOptions { get; set; } = [];

        /// <summary>Domains connected through each device of a direct-mode network.</summary>
        public Dictionary<string, int> Connections { get; } = new(StringComparer.Ordinal);

        public SemaphoreSlim Job { get; } = new(1, 1);

        public bool Removed { get; set; }
    }
}
