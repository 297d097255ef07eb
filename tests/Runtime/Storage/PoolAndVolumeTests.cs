using System.Text;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Storage;
using Reconciler.Runtime.Storage.Images;
using Reconciler.Runtime.Tests.Support;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Tests.Storage;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PoolAndVolumeTests
{
    private static string DirPool(string name, string path, Guid? uuid = null) =>
        $"<pool type='dir'><name>{name}</name>{(uuid is { } u ? $"<uuid>{u:D}</uuid>" : string.Empty)}<target><path>{path}</path></target></pool>";

    private static string Volume(string name, string capacity, string format = "raw", string allocation = "0", string extra = "") =>
        $"<volume><name>{name}</name><capacity unit='bytes'>{capacity}</capacity><allocation unit='bytes'>{allocation}</allocation><target><format type='{format}'/></target>{extra}</volume>";

    [Fact]
    public async Task A_dir_pool_goes_through_its_whole_life_with_libvirts_states_and_messages()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var target = Path.Combine(h.ImagesDir, "pool-a");
        await hv.DefinePoolAsync(DirPool("a", target));
        Assert.Equal("inactive", (await hv.GetPoolInfoAsync("a")).StateName);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartPoolAsync("a"));
        Assert.Equal($"cannot open directory '{target}': No such file or directory", e.Message);
        await hv.BuildPoolAsync("a");
        Assert.True(Directory.Exists(target));
        Assert.Equal(Convert.ToInt32("711", 8), (int)File.GetUnixFileMode(target));

        await hv.StartPoolAsync("a");
        var info = await hv.GetPoolInfoAsync("a");
        Assert.Equal("running", info.StateName);
        var drive = new DriveInfo(target);
        Assert.Equal((ulong)drive.TotalSize, info.Capacity);
        Assert.True(info.Available > 0 && info.Available <= info.Capacity);
        Assert.Contains($"<capacity unit='bytes'>{info.Capacity}</capacity>", await hv.GetPoolXmlAsync("a"));

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartPoolAsync("a"));
        Assert.Equal("Requested operation is not valid: storage pool 'a' is already active", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.UndefinePoolAsync("a"));
        Assert.Equal("Requested operation is not valid: storage pool 'a' is still active", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DeletePoolAsync("a"));
        Assert.Equal("Requested operation is not valid: storage pool 'a' is still active", e.Message);

        await hv.CreateVolumeAsync("a", Volume("keep.raw", "1048576"));
        await hv.StopPoolAsync("a");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.RefreshPoolAsync("a"));
        Assert.Equal("Requested operation is not valid: storage pool 'a' is not active", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ListVolumesAsync("a"));
        Assert.Equal("Requested operation is not valid: storage pool 'a' is not active", e.Message);
        Assert.True(File.Exists(Path.Combine(target, "keep.raw")));

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DeletePoolAsync("a"));
        Assert.Equal("VIR_ERR_SYSTEM_ERROR", e.CodeName);
        Assert.Contains("Directory not empty", e.Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(target, "keep.raw"));
        await hv.DeletePoolAsync("a");
        Assert.False(Directory.Exists(target));
        await hv.UndefinePoolAsync("a");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetPoolInfoAsync("a"));
        Assert.Equal("Storage pool not found: no storage pool with matching name 'a'", e.Message);
    }

    [Fact]
    public async Task Pools_defined_side_by_side_see_each_others_targets()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        // A pool claimed but not yet stored once made another define fail reading its missing definition;
        // two pools on one target, defined at once, still conflict.
        await Task.WhenAll(Enumerable.Range(0, 24).Select(i => hv.DefinePoolAsync(DirPool($"p{i}", $"/srv/p{i}"))));
        Assert.Equal(24, hv.ListPools().Count);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await hv.DefinePoolAsync(DirPool($"same{i}", "/srv/same"));
                return null;
            }
            catch (RuntimeException e)
            {
                return e.Message;
            }
        }));
        Assert.Single(results, r => r is null);
        Assert.All(results.Where(r => r is not null), r => Assert.StartsWith("operation failed: Storage source conflict with pool: 'same", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pool_names_uuids_and_targets_are_checked_as_libvirt_does()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var uuid = Guid.Parse("35bb2ad9-388a-cdfe-461a-b8907f6e53fe");
        await hv.DefinePoolAsync(DirPool("a", "/srv/a", uuid));

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefinePoolAsync(DirPool("b", "/srv/b", uuid)));
        Assert.Equal("operation failed: pool 'a' is already defined with uuid 35bb2ad9-388a-cdfe-461a-b8907f6e53fe", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefinePoolAsync(DirPool("a", "/srv/a", Guid.NewGuid())));
        Assert.Equal("operation failed: pool 'a' already exists with uuid 35bb2ad9-388a-cdfe-461a-b8907f6e53fe", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefinePoolAsync(DirPool("c", "/srv/a")));
        Assert.Equal("operation failed: Storage source conflict with pool: 'a'", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefinePoolAsync("<pool type='dir'><name>x</name></pool>"));
        Assert.Equal("VIR_ERR_XML_ERROR", e.CodeName);
        Assert.Single(hv.ListPools());
    }

    [Fact]
    public async Task Transient_pools_vanish_when_stopped()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var info = await hv.CreatePoolAsync(DirPool("t", Path.Combine(h.ImagesDir, "t")), build: true);
        Assert.False(info.Persistent);
        Assert.Equal(StoragePoolState.Running, info.State);
        await hv.StopPoolAsync("t");
        Assert.Empty(hv.ListPools());
    }

    [Fact]
    public async Task Raw_volumes_are_sparse_unless_allocated_and_report_real_sizes()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var sparse = await hv.CreateVolumeAsync("p", Volume("sparse.raw", "1073741824"));
        Assert.Equal((1UL << 30, "raw"), (sparse.Capacity, sparse.Format));
        Assert.True(sparse.Allocation < 1 << 20, $"a sparse volume takes {sparse.Allocation} bytes");

        var full = await hv.CreateVolumeAsync("p", Volume("full.raw", "8388608", allocation: "8388608"));
        Assert.True(full.Allocation >= 8388608, $"a preallocated volume takes {full.Allocation} bytes");
        Assert.Equal(8388608, new FileInfo(full.Path).Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(full.Path));

        Assert.Equal(["full.raw", "sparse.raw"], (await hv.ListVolumesAsync("p")).Select(v => v.Name));
        var xml = await hv.GetVolumeXmlAsync("p", "full.raw");
        Assert.Contains($"<path>{full.Path}</path>", xml);
        Assert.Contains("<capacity unit='bytes'>8388608</capacity>", xml);
        Assert.Contains("virtual size: 1 GiB", HostTool.QemuImg("info", "-f", "raw", sparse.Path).Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Qcow2_volumes_pass_qemu_img_check_with_and_without_a_backing_store()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var baseVol = await hv.CreateVolumeAsync("p", Volume("base.qcow2", "10737418240", "qcow2"));
        var overlay = await hv.CreateVolumeAsync("p", Volume("overlay.qcow2", "21474836480", "qcow2",
            extra: $"<backingStore><path>{baseVol.Path}</path><format type='qcow2'/></backingStore>"));

        foreach (var v in new[] { baseVol, overlay })
        {
            var check = HostTool.QemuImg("check", v.Path);
            Assert.True(check.ExitCode == 0, check.Output);
        }

        // A new image's zero clusters are holes: a few KiB on disk, where qemu-img writes 192 KiB and more.
        Assert.InRange(baseVol.Allocation, 1UL, 16UL << 10);
        var info = HostTool.QemuImg("info", overlay.Path).Output;
        Assert.Contains("virtual size: 20 GiB", info, StringComparison.Ordinal);
        Assert.Contains($"backing file: {baseVol.Path}", info, StringComparison.Ordinal);
        Assert.Contains($"<path>{baseVol.Path}</path>", await hv.GetVolumeXmlAsync("p", "overlay.qcow2"));

        // A missing backing store inside the pool gets libvirt's message (one outside is refused by policy
        // before anything is said about it: PathConfinementTests).
        var missing = Path.Combine(Path.GetDirectoryName(overlay.Path)!, "missing-base.qcow2");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", Volume("o2.qcow2", "1048576", "qcow2",
            extra: $"<backingStore><path>{missing}</path><format type='qcow2'/></backingStore>")));
        Assert.Equal($"Cannot access backing file '{missing}': No such file or directory", e.Message);
    }

    [Fact]
    public async Task An_existing_volume_is_never_overwritten_or_recreated()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var vol = await hv.CreateVolumeAsync("p", Volume("v.raw", "4096"));
        await File.WriteAllTextAsync(vol.Path, "precious data");

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", Volume("v.raw", "4096")));
        Assert.Equal("storage volume 'v.raw' exists already", e.Message);
        Assert.Equal("VIR_ERR_STORAGE_VOL_EXIST", e.CodeName);

        // A file the pool has not listed yet is not overwritten either.
        var target = Path.Combine(h.ImagesDir, "pool");
        await File.WriteAllTextAsync(Path.Combine(target, "unlisted.raw"), "mine");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", Volume("unlisted.raw", "4096")));
        Assert.Equal("VIR_ERR_STORAGE_VOL_EXIST", e.CodeName);
        Assert.Equal("precious data", await File.ReadAllTextAsync(vol.Path));
        Assert.Equal("mine", await File.ReadAllTextAsync(Path.Combine(target, "unlisted.raw")));
    }

    [Fact]
    public async Task A_volume_slow_to_build_holds_up_neither_its_pool_nor_the_other_volumes()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        // A backing file that cannot be read yet (a FIFO no one writes to, as a backing file on a stalled
        // network share): the build of the volume on it waits in the read.
        // A build held after its file is written (as one writing a large preallocation, or copying a clone).
        using var hold = new ManualResetEventSlim();
        hv.VolumeWritten = path => _ = Path.GetFileName(path) == "slow.qcow2" && hold.Wait(TimeSpan.FromSeconds(60));
        var slow = hv.CreateVolumeAsync("p", Volume("slow.qcow2", "1048576", "qcow2"));
        try
        {
            // Meanwhile the pool's other volumes are created, side by side.
            var others = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => hv.CreateVolumeAsync("p", Volume($"v{i}.qcow2", "1048576", "qcow2"))));
            Assert.False(slow.IsCompleted);
            foreach (var v in others)
            {
                var check = HostTool.QemuImg("check", v.Path);
                Assert.True(check.ExitCode == 0, check.Output);
            }

            // The name is taken, the volume not listed yet, and the pool cannot go away under the build: libvirt's
            // messages for a volume being built and a pool with asynchronous jobs.
            var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", Volume("slow.qcow2", "4096")));
            Assert.Equal("VIR_ERR_STORAGE_VOL_EXIST", e.CodeName);
            Assert.DoesNotContain(await hv.ListVolumesAsync("p"), v => v.Name == "slow.qcow2");
            e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DeleteVolumeAsync("p", "slow.qcow2"));
            Assert.Equal("Requested operation is not valid: volume 'slow.qcow2' is still being allocated.", e.Message);
            e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StopPoolAsync("p"));
            Assert.Equal("Requested operation is not valid: pool 'p' has asynchronous jobs running.", e.Message);
            e = await Assert.ThrowsAsync<RuntimeException>(() => hv.RefreshPoolAsync("p"));
            Assert.Equal("internal error: pool 'p' has asynchronous jobs running.", e.Message);
            // (The controller's periodic refresh passes instead, and leaves the build's file alone.)
            await hv.RefreshPoolAsync("p", TimeSpan.Zero);
        }
        finally
        {
            hold.Set();
        }

        // The build goes on, names its file and lists its volume; the pool can stop again.
        var built = await slow.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal("slow.qcow2", built.Name);
        Assert.Contains(await hv.ListVolumesAsync("p"), v => v.Name == "slow.qcow2");
        var slowCheck = HostTool.QemuImg("check", built.Path);
        Assert.True(slowCheck.ExitCode == 0, slowCheck.Output);
        await hv.StopPoolAsync("p");
    }

    [Fact]
    public async Task Volume_names_and_paths_are_confined_to_the_pool()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", Volume("../escape.raw", "4096")));
        Assert.Equal("Requested operation is not valid: volume name '../escape.raw' cannot contain '/'", e.Message);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", Volume("..", "4096")));
        Assert.Equal("RECONCILER_POLICY", e.CodeName);
        Assert.False(File.Exists(Path.Combine(h.ImagesDir, "escape.raw")));

        // A symlink that leads out of the pool is not a volume, and a domain cannot use it as one.
        var outside = Path.Combine(h.StateDir, "outside.raw");
        Directory.CreateDirectory(h.StateDir);
        await File.WriteAllTextAsync(outside, "secret");
        File.CreateSymbolicLink(Path.Combine(h.ImagesDir, "pool", "link.raw"), outside);
        await hv.RefreshPoolAsync("p");
        Assert.DoesNotContain(await hv.ListVolumesAsync("p"), v => v.Name == "link.raw");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.GetVolumeInfoAsync("p", "link.raw"));
        Assert.Equal("Storage volume not found: no storage vol with matching name 'link.raw'", e.Message);
    }

    [Fact]
    public async Task A_refresh_can_be_skipped_when_the_pool_was_listed_a_moment_ago()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        await File.WriteAllTextAsync(Path.Combine(h.ImagesDir, "pool", "by-hand.raw"), "made behind the runtime's back");

        // The pool's start listed it a moment ago: not listed again within the hour.
        await hv.RefreshPoolAsync("p", TimeSpan.FromHours(1));
        Assert.DoesNotContain(await hv.ListVolumesAsync("p"), v => v.Name == "by-hand.raw");

        // Otherwise the refresh lists it.
        await hv.RefreshPoolAsync("p", TimeSpan.Zero);
        Assert.Contains(await hv.ListVolumesAsync("p"), v => v.Name == "by-hand.raw");
    }

    [Fact]
    public async Task Creation_is_atomic_and_leftovers_of_a_crash_are_cleaned()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var pool = Path.Combine(h.ImagesDir, "pool");
        await File.WriteAllTextAsync(Path.Combine(pool, Hypervisor.TempVolumePrefix + "test-host-deadbeef"), "half an image");
        // Another host's creation in progress on shared storage: neither a volume nor this host's to clear.
        var peers = Path.Combine(pool, Hypervisor.TempVolumePrefix + "kvm-02-cafebabe");
        await File.WriteAllTextAsync(peers, "a peer's image being written");
        await hv.RefreshPoolAsync("p");
        Assert.Empty(await hv.ListVolumesAsync("p"));
        Assert.Equal([peers], Directory.GetFiles(pool));

        await hv.CreateVolumeAsync("p", Volume("a.qcow2", "1073741824", "qcow2"));
        Assert.Equal([Path.GetFileName(peers), "a.qcow2"], Directory.GetFiles(pool).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Clones_copy_the_data_and_keep_holes()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        await hv.CreateVolumeAsync("p", Volume("src.raw", (64L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var data = Encoding.ASCII.GetBytes("boot sector and some data");
        await hv.UploadVolumeAsync("p", "src.raw", new MemoryStream(data), offset: 1 << 20);

        var clone = await hv.CloneVolumeAsync("p", Volume("clone.raw", (128L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)), "p", "src.raw");

        Assert.Equal(128UL << 20, clone.Capacity);
        Assert.True(clone.Allocation < 4 << 20, $"the clone takes {clone.Allocation} bytes");
        using var copy = new MemoryStream();
        await hv.DownloadVolumeAsync("p", "clone.raw", copy, offset: 1 << 20, length: data.Length);
        Assert.Equal(data, copy.ToArray());

        var qcow = await hv.CreateVolumeAsync("p", Volume("src.qcow2", "1073741824", "qcow2"));
        var qclone = await hv.CloneVolumeAsync("p", Volume("clone.qcow2", "2147483648", "qcow2"), "p", "src.qcow2");
        Assert.Equal(2UL << 30, qclone.Capacity);
        Assert.Equal(0, HostTool.QemuImg("check", qclone.Path).ExitCode);
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CloneVolumeAsync("p", Volume("clone.qcow2", "1", "qcow2"), "p", "src.qcow2"));
        Assert.Equal("internal error: storage volume name 'clone.qcow2' already in use.", e.Message);
        Assert.NotNull(qcow);
    }

    [Fact]
    public async Task Clones_into_another_format_hold_what_the_guest_sees_and_stand_alone()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var src = await hv.CreateVolumeAsync("p", Volume("src.raw", (32L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        await hv.UploadVolumeAsync("p", "src.raw", new MemoryStream(data), offset: 1 << 20);
        await hv.UploadVolumeAsync("p", "src.raw", new MemoryStream(data), offset: 20 << 20);

        // raw -> qcow2: the capacity asked for is below the source's, so the clone keeps the source's.
        var qclone = await hv.CloneVolumeAsync("p", Volume("c.qcow2", "1", "qcow2"), "p", "src.raw");
        Assert.Equal(("qcow2", 32UL << 20), (qclone.Format, qclone.Capacity));
        var compare = HostTool.QemuImg("compare", "-f", "raw", "-F", "qcow2", src.Path, qclone.Path);
        Assert.True(compare.ExitCode == 0, compare.Output);
        Assert.True(qclone.Allocation < 2 << 20, $"the qcow2 clone of 600 KB of data takes {qclone.Allocation} bytes");

        // A qcow2 overlay of the raw volume with writes of its own -> raw and qcow2 clones without the backing file.
        var golden = await hv.CreateVolumeAsync("p", Volume("golden.qcow2", (48L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture), "qcow2",
            extra: $"<backingStore><path>{src.Path}</path><format type='raw'/></backingStore>"));
        var write = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x77 1100k 64k", "-c", "write -P 0x42 40M 1M", golden.Path);
        Assert.True(write.ExitCode == 0, write.Output);
        var flatRaw = await hv.CloneVolumeAsync("p", Volume("flat.raw", "0"), "p", "golden.qcow2");
        var flatQcow = await hv.CloneVolumeAsync("p", Volume("flat.qcow2", "67108864", "qcow2"), "p", "golden.qcow2");
        Assert.Equal((48UL << 20, 64UL << 20), (flatRaw.Capacity, flatQcow.Capacity));
        Assert.Null(Qcow2Image.ReadHeader(flatQcow.Path).BackingFile);
        foreach (var (clone, format) in new[] { (flatRaw, "raw"), (flatQcow, "qcow2") })
        {
            // qemu-img compare of images of different sizes wants the extra range of the larger to be zeroes.
            compare = HostTool.QemuImg("compare", "-f", "qcow2", "-F", format, golden.Path, clone.Path);
            Assert.True(compare.ExitCode == 0, $"{clone.Name}: {compare.Output}");
        }

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CloneVolumeAsync("p", Volume("b.qcow2", "1048576", "qcow2",
            extra: $"<backingStore><path>{src.Path}</path><format type='raw'/></backingStore>"), "p", "src.raw"));
        Assert.Equal("Operation not supported: volume 'b.qcow2' is a clone of 'src.raw', which gives all of its content; it cannot have a backing store as well", e.Message);
    }

    [Fact]
    public async Task A_clone_never_reads_a_backing_file_outside_the_pools_and_a_damaged_source_leaves_nothing()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var pool = Path.Combine(h.ImagesDir, "pool");
        var outside = Directory.CreateDirectory(h.StateDir + "-outside").FullName; // removed with the harness
        var secret = Path.Combine(outside, "secret.raw");
        await File.WriteAllTextAsync(secret, "not for guests");
        Qcow2Image.Create(Path.Combine(pool, "sneaky.qcow2"), 1 << 20, backingFile: secret, backingFormat: "raw");
        Qcow2Image.Create(Path.Combine(pool, "damaged.qcow2"), 1 << 20);
        Assert.Equal(0, HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 64k", Path.Combine(pool, "damaged.qcow2")).ExitCode);
        await hv.RefreshPoolAsync("p");

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CloneVolumeAsync("p", Volume("copy.raw", "0"), "p", "sneaky.qcow2"));
        Assert.Equal(ErrorCode.PolicyViolation, e.Code);
        Assert.Contains($"volume 'sneaky.qcow2' (the backing file of '{Path.Combine(pool, "sneaky.qcow2")}') uses '{secret}'", e.Message, StringComparison.Ordinal);

        // The damaged image's L2 table pointer now leads past the end of the file.
        var header = Qcow2Image.ReadHeader(Path.Combine(pool, "damaged.qcow2"));
        using (var file = new FileStream(Path.Combine(pool, "damaged.qcow2"), FileMode.Open))
        {
            file.Position = (long)header.L1TableOffset;
            file.Write([0x80, 0, 0, 0x10, 0, 0, 0, 0]);
        }

        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CloneVolumeAsync("p", Volume("copy.raw", "0"), "p", "damaged.qcow2"));
        Assert.StartsWith("operation failed: cannot clone volume 'damaged.qcow2': ", e.Message, StringComparison.Ordinal);
        Assert.Contains("damaged qcow2 image", e.Message, StringComparison.Ordinal);
        Assert.Equal(["damaged.qcow2", "sneaky.qcow2"], Directory.GetFiles(pool).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(await hv.ListVolumesAsync("p"), v => v.Name == "copy.raw");

        // The damaged image is left as it is (qemu-img check would refuse it when the harness ends).
        File.Delete(Path.Combine(pool, "damaged.qcow2"));
    }

    [Fact]
    public async Task Resize_grows_and_shrinks_only_when_asked()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        await hv.CreateVolumeAsync("p", Volume("r.raw", "1048576"));
        var grown = await hv.ResizeVolumeAsync("p", "r.raw", 4 << 20);
        Assert.Equal(4UL << 20, grown.Capacity);
        Assert.True(grown.Allocation < 1 << 20);

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ResizeVolumeAsync("p", "r.raw", 2 << 20));
        Assert.Equal("invalid argument: Can't shrink capacity below current capacity unless shrink flag explicitly specified", e.Message);
        var shrunk = await hv.ResizeVolumeAsync("p", "r.raw", 1 << 20, Hypervisor.ResizeFlags.Delta | Hypervisor.ResizeFlags.Shrink);
        Assert.Equal(3UL << 20, shrunk.Capacity);
        var allocated = await hv.ResizeVolumeAsync("p", "r.raw", 8 << 20, Hypervisor.ResizeFlags.Allocate);
        Assert.True(allocated.Allocation >= 5UL << 20, $"allocated {allocated.Allocation}");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ResizeVolumeAsync("p", "r.raw", 1 << 20, Hypervisor.ResizeFlags.Shrink));
        Assert.Equal("invalid argument: can't shrink capacity below existing allocation", e.Message);

        await hv.CreateVolumeAsync("p", Volume("q.qcow2", "1073741824", "qcow2"));
        var q = await hv.ResizeVolumeAsync("p", "q.qcow2", 5UL << 40);
        Assert.Equal(5UL << 40, q.Capacity);
        var check = HostTool.QemuImg("check", q.Path);
        Assert.True(check.ExitCode == 0, check.Output);
        Assert.Contains("virtual size: 5 TiB", HostTool.QemuImg("info", q.Path).Output, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.ResizeVolumeAsync("p", "q.qcow2", 1 << 30, Hypervisor.ResizeFlags.Shrink));
        Assert.Equal("VIR_ERR_OPERATION_UNSUPPORTED", e.CodeName);
    }

    [Fact]
    public async Task Wipe_and_zeroed_delete_leave_no_data()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        var vol = await hv.CreateVolumeAsync("p", Volume("w.raw", "65536", allocation: "65536"));
        await hv.UploadVolumeAsync("p", "w.raw", new MemoryStream(Enumerable.Repeat((byte)0xAB, 65536).ToArray()));
        await hv.WipeVolumeAsync("p", "w.raw");
        Assert.All(await File.ReadAllBytesAsync(vol.Path), b => Assert.Equal(0, b));
        Assert.Equal(65536, new FileInfo(vol.Path).Length);

        var q = await hv.CreateVolumeAsync("p", Volume("w.qcow2", "67108864", "qcow2"));
        var write = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0xcd 0 1M", q.Path);
        Assert.True(write.ExitCode == 0, write.Output);
        await hv.WipeVolumeAsync("p", "w.qcow2");
        Assert.Equal(0, HostTool.QemuImg("check", q.Path).ExitCode);
        var (readExit, output) = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "read -P 0 0 1M", q.Path);
        Assert.True(readExit == 0, output);
        Assert.DoesNotContain("Pattern verification failed", output, StringComparison.Ordinal);

        await hv.DeleteVolumeAsync("p", "w.raw", zeroed: true);
        Assert.False(File.Exists(vol.Path));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DeleteVolumeAsync("p", "w.raw"));
        Assert.Equal("Storage volume not found: no storage vol with matching name 'w.raw'", e.Message);
    }

    [Fact]
    public async Task Domains_start_only_with_their_disks_in_place()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        await hv.CreateVolumeAsync("p", Volume("root.qcow2", "1073741824", "qcow2"));
        var volumeDisk = "<disk type='volume' device='disk'><source pool='p' volume='root.qcow2'/><target dev='vdb' bus='virtio'/></disk>";
        await hv.DefineAsync(h.Domain("a", devices: volumeDisk));
        await hv.StartAsync("a");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.DeleteVolumeAsync("p", "root.qcow2"));
        Assert.Equal("Requested operation is not valid: volume 'root.qcow2' is still in use by a.", e.Message);
        await hv.DestroyAsync("a");

        await hv.StopPoolAsync("p");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("a"));
        Assert.Equal("Requested operation is not valid: storage pool 'p' containing volume 'root.qcow2' is not active", e.Message);
        await hv.StartPoolAsync("p");
        await hv.DeleteVolumeAsync("p", "root.qcow2");
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("a"));
        Assert.Equal("Storage volume not found: no storage vol with matching name 'root.qcow2'", e.Message);

        await hv.DefineAsync(DomainXml.Make("b", imagesDir: h.ImagesDir, image: Path.Combine(h.ImagesDir, "missing.qcow2")));
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("b"));
        Assert.Equal($"Cannot access storage file '{Path.Combine(h.ImagesDir, "missing.qcow2")}': No such file or directory", e.Message);
        Assert.Equal(DomainState.Shutoff, (await hv.GetInfoAsync("b")).Status.State);

        var stray = Path.Combine(h.StateDir, "stray.qcow2");
        Reconciler.Runtime.Storage.Images.Qcow2Image.Create(stray, 1 << 30);
        await hv.DefineAsync(DomainXml.Make("c", image: stray));
        e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync("c"));
        Assert.Equal("RECONCILER_POLICY", e.CodeName);
        Assert.Contains("neither in a running storage pool nor in an allowed image directory", e.Message, StringComparison.Ordinal);

        var e2 = await Assert.ThrowsAsync<RuntimeException>(() => hv.DefineAsync(h.Domain("d", devices: "<disk type='volume'><source pool='nope' volume='x'/><target dev='vdc'/></disk>")).ContinueWith(t => hv.StartAsync("d")).Unwrap());
        Assert.Equal("Storage pool not found: no storage pool with matching name 'nope'", e2.Message);
    }

    [Fact]
    public async Task A_domain_starting_while_its_pool_is_refreshed_finds_its_volume()
    {
        // A refresh lists the pool's directory again; a start in the meantime (the controller refreshes pools
        // while the runtime resumes thousands of domains after a restart) must still find the volume.
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        for (var i = 0; i < 40; i++)
        {
            await hv.CreateVolumeAsync("p", Volume($"data{i:00}.raw", "1048576"));
        }

        await hv.CreateVolumeAsync("p", Volume("zz-root.qcow2", "1073741824", "qcow2"));
        await hv.DefineAsync(h.Domain("a", devices: "<disk type='volume' device='disk'><source pool='p' volume='zz-root.qcow2'/><target dev='vdb' bus='virtio'/></disk>"));
        using var stop = new CancellationTokenSource();
        var refreshing = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await hv.RefreshPoolAsync("p");
            }
        });
        try
        {
            for (var i = 0; i < 150; i++)
            {
                await hv.StartAsync("a");
                await hv.DestroyAsync("a");
            }
        }
        finally
        {
            await stop.CancelAsync();
            await refreshing;
        }

        Assert.Equal(41, (await hv.ListVolumesAsync("p")).Count);
    }

    [Fact]
    public async Task A_pool_whose_directory_vanished_is_stopped_by_a_refresh()
    {
        await using var h = new RuntimeHarness();
        var hv = await PoolAsync(h);
        Directory.Delete(Path.Combine(h.ImagesDir, "pool"));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.RefreshPoolAsync("p"));
        Assert.Equal($"cannot open directory '{Path.Combine(h.ImagesDir, "pool")}': No such file or directory", e.Message);
        Assert.Equal(StoragePoolState.Inactive, (await hv.GetPoolInfoAsync("p")).State);
    }

    [Fact]
    public async Task Running_and_autostart_pools_come_back_after_a_restart()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefinePoolAsync(DirPool("running", Path.Combine(h.ImagesDir, "r")));
        await hv.DefinePoolAsync(DirPool("auto", Path.Combine(h.ImagesDir, "a")));
        await hv.DefinePoolAsync(DirPool("off", Path.Combine(h.ImagesDir, "o")));
        await hv.StartPoolAsync("running", build: true);
        await hv.BuildPoolAsync("auto");
        await hv.SetPoolAutostartAsync("auto", true);
        await hv.CreateVolumeAsync("running", Volume("v.raw", "4096"));
        await hv.DisposeAsync();

        var again = await h.OpenAsync();
        Assert.Equal(StoragePoolState.Running, (await again.GetPoolInfoAsync("running")).State);
        Assert.Equal(StoragePoolState.Running, (await again.GetPoolInfoAsync("auto")).State);
        Assert.Equal(StoragePoolState.Inactive, (await again.GetPoolInfoAsync("off")).State);
        Assert.Equal(["v.raw"], (await again.ListVolumesAsync("running")).Select(v => v.Name));
    }

    private static async Task<Hypervisor> PoolAsync(RuntimeHarness h)
    {
        var hv = await h.OpenAsync();
        await hv.DefinePoolAsync(DirPool("p", Path.Combine(h.ImagesDir, "pool")));
        await hv.StartPoolAsync("p", build: true);
        return hv;
    }
}

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PoolHostCommandTests
{
    [Fact]
    public async Task Fs_and_netfs_pools_mount_and_unmount_their_source_and_list_the_mounted_directory()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var target = Path.Combine(h.ImagesDir, "mnt");
        await hv.DefinePoolAsync($"""
            <pool type='netfs' xmlns:fs='http://libvirt.org/schemas/storagepool/fs/1.0'>
              <name>nfs</name>
              <source><host name='filer.example'/><dir path='/export/images'/><format type='nfs'/></source>
              <target><path>{target}</path></target>
              <fs:mount_opts><fs:option name='sync'/></fs:mount_opts>
            </pool>
            """);
        await hv.StartPoolAsync("nfs", build: true);
        await hv.CreateVolumeAsync("nfs", "<volume><name>disk.qcow2</name><capacity>1073741824</capacity><target><format type='qcow2'/></target></volume>");
        await hv.StopPoolAsync("nfs");

        var log = ((Reconciler.Runtime.Storage.RecordingStorageHost)hv.StorageHost).Commands;
        Assert.Equal(["start", "stop"], log.Select(c => c.Operation));
        Assert.Equal($"mount -o nodev,nosuid,noexec,sync -t nfs filer.example:/export/images {target}", Line(log[0].Command));
        Assert.Equal($"umount {target}", Line(log[1].Command));
        Assert.True(File.Exists(Path.Combine(target, "disk.qcow2")));

        // The mount options are not in the definition (libvirt drops them there) but are kept for the next start.
        await hv.DisposeAsync();
        var again = await h.OpenAsync();
        await again.StartPoolAsync("nfs");
        var start = ((Reconciler.Runtime.Storage.RecordingStorageHost)again.StorageHost).Commands.Single();
        Assert.Contains("nodev,nosuid,noexec,sync", Line(start.Command), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Logical_pools_run_lvm_commands_to_build_start_stop_and_delete()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefinePoolAsync("<pool type='logical'><name>vg0</name><source><device path='/dev/sdb1'/><name>vg0</name><format type='lvm2'/></source><target><path>/dev/vg0</path></target></pool>");
        await hv.BuildPoolAsync("vg0");
        await hv.StartPoolAsync("vg0");
        Assert.Equal("running", (await hv.GetPoolInfoAsync("vg0")).StateName);
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("vg0", "<volume><name>lv</name><capacity>1</capacity></volume>"));
        Assert.Equal("this function is not supported by the connection driver: storage pool does not support volume creation", e.Message);
        await hv.StopPoolAsync("vg0");
        await hv.DeletePoolAsync("vg0");

        var commands = ((Reconciler.Runtime.Storage.RecordingStorageHost)hv.StorageHost).Commands.Select(c => $"{c.Operation}: {Line(c.Command)}").ToList();
        Assert.Contains("start: vgchange -aly vg0", commands);
        Assert.Contains("stop: vgchange -aln vg0", commands);
        Assert.Contains(commands, c => c.StartsWith("build: vgcreate vg0 /dev/sdb1", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.StartsWith("delete: vgremove -f vg0", StringComparison.Ordinal));
    }

    private static string Line(Reconciler.Runtime.Storage.HostCommands.HostCommand command) =>
        string.Join(' ', new[] { command.ProgramName }.Concat(command.Args));
}
