using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Reconciler.Runtime.Guests;

/// <summary>
/// A guest's RAM as 4 KiB pages, sparse: a page that was never written (or was written with zeros) costs
/// nothing, so a host can hold thousands of idle guests. A page that holds data gets a slot in a slab
/// (slabs double from one page to 16 MiB, so a small guest stays small and a big one is a few hundred large
/// arrays, not a million small ones for the GC to track); a page written with zeros gives its slot back.
/// Which slot a page has is kept per chunk of 128 pages, allocated on first touch (the table of chunks
/// grows up to the highest one touched); the hash of a slot's content, once computed, beside the slab.
/// Dirty logging records which pages changed, for live migration. Thread-safe: the workload writes while
/// save or migration read.
/// </summary>
public sealed class GuestMemory
{
    public const int PageSize = 4096;
    private const int ChunkShift = 7;
    private const int ChunkPages = 1 << ChunkShift;

    private const int SlabShift = 12;
    private const int MaxSlabPages = 1 << SlabShift;

    private readonly Lock _sync = new();

    // Per chunk of pages, each page's slot + 1 (0: a zero page, no storage).
    private int[]?[] _chunks;
    private readonly List<byte[]> _slabs = [];

    // Per slab, the XxHash3 of each slot's content once known (0 = not computed since the last write).
    private readonly List<ulong[]> _slotHashes = [];
    private readonly Stack<int> _freeSlots = new();
    private int _slabUsed;

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

    private void WritePage(long page, ReadOnlySpan<byte> content, bool hash)
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
            var index = (int)(page & (ChunkPages - 1));
            if (zero)
            {
                if (chunk is not null && chunk[index] != 0)
                {
                    _freeSlots.Push(chunk[index] - 1);
                    chunk[index] = 0;
                    _touched--;
                }
            }
            else
            {
                if (chunk![index] == 0)
                {
                    chunk[index] = NewSlot() + 1;
                    _touched++;
                }

                content.CopyTo(Slot(chunk[index] - 1));
                SlotHash(chunk[index] - 1) = hash ? PageHash(content) : 0;
            }

            MarkDirty(page);
        }
    }

    /// <summary>Writes one page and records its hash at once (a migration target, so that its digest is ready at switch-over).</summary>
    public void WritePageHashed(long page, ReadOnlySpan<byte> content) => WritePage(page, content, hash: true);

    /// <summary>Writes one page; an all-zero page frees its storage.</summary>
    public void WritePage(long page, ReadOnlySpan<byte> content) => WritePage(page, content, hash: false);

    /// <summary>Copies a page into <paramref name="destination"/>; returns false (and zeros) for a zero page.</summary>
    public bool ReadPage(long page, Span<byte> destination) => ReadPage(page, destination, hash: false);

    /// <summary>Copies a page to send it, recording the hash of what is sent (a migration source); false for a zero page.</summary>
    public bool ReadPageHashed(long page, Span<byte> destination) => ReadPage(page, destination, hash: true);

    private bool ReadPage(long page, Span<byte> destination, bool hash)
    {
        CheckPage(page);
        lock (_sync)
        {
            var slot = Chunk(page, create: false) is { } chunk ? chunk[(int)(page & (ChunkPages - 1))] : 0;
            if (slot == 0)
            {
                destination[..PageSize].Clear();
                return false;
            }

            var content = Slot(slot - 1);
            content.CopyTo(destination);
            if (hash && SlotHash(slot - 1) == 0)
            {
                SlotHash(slot - 1) = PageHash(content);
            }

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
                    if (chunk[s] != 0)
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
    /// The digest of the memory's content: SHA-256 over every non-zero page's index and the XxHash3 of its
    /// bytes, in page order. Two memories with the same content have the same digest, however they were
    /// built. Page hashes are kept until the page is written again, so a digest costs only the pages
    /// written since the last one (a migration keeps them current as it sends and receives).
    /// </summary>
    public string Digest()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> entry = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(entry, PageCount);
        sha.AppendData(entry[..8]);
        lock (_sync)
        {
            for (var c = 0; c < _chunks.Length; c++)
            {
                var chunk = _chunks[c];
                if (chunk is null)
                {
                    continue;
                }

                for (var slot = 0; slot < chunk.Length; slot++)
                {
                    if (chunk[slot] == 0)
                    {
                        continue;
                    }

                    var page = ((long)c << ChunkShift) + slot;
                    ref var hash = ref SlotHash(chunk[slot] - 1);
                    if (hash == 0)
                    {
                        hash = PageHash(Slot(chunk[slot] - 1));
                    }

                    BinaryPrimitives.WriteInt64LittleEndian(entry, page);
                    BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], hash);
                    sha.AppendData(entry);
                }
            }
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <summary>A page's hash, never 0 (0 marks "not computed").</summary>
    private static ulong PageHash(ReadOnlySpan<byte> content) => System.IO.Hashing.XxHash3.HashToUInt64(content) | 1;

    /// <summary>A free page slot: a freed one, else the next of the newest slab, else the first of a new slab twice its size.</summary>
    private int NewSlot()
    {
        if (_freeSlots.TryPop(out var free))
        {
            return free;
        }

        if (_slabs.Count == 0 || _slabUsed == _slabs[^1].Length / PageSize)
        {
            var pages = _slabs.Count == 0 ? 1 : Math.Min(MaxSlabPages, _slabs[^1].Length / PageSize * 2);
            _slabs.Add(GC.AllocateUninitializedArray<byte>(pages * PageSize));
            _slotHashes.Add(new ulong[pages]);
            _slabUsed = 0;
        }

        return ((_slabs.Count - 1) << SlabShift) | _slabUsed++;
    }

    private Span<byte> Slot(int slot) => _slabs[slot >> SlabShift].AsSpan((slot & (MaxSlabPages - 1)) * PageSize, PageSize);

    private ref ulong SlotHash(int slot) => ref _slotHashes[slot >> SlabShift][slot & (MaxSlabPages - 1)];

    private int[]? Chunk(long page, bool create)
    {
        var index = (int)(page >> ChunkShift);
        if (index >= _chunks.Length)
        {
            if (!create)
            {
                return null;
            }

            // Grown to the chunk touched (doubling), not to the whole memory: an idle guest has touched its first pages only.
            var total = (int)((PageCount + ChunkPages - 1) >> ChunkShift);
            Array.Resize(ref _chunks, Math.Min(total, Math.Max(index + 1, _chunks.Length * 2)));
        }

        var chunk = _chunks[index];
        if (chunk is null && create)
        {
            chunk = new int[ChunkPages];
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
