using System.Buffers.Binary;
using Reconciler.Runtime.Domains;
using Reconciler.Runtime.Storage.Images;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Storage;

/// <summary>
/// A guest only ever gets files inside a running pool or an allowed image directory: paths outside, paths
/// with '..', relative paths, symbolic links and qcow2 backing files that lead out are refused by policy
/// before the domain starts (or the disk is plugged), and nothing is said about files outside.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class PathConfinementTests
{
    private const string Policy = "RECONCILER_POLICY";

    private static string FileDisk(string path, string dev = "vdb", string format = "raw") =>
        $"<disk type='file' device='disk'><driver name='qemu' type='{format}'/><source file='{path}'/><target dev='{dev}' bus='virtio'/></disk>";

    /// <summary>A directory beside the harness's allowed one, outside every pool and allowed directory.</summary>
    private static string Outside(RuntimeHarness h, string name, string content = "outside")
    {
        var dir = h.StateDir + "-outside"; // removed with the harness
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<RuntimeException> StartRefused(RuntimeHarness h, Hypervisor hv, string name, string devices)
    {
        await hv.DefineAsync(h.Domain(name, devices: devices));
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.StartAsync(name));
        Assert.Equal(DomainState.Shutoff, (await hv.GetInfoAsync(name)).Status.State);
        return e;
    }

    [Fact]
    public async Task A_disk_outside_pools_and_allowed_directories_is_refused_whether_or_not_the_file_exists()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var outside = Outside(h, "secret.raw");
        var missing = Path.Combine(Path.GetDirectoryName(outside)!, "missing.raw");

        var e = await StartRefused(h, hv, "a", FileDisk(outside));
        Assert.Equal(Policy, e.CodeName);
        Assert.Equal($"disk 'vdb' uses '{outside}', which is neither in a running storage pool nor in an allowed image directory", e.Detail);

        // The same answer for a file that is not there: the refusal tells nothing about what exists outside.
        e = await StartRefused(h, hv, "b", FileDisk(missing));
        Assert.Equal($"disk 'vdb' uses '{missing}', which is neither in a running storage pool nor in an allowed image directory", e.Detail);

        // A block device is no exception.
        e = await StartRefused(h, hv, "c", "<disk type='block' device='disk'><source dev='/dev/null'/><target dev='vdb' bus='virtio'/></disk>");
        Assert.Equal("disk 'vdb' uses '/dev/null', which is neither in a running storage pool nor in an allowed image directory", e.Detail);
    }

    [Fact]
    public async Task Dot_dot_and_relative_paths_are_refused_even_when_they_lead_inside()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var inside = h.Image("inside.qcow2");
        Directory.CreateDirectory(Path.Combine(h.ImagesDir, "sub"));

        var escaping = $"{h.ImagesDir}/../{Path.GetFileName(h.StateDir)}-outside/x.raw";
        Outside(h, "x.raw");
        var e = await StartRefused(h, hv, "a", FileDisk(escaping));
        Assert.Equal(Policy, e.CodeName);
        Assert.Equal($"disk 'vdb' uses '{escaping}', which has a '..' component: name the file by its path without '..'", e.Detail);

        var roundabout = $"{h.ImagesDir}/sub/../inside.qcow2";
        e = await StartRefused(h, hv, "b", FileDisk(roundabout, format: "qcow2"));
        Assert.Contains("which has a '..' component", e.Detail, StringComparison.Ordinal);

        e = await StartRefused(h, hv, "c", FileDisk("inside.qcow2", format: "qcow2"));
        Assert.Equal("disk 'vdb' uses 'inside.qcow2', which is not an absolute path: name the file by its full path", e.Detail);

        // The same file by its plain path is fine.
        await hv.DefineAsync(h.Domain("d", devices: FileDisk(inside, format: "qcow2")));
        await hv.StartAsync("d");
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("d")).Status.State);
    }

    [Fact]
    public async Task A_symbolic_link_that_leads_out_is_refused_and_one_that_stays_inside_is_not()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var outside = Outside(h, "secret.raw");
        var link = Path.Combine(h.ImagesDir, "innocent.raw");
        Directory.CreateDirectory(h.ImagesDir);
        File.CreateSymbolicLink(link, outside);

        var e = await StartRefused(h, hv, "a", FileDisk(link));
        Assert.Equal(Policy, e.CodeName);
        Assert.Equal($"disk 'vdb' uses '{link}', a symbolic link that leads to '{outside}', which is neither in a running storage pool nor in an allowed image directory", e.Detail);

        // A link to a directory on the way counts as well.
        var outsideDir = Path.GetDirectoryName(outside)!;
        File.CreateSymbolicLink(Path.Combine(h.ImagesDir, "elsewhere"), outsideDir);
        e = await StartRefused(h, hv, "b", FileDisk(Path.Combine(h.ImagesDir, "elsewhere", "secret.raw")));
        Assert.Contains("a symbolic link that leads to", e.Detail, StringComparison.Ordinal);

        var image = h.Image("real.qcow2");
        var goodLink = Path.Combine(h.ImagesDir, "alias.qcow2");
        File.CreateSymbolicLink(goodLink, image);
        await hv.DefineAsync(h.Domain("c", devices: FileDisk(goodLink, format: "qcow2")));
        await hv.StartAsync("c");
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("c")).Status.State);
    }

    [Fact]
    public async Task A_symbolic_link_loop_neither_hangs_nor_crashes_a_pool_refresh_or_a_start()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var target = Path.Combine(h.ImagesDir, "pool");
        await hv.DefinePoolAsync($"<pool type='dir'><name>p</name><target><path>{target}</path></target></pool>");
        await hv.StartPoolAsync("p", build: true);
        File.CreateSymbolicLink(Path.Combine(target, "loop-a.raw"), Path.Combine(target, "loop-b.raw"));
        File.CreateSymbolicLink(Path.Combine(target, "loop-b.raw"), Path.Combine(target, "loop-a.raw"));
        File.WriteAllText(Path.Combine(target, "plain.raw"), "data");

        await hv.RefreshPoolAsync("p");
        Assert.Equal(["plain.raw"], (await hv.ListVolumesAsync("p")).Select(v => v.Name));

        var e = await StartRefused(h, hv, "a", FileDisk(Path.Combine(target, "loop-a.raw")));
        Assert.Equal(Policy, e.CodeName);
        Assert.EndsWith("whose symbolic links cannot be resolved (too many levels, or a loop)", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_qcow2_backing_chain_must_stay_inside_too()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        Directory.CreateDirectory(h.ImagesDir);
        var outside = Outside(h, "base.raw", new string('\0', 4096));

        var absolute = Path.Combine(h.ImagesDir, "overlay-abs.qcow2");
        Qcow2Image.Create(absolute, 1 << 20, backingFile: outside, backingFormat: "raw");
        var e = await StartRefused(h, hv, "a", FileDisk(absolute, format: "qcow2"));
        Assert.Equal(Policy, e.CodeName);
        Assert.Equal($"disk 'vdb' (the backing file of '{absolute}') uses '{outside}', which is neither in a running storage pool nor in an allowed image directory", e.Detail);

        var relative = Path.Combine(h.ImagesDir, "overlay-rel.qcow2");
        Qcow2Image.Create(relative, 1 << 20, backingFile: $"../{Path.GetFileName(Path.GetDirectoryName(outside))}/base.raw", backingFormat: "raw");
        e = await StartRefused(h, hv, "b", FileDisk(relative, format: "qcow2"));
        Assert.Contains("which has a '..' component", e.Detail, StringComparison.Ordinal);

        var remote = Path.Combine(h.ImagesDir, "overlay-nbd.qcow2");
        Qcow2Image.Create(remote, 1 << 20, backingFile: "nbd://127.0.0.1:10809/export", backingFormat: "raw");
        e = await StartRefused(h, hv, "c", FileDisk(remote, format: "qcow2"));
        Assert.Equal($"disk 'vdb': '{remote}' has the backing file 'nbd://127.0.0.1:10809/export', which is not a local file", e.Detail);

        // Two images that name each other: a loop, refused, not followed forever.
        var one = Path.Combine(h.ImagesDir, "one.qcow2");
        var two = Path.Combine(h.ImagesDir, "two.qcow2");
        Qcow2Image.Create(one, 1 << 20, backingFile: "two.qcow2", backingFormat: "qcow2");
        Qcow2Image.Create(two, 1 << 20, backingFile: "one.qcow2", backingFormat: "qcow2");
        e = await StartRefused(h, hv, "d", FileDisk(one, format: "qcow2"));
        Assert.Equal($"disk 'vdb': the backing chain of '{one}' loops back to '{Path.Combine(h.ImagesDir, "one.qcow2")}'", e.Detail);

        // qemu-img itself spins forever on such a loop (and would try the NBD server): not for the harness's check.
        foreach (var image in new[] { one, two, remote })
        {
            File.Delete(image);
        }

        // A chain inside the allowed directory is fine.
        var baseImage = Path.Combine(h.ImagesDir, "base.qcow2");
        var overlay = Path.Combine(h.ImagesDir, "overlay.qcow2");
        Qcow2Image.Create(baseImage, 1 << 20);
        Qcow2Image.Create(overlay, 1 << 20, backingFile: "base.qcow2", backingFormat: "qcow2");
        await hv.DefineAsync(h.Domain("e", devices: FileDisk(overlay, format: "qcow2")));
        await hv.StartAsync("e");
        Assert.Equal(DomainState.Running, (await hv.GetInfoAsync("e")).Status.State);
    }

    [Fact]
    public async Task A_volume_cannot_be_created_over_a_backing_store_outside()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var target = Path.Combine(h.ImagesDir, "pool");
        await hv.DefinePoolAsync($"<pool type='dir'><name>p</name><target><path>{target}</path></target></pool>");
        await hv.StartPoolAsync("p", build: true);
        var outside = Outside(h, "base.raw");

        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p",
            $"<volume><name>o.qcow2</name><capacity>1048576</capacity><target><format type='qcow2'/></target><backingStore><path>{outside}</path><format type='raw'/></backingStore></volume>"));
        Assert.Equal(Policy, e.CodeName);
        Assert.Equal($"the backing store of volume 'o.qcow2' uses '{outside}', which is neither in a running storage pool nor in an allowed image directory", e.Detail);
        Assert.False(File.Exists(Path.Combine(target, "o.qcow2")));

        foreach (var name in new[] { "a/b.raw", "../escape.raw", "/etc/x.raw" })
        {
            e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", $"<volume><name>{name}</name><capacity>4096</capacity></volume>"));
            Assert.Equal($"Requested operation is not valid: volume name '{name}' cannot contain '/'", e.Message);
        }

        foreach (var name in new[] { ".", ".." })
        {
            e = await Assert.ThrowsAsync<RuntimeException>(() => hv.CreateVolumeAsync("p", $"<volume><name>{name}</name><capacity>4096</capacity></volume>"));
            Assert.Equal(Policy, e.CodeName);
        }

        Assert.False(File.Exists(Path.Combine(h.ImagesDir, "escape.raw")));
    }

    [Fact]
    public async Task A_hot_plugged_disk_outside_is_refused()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        await hv.DefineAsync(h.Domain("a"));
        await hv.StartAsync("a");
        var outside = Outside(h, "secret.raw");
        var e = await Assert.ThrowsAsync<RuntimeException>(() => hv.AttachDeviceAsync("a", FileDisk(outside, "vdc"), DeviceScope.Live));
        Assert.Equal(Policy, e.CodeName);
        Assert.Contains($"uses '{outside}', which is neither in a running storage pool nor in an allowed image directory", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_raw_image_whose_guest_wrote_a_qcow2_header_stays_raw_and_breaks_nothing()
    {
        await using var h = new RuntimeHarness();
        var hv = await h.OpenAsync();
        var target = Path.Combine(h.ImagesDir, "pool");
        await hv.DefinePoolAsync($"<pool type='dir'><name>p</name><target><path>{target}</path></target></pool>");
        await hv.StartPoolAsync("p", build: true);

        // The qcow2 magic, then fields no real image has. One names a backing file far past its end; the other
        // has a header extension whose length, read as a signed number, is -8: the old reader stepped by zero
        // bytes and spun forever on it.
        var forged = new byte[4096];
        BinaryPrimitives.WriteUInt32BigEndian(forged, Qcow2Image.Magic);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt64BigEndian(forged.AsSpan(8), 4000);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(16), 0xFFFFFFF0);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(20), 16);
        BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(100), 104);
        await File.WriteAllBytesAsync(Path.Combine(target, "backing.raw"), forged);

        var spinning = new byte[4096];
        BinaryPrimitives.WriteUInt32BigEndian(spinning, Qcow2Image.Magic);
        BinaryPrimitives.WriteUInt32BigEndian(spinning.AsSpan(4), 3);
        BinaryPrimitives.WriteUInt32BigEndian(spinning.AsSpan(20), 16);
        BinaryPrimitives.WriteUInt32BigEndian(spinning.AsSpan(100), 104);
        BinaryPrimitives.WriteUInt32BigEndian(spinning.AsSpan(104), 1);
        BinaryPrimitives.WriteUInt32BigEndian(spinning.AsSpan(108), 0xFFFFFFF8);
        await File.WriteAllBytesAsync(Path.Combine(target, "spinning.raw"), spinning);

        var refresh = Task.Run(() => hv.RefreshPoolAsync("p"));
        Assert.True(await Task.WhenAny(refresh, Task.Delay(TimeSpan.FromSeconds(20))) == refresh, "the refresh hangs on a forged header");
        await refresh;
        var volumes = (await hv.ListVolumesAsync("p")).ToDictionary(v => v.Name);
        Assert.Equal(["backing.raw", "spinning.raw"], volumes.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("raw", volumes["backing.raw"].Format);
        Assert.Equal(4096UL, volumes["backing.raw"].Capacity);
        Assert.Throws<InvalidDataException>(() => Qcow2Image.ReadHeader(forged));
        Assert.Null(Qcow2Image.ReadHeader(spinning).BackingFormat);
    }
}
