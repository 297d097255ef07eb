using System.Xml.Linq;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Persistence;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

public sealed partial class Hypervisor
{
    /// <summary>
    /// Defines a persistent domain, or replaces the persistent definition of an existing one (a running
    /// domain keeps running with its live definition; the new one applies from its next boot). libvirt's
    /// rules hold: a UUID already used by a domain of another name, or a name used with another UUID, is
    /// refused.
    /// </summary>
    public Task<DomainSummary> DefineAsync(string xml, CancellationToken cancellationToken = default) =>
        DefineAsync(xml, DefineFlags.None, cancellationToken);

    /// <inheritdoc cref="DefineAsync(string, CancellationToken)"/>
    public async Task<DomainSummary> DefineAsync(string xml, DefineFlags flags, CancellationToken cancellationToken = default)
    {
        Options.Faults?.Check("Define", "domain");
        var def = ParseDefinition(xml, flags, inheritMacs: true);
        var model = DomainDefinition.FromXml(def);
        var (dom, created) = Claim(model, forStart: false);
        if (!created)
        {
            await dom.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (dom.Removed)
            {
                // Undefined while we waited: define it anew.
                return await DefineAsync(xml, flags, cancellationToken).ConfigureAwait(false);
            }

            var wasPersistent = dom.IsPersistent;
            try
            {
                WriteDefinition(dom.Uuid, def);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                if (created)
                {
                    Unregister(dom);
                }

                throw new RuntimeException(ErrorCode.SystemError, $"cannot save the definition of domain '{model.Name}': {e.Message}", e);
            }

            dom.Persistent = def;
            if (!wasPersistent && dom.IsActive)
            {
                WriteRunRecord(dom);
            }

            Raise(dom, DomainEventType.Defined, wasPersistent ? "updated" : "added");
            return Summary(dom);
        }
        finally
        {
            dom.Job.Release();
        }
    }

    /// <summary>
    /// Removes the persistent definition. An inactive domain disappears; a running one becomes transient
    /// and disappears when it stops. Refused for a transient domain, and while a managed-save image exists
    /// unless <paramref name="removeManagedSave"/>.
    /// </summary>
    public Task UndefineAsync(string name, bool removeManagedSave = false, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsPersistent)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "cannot undefine transient domain");
            }

            if (dom.HasManagedSave)
            {
                if (!removeManagedSave)
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid, "Refusing to undefine while domain managed save image exists");
                }

            }

            RemoveDefinition(dom);
        }, cancellationToken);

    /// <summary>
    /// Removes the persistent definition, its flags and any managed-save image (call with the job held): an
    /// inactive domain disappears with its leases; an active one becomes transient.
    /// </summary>
    private void RemoveDefinition(DomainObject dom)
    {
        if (dom.HasManagedSave)
        {
            StateDirectory.Delete(ManagedSavePath(dom.Uuid));
            dom.HasManagedSave = false;
        }

        if (!dom.IsActive)
        {
            // Leases go first: a crash in between leaves a definition without a lease (it gets one at its next
            // start), never a lease whose domain is gone.
            _leases.ReleaseDomain(dom.Uuid);
        }

        StateDirectory.Delete(DefinitionPath(dom.Uuid));
        StateDirectory.Delete(FlagsPath(dom.Uuid));
        dom.Persistent = null;
        dom.Autostart = false;
        if (dom.IsActive)
        {
            WriteRunRecord(dom);
        }
        else
        {
            Unregister(dom);
        }

        Raise(dom, DomainEventType.Undefined, "removed");
    }

    /// <summary>
    /// Creates and starts a transient domain (virDomainCreateXML). When a persistent domain of the same
    /// name and UUID exists and is shut off, it is started with this definition instead, which lasts
    /// until it stops.
    /// </summary>
    public Task<DomainSummary> CreateAsync(string xml, bool paused = false, CancellationToken cancellationToken = default) =>
        StartNewAsync(ParseDefinition(xml), paused, RunningReason.Booted, memory: null, cancellationToken);

    /// <summary>
    /// Starts <paramref name="def"/> as a new run of its domain (create, restore): a transient domain, or an
    /// inactive persistent one of the same name and UUID; a domain registered for it goes again when the start fails.
    /// </summary>
    private async Task<DomainSummary> StartNewAsync(XElement def, bool paused, RunningReason reason, GuestMemory? memory, CancellationToken cancellationToken)
    {
        var model = DomainDefinition.FromXml(def);
        var (dom, created) = Claim(model, forStart: true);
        if (!created)
        {
            await dom.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (dom.Removed || dom.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"domain '{model.Name}' is already active");
            }

            try
            {
                Boot(dom, def, paused, reason, memory);
            }
            catch when (created)
            {
                Unregister(dom);
                throw;
            }

            return Summary(dom);
        }
        finally
        {
            dom.Job.Release();
        }
    }

    /// <summary>Sets whether the domain starts when the runtime starts (refused for transient domains).</summary>
    public Task SetAutostartAsync(string name, bool autostart, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsPersistent)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, "cannot set autostart for transient domain");
            }

            if (dom.Autostart != autostart)
            {
                WriteFlags(dom, autostart, dom.Starts);
                dom.Autostart = autostart;
            }
        }, cancellationToken);

    /// <summary>
    /// The domain's XML: while it runs, its live definition with what the runtime added (the ID, the
    /// graphics ports, the tap names, device aliases); with <paramref name="inactive"/>, or when it is
    /// shut off, the persistent definition (what the next boot uses).
    /// </summary>
    public Task<string> GetXmlAsync(string name, bool inactive = false, CancellationToken cancellationToken = default) =>
        JobAsync(name, dom =>
        {
            if (!dom.IsActive || (inactive && dom.IsPersistent))
            {
                return LibvirtXmlWriter.Format((inactive ? dom.Persistent : null) ?? dom.Current);
            }

            return LibvirtXmlWriter.Format(LiveView(dom));
        }, cancellationToken);

    /// <summary>Every domain, active ones first by ID, then inactive ones by name (virsh list --all).</summary>
    public IReadOnlyList<DomainSummary> ListDomains()
    {
        List<DomainObject> all;
        lock (_sync)
        {
            all = [.. _byUuid.Values.Where(d => d.Live is not null || d.Persistent is not null)];
        }

        return [.. all.Select(Summary).OrderBy(d => d.Id is null).ThenBy(d => d.Id).ThenBy(d => d.Name, StringComparer.Ordinal)];
    }

    /// <summary>The domain's name, UUID, ID and state, found by name, UUID or ID.</summary>
    public DomainSummary Lookup(string name) => Summary(Find(name));

    /// <summary>Whether a domain with this name, UUID or ID exists.</summary>
    public bool Exists(string name) => TryFind(name) is not null;

    private static DomainSummary Summary(DomainObject dom) =>
        new(dom.Id, dom.Name, dom.Uuid, dom.Status, dom.IsPersistent, dom.Autostart);

    /// <summary>
    /// Reads a domain definition through the schema layer: libvirt's checks, defaults and validation (not
    /// with <see cref="DefineFlags.Validated"/>), then this driver's own checks. A redefinition first
    /// inherits the MACs of the domain's interfaces (<paramref name="inheritMacs"/>).
    /// </summary>
    private XElement ParseDefinition(string xml, DefineFlags flags = DefineFlags.None, bool inheritMacs = false)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var options = new SchemaOptions { Identity = new HostIdentity(this), Compact = true, SkipChecks = flags.HasFlag(DefineFlags.Validated) };
        var doc = LibvirtSchema.Load("domain.xml", System.Text.Encoding.UTF8.GetBytes(xml), options, asWritten: written =>
        {
            if (inheritMacs)
            {
                InheritMacs(written);
            }
        });
        if (doc.Errors.Count > 0)
        {
            throw RuntimeException.FromSchema(doc.Errors[0]);
        }

        if (doc.Kind != SpecKind.Domain || doc.Effective is null)
        {
            throw new RuntimeException(ErrorCode.XmlError, $"unexpected root element <{doc.Effective?.Name.LocalName}>, expecting <domain>");
        }

        CheckDriverSupport(doc.Effective);
        return doc.Effective;
    }

    /// <summary>
    /// A redefinition keeps the MACs: an interface written without one gets the MAC of the interface at
    /// the same position in the domain's current definition (when that MAC is not taken in the new one).
    /// </summary>
    private void InheritMacs(XElement root)
    {
        if (root.Name != "domain")
        {
            return;
        }

        DomainObject? existing;
        lock (_sync)
        {
            existing = (root.Text("uuid") is { } text && Guid.TryParse(text, out var uuid) ? _byUuid.GetValueOrDefault(uuid) : null)
                ?? (root.Text("name") is { } name ? _byName.GetValueOrDefault(name) : null);
        }

        var old = existing?.Persistent ?? existing?.Live;
        if (old is null)
        {
            return;
        }

        var oldMacs = old.El("devices").Els("interface").Select(i => i.El("mac").A("address")).ToList();
        var interfaces = root.El("devices").Els("interface").ToList();
        var taken = new HashSet<string>(interfaces.Select(i => i.El("mac").A("address") ?? string.Empty), StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < interfaces.Count && i < oldMacs.Count; i++)
        {
            if (interfaces[i].El("mac") is null && oldMacs[i] is { } mac && taken.Add(mac))
            {
                interfaces[i].AddFirst(new XElement("mac", new XAttribute("address", mac)));
            }
        }
    }

    /// <summary>Generates UUIDs, and MACs that no domain or network of this host has.</summary>
    private sealed class HostIdentity(Hypervisor hypervisor) : IIdentityGenerator
    {
        public Guid NewUuid() => Guid.NewGuid();

        public byte[] NewMac() => hypervisor.NewHostMac();
    }

    /// <summary>What the QEMU driver of libvirt 9.0.0 refuses beyond the generic checks (qemuValidateDomainDef).</summary>
    private static void CheckDriverSupport(XElement def)
    {
        var type = def.A("type");
        if (type is not ("kvm" or "qemu"))
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, $"domain type '{type}' is not supported by this hypervisor (kvm and qemu are)");
        }

        var onPoweroff = def.Text("on_poweroff") ?? "destroy";
        var onReboot = def.Text("on_reboot") ?? "restart";
        var onCrash = def.Text("on_crash") ?? "destroy";
        if (onPoweroff == "rename-restart" || onReboot == "rename-restart" || onCrash == "rename-restart")
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, "qemu driver doesn't support the 'rename-restart' action for 'on_reboot'/'on_poweroff'/'on_crash'");
        }

        if (onPoweroff == "preserve" || onReboot == "preserve")
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, "qemu driver doesn't support the 'preserve' action for 'on_reboot'/'on_poweroff'");
        }

        if (onPoweroff == "restart" && onReboot == "destroy")
        {
            throw new RuntimeException(ErrorCode.ConfigUnsupported, "qemu driver doesn't support 'onReboot' set to 'destroy and 'onPoweroff' set to 'reboot'");
        }
    }

    /// <summary>
    /// Finds the domain a definition is for, or registers a new (still empty) one: libvirt's
    /// virDomainObjListAdd with its checks of names against UUIDs. A new domain is returned with its job
    /// already taken, so that nobody sees it before it is complete.
    /// </summary>
    private (DomainObject Dom, bool Created) Claim(DomainDefinition model, bool forStart)
    {
        lock (_sync)
        {
            ThrowIfClosing();
            if (_byUuid.TryGetValue(model.Uuid, out var dom))
            {
                if (dom.Name != model.Name)
                {
                    throw new RuntimeException(ErrorCode.OperationFailed, $"domain '{dom.Name}' is already defined with uuid {Identifiers.FormatUuid(dom.Uuid)}");
                }

                if (forStart)
                {
                    if (dom.IsActive)
                    {
                        throw new RuntimeException(ErrorCode.OperationInvalid, $"domain '{dom.Name}' is already active");
                    }

                    if (!dom.IsPersistent)
                    {
                        throw new RuntimeException(ErrorCode.OperationInvalid, $"domain '{dom.Name}' is already being started");
                    }
                }

                return (dom, false);
            }

            if (_byName.TryGetValue(model.Name, out var named))
            {
                throw new RuntimeException(ErrorCode.OperationFailed, $"domain '{model.Name}' already exists with uuid {Identifiers.FormatUuid(named.Uuid)}");
            }

            dom = new DomainObject(model.Name, model.Uuid) { Macs = _macs };
            dom.Job.Wait(0);
            _byName[dom.Name] = dom;
            _byUuid[dom.Uuid] = dom;
            return (dom, true);
        }
    }
}
