using System.Xml.Linq;
using Microsoft.Extensions.Logging;
using Reconciler.Runtime.Persistence;
using Reconciler.Runtime.Storage;
using Reconciler.Runtime.Storage.Images;
using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime;

/// <summary>Volumes of directory pools: real files, raw or qcow2, created atomically and never overwritten.</summary>
public sealed partial class Hypervisor
{
    /// <summary>Flags of <see cref="ResizeVolumeAsync"/> (virStorageVolResizeFlags).</summary>
    [Flags]
    public enum ResizeFlags
    {
        None = 0,

        /// <summary>Allocate the new space instead of leaving it sparse.</summary>
        Allocate = 1,

        /// <summary>The size is added to (or, with Shrink, taken from) the current capacity.</summary>
        Delta = 2,

        /// <summary>Allow the capacity to go down.</summary>
        Shrink = 4,
    }

    /// <summary>How many backing files deep a disk's chain may go.</summary>
    private const int MaxBackingChain = 16;

    /// <summary>Default mode of a new volume (VIR_STORAGE_DEFAULT_VOL_PERM_MODE).</summary>
    private static readonly UnixFileMode DefaultVolumeMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>
    /// Creates a volume in a running pool (virStorageVolCreateXML): raw files sparse unless an allocation is
    /// asked for (preallocated up to it), qcow2 images written natively with their backing store. The file
    /// is written under a temporary name and linked into place, so a crash never leaves half an image under
    /// the volume's name, and an existing file is never overwritten. As libvirt, the pool's job is held to
    /// check and claim the name and to list the volume, not while the file is written: volumes of one pool
    /// are built side by side (the pool cannot be stopped or refreshed meanwhile).
    /// </summary>
    public async Task<StorageVolumeInfo> CreateVolumeAsync(string poolName, string xml, CancellationToken cancellationToken = default)
    {
        var (pool, name, path, def) = await PoolJobAsync(poolName, pool => ClaimVolume(pool, PrepareVolume(pool, xml)), cancellationToken).ConfigureAwait(false);
        var format = def.Target.Format ?? "raw";
        return await BuildClaimedVolumeAsync(pool, name, path, format, def.Target.Permissions, temp =>
        {
            switch (format)
            {
                case "raw":
                    CreateRaw(temp, def.Capacity, def.Allocation);
                    break;
                case "qcow2":
                    var backing = def.BackingStore;
                    if (backing is not null)
                    {
                        RequireConfined($"the backing store of volume '{name}'", backing.Path);
                    }

                    if (backing is not null && !File.Exists(backing.Path))
                    {
                        throw new RuntimeException(ErrorCode.SystemError, $"Cannot access backing file '{backing.Path}': No such file or directory");
                    }

                    var backingFormat = backing is null ? null : backing.Format ?? DiskContent.Probe(backing.Path);
                    var capacity = def.Capacity == 0 && backing is not null ? CapacityOf(backing.Path, backingFormat!) : def.Capacity;
                    // Made durable by WriteNewVolume (one fsync, before the file takes its name).
                    Qcow2Image.Create(temp, capacity, ClusterBits(def), backing?.Path, backingFormat, durable: false);
                    break;
                default:
                    throw new RuntimeException(ErrorCode.OperationUnsupported, $"volume format '{format}' is not created by the in-process backend (raw and qcow2 are)");
            }
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates a volume as a copy of another (virStorageVolCreateXMLFrom), grown to the new capacity when that
    /// is larger. Every pair of formats is what libvirt has <c>qemu-img convert</c> do: the guest-visible
    /// content (a qcow2 source's backing chain included, so the clone stands alone) written in the new
    /// format, with only the ranges that hold data written (a raw source's holes stay holes).
    /// </summary>
    public async Task<StorageVolumeInfo> CloneVolumeAsync(string poolName, string xml, string sourcePool, string sourceVolume, CancellationToken cancellationToken = default)
    {
        var (sourcePath, sourceFormat) = await PoolJobAsync(sourcePool, pool =>
        {
            RequireActive(pool);
            var vol = FindVolume(pool, sourceVolume);
            if (vol.Format is not ("raw" or "qcow2"))
            {
                throw new RuntimeException(ErrorCode.OperationUnsupported, $"volume '{sourceVolume}' is a {vol.Format} image; the in-process backend clones raw and qcow2 volumes");
            }

            // Its backing chain is read into the clone: every file of it must be one a domain could open.
            CheckBackingChain($"volume '{sourceVolume}'", vol.Path, vol.Format == "qcow2");
            return (vol.Path, vol.Format);
        }, cancellationToken).ConfigureAwait(false);

        var (target, name, path, def) = await PoolJobAsync(poolName, pool =>
        {
            var prepared = PrepareVolume(pool, xml, inUseMessage: true);
            if (prepared.Def.Target.Format is not (null or "raw" or "qcow2"))
            {
                throw new RuntimeException(ErrorCode.OperationUnsupported, $"volume format '{prepared.Def.Target.Format}' is not created by the in-process backend (raw and qcow2 are)");
            }

            if (prepared.Def.BackingStore is not null)
            {
                throw new RuntimeException(ErrorCode.OperationUnsupported,
                    $"volume '{prepared.Name}' is a clone of '{sourceVolume}', which gives all of its content; it cannot have a backing store as well");
            }

            return ClaimVolume(pool, prepared);
        }, cancellationToken).ConfigureAwait(false);

        var format = def.Target.Format ?? "raw";
        return await BuildClaimedVolumeAsync(target, name, path, format, def.Target.Permissions, temp =>
        {
            try
            {
                using var content = DiskContent.Open(sourcePath, sourceFormat);
                if (format == "raw")
                {
                    WriteRaw(temp, content, cancellationToken);
                }
                else
                {
                    Qcow2Image.CreateFrom(temp, content.Size, ClusterBits(def), content, cancellationToken);
                }
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                throw new RuntimeException(ErrorCode.OperationFailed, $"cannot clone volume '{sourceVolume}': {e.Message}", e);
            }

            var capacity = CapacityOf(temp, format);
            if (def.Capacity > capacity)
            {
                Grow(temp, format, def.Capacity, allocate: false);
            }
        }).ConfigureAwait(false);
    }

    /// <summary>The cluster size a new qcow2 volume asks for (&lt;target&gt;&lt;clusterSize&gt;), as a power of two; 64 KiB by default.</summary>
    private static int ClusterBits(StorageVolumeDefinition def) => def.Target.ClusterSize > 0 ? (int)Math.Log2(def.Target.ClusterSize) : 16;

    /// <summary>Writes a raw image of <paramref name="content"/>: only the ranges that hold data are written, the rest stays a hole.</summary>
    private static void WriteRaw(string path, DiskContent content, CancellationToken cancellationToken)
    {
        using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var buffer = new byte[1 << 16];
        for (ulong at = 0; at < content.Size; at += (ulong)buffer.Length)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = buffer.AsSpan(0, (int)Math.Min((ulong)buffer.Length, content.Size - at));
            if (content.Read(at, chunk) && chunk.ContainsAnyExcept((byte)0))
            {
                output.Position = (long)at;
                output.Write(chunk);
            }
        }

        output.SetLength((long)content.Size);
    }

    /// <summary>Claims a volume's name in its pool while its file is built (libvirt's voldef->building, pool->asyncjobs); under the pool's job.</summary>
    private static (PoolObject Pool, string Name, string Path, StorageVolumeDefinition Def) ClaimVolume(PoolObject pool, (string Name, string Path, StorageVolumeDefinition Def) prepared)
    {
        pool.Building.Add(prepared.Name);
        return (pool, prepared.Name, prepared.Path, prepared.Def);
    }

    /// <summary>
    /// Builds the file of a claimed volume outside the pool's job, then, in the job again, gives up the claim
    /// and lists the volume when it was built.
    /// </summary>
    private async Task<StorageVolumeInfo> BuildClaimedVolumeAsync(PoolObject pool, string name, string path, string format, StoragePermissions permissions, Action<string> write)
    {
        Exception? failure = null;
        try
        {
            // On a thread of the pool: a build can take long (a large preallocation, a copy, a slow backing
            // file), and its caller goes on meanwhile.
            await Task.Run(() => WriteNewVolume(path, permissions, write)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            failure = e;
        }

        // Never cancelled: the claim must go whatever happens.
        await pool.Job.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            pool.Building.Remove(name);
            if (failure is not null)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            }

            var volume = new VolumeObject(name, path, format);
            pool.Volumes[name] = volume;
            return VolumeInfo(pool, volume);
        }
        finally
        {
            pool.Job.Release();
        }
    }


    /// <summary>Deletes a volume's file (virStorageVolDelete); with <paramref name="zeroed"/> its content is wiped first.</summary>
    public Task DeleteVolumeAsync(string poolName, string volumeName, bool zeroed = false, CancellationToken cancellationToken = default) =>
        PoolJobAsync(poolName, pool =>
        {
            RequireActive(pool);
            var volume = FindVolume(pool, volumeName);
            RefuseIfInUse(pool, volume);
            if (zeroed)
            {
                Wipe(volume);
            }

            File.Delete(volume.Path);
            StateDirectory.SyncDirectory(Path.GetDirectoryName(volume.Path)!);
            pool.Volumes.TryRemove(volume.Name, out _);
        }, cancellationToken);

    /// <summary>Overwrites a volume's content with zeroes (virStorageVolWipe); its size and format stay.</summary>
    public Task WipeVolumeAsync(string poolName, string volumeName, VolumeWipeAlgorithm algorithm = VolumeWipeAlgorithm.Zero, CancellationToken cancellationToken = default) =>
        PoolJobAsync(poolName, pool =>
        {
            RequireActive(pool);
            if (algorithm != VolumeWipeAlgorithm.Zero)
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, $"unsupported algorithm {(int)algorithm}");
            }

            var volume = FindVolume(pool, volumeName);
            RefuseIfInUse(pool, volume);
            Wipe(volume);
        }, cancellationToken);

    /// <summary>Changes a volume's capacity (virStorageVolResize) with libvirt's checks; shrinking needs <see cref="ResizeFlags.Shrink"/>.</summary>
    public Task<StorageVolumeInfo> ResizeVolumeAsync(string poolName, string volumeName, ulong capacity, ResizeFlags flags = ResizeFlags.None, CancellationToken cancellationToken = default) =>
        PoolJobAsync(poolName, pool =>
        {
            RequireActive(pool);
            var volume = FindVolume(pool, volumeName);
            var info = VolumeInfo(pool, volume);
            var target = capacity;
            if (flags.HasFlag(ResizeFlags.Delta))
            {
                target = flags.HasFlag(ResizeFlags.Shrink) ? info.Capacity - Math.Min(capacity, info.Capacity) : info.Capacity + capacity;
            }

            if (target < info.Allocation && volume.Format == "raw")
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, "can't shrink capacity below existing allocation");
            }

            if (target < info.Capacity && !flags.HasFlag(ResizeFlags.Shrink))
            {
                throw new RuntimeException(ErrorCode.InvalidArgument, "Can't shrink capacity below current capacity unless shrink flag explicitly specified");
            }

            var delta = flags.HasFlag(ResizeFlags.Allocate) && target > info.Allocation ? target - info.Allocation : 0;
            if (delta > PoolInfo(pool).Available)
            {
                throw new RuntimeException(ErrorCode.OperationFailed, "Not enough space left in storage pool");
            }

            if (target < info.Capacity)
            {
                if (volume.Format != "raw")
                {
                    throw new RuntimeException(ErrorCode.OperationUnsupported, "shrinking a qcow2 volume is not supported: its data beyond the new end would be lost");
                }

                using var stream = new FileStream(volume.Path, FileMode.Open, FileAccess.Write);
                stream.SetLength((long)target);
            }
            else
            {
                Grow(volume.Path, volume.Format, target, flags.HasFlag(ResizeFlags.Allocate));
            }

            return VolumeInfo(pool, volume);
        }, cancellationToken);

    /// <summary>Writes <paramref name="content"/> into the volume's file at <paramref name="offset"/> (virStorageVolUpload); bytes go in as they are.</summary>
    public Task UploadVolumeAsync(string poolName, string volumeName, Stream content, long offset = 0, CancellationToken cancellationToken = default) =>
        PoolJobAsync(poolName, pool =>
        {
            RequireActive(pool);
            var volume = FindVolume(pool, volumeName);
            RefuseIfInUse(pool, volume);
            using var file = new FileStream(volume.Path, FileMode.Open, FileAccess.Write, FileShare.None);
            file.Position = offset;
            content.CopyTo(file);
            file.Flush(flushToDisk: true);
            pool.Volumes[volume.Name] = volume with { Format = DiskContent.Probe(volume.Path) };
        }, cancellationToken);

    /// <summary>Copies the volume's bytes from <paramref name="offset"/> (all of them when <paramref name="length"/> is 0) to <paramref name="destination"/> (virStorageVolDownload).</summary>
    public Task DownloadVolumeAsync(string poolName, string volumeName, Stream destination, long offset = 0, long length = 0, CancellationToken cancellationToken = default) =>
        PoolJobAsync(poolName, pool =>
        {
            RequireActive(pool);
            var volume = FindVolume(pool, volumeName);
            using var file = File.OpenRead(volume.Path);
            file.Position = offset;
            var remaining = length > 0 ? length : file.Length - offset;
            var buffer = new byte[1 << 16];
            while (remaining > 0)
            {
                var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                if (read == 0)
                {
                    break;
                }

                destination.Write(buffer, 0, read);
                remaining -= read;
            }
        }, cancellationToken);

    /// <summary>virsh vol-info: capacity (the guest-visible size) and allocation (the blocks the file really takes).</summary>
    public Task<StorageVolumeInfo> GetVolumeInfoAsync(string poolName, string volumeName, CancellationToken cancellationToken = default) =>
        PoolJobAsync(poolName, pool =>
        {
            RequireActive(pool);
            return VolumeInfo(pool, FindVolume(pool, volumeName));
        }, cancellationToken);

    /// <summary>virsh vol-dumpxml: the volume as libvirt describes it, with its real sizes.</summary>
    public Task<string> GetVolumeXmlAsync(string poolName, string volumeName, CancellationToken cancellationToken = default) =>
        PoolJobAsync(poolName, pool =>
        {
            RequireActive(pool);
            var volume = FindVolume(pool, volumeName);
            var info = VolumeInfo(pool, volume);
            var xml = new XElement("volume", new XAttribute("type", "file"),
                new XElement("name", volume.Name),
                new XElement("capacity", new XAttribute("unit", "bytes"), info.Capacity),
                new XElement("allocation", new XAttribute("unit", "bytes"), info.Allocation),
                new XElement("target", new XElement("format", new XAttribute("type", volume.Format))));
            if (volume.Format == "qcow2" && Qcow2Image.ReadHeader(volume.Path) is { BackingFile: { } backing } header)
            {
                xml.Add(new XElement("backingStore", new XElement("path", backing),
                    new XElement("format", new XAttribute("type", header.BackingFormat ?? DiskContent.Probe(backing)))));
            }

            var doc = LibvirtSchema.LoadText(volume.Name, LibvirtXmlWriter.Format(xml), new SchemaOptions { VolumePoolPath = pool.TargetPath! });
            return doc.IsValid ? doc.Format() : LibvirtXmlWriter.Format(xml);
        }, cancellationToken);

    /// <summary>The volumes of a running pool, by name.</summary>
    public Task<IReadOnlyList<StorageVolumeInfo>> ListVolumesAsync(string poolName, CancellationToken cancellationToken = default) =>
        PoolJobAsync<IReadOnlyList<StorageVolumeInfo>>(poolName, pool =>
        {
            RequireActive(pool);
            return [.. pool.Volumes.Values.OrderBy(v => v.Name, StringComparer.Ordinal).Select(v => VolumeInfo(pool, v))];
        }, cancellationToken);

    /// <summary>One volume of a running pool (vol-info), or null when the pool has none of that name: a lookup, not a listing.</summary>
    public Task<StorageVolumeInfo?> GetVolumeAsync(string poolName, string volumeName, CancellationToken cancellationToken = default) =>
        PoolJobAsync<StorageVolumeInfo?>(poolName, pool =>
        {
            RequireActive(pool);
            return pool.Volumes.TryGetValue(volumeName, out var volume) ? VolumeInfo(pool, volume) : null;
        }, cancellationToken);

    /// <summary>Parses a volume for a pool and checks that it may be created there: libvirt's checks and confinement to the pool.</summary>
    private static (string Name, string Path, StorageVolumeDefinition Def) PrepareVolume(PoolObject pool, string xml, bool inUseMessage = false)
    {
        RequireActive(pool);
        if (!IsDirectoryLike(pool.Type))
        {
            throw new RuntimeException(ErrorCode.NoSupport, "storage pool does not support volume creation");
        }

        var target = pool.TargetPath!;
        var doc = LibvirtSchema.LoadText("volume.xml", xml, new SchemaOptions { VolumePoolPath = target });
        if (doc.Errors.Count > 0)
        {
            throw RuntimeException.FromSchema(doc.Errors[0]);
        }

        if (doc.Kind != SpecKind.StorageVolume || doc.Effective is null)
        {
            throw new RuntimeException(ErrorCode.XmlError, $"unexpected root element <{doc.Effective?.Name.LocalName}>, expecting <volume>");
        }

        var def = StorageVolumeDefinition.FromXml(doc.Effective);
        var name = def.Name;
        if (pool.Volumes.ContainsKey(name) || pool.Building.Contains(name))
        {
            throw inUseMessage
                ? new RuntimeException(ErrorCode.InternalError, $"storage volume name '{name}' already in use.")
                : new RuntimeException(ErrorCode.StorageVolumeExists, $"'{name}'");
        }

        if (name.Contains('/', StringComparison.Ordinal))
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, $"volume name '{name}' cannot contain '/'");
        }

        if (name is "." or ".." || name.StartsWith(TempVolumePrefix, StringComparison.Ordinal))
        {
            throw new RuntimeException(ErrorCode.PolicyViolation, $"volume name '{name}' is not a file name inside the pool");
        }

        var path = Path.Combine(target, name);
        if (File.Exists(path) || Directory.Exists(path) || new FileInfo(path).LinkTarget is not null)
        {
            // Not listed (the pool was not refreshed) but there: never overwritten.
            throw new RuntimeException(ErrorCode.StorageVolumeExists, $"'{name}'");
        }

        if (def.Capacity == 0 && def.BackingStore is null && def.Target.Format is not (null or "raw"))
        {
            throw new RuntimeException(ErrorCode.NoSupport, "volume capacity required for this storage pool");
        }

        return (name, path, def);
    }

    /// <summary>Called with a new volume's path once its file is written, before it takes the name (tests hold a build there).</summary>
    internal Action<string>? VolumeWritten { get; set; }

    /// <summary>Writes a new volume under a temporary name in the pool, then links it into place (failing if the name was taken meanwhile).</summary>
    private void WriteNewVolume(string path, StoragePermissions permissions, Action<string> write)
    {
        var dir = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(dir, OwnTempVolumePrefix + Guid.NewGuid().ToString("N"));
        try
        {
            write(temp);
            VolumeWritten?.Invoke(path);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temp, permissions.Mode is { } mode ? (UnixFileMode)mode : DefaultVolumeMode);
            }

            using (var handle = File.OpenHandle(temp, FileMode.Open, FileAccess.ReadWrite))
            {
                RandomAccess.FlushToDisk(handle);
            }

            File.Move(temp, path, overwrite: false);
            StateDirectory.SyncDirectory(dir);
        }
        catch (IOException e) when (File.Exists(path) && File.Exists(temp))
        {
            throw new RuntimeException(ErrorCode.StorageVolumeExists, $"'{Path.GetFileName(path)}'", e);
        }
        catch (IOException e)
        {
            throw new RuntimeException(ErrorCode.SystemError, $"cannot create volume '{path}': {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static void CreateRaw(string path, ulong capacity, ulong allocation)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            PreallocationSize = (long)Math.Min(allocation, capacity),
        };
        using var stream = new FileStream(path, options);
        stream.SetLength((long)capacity);
    }

    private void Grow(string path, string format, ulong capacity, bool allocate)
    {
        if (format == "qcow2")
        {
            ResizeQcow2(path, capacity);
            return;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        var old = stream.Length;
        stream.SetLength((long)capacity);
        if (allocate && (long)capacity > old)
        {
            // Write zeroes over the new range so that its blocks are really allocated.
            stream.Position = old;
            var zeroes = new byte[1 << 20];
            for (var left = (long)capacity - old; left > 0; left -= zeroes.Length)
            {
                stream.Write(zeroes, 0, (int)Math.Min(zeroes.Length, left));
            }
        }
    }

    private string ResizeJournalDir => Path.Combine(_state.Root, "resizes");

    /// <summary>
    /// Grows a qcow2 image. When its L1 table has to move, the plan is journaled first, so that a crash half
    /// way is repaired at the next open (<see cref="RecoverInterruptedResizes"/>) instead of leaking clusters.
    /// <paramref name="steps"/> stops after so many steps, for tests of such crashes.
    /// </summary>
    internal void ResizeQcow2(string path, ulong capacity, int steps = int.MaxValue)
    {
        var plan = Qcow2Image.PlanResize(path, capacity);
        if (!plan.MovesL1)
        {
            Qcow2Image.ApplyResize(path, plan);
            return;
        }

        Directory.CreateDirectory(ResizeJournalDir);
        var journal = Path.Combine(ResizeJournalDir, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(path)))[..16] + ".json");
        StateDirectory.WriteAtomic(journal, System.Text.Json.JsonSerializer.Serialize(new ResizeJournal(path, plan), StateJson.Default.ResizeJournal));
        try
        {
            Qcow2Image.ApplyResize(path, plan, steps);
        }
        catch (IOException)
        {
            // Failed half way (disk full, ...): agreed again at once; the journal stays if even that fails.
            Qcow2Image.RecoverResize(path, plan);
            StateDirectory.Delete(journal);
            throw;
        }

        if (steps == int.MaxValue)
        {
            StateDirectory.Delete(journal);
        }
    }

    /// <summary>Repairs the qcow2 images whose growth a crash interrupted (their journal is left in resizes/).</summary>
    private void RecoverInterruptedResizes()
    {
        if (!Directory.Exists(ResizeJournalDir))
        {
            return;
        }

        foreach (var journal in Directory.EnumerateFiles(ResizeJournalDir, "*.json"))
        {
            try
            {
                var entry = System.Text.Json.JsonSerializer.Deserialize(File.ReadAllText(journal), StateJson.Default.ResizeJournal);
                if (entry is not null && File.Exists(entry.Path))
                {
                    Qcow2Image.RecoverResize(entry.Path, entry.Plan);
                    _log.LogWarning("The growth of {Path} was interrupted; its L1 table and refcounts were made to agree again", entry.Path);
                }

                StateDirectory.Delete(journal);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or IOException or InvalidDataException or NotSupportedException)
            {
                ReportProblem($"{journal}: the interrupted growth of a qcow2 image could not be repaired: {e.Message}");
            }
        }
    }

    private sealed record ResizeJournal(string Path, Qcow2Resize Plan);

    /// <summary>virStorageBackendVolWipeLocal with the zero algorithm: a sparse file is emptied and re-extended, another one is overwritten.</summary>
    private static void Wipe(VolumeObject volume)
    {
        if (volume.Format == "qcow2")
        {
            var header = Qcow2Image.ReadHeader(volume.Path);
            var fresh = Qcow2Image.Build(header.VirtualSize, header.ClusterBits, header.BackingFile, header.BackingFormat);
            using var file = new FileStream(volume.Path, FileMode.Open, FileAccess.Write);
            file.SetLength(0);
            Qcow2Image.WriteSparse(file, fresh);
            file.Flush(flushToDisk: true);
            return;
        }

        var length = new FileInfo(volume.Path).Length;
        using var stream = new FileStream(volume.Path, FileMode.Open, FileAccess.Write);
        if ((long)FileBlocks.Allocated(volume.Path) < length)
        {
            stream.SetLength(0);
            stream.SetLength(length);
        }
        else
        {
            var zeroes = new byte[1 << 20];
            for (long left = length; left > 0; left -= zeroes.Length)
            {
                stream.Write(zeroes, 0, (int)Math.Min(zeroes.Length, left));
            }
        }

        stream.Flush(flushToDisk: true);
    }

    private static VolumeObject FindVolume(PoolObject pool, string name) =>
        pool.Volumes.TryGetValue(name, out var volume) && File.Exists(volume.Path)
            ? volume
            : pool.Building.Contains(name)
                ? throw new RuntimeException(ErrorCode.OperationInvalid, $"volume '{name}' is still being allocated.")
                : throw new RuntimeException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{name}'");

    private void RefuseIfInUse(PoolObject pool, VolumeObject volume)
    {
        var users = ActiveUsersOf(volume.Path, pool.Name, volume.Name);
        if (users.Count > 0)
        {
            throw new RuntimeException(ErrorCode.OperationInvalid, $"volume '{volume.Name}' is still in use by {string.Join(", ", users)}.");
        }
    }

    /// <summary>The running domains with a disk on <paramref name="path"/>: by its file, or as <paramref name="volume"/> of <paramref name="pool"/>.</summary>
    private List<string> ActiveUsersOf(string path, string? pool, string? volume)
    {
        List<Domains.DomainObject> active;
        lock (_sync)
        {
            active = [.. _byUuid.Values.Where(d => d.IsActive)];
        }

        return [.. active.Where(d => Schema.Domains.Model.DomainDefinition.FromXml(d.Live!).Devices.Disks.Any(disk =>
            disk.Source?.Path == path || (pool is not null && disk.Source?.Pool == pool && disk.Source?.Volume == volume))).Select(d => d.Name)];
    }

    private static ulong CapacityOf(string path, string format) =>
        format == "qcow2" ? Qcow2Image.ReadHeader(path).VirtualSize : (ulong)new FileInfo(path).Length;

    private static StorageVolumeInfo VolumeInfo(PoolObject pool, VolumeObject volume) =>
        new(volume.Name, pool.Name, volume.Path, "file", volume.Format, CapacityOf(volume.Path, volume.Format), FileBlocks.Allocated(volume.Path));

    /// <summary>
    /// Before a domain starts (or a disk is hot-plugged): every disk's source must be confined — a file or
    /// block device inside a running pool or an allowed image directory, named by an absolute path without
    /// '..', not a symbolic link that leads out, nor a qcow2 image whose backing chain does — and must exist,
    /// or the start is refused. Confinement is checked first, so nothing is said about files outside.
    /// </summary>
    private void CheckDiskSources(XElement def)
    {
        foreach (var disk in def.El("devices").Els("disk"))
        {
            var type = disk.A("type") ?? "file";
            var source = disk.El("source");
            var dev = disk.El("target").A("dev");
            if (source is null || source.A("startupPolicy") == "optional")
            {
                continue;
            }

            var qcow2 = disk.El("driver").A("type") == "qcow2";
            switch (type)
            {
                case "file" when source.A("file") is { } file:
                    RequireConfined($"disk '{dev}'", file);
                    if (!File.Exists(file))
                    {
                        throw new RuntimeException(ErrorCode.SystemError, $"Cannot access storage file '{file}': No such file or directory");
                    }

                    CheckBackingChain($"disk '{dev}'", file, qcow2);
                    break;
                case "block" when source.A("dev") is { } device:
                    RequireConfined($"disk '{dev}'", device);
                    if (!File.Exists(device))
                    {
                        throw new RuntimeException(ErrorCode.SystemError, $"Cannot access storage file '{device}': No such file or directory");
                    }

                    CheckBackingChain($"disk '{dev}'", device, qcow2);
                    break;
                case "volume" when source.A("pool") is { } poolName && source.A("volume") is { } volumeName:
                    PoolObject pool;
                    lock (_sync)
                    {
                        pool = _poolsByName.GetValueOrDefault(poolName)
                            ?? throw new RuntimeException(ErrorCode.NoStoragePool, $"no storage pool with matching name '{poolName}'");
                    }

                    if (!pool.IsActive)
                    {
                        throw new RuntimeException(ErrorCode.OperationInvalid, $"storage pool '{poolName}' containing volume '{volumeName}' is not active");
                    }

                    if (!pool.Volumes.TryGetValue(volumeName, out var volume) || !File.Exists(volume.Path))
                    {
                        throw new RuntimeException(ErrorCode.NoStorageVolume, $"no storage vol with matching name '{volumeName}'");
                    }

                    RequireConfined($"disk '{dev}'", volume.Path);
                    CheckBackingChain($"disk '{dev}'", volume.Path, qcow2 || volume.Format == "qcow2");
                    break;
            }
        }
    }

    /// <summary>
    /// Refuses a path that is not absolute, that has a '..' component, or that (with every symbolic link
    /// resolved) is neither in a running storage pool nor in an allowed image directory.
    /// </summary>
    private void RequireConfined(string what, string path)
    {
        if (!Path.IsPathRooted(path))
        {
            throw new RuntimeException(ErrorCode.PolicyViolation, $"{what} uses '{path}', which is not an absolute path: name the file by its full path");
        }

        if (path.Split('/').Contains(".."))
        {
            throw new RuntimeException(ErrorCode.PolicyViolation, $"{what} uses '{path}', which has a '..' component: name the file by its path without '..'");
        }

        if (PathAllowed(path))
        {
            return;
        }

        var resolved = RealPath(path);
        if (PathAllowed(path, resolveLinks: false))
        {
            throw new RuntimeException(ErrorCode.PolicyViolation, resolved is null
                ? $"{what} uses '{path}', whose symbolic links cannot be resolved (too many levels, or a loop)"
                : $"{what} uses '{path}', a symbolic link that leads to '{resolved}', which is neither in a running storage pool nor in an allowed image directory");
        }

        throw new RuntimeException(ErrorCode.PolicyViolation,
            $"{what} uses '{path}', which is neither in a running storage pool nor in an allowed image directory");
    }

    /// <summary>
    /// A qcow2 image's backing chain is opened with it: each backing file (relative ones beside the image that
    /// names them) must be confined and exist too. The chain is followed through qcow2 images, 16 deep at most.
    /// </summary>
    private void CheckBackingChain(string what, string image, bool qcow2)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { Path.GetFullPath(image) };
        var current = image;
        for (var depth = 0; qcow2; depth++)
        {
            Qcow2Header header;
            try
            {
                header = Qcow2Image.ReadHeader(current);
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                return; // not a qcow2 image (the guest sees it as written); nothing it names is opened
            }

            if (header.BackingFile is not { Length: > 0 } backing)
            {
                return;
            }

            if (depth == MaxBackingChain)
            {
                throw new RuntimeException(ErrorCode.PolicyViolation, $"{what}: the backing chain of '{image}' is more than {MaxBackingChain} images deep");
            }

            if (backing.Contains("://", StringComparison.Ordinal) || backing.StartsWith("json:", StringComparison.Ordinal))
            {
                throw new RuntimeException(ErrorCode.PolicyViolation, $"{what}: '{current}' has the backing file '{backing}', which is not a local file");
            }

            var path = Path.IsPathRooted(backing) ? backing : Path.Combine(Path.GetDirectoryName(current)!, backing);
            RequireConfined($"{what} (the backing file of '{current}')", path);
            if (!seen.Add(Path.GetFullPath(path)))
            {
                throw new RuntimeException(ErrorCode.PolicyViolation, $"{what}: the backing chain of '{image}' loops back to '{path}'");
            }

            if (!File.Exists(path))
            {
                throw new RuntimeException(ErrorCode.SystemError, $"Cannot access backing file '{path}' of storage file '{current}': No such file or directory");
            }

            qcow2 = header.BackingFormat is null or "qcow2";
            current = path;
        }
    }

    private bool PathAllowed(string file, bool resolveLinks = true)
    {
        foreach (var dir in Options.AllowedImageDirectories)
        {
            if (IsInside(dir, file, resolveLinks))
            {
                return true;
            }
        }

        lock (_sync)
        {
            return _poolsByUuid.Values.Any(p => p.IsActive && p.TargetPath is { } target && IsInside(target, file, resolveLinks));
        }
    }
}
