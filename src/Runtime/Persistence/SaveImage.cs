using System.Buffers.Binary;
using System.Text;
using Reconciler.Runtime.Guests;

namespace Reconciler.Runtime.Persistence;

/// <summary>
/// A saved domain: its definition, whether its vCPUs were running, and its memory. Layout: magic "RCSAVE01",
/// one byte (1 when the guest was running, 0 when paused), the definition as UTF-8 (length prefixed), the
/// memory size in pages, then each non-zero page as (index, 4096 bytes), ended by index -1
/// and the memory digest, which is checked on restore so that a damaged image is never restored.
/// </summary>
public static class SaveImage
{
    private static readonly byte[] Magic = "RCSAVE01"u8.ToArray();

    public sealed record Contents(string DomainXml, GuestMemory Memory, bool Running);

    public static void Write(Stream stream, string domainXml, GuestMemory memory, bool running)
    {
        Span<byte> number = stackalloc byte[8];
        stream.Write(Magic);
        stream.WriteByte(running ? (byte)1 : (byte)0);
        var xml = Encoding.UTF8.GetBytes(domainXml);
        BinaryPrimitives.WriteInt64LittleEndian(number, xml.Length);
        stream.Write(number);
        stream.Write(xml);
        BinaryPrimitives.WriteInt64LittleEndian(number, memory.PageCount);
        stream.Write(number);
        var page = new byte[GuestMemory.PageSize];
        foreach (var index in memory.TouchedPageIndexes())
        {
            if (!memory.ReadPage(index, page))
            {
                continue;
            }

            BinaryPrimitives.WriteInt64LittleEndian(number, index);
            stream.Write(number);
            stream.Write(page);
        }

        BinaryPrimitives.WriteInt64LittleEndian(number, -1);
        stream.Write(number);
        stream.Write(Encoding.ASCII.GetBytes(memory.Digest()));
    }

    /// <summary>Reads an image; throws <see cref="InvalidDataException"/> when it is damaged or truncated.</summary>
    public static Contents Read(Stream stream)
    {
        Span<byte> header = stackalloc byte[8];
        ReadExactly(stream, header);
        if (!header.SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a saved domain image (bad magic)");
        }

        var running = stream.ReadByte() switch
        {
            0 => false,
            1 => true,
            _ => throw new InvalidDataException("damaged saved image: bad state flag"),
        };

        var xmlLength = ReadInt64(stream);
        if (xmlLength is < 0 or > 64 * 1024 * 1024)
        {
            throw new InvalidDataException("damaged saved image: bad definition length");
        }

        var xml = new byte[xmlLength];
        ReadExactly(stream, xml);
        var pages = ReadInt64(stream);
        if (pages < 0)
        {
            throw new InvalidDataException("damaged saved image: bad memory size");
        }

        var memory = new GuestMemory(pages);
        var page = new byte[GuestMemory.PageSize];
        while (true)
        {
            var index = ReadInt64(stream);
            if (index == -1)
            {
                break;
            }

            if (index < 0 || index >= pages)
            {
                throw new InvalidDataException($"damaged saved image: page {index} outside the memory");
            }

            ReadExactly(stream, page);
            memory.WritePage(index, page);
        }

        var digest = new byte[64];
        ReadExactly(stream, digest);
        if (Encoding.ASCII.GetString(digest) != memory.Digest())
        {
            throw new InvalidDataException("damaged saved image: the memory does not match its digest");
        }

        return new Contents(Encoding.UTF8.GetString(xml), memory, running);
    }

    private static long ReadInt64(Stream stream)
    {
        Span<byte> b = stackalloc byte[8];
        ReadExactly(stream, b);
        return BinaryPrimitives.ReadInt64LittleEndian(b);
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer)
    {
        try
        {
            stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("damaged saved image: truncated");
        }
    }
}
