using System.Buffers.Binary;
using System.Text;

namespace Reconciler.Runtime.Storage.Images;

/// <summary>What a qcow2 header says: version, virtual size, cluster size, tables, backing store, encryption method and incompatible feature bits.</summary>
public sealed record Qcow2Header(
    uint Version,
    ulong VirtualSize,
    int ClusterBits,
    uint L1Size,
    ulong L1TableOffset,
    ulong RefcountTableOffset,
    uint RefcountTableClusters,
    int RefcountOrder,
    string? BackingFile,
    string? BackingFormat,
    uint CryptMethod = 0,
    ulong IncompatibleFeatures = 0)
{
    public int ClusterSize => 1 << ClusterBits;
}

/// <summary>
/// A planned growth of a qcow2 image (<see cref="Qcow2Image.PlanResize"/>): the new size and L1 table size,
/// and where the L1 table is before and after (the same place unless it has to move).
/// </summary>
public sealed record Qcow2Resize(ulong NewSize, uint NewL1Size, uint OldL1Size, ulong OldL1Offset, long OldL1Clusters, ulong NewL1Offset, long NewL1Clusters)
{
    public bool MovesL1 => NewL1Offset != OldL1Offset;
}

/// <summary>
/// Writes qcow2 images natively, as <c>qemu-img create -f qcow2 -o compat=1.1</c> lays them out: the
/// header (version 3, 16-bit refcounts) with its extensions and the backing file name in cluster 0, the
/// refcount table in cluster 1, the first refcount block in cluster 2, then the L1 table. No data
/// cluster is allocated, so the image reads as zeroes (or as its backing file).
/// </summary>
public static class Qcow2Image
{
    public const uint Magic = 0x514649FB;
    private const uint BackingFormatExtension = 0xE2792ACA;
    private const uint FeatureNameTableExtension = 0x6803F857;
    private const int HeaderLength = 104;

    /// <summary>
    /// Creates an image of <paramref name="virtualSize"/> bytes at <paramref name="path"/> (a new file; an
    /// existing one is never overwritten), synced to disk unless <paramref name="durable"/> is false (for a
    /// caller that syncs the file itself).
    /// </summary>
    public static void Create(string path, ulong virtualSize, int clusterBits = 16, string? backingFile = null, string? backingFormat = null, bool durable = true)
    {
        // Built in a pooled buffer: a fresh 256 KiB array per image (the large object heap's, zeroed page by
        // page as the kernel hands them over) made ten thousand creations fault and shoot down TLBs.
        var size = SizeOf(virtualSize, clusterBits);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        try
        {
            var image = buffer.AsSpan(0, size);
            image.Clear();
            Fill(image, virtualSize, clusterBits, backingFile, backingFormat);
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
            WriteSparse(stream, image);
            if (durable)
            {
                stream.Flush(flushToDisk: true);
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Writes a new image's bytes into an empty file, leaving the all-zero pages as holes (which read as
    /// zeroes): of the four 64 KiB clusters of a new image only the header, the refcount table's first entry
    /// and the first refcount block's hold anything, so the file takes 12 KiB on disk instead of 256 KiB —
    /// ten thousand volumes write 120 MiB, not 2.5 GiB.
    /// </summary>
    public static void WriteSparse(FileStream file, ReadOnlySpan<byte> bytes)
    {
        const int page = 4096;
        for (var at = 0; at < bytes.Length; at += page)
        {
            var chunk = bytes.Slice(at, Math.Min(page, bytes.Length - at));
            if (chunk.ContainsAnyExcept((byte)0))
            {
                file.Position = at;
                file.Write(chunk);
            }
        }

        file.SetLength(bytes.Length);
    }

    /// <summary>The bytes of a new image (all metadata; its length is a whole number of clusters).</summary>
    public static byte[] Build(ulong virtualSize, int clusterBits = 16, string? backingFile = null, string? backingFormat = null)
    {
        var image = new byte[SizeOf(virtualSize, clusterBits)];
        Fill(image, virtualSize, clusterBits, backingFile, backingFormat);
        return image;
    }

    /// <summary>How many bytes a new image takes (its metadata clusters); throws when no such image can be made.</summary>
    private static int SizeOf(ulong virtualSize, int clusterBits)
    {
        var (clusterSize, _, totalClusters) = Layout(virtualSize, clusterBits);
        return checked((int)(totalClusters * clusterSize));
    }

    private static (long ClusterSize, uint L1Size, long TotalClusters) Layout(ulong virtualSize, int clusterBits)
    {
        RequireClusterBits(clusterBits);
        var clusterSize = 1L << clusterBits;
        var l1Size = L1Size(virtualSize, clusterBits);
        var totalClusters = L1Cluster + L1Clusters(l1Size, clusterSize);
        if (totalClusters > clusterSize / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(virtualSize), "the image's metadata does not fit one refcount block");
        }

        return (clusterSize, l1Size, totalClusters);
    }

    private static void RequireClusterBits(int clusterBits)
    {
        if (clusterBits is < 9 or > 21)
        {
            throw new ArgumentOutOfRangeException(nameof(clusterBits), "qcow2 clusters are 512 bytes to 2 MiB");
        }
    }

    /// <summary>How many L1 entries an image of <paramref name="virtualSize"/> bytes needs: one per L2 table, which maps a cluster's worth of 8-byte entries.</summary>
    internal static ulong L1Entries(ulong virtualSize, int clusterBits)
    {
        var coverage = 1UL << ((2 * clusterBits) - 3);
        return (virtualSize / coverage) + (virtualSize % coverage == 0 ? 0UL : 1UL);
    }

    /// <summary><see cref="L1Entries"/> as the header's 32-bit L1 size; an image too large for one is refused.</summary>
    private static uint L1Size(ulong virtualSize, int clusterBits) => checked((uint)L1Entries(virtualSize, clusterBits));

    /// <summary>The clusters an L1 table of <paramref name="l1Size"/> entries takes (at least one).</summary>
    private static long L1Clusters(uint l1Size, long clusterSize) => Math.Max(1, ((l1Size * 8L) + clusterSize - 1) / clusterSize);

    private const long RefcountTableCluster = 1;
    private const long RefcountBlockCluster = 2;
    private const long L1Cluster = 3;

    /// <summary>Writes a new image's metadata into <paramref name="span"/>, all zeroes and <see cref="SizeOf"/> long.</summary>
    private static void Fill(Span<byte> span, ulong virtualSize, int clusterBits, string? backingFile, string? backingFormat)
    {
        var (clusterSize, l1Size, totalClusters) = Layout(virtualSize, clusterBits);
        WriteHeader(span[..(int)clusterSize], virtualSize, clusterBits, l1Size, (ulong)(L1Cluster * clusterSize), (ulong)(RefcountTableCluster * clusterSize), 1, backingFile, backingFormat);

        // Refcount table: one block; the block counts every metadata cluster once.
        BinaryPrimitives.WriteUInt64BigEndian(span[(int)(RefcountTableCluster * clusterSize)..], (ulong)(RefcountBlockCluster * clusterSize));
        var block = span[(int)(RefcountBlockCluster * clusterSize)..];
        for (var cluster = 0; cluster < totalClusters; cluster++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(block[(cluster * 2)..], 1);
        }
    }

    /// <summary>
    /// Writes the header cluster (<paramref name="cluster"/>, zeroes, one cluster long): version 3, 16-bit
    /// refcounts, no features; the backing format and feature name extensions; the backing file's name.
    /// </summary>
    private static void WriteHeader(Span<byte> cluster, ulong virtualSize, int clusterBits, uint l1Size, ulong l1Offset, ulong refcountTableOffset, uint refcountTableClusters, string? backingFile, string? backingFormat)
    {
        BinaryPrimitives.WriteUInt32BigEndian(cluster[0..], Magic);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[4..], 3);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[20..], (uint)clusterBits);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[24..], virtualSize);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[32..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[36..], l1Size);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[40..], l1Offset);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[48..], refcountTableOffset);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[56..], refcountTableClusters);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[60..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[64..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[72..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[80..], 0);
        BinaryPrimitives.WriteUInt64BigEndian(cluster[88..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[96..], 4);
        BinaryPrimitives.WriteUInt32BigEndian(cluster[100..], HeaderLength);

        var offset = HeaderLength;
        if (backingFile is not null && backingFormat is not null)
        {
            offset = WriteExtension(cluster, offset, BackingFormatExtension, Encoding.UTF8.GetBytes(backingFormat));
        }

        offset = WriteExtension(cluster, offset, FeatureNameTableExtension, FeatureNameTable());
        offset = WriteExtension(cluster, offset, 0, []);
        if (backingFile is not null)
        {
            var name = Encoding.UTF8.GetBytes(backingFile);
            if (name.Length > 1023 || offset + name.Length > cluster.Length)
            {
                throw new ArgumentException("the backing file name is too long for a qcow2 header", nameof(backingFile));
            }

            name.CopyTo(cluster[offset..]);
            BinaryPrimitives.WriteUInt64BigEndian(cluster[8..], (ulong)offset);
            BinaryPrimitives.WriteUInt32BigEndian(cluster[16..], (uint)name.Length);
        }
    }

    /// <summary>
    /// Creates an image at <paramref name="path"/> (a new file) holding what <paramref name="source"/> holds,
    /// as <c>qemu-img convert -O qcow2</c> does: a cluster that reads as zeroes is left unallocated, every
    /// other one is written once. The file is laid out in one pass over the source: the header, then each L2
    /// table followed by its data clusters (a table is written when the source has moved past its range),
    /// then the L1 table, the refcount table and the refcount blocks, which count every cluster once. Not
    /// synced: the caller syncs the file before it takes its name. The size is rounded up to whole 512-byte
    /// sectors, as qemu sees every image.
    /// </summary>
    public static void CreateFrom(string path, ulong virtualSize, int clusterBits, DiskContent source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        RequireClusterBits(clusterBits);

        // qemu sees every image in whole 512-byte sectors (a raw file of odd length reads as rounded up).
        virtualSize = checked(virtualSize + 511) & ~511UL;
        var clusterSize = 1L << clusterBits;
        var l2Entries = clusterSize / 8;
        var l1Size = L1Size(virtualSize, clusterBits);
        var l1 = new ulong[l1Size];
        var data = new byte[clusterSize];
        var l2 = new byte[clusterSize];
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var next = 1L; // cluster 0 is the header, written last
        var sourceSize = Math.Min(source.Size, virtualSize);
        for (var i = 0L; i < l1Size; i++)
        {
            Array.Clear(l2);
            var table = 0L;
            for (var j = 0L; j < l2Entries; j++)
            {
                var guest = (ulong)(((i * l2Entries) + j) * clusterSize);
                if (guest >= sourceSize)
                {
                    break;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var length = (int)Math.Min((ulong)clusterSize, sourceSize - guest);
                var chunk = data.AsSpan(0, length);
                if (!source.Read(guest, chunk) || !chunk.ContainsAnyExcept((byte)0))
                {
                    continue;
                }

                if (table == 0)
                {
                    table = next++;
                }

                data.AsSpan(length).Clear();
                var host = next++;
                file.Position = host * clusterSize;
                file.Write(data);
                BinaryPrimitives.WriteUInt64BigEndian(l2.AsSpan((int)j * 8), (ulong)(host * clusterSize) | Copied);
            }

            if (table != 0)
            {
                file.Position = table * clusterSize;
                file.Write(l2);
                l1[i] = (ulong)(table * clusterSize) | Copied;
            }
        }

        // The L1 table, then the refcount table and blocks, sized so that the blocks count themselves too.
        var l1Offset = next * clusterSize;
        var l1Clusters = L1Clusters(l1Size, clusterSize);
        next += l1Clusters;
        var perBlock = clusterSize / 2;
        long tableClusters = 1, blocks = 1;
        while (true)
        {
            var total = next + tableClusters + blocks;
            var neededBlocks = (total + perBlock - 1) / perBlock;
            var neededTable = Math.Max(1, ((neededBlocks * 8) + clusterSize - 1) / clusterSize);
            if (neededBlocks == blocks && neededTable == tableClusters)
            {
                break;
            }

            (blocks, tableClusters) = (Math.Max(blocks, neededBlocks), Math.Max(tableClusters, neededTable));
        }

        var tableOffset = next * clusterSize;
        var firstBlock = next + tableClusters;
        var end = firstBlock + blocks;

        var l1Bytes = new byte[l1Clusters * clusterSize];
        for (var i = 0; i < l1.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(l1Bytes.AsSpan(i * 8), l1[i]);
        }

        file.Position = l1Offset;
        file.Write(l1Bytes);

        var refcountTable = new byte[tableClusters * clusterSize];
        for (var b = 0L; b < blocks; b++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(refcountTable.AsSpan((int)(b * 8)), (ulong)((firstBlock + b) * clusterSize));
        }

        file.Position = tableOffset;
        file.Write(refcountTable);

        var block = new byte[clusterSize];
        for (var b = 0L; b < blocks; b++)
        {
            Array.Clear(block);
            for (var c = b * perBlock; c < Math.Min(end, (b + 1) * perBlock); c++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(block.AsSpan((int)((c - (b * perBlock)) * 2)), 1);
            }

            file.Position = (firstBlock + b) * clusterSize;
            file.Write(block);
        }

        var header = new byte[clusterSize];
        WriteHeader(header, virtualSize, clusterBits, l1Size, (ulong)l1Offset, (ulong)tableOffset, (uint)tableClusters, null, null);
        file.Position = 0;
        file.Write(header);
    }

    /// <summary>qcow2's OFLAG_COPIED: the cluster an L1 or L2 entry points at has a refcount of exactly one.</summary>
    private const ulong Copied = 1UL << 63;

    /// <summary>
    /// Grows the image to <paramref name="newSize"/> bytes, as <c>qemu-img resize</c> does: the header's size,
    /// and when the L1 table no longer fits its clusters, a larger table at the end of the file. See
    /// <see cref="PlanResize"/> for what a crash in the middle leaves and <see cref="RecoverResize"/> for the repair.
    /// </summary>
    public static void Resize(string path, ulong newSize) => ApplyResize(path, PlanResize(path, newSize));

    /// <summary>
    /// What growing the image to <paramref name="newSize"/> takes. Without a move of the L1 table it is one
    /// write of the header's fields (a crash leaves the old or the new size). With one, four steps, each
    /// flushed: the new table is copied after the end of the file, counted, the header switched to it (one
    /// write), the old table's clusters freed. A crash between the steps never corrupts the image (every
    /// cluster the header reaches is counted), but after the second or third step it leaks clusters, which
    /// <see cref="RecoverResize"/> gives back; the runtime journals the plan so that it can.
    /// </summary>
    public static Qcow2Resize PlanResize(string path, ulong newSize)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var first = new byte[Math.Min(file.Length, 1 << 16)];
        file.ReadExactly(first);
        var header = ReadHeader(first);
        if (newSize < header.VirtualSize)
        {
            throw new NotSupportedException("qcow2 images are not shrunk: the guest's data beyond the new end would be lost");
        }

        if (header.RefcountOrder != 4)
        {
            throw new NotSupportedException($"qcow2 images with {1 << header.RefcountOrder}-bit refcounts are not resized");
        }

        long clusterSize = header.ClusterSize;
        var newL1Size = L1Size(newSize, header.ClusterBits);
        var oldL1Clusters = L1Clusters(header.L1Size, clusterSize);
        if (newL1Size * 8L <= oldL1Clusters * clusterSize)
        {
            return new Qcow2Resize(newSize, newL1Size, header.L1Size, header.L1TableOffset, oldL1Clusters, header.L1TableOffset, oldL1Clusters);
        }

        var newClusters = L1Clusters(newL1Size, clusterSize);
        var newOffset = (file.Length + clusterSize - 1) / clusterSize * clusterSize;
        for (var cluster = newOffset / clusterSize; cluster < (newOffset / clusterSize) + newClusters; cluster++)
        {
            // Refused before anything is written, rather than half way.
            if (!HasRefcountBlock(file, header, cluster))
            {
                throw new NotSupportedException("the image would need a new refcount block to grow its L1 table");
            }
        }

        return new Qcow2Resize(newSize, newL1Size, header.L1Size, header.L1TableOffset, oldL1Clusters, (ulong)newOffset, newClusters);
    }

    /// <summary>Carries out <paramref name="plan"/> (for tests of crashes: only its first <paramref name="steps"/> steps).</summary>
    public static void ApplyResize(string path, Qcow2Resize plan, int steps = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(plan);
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var first = new byte[Math.Min(file.Length, 1 << 16)];
        file.ReadExactly(first);
        var header = ReadHeader(first);
        long clusterSize = header.ClusterSize;
        if (plan.MovesL1)
        {
            if (steps-- <= 0)
            {
                return;
            }

            var table = new byte[plan.NewL1Clusters * clusterSize];
            file.Position = (long)plan.OldL1Offset;
            file.ReadExactly(table.AsSpan(0, (int)(plan.OldL1Size * 8)));
            file.Position = (long)plan.NewL1Offset;
            file.Write(table);
            file.Flush(flushToDisk: true);
            if (steps-- <= 0)
            {
                return;
            }

            SetRefcounts(file, header, (long)plan.NewL1Offset / clusterSize, plan.NewL1Clusters, 1);
            file.Flush(flushToDisk: true);
        }

        if (steps-- <= 0)
        {
            return;
        }

        // Size, L1 size and L1 offset in one write: the image has the old or the new table, never half.
        Span<byte> fields = stackalloc byte[24];
        BinaryPrimitives.WriteUInt64BigEndian(fields, plan.NewSize);
        first.AsSpan(32, 4).CopyTo(fields[8..]);
        BinaryPrimitives.WriteUInt32BigEndian(fields[12..], plan.NewL1Size);
        BinaryPrimitives.WriteUInt64BigEndian(fields[16..], plan.NewL1Offset);
        file.Position = 24;
        file.Write(fields);
        file.Flush(flushToDisk: true);
        if (plan.MovesL1 && steps-- > 0)
        {
            SetRefcounts(file, header, (long)plan.OldL1Offset / clusterSize, plan.OldL1Clusters, 0);
            file.Flush(flushToDisk: true);
        }
    }

    /// <summary>
    /// After a crash during <paramref name="plan"/>: counts the L1 table the header points at and frees the
    /// other one, so that no cluster leaks. Does nothing to an image whose header has neither table.
    /// </summary>
    public static void RecoverResize(string path, Qcow2Resize plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (!plan.MovesL1)
        {
            return;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var first = new byte[Math.Min(file.Length, 1 << 16)];
        file.ReadExactly(first);
        var header = ReadHeader(first);
        long clusterSize = header.ClusterSize;
        var (used, free) = header.L1TableOffset == plan.NewL1Offset ? (plan.NewL1Offset, plan.OldL1Offset)
            : header.L1TableOffset == plan.OldL1Offset ? (plan.OldL1Offset, plan.NewL1Offset)
            : (0UL, 0UL);
        if (used == 0)
        {
            return;
        }

        SetRefcounts(file, header, (long)used / clusterSize, used == plan.NewL1Offset ? plan.NewL1Clusters : plan.OldL1Clusters, 1);
        if ((long)free < file.Length)
        {
            SetRefcounts(file, header, (long)free / clusterSize, free == plan.NewL1Offset ? plan.NewL1Clusters : plan.OldL1Clusters, 0);
        }

        file.Flush(flushToDisk: true);
    }

    private static bool HasRefcountBlock(FileStream file, Qcow2Header header, long cluster)
    {
        long clusterSize = header.ClusterSize;
        var tableIndex = cluster / (clusterSize / 2);
        if (tableIndex >= header.RefcountTableClusters * clusterSize / 8)
        {
            return false;
        }

        Span<byte> entry = stackalloc byte[8];
        file.Position = (long)header.RefcountTableOffset + (tableIndex * 8);
        file.ReadExactly(entry);
        return BinaryPrimitives.ReadUInt64BigEndian(entry) != 0;
    }

    private static void SetRefcounts(FileStream file, Qcow2Header header, long firstCluster, long count, ushort value)
    {
        long clusterSize = header.ClusterSize;
        var perBlock = clusterSize / 2;
        Span<byte> entry = stackalloc byte[8];
        Span<byte> refcount = stackalloc byte[2];
        for (var cluster = firstCluster; cluster < firstCluster + count; cluster++)
        {
            var tableIndex = cluster / perBlock;
            if (tableIndex >= header.RefcountTableClusters * clusterSize / 8)
            {
                throw new NotSupportedException("the image would need a larger refcount table");
            }

            file.Position = (long)header.RefcountTableOffset + (tableIndex * 8);
            file.ReadExactly(entry);
            var block = (long)BinaryPrimitives.ReadUInt64BigEndian(entry);
            if (block == 0)
            {
                throw new NotSupportedException("the image would need a new refcount block");
            }

            BinaryPrimitives.WriteUInt16BigEndian(refcount, value);
            file.Position = block + ((cluster % perBlock) * 2);
            file.Write(refcount);
        }
    }

    /// <summary>
    /// Whether a qcow2 image holds no data: no backing file and an L1 table of zeros (no cluster was ever
    /// allocated: what vol-create makes). False for anything unreadable or inconsistent.
    /// </summary>
    public static bool IsBlank(string path)
    {
        try
        {
            var header = ReadHeader(path);
            if (header.BackingFile is not null)
            {
                return false;
            }

            using var stream = File.OpenRead(path);
            var length = (long)header.L1Size * 8;
            if (length > 64L << 20 || header.L1TableOffset > (ulong)stream.Length || (long)header.L1TableOffset + length > stream.Length)
            {
                return false;
            }

            var table = new byte[length];
            stream.Position = (long)header.L1TableOffset;
            stream.ReadExactly(table);
            return !table.AsSpan().ContainsAnyExcept((byte)0);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Reads the header of a qcow2 image; throws <see cref="InvalidDataException"/> for anything else.</summary>
    public static Qcow2Header ReadHeader(string path)
    {
        using var file = File.OpenHandle(path);
        var length = RandomAccess.GetLength(file);

        // The fixed header, its extensions and a backing file name almost always lie in the first 4 KiB:
        // those are read first (a pool refresh reads every volume's header), the first 64 KiB only when the
        // header reaches beyond them.
        Span<byte> head = stackalloc byte[4096];
        head = head[..ReadPrefix(file, head[..(int)Math.Min(length, head.Length)])];
        if (head.Length == length || head.Length < 4 || BinaryPrimitives.ReadUInt32BigEndian(head) != Magic)
        {
            return ReadHeader(head);
        }

        try
        {
            var header = Parse(head, out var complete);
            if (complete)
            {
                return header;
            }
        }
        catch (InvalidDataException)
        {
            // Maybe only cut short by the 4 KiB: read further.
        }

        var buffer = new byte[Math.Min(length, 1 << 16)];
        return ReadHeader(buffer.AsSpan(0, ReadPrefix(file, buffer)));
    }

    /// <summary>Reads from the start of <paramref name="file"/> into <paramref name="buffer"/> until it is full or the file ends.</summary>
    private static int ReadPrefix(Microsoft.Win32.SafeHandles.SafeFileHandle file, Span<byte> buffer)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(file, buffer[total..], total);
            if (read == 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    /// <summary>
    /// Reads a qcow2 header from its first bytes. The header may come from anywhere (a raw image whose guest
    /// wrote something that looks like one): every offset and length is checked, and anything inconsistent
    /// is an <see cref="InvalidDataException"/>, never another exception or an endless loop.
    /// </summary>
    public static Qcow2Header ReadHeader(ReadOnlySpan<byte> data) => Parse(data, out _);

    /// <summary>As <see cref="ReadHeader(ReadOnlySpan{byte})"/>; <paramref name="complete"/> says whether the header extensions ended with their end marker inside <paramref name="data"/> (else more data may hold more of them).</summary>
    private static Qcow2Header Parse(ReadOnlySpan<byte> data, out bool complete)
    {
        complete = false;
        if (data.Length < 72 || BinaryPrimitives.ReadUInt32BigEndian(data) != Magic)
        {
            throw new InvalidDataException("not a qcow2 image");
        }

        var version = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        var clusterBits = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        var backingOffset = BinaryPrimitives.ReadUInt64BigEndian(data[8..]);
        var backingSize = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        var refcountOrder = version >= 3 && data.Length >= 104 ? BinaryPrimitives.ReadUInt32BigEndian(data[96..]) : 4;
        var headerLength = version >= 3 && data.Length >= 104 ? BinaryPrimitives.ReadUInt32BigEndian(data[100..]) : 72;
        if (version is not (2 or 3) || clusterBits is < 9 or > 21 || refcountOrder > 6 || headerLength < 72 || headerLength > (ulong)data.Length)
        {
            throw new InvalidDataException("not a valid qcow2 header");
        }

        string? backing = null;
        if (backingOffset > 0)
        {
            // qemu's limit for a backing file name is 1023 bytes.
            if (backingSize > 1023 || backingOffset > (ulong)data.Length || backingOffset + backingSize > (ulong)data.Length)
            {
                throw new InvalidDataException("the qcow2 header's backing file name lies outside its first cluster");
            }

            backing = Encoding.UTF8.GetString(data.Slice((int)backingOffset, (int)backingSize));
        }

        string? backingFormat = null;
        var offset = (long)headerLength;
        while (offset + 8 <= data.Length)
        {
            var type = BinaryPrimitives.ReadUInt32BigEndian(data[(int)offset..]);
            var length = (long)BinaryPrimitives.ReadUInt32BigEndian(data[((int)offset + 4)..]);
            if (type == 0 || offset + 8 + length > data.Length)
            {
                complete = type == 0;
                break;
            }

            if (type == BackingFormatExtension)
            {
                backingFormat = Encoding.UTF8.GetString(data.Slice((int)offset + 8, (int)length));
            }

            offset += 8 + ((length + 7) & ~7L);
        }

        return new Qcow2Header(
            version,
            BinaryPrimitives.ReadUInt64BigEndian(data[24..]),
            (int)clusterBits,
            BinaryPrimitives.ReadUInt32BigEndian(data[36..]),
            BinaryPrimitives.ReadUInt64BigEndian(data[40..]),
            BinaryPrimitives.ReadUInt64BigEndian(data[48..]),
            BinaryPrimitives.ReadUInt32BigEndian(data[56..]),
            (int)refcountOrder,
            backing,
            backingFormat,
            BinaryPrimitives.ReadUInt32BigEndian(data[32..]),
            version >= 3 && data.Length >= 80 ? BinaryPrimitives.ReadUInt64BigEndian(data[72..]) : 0);
    }

    private static int WriteExtension(Span<byte> image, int offset, uint type, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt32BigEndian(image[offset..], type);
        BinaryPrimitives.WriteUInt32BigEndian(image[(offset + 4)..], (uint)data.Length);
        data.CopyTo(image[(offset + 8)..]);
        return offset + 8 + ((data.Length + 7) & ~7);
    }

    /// <summary>The feature names qemu writes, so that tools can name a feature bit they do not know.</summary>
    private static byte[] FeatureNameTable()
    {
        (byte Type, byte Bit, string Name)[] features =
        [
            (0, 0, "dirty bit"),
            (0, 1, "corrupt bit"),
            (0, 2, "external data file"),
            (0, 3, "compression type"),
            (0, 4, "extended L2 entries"),
            (1, 0, "lazy refcounts"),
            (2, 0, "bitmaps"),
            (2, 1, "raw external data"),
        ];
        var table = new byte[features.Length * 48];
        for (var i = 0; i < features.Length; i++)
        {
            table[i * 48] = features[i].Type;
            table[(i * 48) + 1] = features[i].Bit;
            Encoding.ASCII.GetBytes(features[i].Name).CopyTo(table, (i * 48) + 2);
        }

        return table;
    }
}
