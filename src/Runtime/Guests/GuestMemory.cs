using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Reconciler.Runtime.Guests;

/// <summary>
/// A guest's RAM as 4 KiB pages, sparse: a page that was never written (or was written with zeros) costs
/// nothing, so a host can hold thousands of idle guests. Pages are grouped in chunks that are allocated
/// on first touch. Dirty logging records which pages changed, for live migration.
/// Thread-safe: the workload writes while save or migration read.
/// </summary>
public sealed class GuestMemory
{
    public const int PageSize = 4096;
    private const int ChunkShift = 9;
    private const int ChunkPages = 1 << ChunkShift;

    private readonly Lock _sync = new();
    private byte[]?[]?[] _chunks;
    private ulong[]? _dirty;
    private long _touched;

    public GuestMemory(long pageCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pageCount);
        PageCount = pageCount;
        _chunks = [];
    }

    /// <summary>The size of the memory in pages.</summary>
    public long PageCount { get; }

    public ulong SizeKiB => (ulong)PageCount * 4;

    /// <summary>Pages that hold data (not zero).</summary>
    public long TouchedPages => Interlocked.Read(ref _touched);

    public static GuestMemory FromKiB(ulong kib) => new((long)(kib / 4));

    /// <summary>Writes one page; an all-zero page frees its storage.</summary>
    public void WritePage(long page, ReadOnlySpan<byte> content)
    {
        CheckPage(page);
        if (content.Length != PageSize)
        {
            throw new ArgumentException($"a page is {PageSize} bytes", nameof(content));
        }

        var zero = !content.ContainsAnyExcept((byte)0);
        lock (_sync)
        {
            var chunk = Chunk(page, create: !zero);
            var slot = (int)(page & (ChunkPages - 1));
            if (zero)
            {
                if (chunk?[slot] is not null)
                {
                    chunk[slot] = null;
                    _touched--;
                }
            }
            else
            {
                var target = chunk![slot];
                if (target is null)
                {
                    target = new byte[PageSize];
                    chunk[slot] = target;
                    _touched++;
                }

                content.CopyTo(target);
            }

            MarkDirty(page);
        }
    }

    /// <summary>Copies a page into <paramref name="destination"/>; returns false (and zeros) for a zero page.</summary>
    public bool ReadPage(long page, Span<byte> destination)
    {
        CheckPage(page);
        lock (_sync)
        {
            var content = Chunk(page, create: false)?[(int)(page & (ChunkPages - 1))];
            if (content is null)
            {
                destination[..PageSize].Clear();
                return false;
            }

            content.CopyTo(destination);
            return true;
        }
    }

    /// <summary>The indexes of the non-zero pages, in order.</summary>
    public List<long> TouchedPageIndexes()
    {
        var result = new List<long>();
        lock (_sync)
        {
            for (var c = 0; c < _chunks.Length; c++)
            {
                var chunk = _chunks[c];
                if (chunk is null)
                {
                    continue;
                }

                for (var s = 0; s < chunk.Length; s++)
                {
                    if (chunk[s] is not null)
                    {
                        result.Add(((long)c << ChunkShift) + s);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>Starts recording written pages (KVM's dirty log); clears what was recorded before.</summary>
    public void StartDirtyLogging()
    {
        lock (_sync)
        {
            _dirty = new ulong[(PageCount + 63) / 64];
        }
    }

    public void StopDirtyLogging()
    {
        lock (_sync)
        {
            _dirty = null;
        }
    }

    /// <summary>The pages written since the last call (or since logging started), and clears the log.</summary>
    public List<long> TakeDirtyPages()
    {
        var result = new List<long>();
        lock (_sync)
        {
            if (_dirty is null)
            {
                return result;
            }

            for (var w = 0; w < _dirty.Length; w++)
            {
                var bits = _dirty[w];
                while (bits != 0)
                {
                    var bit = System.Numerics.BitOperations.TrailingZeroCount(bits);
                    result.Add(((long)w * 64) + bit);
                    bits &= bits - 1;
                }

                _dirty[w] = 0;
            }
        }

        return result;
    }

    /// <summary>
    /// SHA-256 over the memory's content: every non-zero page, as its index and bytes, in page order. Two
    /// memories with the same content have the same digest, however they were built.
    /// </summary>
    public string Digest()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> index = stackalloc byte[8];
        var page = new byte[PageSize];
        BinaryPrimitives.WriteInt64LittleEndian(index, PageCount);
        hash.AppendData(index);
        foreach (var p in TouchedPageIndexes())
        {
            if (!ReadPage(p, page))
            {
                continue;
            }

            BinaryPrimitives.WriteInt64LittleEndian(index, p);
            hash.AppendData(index);
            hash.AppendData(page);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private byte[]?[]? Chunk(long page, bool create)
    {
        var index = (int)(page >> ChunkShift);
        if (index >= _chunks.Length)
        {
            if (!create)
            {
                return null;
            }

            var total = (int)((PageCount + ChunkPages - 1) >> ChunkShift);
            Array.Resize(ref _chunks, total);
        }

        var chunk = _chunks[index];
        if (chunk is null && create)
        {
            chunk = new byte[]?[ChunkPages];
            _chunks[index] = chunk;
        }

        return chunk;
    }

    private void MarkDirty(long page)
    {
        if (_dirty is not null)
        {
            _dirty[page >> 6] |= 1UL << (int)(page & 63);
        }
    }

    private void CheckPage(long page)
    {
        if ((ulong)page >= (ulong)PageCount)
        {
            throw new ArgumentOutOfRangeException(nameof(page), page, $"the memory has {PageCount} pages");
        }
    }
}
