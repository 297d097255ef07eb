using Reconciler.Runtime.Guests;
using Reconciler.Runtime.Persistence;

namespace Reconciler.Runtime.Tests.Guests;

public sealed class GuestMemoryTests
{
    [Fact]
    public void Untouched_pages_cost_nothing_and_zero_pages_do_not_count()
    {
        var memory = GuestMemory.FromKiB(64UL * 1024 * 1024 * 1024 / 1024);
        Assert.Equal(64L * 1024 * 1024 * 1024 / 4096, memory.PageCount);
        Assert.Equal(0, memory.TouchedPages);
        var empty = memory.Digest();

        var page = new byte[GuestMemory.PageSize];
        memory.WritePage(12345, page);
        Assert.Equal(empty, memory.Digest());

        page[100] = 7;
        memory.WritePage(12345, page);
        Assert.NotEqual(empty, memory.Digest());
        Assert.Equal(1, memory.TouchedPages);
        var read = new byte[GuestMemory.PageSize];
        Assert.True(memory.ReadPage(12345, read));
        Assert.Equal(page, read);
        Assert.False(memory.ReadPage(1, read));
    }

    [Fact]
    public void Pages_zeroed_and_written_again_in_any_order_each_keep_their_own_content()
    {
        // Storage freed by a zero page is reused by the next page written: no page may see another's bytes.
        var memory = GuestMemory.FromKiB(64 * 1024);
        var expected = new Dictionary<long, byte>();
        var random = new Random(7);
        var page = new byte[GuestMemory.PageSize];
        for (var step = 0; step < 20_000; step++)
        {
            var index = random.NextInt64(memory.PageCount);
            var value = (byte)random.Next(0, 4);
            Array.Fill(page, value);
            if (step % 2 == 0)
            {
                memory.WritePage(index, page);
            }
            else
            {
                // As a migration target writes: the page's hash kept at once.
                memory.WritePageHashed(index, page);
            }

            if (step % 1000 == 0)
            {
                // A digest (and a migration source's reads) keeps hashes of what is there; a later write must not meet a stale one.
                memory.Digest();
                memory.ReadPageHashed(random.NextInt64(memory.PageCount), new byte[GuestMemory.PageSize]);
            }
            if (value == 0)
            {
                expected.Remove(index);
            }
            else
            {
                expected[index] = value;
            }
        }

        Assert.Equal(expected.Count, memory.TouchedPages);
        Assert.Equal(expected.Keys.Order(), memory.TouchedPageIndexes());
        var read = new byte[GuestMemory.PageSize];
        foreach (var (index, value) in expected)
        {
            Assert.True(memory.ReadPage(index, read));
            Assert.All(read, b => Assert.Equal(value, b));
        }

        // The same content built in another order (with no hash kept on the way) has the same digest.
        var copy = GuestMemory.FromKiB(64 * 1024);
        foreach (var (index, value) in expected.OrderByDescending(e => e.Key))
        {
            Array.Fill(page, value);
            copy.WritePage(index, page);
        }

        Assert.Equal(memory.Digest(), copy.Digest());
    }

    [Fact]
    public void The_digest_depends_on_where_content_is_not_only_on_what_it_is()
    {
        var a = GuestMemory.FromKiB(1024);
        var b = GuestMemory.FromKiB(1024);
        var page = new byte[GuestMemory.PageSize];
        page[0] = 1;
        a.WritePage(3, page);
        b.WritePage(4, page);
        Assert.NotEqual(a.Digest(), b.Digest());
    }

    [Fact]
    public void Dirty_logging_returns_each_page_written_since_the_last_take()
    {
        var memory = GuestMemory.FromKiB(4096);
        var page = new byte[GuestMemory.PageSize];
        page[1] = 1;
        memory.WritePage(1, page);
        memory.StartDirtyLogging();
        memory.WritePage(5, page);
        memory.WritePage(9, page);
        memory.WritePage(5, page);
        Assert.Equal([5L, 9L], memory.TakeDirtyPages().Order());
        Assert.Empty(memory.TakeDirtyPages());
        memory.StopDirtyLogging();
    }

    [Fact]
    public void A_save_image_round_trips_and_any_damage_is_detected()
    {
        var memory = GuestMemory.FromKiB(8192);
        var page = new byte[GuestMemory.PageSize];
        for (var i = 0; i < 50; i++)
        {
            page[i] = (byte)(i + 1);
            memory.WritePage(i * 7, page);
        }

        using var stream = new MemoryStream();
        SaveImage.Write(stream, "<domain/>", memory, running: false);
        var bytes = stream.ToArray();
        var back = SaveImage.Read(new MemoryStream(bytes));
        Assert.Equal(("<domain/>", false, memory.Digest()), (back.DomainXml, back.Running, back.Memory.Digest()));

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 1;
        Assert.Throws<InvalidDataException>(() => SaveImage.Read(new MemoryStream(flipped)));
        Assert.Throws<InvalidDataException>(() => SaveImage.Read(new MemoryStream(bytes[..(bytes.Length - 10)])));
        Assert.Throws<InvalidDataException>(() => SaveImage.Read(new MemoryStream("not an image"u8.ToArray())));
    }

    [Fact]
    public void Atomic_writes_leave_either_the_old_or_the_new_content()
    {
        var dir = Directory.CreateTempSubdirectory("rc-state-");
        try
        {
            var path = Path.Combine(dir.FullName, "f.xml");
            StateDirectory.WriteAtomic(path, "old");
            Assert.Throws<InvalidOperationException>(() => StateDirectory.WriteAtomic(path, _ => throw new InvalidOperationException("disk full")));
            Assert.Equal("old", File.ReadAllText(path));
            Assert.Single(Directory.GetFiles(dir.FullName));
            StateDirectory.WriteAtomic(path, "new");
            Assert.Equal("new", File.ReadAllText(path));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
