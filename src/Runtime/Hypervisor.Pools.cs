using System.Text.Json;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Persistence;
using Reconciler.Runtime.Storage;
using Reconciler.Runtime.Storage.HostCommands;
using Reconciler.Runtime.Storage.Images;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

/// <summary>Storage pools: libvirt's storage driver over the state directory and the host's file systems.</summary>
public sealed partial class Hypervisor
{
    /// <summary>The prefix of the temporary files volumes are created under before they get their name.</summary>
    internal const string TempVolumePrefix = ".rc-creating-";

    /// <summary>
    /// This host's temporary files: with shared storage several hosts create volumes in one directory, and
    /// each clears only what it left itself.
    /// </summary>
    private string OwnTempVolumePrefix => TempVolumePrefix + FileNameSafe(Host.Name) + "-";

    private static string FileNameSafe(string host) =>
        new([.. host.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_')]);

    private readonly Dictionary<string, PoolObject> _poolsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, PoolObject> _poolsByUuid = [];
    private IStorageHost? _storageHost;

    /// <summary>Where storage host commands go (recorded unless the options say otherwise).</summary>
    public IStorageHost StorageHost => _storageHost ??= Options.StorageHost ?? new RecordingStorageHost();

    private string PoolsDir => Path.Combine(_state.Root, "pools");

    private string ActivePoolsDir => Path.Combine(_state.Root, "pools", "active");

    private string PoolDefinitionPath(Guid uuid) => Path.Combine(PoolsDir, uuid.ToString("D") + ".xml");

    private string PoolFlagsPath(Guid uuid) => Path.Combine(PoolsDir, uuid.ToString("D") + ".json");

    private string PoolActivePath(Guid uuid) => Path.Combine(ActivePoolsDir, uuid.ToString("D") + ".xml");

    /// <summary>Defines a persistent pool (virStoragePoolDefineXML), with libvirt's checks of names, UUIDs and sources.</summary>
    public Task<StoragePoolInfo> DefinePoolAsync(string xml, CancellationToken cancellationToken = default) =>
        Task.Run(async () =>
        {
            var (def, mountOptions) = ParsePool(xml);
            var (pool, created) = ClaimPool(def, forStart: false);
            if (!created)
            {
                await pool.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                StateDirectory.WriteAtomic(PoolDefinitionPath(pool.Uuid), LibvirtXmlWriter.Format(def));
                pool.Persistent = def;
                pool.MountOptions = mountOptions;
                WritePoolFlags(pool);
                return PoolInfo(pool);
            }
            catch (Exception e) when (created && e is IOException or UnauthorizedAccessException)
            {
                UnregisterPool(pool);
                throw new RuntimeException(ErrorCode.SystemError, $"cannot save the definition of pool '{pool.Name}': {e.Message}", e);
            }
            finally
            {
                pool.Job.Release();
            }
        }, cancellationToken);

    /// <summary>Creates and starts a transient pool (virStoragePoolCreateXML), building it first when asked.</summary>
    public Task<StoragePoolInfo> CreatePoolAsync(string xml, bool build = false, CancellationToken cancellationToken = default) =>
        Task.Run(async () =>
        {
            var (def, mountOptions) = ParsePool(xml);
            var (pool, created) = ClaimPool(def, forStart: true);
            if (!created)
            {
                await pool.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            try
            {
                if (pool.IsActive)
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{pool.Name}' is already active");
                }

                try
                {
                    pool.MountOptions = mountOptions;
                    if (build)
                    {
                        BuildPool(def);
                    }

                    StartPool(pool, def);
                }
                catch when (created)
                {
                    UnregisterPool(pool);
                    throw;
                }

                return PoolInfo(pool);
            }
            finally
            {
                pool.Job.Release();
            }
        }, cancellationToken);

    /// <summary>Builds an inactive pool: for a directory pool, creates its target directory with the pool's permissions.</summary>
    public Task BuildPoolAsync(string name, PoolBuildMode mode = PoolBuildMode.Default, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, pool =>
        {
            if (pool.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{pool.Name}' is already active");
            }

            BuildPool(pool.Persistent!, mode);
        }, cancellationToken);

    /// <summary>Starts a defined pool (virStoragePoolCreate) and lists its volumes; with <paramref name="build"/>, builds it first.</summary>
    public Task StartPoolAsync(string name, bool build = false, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, pool =>
        {
            if (pool.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{pool.Name}' is already active");
            }

            if (build)
            {
                BuildPool(pool.Persistent!);
            }

            StartPool(pool, new XElement(pool.Persistent!));
        }, cancellationToken);

    /// <summary>Stops a pool (virStoragePoolDestroy); its data stays. A transient pool disappears.</summary>
    public Task StopPoolAsync(string name, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, pool =>
        {
            if (!pool.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{pool.Name}' is not active");
            }

            if (pool.Building.Count > 0)
            {
                throw AsyncJobsRunning(pool, ErrorCode.OperationInvalid);
            }

            if (DomainsUsingPool(pool) is { Count: > 0 } users)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid,
                    $"storage pool '{pool.Name}' has volumes in use by running domains: {string.Join(", ", users)}");
            }

            foreach (var command in StoragePoolCommands.Stop(StoragePoolDefinition.FromXml(pool.Live!), Options.StorageHostOptions))
            {
                StorageHost.Run(pool.Name, "stop", command);
            }

            pool.State = StoragePoolState.Inactive;
            pool.Live = null;
            pool.Volumes.Clear();
            StateDirectory.Delete(PoolActivePath(pool.Uuid));
            if (!pool.IsPersistent)
            {
                UnregisterPool(pool);
            }
        }, cancellationToken);

    /// <summary>Deletes an inactive pool's storage (a directory pool's empty target directory); its definition stays.</summary>
    public Task DeletePoolAsync(string name, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, pool =>
        {
            if (pool.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{pool.Name}' is still active");
            }

            if (pool.Type is "logical" or "zfs")
            {
                foreach (var command in StoragePoolCommands.Delete(StoragePoolDefinition.FromXml(pool.Persistent!), Options.StorageHostOptions))
                {
                    StorageHost.Run(pool.Name, "delete", command);
                }

                return;
            }

            if (!IsDirectoryLike(pool.Type))
            {
                throw new RuntimeException(ErrorCode.NoSupport, "pool does not support pool deletion");
            }

            var target = pool.TargetPath!;
            try
            {
                if (Directory.Exists(target))
                {
                    Directory.Delete(target, recursive: false);
                }
            }
            catch (IOException e)
            {
                throw new RuntimeException(ErrorCode.SystemError, $"failed to remove pool '{target}': {(Directory.EnumerateFileSystemEntries(target).Any() ? "Directory not empty" : e.Message)}", e);
            }
        }, cancellationToken);

    /// <summary>Removes an inactive pool's definition (virStoragePoolUndefine); its data stays.</summary>
    public Task UndefinePoolAsync(string name, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, pool =>
        {
            if (pool.IsActive)
            {
                throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{pool.Name}' is still active");
            }

            StateDirectory.Delete(PoolDefinitionPath(pool.Uuid));
            StateDirectory.Delete(PoolFlagsPath(pool.Uuid));
            UnregisterPool(pool);
        }, cancellationToken);

    /// <summary>
    /// Lists the volumes of a running pool again from its storage (virStoragePoolRefresh); refused, as by
    /// libvirt, while volumes of the pool are being built.
    /// </summary>
    public Task RefreshPoolAsync(string name, CancellationToken cancellationToken = default) =>
        RefreshPoolAsync(name, TimeSpan.Zero, refuseWhileBuilding: true, cancellationToken);

    /// <summary>
    /// As <see cref="RefreshPoolAsync(string, CancellationToken)"/>, unless the pool's volumes were listed
    /// (by its start or a refresh) less than <paramref name="unlessListedWithin"/> ago, or volumes of the pool
    /// are being built (then, as libvirt's own refresh after a volume upload, it passes: a build lists its
    /// volume itself).
    /// </summary>
    public Task RefreshPoolAsync(string name, TimeSpan unlessListedWithin, CancellationToken cancellationToken = default) =>
        RefreshPoolAsync(name, unlessListedWithin, refuseWhileBuilding: false, cancellationToken);

    private Task RefreshPoolAsync(string name, TimeSpan unlessListedWithin, bool refuseWhileBuilding, CancellationToken cancellationToken) =>
        PoolJobAsync(name, pool =>
        {
            RequireActive(pool);
            if (pool.Building.Count > 0)
            {
                // (A refresh would take the files being built for leftovers of a crash.)
                return refuseWhileBuilding ? throw AsyncJobsRunning(pool, ErrorCode.InternalError) : false;
            }

            if (pool.Listed is { } listed && DateTimeOffset.UtcNow - listed < unlessListedWithin)
            {
                return false;
            }

            if (IsDirectoryLike(pool.Type) && !Directory.Exists(pool.TargetPath))
            {
                // As storagePoolRefresh: a pool whose storage cannot be listed any more is stopped.
                foreach (var command in StoragePoolCommands.Stop(StoragePoolDefinition.FromXml(pool.Live!), Options.StorageHostOptions))
                {
                    StorageHost.Run(pool.Name, "stop", command);
                }

                pool.State = StoragePoolState.Inactive;
                pool.Live = null;
                pool.Volumes.Clear();
                StateDirectory.Delete(PoolActivePath(pool.Uuid));
                if (!pool.IsPersistent)
                {
                    UnregisterPool(pool);
                }

                throw new RuntimeException(ErrorCode.SystemError, $"cannot open directory '{pool.TargetPath}': No such file or directory");
            }

            if (IsDirectoryLike(pool.Type))
            {
                RefreshVolumes(pool);
            }

            return true;
        }, cancellationToken, nameof(RefreshPoolAsync));

    /// <summary>Sets whether the pool starts when the runtime starts.</summary>
    public Task SetPoolAutostartAsync(string name, bool autostart, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, pool =>
        {
            if (!pool.IsPersistent)
            {
                throw new RuntimeException(ErrorCode.InternalError, "cannot set autostart for transient pool");
            }

            pool.Autostart = autostart;
            WritePoolFlags(pool);
        }, cancellationToken);

    /// <summary>virsh pool-info: state, capacity, allocation and available space (from the file system while running).</summary>
    public Task<StoragePoolInfo> GetPoolInfoAsync(string name, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, PoolInfo, cancellationToken);

    /// <summary>virsh pool-dumpxml: the pool's definition, with its sizes while running; <paramref name="inactive"/> gives the persistent one.</summary>
    public Task<string> GetPoolXmlAsync(string name, bool inactive = false, CancellationToken cancellationToken = default) =>
        PoolJobAsync(name, pool =>
        {
            var def = new XElement((inactive ? pool.Persistent : null) ?? pool.Current);
            if (pool.IsActive && !inactive)
            {
                var info = PoolInfo(pool);
                def.Element("capacity")?.SetValue(info.Capacity);
                def.Element("allocation")?.SetValue(info.Allocation);
                def.Element("available")?.SetValue(info.Available);
            }

            return LibvirtXmlWriter.Format(def);
        }, cancellationToken);

    /// <summary>Every pool (virsh pool-list --all).</summary>
    public IReadOnlyList<StoragePoolInfo> ListPools()
    {
        List<PoolObject> all;
        lock (_sync)
        {
            all = [.. _poolsByUuid.Values.Where(p => p.Live is not null || p.Persistent is not null)];
        }

        return [.. all.Select(PoolInfo).OrderBy(p => p.Name, StringComparer.Ordinal)];
    }

    /// <summary>The pool's state; null when there is no such pool. A lookup, not a listing (no sizes asked of the file system).</summary>
    public StoragePoolState? PoolState(string name)
    {
        lock (_sync)
        {
            return _poolsByName.TryGetValue(name, out var pool) && (pool.Live is not null || pool.Persistent is not null) ? pool.State : null;
        }
    }

    /// <summary>Every pool's name and state (no sizes asked of the file system).</summary>
    public IReadOnlyList<(string Name, StoragePoolState State)> PoolStates()
    {
        lock (_sync)
        {
            return [.. _poolsByUuid.Values.Where(p => p.Live is not null || p.Persistent is not null).Select(p => (p.Name, p.State))];
        }
    }

    /// <summary>Whether a running pool has the volume (its file is there), without the pool's job and without reading the image.</summary>
    public bool HasVolume(string poolName, string volumeName)
    {
        PoolObject? pool;
        lock (_sync)
        {
            pool = _poolsByName.GetValueOrDefault(poolName);
        }

        return pool is { IsActive: true } && pool.Volumes.TryGetValue(volumeName, out var volume) && File.Exists(volume.Path);
    }

    /// <summary>The pool's effective definition and its &lt;fs:mount_opts&gt; (which the definition itself does not keep).</summary>
    private static (XElement Def, IReadOnlyList<string> MountOptions) ParsePool(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        var doc = LibvirtSchema.LoadText("pool.xml", xml, KeptDefinition);
        if (doc.Errors.Count > 0)
        {
            throw RuntimeException.FromSchema(doc.Errors[0]);
        }

        if (doc.Kind != SpecKind.StoragePool || doc.Effective is null)
        {
            throw new RuntimeException(ErrorCode.XmlError, $"unexpected root element <{doc.Effective?.Name.LocalName}>, expecting <pool>");
        }

        var options = Schema.Storage.FsMountXmlNamespace.MountOptions(doc, out var error);
        if (error is not null)
        {
            throw RuntimeException.FromSchema(error);
        }

        return (doc.Effective, options);
    }

    /// <summary>virStoragePoolObjIsDuplicate and virStoragePoolObjSourceFindDuplicate, then registration.</summary>
    private (PoolObject Pool, bool Created) ClaimPool(XElement def, bool forStart)
    {
        var model = StoragePoolDefinition.FromXml(def);
        lock (_sync)
        {
            ThrowIfClosing();
            if (_poolsByUuid.TryGetValue(model.Uuid, out var pool))
            {
                if (pool.Name != model.Name)
                {
                    throw new RuntimeException(ErrorCode.OperationFailed, $"pool '{pool.Name}' is already defined with uuid {model.Uuid:D}");
                }

                if (forStart && pool.IsActive)
                {
                    throw new RuntimeException(ErrorCode.OperationInvalid, $"pool is already active as '{pool.Name}'");
                }

                return (pool, false);
            }

            if (_poolsByName.TryGetValue(model.Name, out var named))
            {
                throw new RuntimeException(ErrorCode.OperationFailed, $"pool '{model.Name}' already exists with uuid {named.Uuid:D}");
            }

            if (model.Target?.Path is { } path && model.Type is "dir" or "fs" or "netfs")
            {
                var conflict = _poolsByUuid.Values.FirstOrDefault(p => p.TargetPath == path && p.Type == model.Type);
                if (conflict is not null)
                {
                    throw new RuntimeException(ErrorCode.OperationFailed, $"Storage source conflict with pool: '{conflict.Name}'");
                }
            }

            pool = new PoolObject(model.Name, model.Uuid) { Claimed = def };
            pool.Job.Wait(0);
            _poolsByName[pool.Name] = pool;
            _poolsByUuid[pool.Uuid] = pool;
            return (pool, true);
        }
    }

    private void UnregisterPool(PoolObject pool)
    {
        lock (_sync)
        {
            pool.Removed = true;
            _poolsByName.Remove(pool.Name);
            _poolsByUuid.Remove(pool.Uuid);
        }
    }

    private PoolObject FindPool(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        lock (_sync)
        {
            ThrowIfClosing();
            if (_poolsByName.TryGetValue(name, out var pool) ||
                (Guid.TryParse(name, out var uuid) && _poolsByUuid.TryGetValue(uuid, out pool)))
            {
                return pool;
            }
        }

        throw new RuntimeException(ErrorCode.NoStoragePool, $"no storage pool with matching name '{name}'");
    }

    private async Task<T> PoolJobAsync<T>(string name, Func<PoolObject, T> operation, CancellationToken cancellationToken, [System.Runtime.CompilerServices.CallerMemberName] string caller = "")
    {
        Options.Faults?.Check(caller, name);
        var pool = FindPool(name);
        await pool.Job.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (pool.Removed)
            {
                throw new RuntimeException(ErrorCode.NoStoragePool, $"no storage pool with matching name '{name}'");
            }

            return operation(pool);
        }
        finally
        {
            pool.Job.Release();
        }
    }

    private Task PoolJobAsync(string name, Action<PoolObject> operation, CancellationToken cancellationToken, [System.Runtime.CompilerServices.CallerMemberName] string caller = "") =>
        PoolJobAsync<bool>(name, pool =>
        {
            operation(pool);
            return true;
        }, cancellationToken, caller);

    /// <summary>libvirt's refusal of an operation on a pool while volumes of it are being built (its asyncjobs).</summary>
    private static RuntimeException AsyncJobsRunning(PoolObject pool, ErrorCode code) =>
        new(code, $"pool '{pool.Name}' has asynchronous jobs running.");

    private static void RequireActive(PoolObject pool)
    {
        if (!pool.IsActive)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{pool.Name}' is not active");
        }
    }

    /// <summary>Pool types whose volumes are the files of their target directory.</summary>
    private static bool IsDirectoryLike(string type) => type is "dir" or "fs" or "netfs";

    /// <summary>
    /// Builds a pool (the backend's buildPool): a directory-like pool gets its target directory (mode 0711
    /// unless the pool says otherwise); the host commands of its type (mkfs, pvcreate/vgcreate, parted,
    /// zpool) go to <see cref="StorageHost"/>.
    /// </summary>
    private void BuildPool(XElement def, PoolBuildMode mode = PoolBuildMode.Default)
    {
        var model = StoragePoolDefinition.FromXml(def);
        if (IsDirectoryLike(model.Type))
        {
            var target = model.Target!.Path;
            var perms = model.Target.Permissions.Mode is { } m ? (UnixFileMode)m : (UnixFileMode)Convert.ToInt32("711", 8);
            try
            {
                if (OperatingSystem.IsWindows())
                {
                    Directory.CreateDirectory(target);
                }
                else
                {
                    Directory.CreateDirectory(target, perms);
                    File.SetUnixFileMode(target, perms);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new RuntimeException(ErrorCode.SystemError, $"cannot create path '{target}': {e.Message}", e);
            }
        }

        foreach (var command in StoragePoolCommands.Build(model, mode, Options.StorageHostOptions))
        {
            StorageHost.Run(model.Name, "build", command);
        }
    }

    /// <summary>
    /// Starts a pool (the backend's startPool, then a refresh): the commands of its type (mount, vgchange,
    /// iscsiadm, vstorage-mount) go to <see cref="StorageHost"/>; a directory-like pool lists the files of
    /// its target directory, which must exist.
    /// </summary>
    private void StartPool(PoolObject pool, XElement def)
    {
        var model = StoragePoolDefinition.FromXml(def);
        if (IsDirectoryLike(model.Type) && !Directory.Exists(model.Target!.Path))
        {
            throw new RuntimeException(ErrorCode.SystemError, $"cannot open directory '{model.Target.Path}': No such file or directory");
        }

        foreach (var command in StoragePoolCommands.Start(model, Options.StorageHostOptions, pool.MountOptions))
        {
            StorageHost.Run(model.Name, "start", command);
        }

        pool.Live = def;
        pool.State = StoragePoolState.Running;
        if (IsDirectoryLike(model.Type))
        {
            RefreshVolumes(pool);
        }
        else
        {
            pool.Volumes.Clear();
        }

        StateDirectory.WriteAtomic(PoolActivePath(pool.Uuid), LibvirtXmlWriter.Format(def));
    }

    /// <summary>The volume a file of a directory pool is, or null (a creation's temporary file, a symlink out of the pool).</summary>
    private VolumeObject? VolumeAt(PoolObject pool, string target, string? root, string path)
    {
        var name = Path.GetFileName(path);
        if (name.StartsWith(TempVolumePrefix, StringComparison.Ordinal))
        {
            // Never a volume. This host's own: a creation that did not finish; another host's (shared
            // storage): maybe one in progress, left alone.
            if (name.StartsWith(OwnTempVolumePrefix, StringComparison.Ordinal))
            {
                File.Delete(path);
            }

            return null;
        }

        // A file that is no symlink is where the pool's (resolved) directory is: one readlink, not one
        // per component of both paths.
        if (new FileInfo(path).LinkTarget is null ? root is null : !IsInside(target, path))
        {
            _log.LogWarning("Skipping {Path} in pool {Pool}: it is a symlink that leads out of the pool", path, pool.Name);
            return null;
        }

        return new VolumeObject(name, path, DiskContent.Probe(path));
    }

    /// <summary>
    /// virStorageBackendRefreshLocal: every regular file of the target directory is a volume (qcow2 when its
    /// header says so, else raw). Symlinks that lead out of the pool are not volumes. Leftovers of an
    /// interrupted creation are removed.
    /// </summary>
    private void RefreshVolumes(PoolObject pool)
    {
        var target = pool.TargetPath!;
        var root = RealPath(target);
        var paths = Directory.GetFiles(target);
        // Each file costs a readlink and a read of its first 4 KiB: a pool of thousands is listed on every
        // core (a host's start lists every pool before its API answers).
        var volumes = paths.Length > 64
            ? paths.AsParallel().Select(path => VolumeAt(pool, target, root, path)).ToArray()
            : Array.ConvertAll(paths, path => VolumeAt(pool, target, root, path));
        var found = new Dictionary<string, VolumeObject>(StringComparer.Ordinal);
        foreach (var volume in volumes)
        {
            if (volume is not null)
            {
                found[volume.Name] = volume;
            }
        }

        // Changed in place, never emptied on the way: a domain starting meanwhile finds its volume.
        foreach (var name in pool.Volumes.Keys)
        {
            if (!found.ContainsKey(name))
            {
                pool.Volumes.TryRemove(name, out _);
            }
        }

        foreach (var (name, volume) in found)
        {
            pool.Volumes[name] = volume;
        }

        pool.Listed = DateTimeOffset.UtcNow;
    }

    /// <summary>
    /// Whether <paramref name="path"/>, with every symlink resolved (or, when <paramref name="resolveLinks"/>
    /// is false, as written), lies inside <paramref name="directory"/> (itself resolved).
    /// </summary>
    internal static bool IsInside(string directory, string path, bool resolveLinks = true)
    {
        var root = resolveLinks ? RealPath(directory) : Path.GetFullPath(directory);
        var full = resolveLinks ? RealPath(path) : Path.GetFullPath(path);
        return root is not null && full is not null && full.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);
    }

    /// <summary>
    /// The path with every symbolic link resolved (the parts that do not exist kept as written); null when
    /// links lead on more than 40 times (Linux's ELOOP), as in a loop.
    /// </summary>
    internal static string? RealPath(string path)
    {
        var hops = 0;
        var pending = Path.GetFullPath(path);
        while (true)
        {
            var parts = pending.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var current = "/";
            string? next = null;
            for (var i = 0; i < parts.Length; i++)
            {
                var candidate = Path.Combine(current, parts[i]);
                if (new FileInfo(candidate).LinkTarget is { } link)
                {
                    if (++hops > 40)
                    {
                        return null;
                    }

                    var resolved = Path.GetFullPath(link, current);
                    var rest = string.Join('/', parts.Skip(i + 1));
                    next = rest.Length > 0 ? Path.Combine(resolved, rest) : resolved;
                    break;
                }

                current = candidate;
            }

            if (next is null)
            {
                return current;
            }

            pending = Path.GetFullPath(next);
        }
    }

    private StoragePoolInfo PoolInfo(PoolObject pool)
    {
        ulong capacity = 0, allocation = 0, available = 0;
        if (pool.IsActive && pool.TargetPath is { } target && Directory.Exists(target))
        {
            var drive = new DriveInfo(target);
            capacity = (ulong)drive.TotalSize;
            available = (ulong)drive.AvailableFreeSpace;
            allocation = capacity - (ulong)drive.TotalFreeSpace;
        }

        return new StoragePoolInfo(pool.Name, pool.Uuid, pool.Type, pool.State, capacity, allocation, available, pool.IsPersistent, pool.Autostart);
    }

    /// <summary>Running domains with a disk in this pool (by volume or by a path inside its target).</summary>
    private List<string> DomainsUsingPool(PoolObject pool)
    {
        List<Domains.DomainObject> active;
        lock (_sync)
        {
            active = [.. _byUuid.Values.Where(d => d.IsActive)];
        }

        var target = pool.TargetPath;
        return [.. active.Where(d => Schema.Domains.Model.DomainDefinition.FromXml(d.Live!).Devices.Disks.Any(disk =>
            disk.Source?.Pool == pool.Name ||
            (target is not null && disk.Source?.Path is { } p && p.StartsWith(target.TrimEnd('/') + "/", StringComparison.Ordinal))))
            .Select(d => d.Name)];
    }

    /// <summary>
    /// The pool's flags beside its definition: autostart, and the &lt;fs:mount_opts&gt; its definition does
    /// not keep (libvirt's formatter drops them), so that a restart mounts it as before.
    /// </summary>
    private void WritePoolFlags(PoolObject pool) =>
        StateDirectory.WriteAtomic(PoolFlagsPath(pool.Uuid), JsonSerializer.Serialize(new PoolFlags(pool.Autostart, [.. pool.MountOptions]), StateJson.Default.PoolFlags));

    private sealed record PoolFlags(bool Autostart, string[]? MountOptions);

    /// <summary>Loads pool definitions, brings back the pools that were running (when their storage is still there), then autostarts.</summary>
    private void LoadPools()
    {
        Directory.CreateDirectory(ActivePoolsDir);
        RecoverInterruptedResizes();
        foreach (var path in Directory.EnumerateFiles(PoolsDir, "*.xml").Order(StringComparer.Ordinal))
        {
            var doc = LibvirtSchema.LoadFile(path, KeptDefinition);
            if (!doc.IsValid || doc.Kind != SpecKind.StoragePool)
            {
                SetAside(path, $"damaged pool definition: {(doc.Errors.Count > 0 ? doc.Errors[0].ToString(path) : "not a pool")}");
                continue;
            }

            var model = StoragePoolDefinition.FromXml(doc.Effective!);
            if (_poolsByName.ContainsKey(model.Name) || _poolsByUuid.ContainsKey(model.Uuid))
            {
                SetAside(path, $"second definition of pool '{model.Name}'");
                continue;
            }

            var pool = new PoolObject(model.Name, model.Uuid) { Persistent = doc.Effective };
            var flags = PoolFlagsPath(model.Uuid);
            if (File.Exists(flags))
            {
                try
                {
                    var saved = JsonSerializer.Deserialize(File.ReadAllText(flags), StateJson.Default.PoolFlags);
                    pool.Autostart = saved?.Autostart ?? false;
                    pool.MountOptions = saved?.MountOptions ?? [];
                }
                catch (JsonException e)
                {
                    SetAside(flags, $"damaged flags of pool '{model.Name}': {e.Message}");
                }
            }

            _poolsByName[pool.Name] = pool;
            _poolsByUuid[pool.Uuid] = pool;
        }

        foreach (var path in Directory.EnumerateFiles(ActivePoolsDir, "*.xml"))
        {
            var doc = LibvirtSchema.LoadFile(path, KeptDefinition);
            if (!doc.IsValid || doc.Kind != SpecKind.StoragePool)
            {
                SetAside(path, "damaged record of a running pool");
                continue;
            }

            var model = StoragePoolDefinition.FromXml(doc.Effective!);
            if (!_poolsByUuid.TryGetValue(model.Uuid, out var pool))
            {
                pool = new PoolObject(model.Name, model.Uuid);
                _poolsByName[pool.Name] = pool;
                _poolsByUuid[pool.Uuid] = pool;
            }

            try
            {
                StartPool(pool, doc.Effective!);
            }
            catch (RuntimeException e)
            {
                StateDirectory.Delete(path);
                ReportProblem($"Failed to restart storage pool '{pool.Name}': {e.Message}");
                if (!pool.IsPersistent)
                {
                    UnregisterPool(pool);
                }
            }
        }

        foreach (var pool in _poolsByUuid.Values.Where(p => p.Autostart && !p.IsActive).ToList())
        {
            try
            {
                StartPool(pool, new XElement(pool.Persistent!));
            }
            catch (RuntimeException e)
            {
                ReportProblem($"Failed to autostart storage pool '{pool.Name}': {e.Message}");
            }
        }
    }
}
