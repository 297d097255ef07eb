using System.Text.Json;
using Reconciler.Runtime.Storage.Images;
using Reconciler.Runtime.Tests.Support;

namespace Reconciler.Runtime.Tests.Storage;

public sealed class Qcow2ImageTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("rc-qcow2-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData(1UL << 20, 16)]
    [InlineData(10UL << 30, 16)]
    [InlineData(2UL << 40, 16)]
    [InlineData(123456789UL * 512, 12)]
    [InlineData(64UL << 30, 21)]
    public void Images_pass_qemu_img_check_and_info_reads_them_as_written(ulong size, int clusterBits)
    {
        var path = Path.Combine(_dir.FullName, "disk.qcow2");
        Qcow2Image.Create(path, size, clusterBits);

        Assert.Equal(0, HostTool.QemuImg("check", path).ExitCode);
        using var info = JsonDocument.Parse(HostTool.QemuImg("info", "--output=json", path).Output);
        var root = info.RootElement;
        Assert.Equal("qcow2", root.GetProperty("format").GetString());
        Assert.Equal(size, root.GetProperty("virtual-size").GetUInt64());
        Assert.Equal(1 << clusterBits, root.GetProperty("cluster-size").GetInt32());
        var specific = root.GetProperty("format-specific").GetProperty("data");
        Assert.Equal("1.1", specific.GetProperty("compat").GetString());
        Assert.Equal(16, specific.GetProperty("refcount-bits").GetInt32());
        Assert.False(specific.GetProperty("corrupt").GetBoolean());

        var header = Qcow2Image.ReadHeader(path);
        Assert.Equal((3u, size, clusterBits), (header.Version, header.VirtualSize, header.ClusterBits));
    }

    [Fact]
    public void A_backing_store_is_recorded_with_its_format()
    {
        var backing = Path.Combine(_dir.FullName, "base.qcow2");
        Qcow2Image.Create(backing, 1UL << 30);
        var overlay = Path.Combine(_dir.FullName, "overlay.qcow2");
        Qcow2Image.Create(overlay, 2UL << 30, backingFile: backing, backingFormat: "qcow2");

        Assert.Equal(0, HostTool.QemuImg("check", overlay).ExitCode);
        using var info = JsonDocument.Parse(HostTool.QemuImg("info", "--output=json", overlay).Output);
        Assert.Equal(backing, info.RootElement.GetProperty("backing-filename").GetString());
        Assert.Equal("qcow2", info.RootElement.GetProperty("backing-filename-format").GetString());
        var header = Qcow2Image.ReadHeader(overlay);
        Assert.Equal((backing, "qcow2"), (header.BackingFile, header.BackingFormat));
    }

    [Fact]
    public void A_header_that_reaches_beyond_its_first_4_KiB_is_read_whole_and_qemu_img_headers_are_read_as_qemu_reads_them()
    {
        var backing = Path.Combine(_dir.FullName, "base.qcow2");
        Qcow2Image.Create(backing, 1UL << 30);

        // The backing file name moved to offset 6000 of the first cluster (where qemu reads it too).
        var far = Path.Combine(_dir.FullName, "far.qcow2");
        Qcow2Image.Create(far, 2UL << 30, backingFile: backing, backingFormat: "qcow2");
        var bytes = File.ReadAllBytes(far);
        var offset = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(8));
        var size = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(16));
        bytes.AsSpan(offset, size).CopyTo(bytes.AsSpan(6000));
        bytes.AsSpan(offset, size).Clear();
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), 6000);
        File.WriteAllBytes(far, bytes);
        using (var info = JsonDocument.Parse(HostTool.QemuImg("info", "--output=json", far).Output))
        {
            Assert.Equal(backing, info.RootElement.GetProperty("backing-filename").GetString());
        }

        Assert.Equal((backing, "qcow2", 2UL << 30), (Qcow2Image.ReadHeader(far).BackingFile, Qcow2Image.ReadHeader(far).BackingFormat, Qcow2Image.ReadHeader(far).VirtualSize));

        // An overlay qemu-img makes (its own header extensions: feature names and more).
        var overlay = Path.Combine(_dir.FullName, "qemu.qcow2");
        Assert.Equal(0, HostTool.QemuImg("create", "-q", "-f", "qcow2", "-b", backing, "-F", "qcow2", overlay, "3G").ExitCode);
        var header = Qcow2Image.ReadHeader(overlay);
        Assert.Equal((backing, "qcow2", 3UL << 30), (header.BackingFile, header.BackingFormat, header.VirtualSize));
    }

    [Fact]
    public void Data_written_by_qemu_into_an_image_keeps_it_consistent()
    {
        var path = Path.Combine(_dir.FullName, "disk.qcow2");
        Qcow2Image.Create(path, 64UL << 20);
        var write = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0xab 1M 3M", path);
        Assert.True(write.ExitCode == 0, write.Output);
        Assert.Equal(0, HostTool.QemuImg("check", path).ExitCode);
        var read = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "read -P 0xab 1M 3M", "-c", "read -P 0 0 1M", path);
        Assert.True(read.ExitCode == 0 && !read.Output.Contains("Pattern verification failed", StringComparison.Ordinal), read.Output);
    }

    [Fact]
    public void An_existing_file_is_never_overwritten()
    {
        var path = Path.Combine(_dir.FullName, "disk.qcow2");
        File.WriteAllText(path, "precious");
        Assert.Throws<IOException>(() => Qcow2Image.Create(path, 1UL << 20));
        Assert.Equal("precious", File.ReadAllText(path));
        Assert.Throws<InvalidDataException>(() => Qcow2Image.ReadHeader(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void A_growth_that_moves_the_L1_table_killed_after_any_step_never_corrupts_and_is_repaired_without_leaks(int steps)
    {
        // 512-byte clusters: one L1 cluster covers 2 MiB, so growing to 8 MiB moves the table (four steps).
        var path = Path.Combine(_dir.FullName, "small-clusters.qcow2");
        Qcow2Image.Create(path, 2UL << 20, clusterBits: 9);
        Assert.Equal(0, HostTool.Run("qemu-io", "-c", "write -P 7 0 64k", path).ExitCode);
        var plan = Qcow2Image.PlanResize(path, 8UL << 20);
        Assert.True(plan.MovesL1);

        Qcow2Image.ApplyResize(path, plan, steps);

        // Killed here: never corrupt (exit 2); at worst leaked clusters (exit 3), which the repair gives back.
        var (code, output) = HostTool.QemuImg("check", path);
        Assert.True(code is 0 or 3, output);
        Qcow2Image.RecoverResize(path, plan);
        (code, output) = HostTool.QemuImg("check", path);
        Assert.True(code == 0, output);
        Assert.Contains(Qcow2Image.ReadHeader(path).VirtualSize, new[] { 2UL << 20, 8UL << 20 });
        Assert.Equal(steps >= 3 ? 8UL << 20 : 2UL << 20, Qcow2Image.ReadHeader(path).VirtualSize);
        Assert.Equal(0, HostTool.Run("qemu-io", "-c", "read -P 7 0 64k", path).ExitCode);
    }

    [Theory]
    [InlineData(9, 3 << 20)]
    [InlineData(16, (24 << 20) + 12345)]
    [InlineData(21, 9 << 20)]
    public void An_image_made_from_content_holds_that_content_allocates_only_its_data_and_passes_qemu_img_check(int clusterBits, int size)
    {
        // Data scattered over the image (an unaligned run, a run across an L2 table's range, the cut-short
        // last cluster), the rest holes; with 512-byte clusters the image needs several refcount blocks.
        var source = Path.Combine(_dir.FullName, "source.raw");
        var random = new Random(clusterBits);
        using (var file = new FileStream(source, FileMode.CreateNew))
        {
            file.SetLength(size);
            foreach (var (at, length) in new[] { (4097, 70000), (size / 2, size / 4), (size - 5000, 5000) })
            {
                var bytes = new byte[length];
                random.NextBytes(bytes);
                file.Position = at;
                file.Write(bytes);
            }
        }

        var image = Path.Combine(_dir.FullName, "made.qcow2");
        using (var content = DiskContent.Open(source, "raw"))
        {
            Qcow2Image.CreateFrom(image, (ulong)size, clusterBits, content);
        }

        var check = HostTool.QemuImg("check", image);
        Assert.True(check.ExitCode == 0, check.Output);
        var compare = HostTool.QemuImg("compare", "-f", "raw", "-F", "qcow2", source, image);
        Assert.True(compare.ExitCode == 0, compare.Output);
        using var map = JsonDocument.Parse(HostTool.QemuImg("map", "--output=json", image).Output);
        var allocated = map.RootElement.EnumerateArray().Where(e => e.GetProperty("data").GetBoolean()).Sum(e => e.GetProperty("length").GetInt64());
        var dataBytes = 70000L + (size / 4) + 5000;
        Assert.True(allocated < dataBytes + (4L << clusterBits), $"{allocated} bytes allocated for {dataBytes} bytes of data");
    }

    [Fact]
    public void Content_is_read_as_qemu_reads_it_backing_chain_zero_and_compressed_clusters_included()
    {
        // A raw base, a qcow2 overlay with data of its own, a zeroed range over the base's data and a range
        // past the base's end; then the same overlay converted into compressed clusters by qemu-img.
        var baseImage = Path.Combine(_dir.FullName, "base.raw");
        using (var file = new FileStream(baseImage, FileMode.CreateNew))
        {
            var bytes = new byte[4 << 20];
            new Random(7).NextBytes(bytes);
            file.Write(bytes);
        }

        var overlay = Path.Combine(_dir.FullName, "overlay.qcow2");
        Qcow2Image.Create(overlay, 16UL << 20, backingFile: "base.raw", backingFormat: "raw");
        var write = HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 1M 100k", "-c", "write -z 2M 256k", "-c", "write -P 0x33 10M 64k", overlay);
        Assert.True(write.ExitCode == 0, write.Output);
        var compressed = Path.Combine(_dir.FullName, "compressed.qcow2");
        Assert.Equal(0, HostTool.QemuImg("convert", "-c", "-f", "qcow2", "-O", "qcow2", overlay, compressed).ExitCode);

        foreach (var image in new[] { overlay, compressed })
        {
            var expected = Path.Combine(_dir.FullName, "expected.raw");
            File.Delete(expected);
            Assert.Equal(0, HostTool.QemuImg("convert", "-f", "qcow2", "-O", "raw", image, expected).ExitCode);
            using var content = DiskContent.Open(image, "qcow2");
            Assert.Equal(16UL << 20, content.Size);
            var got = new byte[content.Size];
            for (var at = 0; at < got.Length; at += 100_000)
            {
                content.Read((ulong)at, got.AsSpan(at, Math.Min(100_000, got.Length - at)));
            }

            Assert.True(File.ReadAllBytes(expected).AsSpan().SequenceEqual(got), $"{Path.GetFileName(image)} reads otherwise than qemu-img convert");
        }
    }

    [Fact]
    public void A_damaged_image_is_a_clear_error_never_a_read_of_something_else()
    {
        var path = Path.Combine(_dir.FullName, "damaged.qcow2");
        Qcow2Image.Create(path, 64UL << 20);
        Assert.Equal(0, HostTool.Run("qemu-io", "-f", "qcow2", "-c", "write -P 1 0 64k", path).ExitCode);
        var header = Qcow2Image.ReadHeader(path);
        using (var file = new FileStream(path, FileMode.Open))
        {
            // The first L1 entry now points at an L2 table far past the end of the file.
            file.Position = (long)header.L1TableOffset;
            file.Write([0x80, 0, 0, 0x10, 0, 0, 0, 0]);
        }

        using var content = DiskContent.Open(path, "qcow2");
        var e = Assert.Throws<InvalidDataException>(() => content.Read(0, new byte[512]));
        Assert.Contains("damaged qcow2 image", e.Message, StringComparison.Ordinal);
    }
}
