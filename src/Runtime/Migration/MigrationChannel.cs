using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime.Migration;

/// <summary>The kinds of frame on a migration connection.</summary>
internal enum FrameType : byte
{
    /// <summary>Source → target: the domain's definition; the target prepares a paused incoming domain.</summary>
    Prepare = 1,

    /// <summary>A batch of pages: count, then (index, zero flag, 4096 bytes unless zero) each.</summary>
    Pages = 2,

    /// <summary>Source → target: the last pages were sent; resume the guest.</summary>
    Complete = 3,

    /// <summary>Source → target: the migration is abandoned; drop the incoming domain.</summary>
    Abort = 4,

    /// <summary>Target → source: done (payload empty) or failed (payload: the message).</summary>
    Ok = 5,

    Error = 6,

    /// <summary>Peer → host: a question (JSON <c>PeerQuery</c>); answered with <see cref="Answer"/>.</summary>
    Probe = 7,

    /// <summary>Host → peer: the answer to a probe (JSON <c>PeerReport</c>).</summary>
    Answer = 8,

    /// <summary>Source → target: offline migration, the persistent definition to define there.</summary>
    Define = 9,

    /// <summary>Source → target (copy-storage): a disk follows (JSON: path, pool, volume, size).</summary>
    DiskBegin = 10,

    /// <summary>A chunk of that disk: an 8-byte offset, then the data (all-zero chunks are not sent).</summary>
    DiskData = 11,

    /// <summary>The disk is complete: the target puts it in place under its final name.</summary>
    DiskEnd = 12,
}

/// <summary>
/// A migration connection over TCP: framed messages ([type][length][payload]) after a mutual challenge
/// with a pre-shared key (each side proves it knows the key by an HMAC-SHA256 of the other's nonce), so an
/// unauthenticated peer is refused before it can send anything.
/// </summary>
internal sealed class MigrationChannel : IAsyncDisposable
{
    private const int MaxFrame = 64 << 20;
    private readonly NetworkStream _stream;
    private readonly TcpClient _client;
    private readonly byte[] _header = new byte[5];
    private byte[] _receive = [];

    private MigrationChannel(TcpClient client)
    {
        _client = client;
        _stream = client.GetStream();
    }

    public long BytesSent { get; private set; }

    /// <summary>Connects to a target and authenticates both ways.</summary>
    public static async Task<MigrationChannel> ConnectAsync(string host, int port, byte[] key, CancellationToken cancellationToken)
    {
        var client = new TcpClient { NoDelay = true };
        try
        {
            await client.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            client.Dispose();
            throw new RuntimeException(ErrorCode.OperationFailed, $"cannot reach the migration target {host}:{port}: {e.Message}", e);
        }

        var channel = new MigrationChannel(client);
        try
        {
            var serverNonce = await channel.ReadExactAsync(32, cancellationToken).ConfigureAwait(false);
            var clientNonce = RandomNumberGenerator.GetBytes(32);
            await channel.WriteRawAsync([.. Proof(key, serverNonce, "client"), .. clientNonce], cancellationToken).ConfigureAwait(false);
            var serverProof = await channel.ReadExactAsync(32, cancellationToken).ConfigureAwait(false);
            if (!CryptographicOperations.FixedTimeEquals(serverProof, Proof(key, clientNonce, "server")))
            {
                throw new RuntimeException(ErrorCode.OperationFailed, $"the migration target {host}:{port} did not prove it knows the shared key");
            }

            return channel;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw new RuntimeException(ErrorCode.OperationFailed, $"the migration target {host}:{port} refused the connection (wrong key?)", e);
        }
        catch
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Accepts an incoming connection: null when the peer does not prove it knows the key.</summary>
    public static async Task<MigrationChannel?> AcceptAsync(TcpClient client, byte[] key, CancellationToken cancellationToken)
    {
        client.NoDelay = true;
        var channel = new MigrationChannel(client);
        try
        {
            var serverNonce = RandomNumberGenerator.GetBytes(32);
            await channel.WriteRawAsync(serverNonce, cancellationToken).ConfigureAwait(false);
            var answer = await channel.ReadExactAsync(64, cancellationToken).ConfigureAwait(false);
            if (!CryptographicOperations.FixedTimeEquals(answer.AsSpan(0, 32), Proof(key, serverNonce, "client")))
            {
                await channel.DisposeAsync().ConfigureAwait(false);
                return null;
            }

            await channel.WriteRawAsync(Proof(key, answer[32..], "server"), cancellationToken).ConfigureAwait(false);
            return channel;
        }
        catch (Exception e) when (e is IOException or EndOfStreamException)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>The bytes a frame's header takes; <see cref="SendFrameAsync"/> expects its payload after them.</summary>
    public const int HeaderSize = 5;

    /// <summary>
    /// Sends a frame whose payload the caller wrote at <see cref="HeaderSize"/> in <paramref name="frame"/>
    /// (the header is filled in here): one write, no copy, for the bulk frames of a migration.
    /// </summary>
    public async Task SendFrameAsync(FrameType type, byte[] frame, int payloadLength, CancellationToken cancellationToken)
    {
        frame[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(1), payloadLength);
        await _stream.WriteAsync(frame.AsMemory(0, HeaderSize + payloadLength), cancellationToken).ConfigureAwait(false);
        BytesSent += HeaderSize + payloadLength;
    }

    public async Task SendAsync(FrameType type, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var header = new byte[5];
        header[0] = (byte)type;
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(1), payload.Length);
        await _stream.WriteAsync(header, cancellationToken).ConfigureAwait(false);
        await _stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
        BytesSent += 5 + payload.Length;
    }

    public Task SendAsync(FrameType type, string text, CancellationToken cancellationToken) =>
        SendAsync(type, Encoding.UTF8.GetBytes(text), cancellationToken);

    public async Task<(FrameType Type, byte[] Payload)> ReceiveAsync(CancellationToken cancellationToken)
    {
        var header = await ReadExactAsync(5, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1));
        if (length is < 0 or > MaxFrame)
        {
            throw new InvalidDataException($"migration frame of {length} bytes");
        }

        return ((FrameType)header[0], await ReadExactAsync(length, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Receives a frame into a buffer the channel reuses: the payload is valid only until the next receive
    /// (copy what must outlive it). Bulk frames of a migration thus cost no allocation each.
    /// </summary>
    public async Task<(FrameType Type, ReadOnlyMemory<byte> Payload)> ReceiveReusingAsync(CancellationToken cancellationToken)
    {
        await _stream.ReadExactlyAsync(_header, cancellationToken).ConfigureAwait(false);
        var length = BinaryPrimitives.ReadInt32BigEndian(_header.AsSpan(1));
        if (length is < 0 or > MaxFrame)
        {
            throw new InvalidDataException($"migration frame of {length} bytes");
        }

        if (_receive.Length < length)
        {
            _receive = new byte[Math.Max(length, Math.Min(MaxFrame, _receive.Length * 2))];
        }

        await _stream.ReadExactlyAsync(_receive.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
        return ((FrameType)_header[0], _receive.AsMemory(0, length));
    }

    /// <summary>Waits for the target's answer: returns on Ok, throws with its message on Error.</summary>
    public async Task ExpectOkAsync(CancellationToken cancellationToken)
    {
        var (type, payload) = await ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (type == FrameType.Error)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, "migration target: " + Encoding.UTF8.GetString(payload));
        }

        if (type != FrameType.Ok)
        {
            throw new RuntimeException(ErrorCode.OperationFailed, $"migration target answered {type}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _client.Dispose();
    }

    private static byte[] Proof(byte[] key, byte[] nonce, string role)
    {
        byte[] message = [.. nonce, .. Encoding.ASCII.GetBytes(role)];
        return HMACSHA256.HashData(key, message);
    }

    private Task WriteRawAsync(byte[] data, CancellationToken cancellationToken) => _stream.WriteAsync(data, cancellationToken).AsTask();

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        var buffer = new byte[count];
        await _stream.ReadExactlyAsync(buffer, cancellationToken).ConfigureAwait(false);
        return buffer;
    }
}
