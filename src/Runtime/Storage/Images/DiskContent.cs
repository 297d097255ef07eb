using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;

namespace Reconciler.Runtime.Storage.Images;

/// <summary>
/// What a guest sees on a disk image: its bytes by guest offset, whatever the format stores (a raw file's
/// own bytes; a qcow2 image's clusters, its zero clusters, compressed clusters and its backing chain).
/// What <c>qemu-img convert</c> reads; the clone of a volume into another format is made from it.
/// </summary>
public abstract class DiskContent : IDisposable
{
    /// <summary>How deep a backing chain is followed (qemu's own limit is far larger; libvirt's start check uses 16 too).</summary>
    public const int MaxChain = 16;

    /// <summary>The guest-visible size in bytes.</summary>
    public abstract ulong Size { get; }

    /// <summary>
    /// Fills <paramref name="buffer"/> with the guest's bytes from <paramref name="offset"/> (zeroes past the
    /// end). Returns false when the whole range is known to read as zeroes without having read anything
    /// (a qcow2 range no cluster was ever written to): the buffer is then zeroed.
    /// </summary>
    public abstract bool Read(ulong offset, Span<byte> buffer);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected abstract void Dispose(bool disposing);

    /// <summary>
    /// Opens an image of <paramref name="format"/> (raw or qcow2). A qcow2 image's backing files are opened
    /// with it (a relative name beside the image that names it; the format from the header, else probed);
    /// the caller checks beforehand that the chain may be opened at all.
    /// </summary>
    public static DiskContent Open(string path, string format) => Open(path, format, 0);

    private static DiskContent Open(string path, string format, int depth) => format switch
    {
        "raw" => new RawContent(path),
        "qcow2" => Qcow2Content.Open(path, depth),
        _ => throw new NotSupportedException($"the content of a {format} image is not read (raw and qcow2 are)"),
    };

    /// <summary>
    /// The format of an image by its first bytes: qcow2 only when they read as a whole qcow2 header — a raw
    /// image whose guest wrote the magic number (and anything else it likes) stays raw.
    /// </summary>
    public static string Probe(string path)
    {
        try
        {
            _ = Qcow2Image.ReadHeader(path);
            return "qcow2";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return "raw";
        }
    }

    private sealed class RawContent : DiskContent
    {
        private readonly SafeFileHandle _file;
        private readonly ulong _size;
        private ulong _holeFrom = ulong.MaxValue;
        private ulong _holeTo;

        public RawContent(string path)
        {
            _file = File.OpenHandle(path);
            _size = (ulong)RandomAccess.GetLength(_file);
        }

        public override ulong Size => _size;

        public override bool Read(ulong offset, Span<byte> buffer)
        {
            buffer.Clear();
            if (offset >= _size)
            {
                return false;
            }

            // A hole (a sparse image's unwritten range) is known to read as zeroes without reading it.
            if (offset < _holeFrom || offset >= _holeTo)
            {
                var data = FileBlocks.NextData(_file, (long)offset);
                (_holeFrom, _holeTo) = (offset, data is null ? ulong.MaxValue : (ulong)data.Value);
            }

            if (offset + (ulong)buffer.Length <= _holeTo)
            {
                return false;
            }

            var total = 0;
            while (total < buffer.Length && offset + (ulong)total < _size)
            {
                var read = RandomAccess.Read(_file, buffer[total..], (long)offset + total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return true;
        }

        protected override void Dispose(bool disposing) => _file.Dispose();
    }

    /// <summary>
    /// A qcow2 image read as qemu reads it (version 2 or 3, 64-bit L1/L2 entries): an unallocated cluster
    /// comes from the backing file (zeroes past its end or without one), a zero cluster reads as zeroes, a
    /// compressed cluster is inflated. Every table offset is checked against the file: a damaged image is an
    /// <see cref="InvalidDataException"/>, never a read of something else.
    /// </summary>
    private sealed class Qcow2Content : DiskContent
    {
        private const ulong OffsetMask = 0x00FF_FFFF_FFFF_FE00;
        private const ulong CompressedFlag = 1UL << 62;
        private const ulong ZeroFlag = 1;

        private readonly string _path;
        private readonly SafeFileHandle _file;
        private readonly long _fileLength;
        private readonly Qcow2Header _header;
        private readonly ulong[] _l1;
        private readonly DiskContent? _backing;
        private readonly int _clusterBits;
        private readonly int _l2Bits;
        private readonly byte[] _l2;
        private long _l2Offset = -1;
        private readonly byte[] _inflated;
        private ulong _inflatedDescriptor;

        private Qcow2Content(string path, SafeFileHandle file, Qcow2Header header, ulong[] l1, DiskContent? backing)
        {
            _path = path;
            _file = file;
            _fileLength = RandomAccess.GetLength(file);
            _header = header;
            _l1 = l1;
            _backing = backing;
            _clusterBits = header.ClusterBits;
            _l2Bits = header.ClusterBits - 3;
            _l2 = new byte[header.ClusterSize];
            _inflated = new byte[header.ClusterSize];
        }

        public override ulong Size => _header.VirtualSize;

        public static Qcow2Content Open(string path, int depth)
        {
            var header = Qcow2Image.ReadHeader(path);
            var file = File.OpenHandle(path);
            DiskContent? backing = null;
            try
            {
                if (header.CryptMethod != 0)
                {
                    throw new NotSupportedException($"'{path}' is an encrypted qcow2 image; its content is not read");
                }

                // Incompatible features other than the dirty bit (external data file, compression type,
                // extended L2 entries, corrupt) change how the image must be read: refused, as qemu refuses what it does not know.
                if ((header.IncompatibleFeatures & ~1UL) != 0)
                {
                    throw new NotSupportedException($"'{path}' uses qcow2 features that are not read (incompatible feature bits 0x{header.IncompatibleFeatures:x})");
                }

                var length = RandomAccess.GetLength(file);
                var l1Bytes = (long)header.L1Size * 8;
                if (header.L1TableOffset % (ulong)header.ClusterSize != 0 || l1Bytes > 256L << 20 || (long)header.L1TableOffset + l1Bytes > length)
                {
                    throw new InvalidDataException($"'{path}' is a damaged qcow2 image: its L1 table lies outside the file");
                }

                if (header.L1Size < Qcow2Image.L1Entries(header.VirtualSize, header.ClusterBits))
                {
                    throw new InvalidDataException($"'{path}' is a damaged qcow2 image: its L1 table is too small for its size");
                }

                var raw = new byte[l1Bytes];
                ReadExactly(file, raw, (long)header.L1TableOffset, path);
                var l1 = new ulong[header.L1Size];
                for (var i = 0; i < l1.Length; i++)
                {
                    l1[i] = BinaryPrimitives.ReadUInt64BigEndian(raw.AsSpan(i * 8)) & OffsetMask;
                }

                if (header.BackingFile is { Length: > 0 } name)
                {
                    if (depth >= MaxChain)
                    {
                        throw new InvalidDataException($"the backing chain of '{path}' is more than {MaxChain} images deep");
                    }

                    var backingPath = Path.IsPathRooted(name) ? name : Path.Combine(Path.GetDirectoryName(path)!, name);
                    backing = DiskContent.Open(backingPath, header.BackingFormat ?? Probe(backingPath), depth + 1);
                }

                return new Qcow2Content(path, file, header, l1, backing);
            }
            catch
            {
                backing?.Dispose();
                file.Dispose();
                throw;
            }
        }

        public override bool Read(ulong offset, Span<byte> buffer)
        {
            var anything = false;
            var clusterSize = 1UL << _clusterBits;
            while (buffer.Length > 0)
            {
                var within = (int)(offset & (clusterSize - 1));
                var count = (int)Math.Min((ulong)buffer.Length, clusterSize - (ulong)within);
                var part = buffer[..count];
                anything |= ReadInCluster(offset, within, part);
                buffer = buffer[count..];
                offset += (ulong)count;
            }

            return anything;
        }

        /// <summary>Reads within one guest cluster; false when it read nothing (the range is zeroes).</summary>
        private bool ReadInCluster(ulong offset, int within, Span<byte> part)
        {
            part.Clear();
            if (offset >= _header.VirtualSize)
            {
                return false;
            }

            var entry = Entry(offset >> _clusterBits);
            if ((entry & CompressedFlag) != 0)
            {
                Inflate(entry).AsSpan(within, part.Length).CopyTo(part);
                return true;
            }

            var host = entry & OffsetMask;
            if ((entry & ZeroFlag) != 0 && _header.Version >= 3)
            {
                return false;
            }

            if (host == 0)
            {
                return _backing is not null && offset < _backing.Size && _backing.Read(offset, part);
            }

            if (host % (1UL << _clusterBits) != 0 || (long)host >= _fileLength)
            {
                throw new InvalidDataException($"'{_path}' is a damaged qcow2 image: a data cluster lies outside the file");
            }

            // The last cluster of the file may be cut short: what is missing reads as zeroes, as in qemu.
            var available = (int)Math.Clamp(_fileLength - (long)host - within, 0, part.Length);
            if (available > 0)
            {
                ReadExactly(_file, part[..available], (long)host + within, _path);
            }

            return true;
        }

        /// <summary>The L2 entry of guest cluster <paramref name="cluster"/> (0 when its L2 table is unallocated).</summary>
        private ulong Entry(ulong cluster)
        {
            var l1Index = cluster >> _l2Bits;
            if (l1Index >= (ulong)_l1.Length)
            {
                return 0;
            }

            var table = (long)_l1[l1Index];
            if (table == 0)
            {
                return 0;
            }

            if (table != _l2Offset)
            {
                if (table % _l2.Length != 0 || table + _l2.Length > _fileLength)
                {
                    throw new InvalidDataException($"'{_path}' is a damaged qcow2 image: an L2 table lies outside the file");
                }

                ReadExactly(_file, _l2, table, _path);
                _l2Offset = table;
            }

            var index = (int)(cluster & ((1UL << _l2Bits) - 1));
            return BinaryPrimitives.ReadUInt64BigEndian(_l2.AsSpan(index * 8));
        }

        /// <summary>
        /// A compressed cluster (qcow2's descriptor: the host offset in the low 62 - (cluster bits - 8) bits,
        /// then the number of further 512-byte sectors it spans), inflated from raw deflate; the last one is kept.
        /// </summary>
        private byte[] Inflate(ulong entry)
        {
            if (entry == _inflatedDescriptor)
            {
                return _inflated;
            }

            var offsetBits = 62 - (_clusterBits - 8);
            var host = (long)(entry & ((1UL << offsetBits) - 1));
            var sectors = (long)((entry & ~CompressedFlag & ~(1UL << 63)) >> offsetBits) + 1;
            var length = (int)Math.Min((sectors * 512) - (host & 511), _fileLength - host);
            if (host <= 0 || length <= 0 || host >= _fileLength)
            {
                throw new InvalidDataException($"'{_path}' is a damaged qcow2 image: a compressed cluster lies outside the file");
            }

            var compressed = new byte[length];
            ReadExactly(_file, compressed, host, _path);
            try
            {
                using var inflater = new DeflateStream(new MemoryStream(compressed), CompressionMode.Decompress);
                Array.Clear(_inflated);
                var total = 0;
                int read;
                while (total < _inflated.Length && (read = inflater.Read(_inflated, total, _inflated.Length - total)) > 0)
                {
                    total += read;
                }

                if (total != _inflated.Length)
                {
                    throw new InvalidDataException($"'{_path}' is a damaged qcow2 image: a compressed cluster inflates to {total} bytes, not {_inflated.Length}");
                }
            }
            catch (InvalidDataException)
            {
                _inflatedDescriptor = 0;
                throw;
            }

            _inflatedDescriptor = entry;
            return _inflated;
        }

        protected override void Dispose(bool disposing)
        {
            _backing?.Dispose();
            _file.Dispose();
        }
    }

    private static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset, string path)
    {
        var total = 0;
        while (total < buffer.Length)
        {
            var read = RandomAccess.Read(file, buffer[total..], offset + total);
            if (read == 0)
            {
                throw new InvalidDataException($"'{path}' ends before the data its qcow2 tables point at");
            }

            total += read;
        }
    }
}
