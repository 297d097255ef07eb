using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Reconciler.Runtime.Tests.Support;

/// <summary>
/// A TCP relay between a migration source and its target that can lose the target's answer to the final
/// step (the frame after the source's Complete) and cut the connection, and can refuse new connections
/// (a target that has become unreachable). It reads the channel's framing to know where Complete is:
/// 32 bytes of target nonce, 64 bytes of source proof and nonce, then [type][length][payload] frames.
/// </summary>
internal sealed class MigrationLink : IAsyncDisposable
{
    private const byte CompleteFrame = 3;
    private readonly TcpListener _listener;
    private readonly IPEndPoint _upstream;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public MigrationLink(IPEndPoint upstream)
    {
        _upstream = upstream;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Lose the target's answer to the next Complete and cut that connection.</summary>
    public bool LoseFinalAnswer { get; set; }

    /// <summary>After losing the answer, refuse every new connection (the target became unreachable).</summary>
    public bool RefuseAfterLoss { get; set; }

    /// <summary>Close every new connection at once.</summary>
    public bool Refuse { get; set; }

    /// <summary>Set when an answer to Complete was dropped.</summary>
    public TaskCompletionSource AnswerLost { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (Refuse)
            {
                client.Dispose();
                continue;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var _ = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_upstream, _stop.Token);
            var fromSource = client.GetStream();
            var fromTarget = server.GetStream();
            var completeSeen = false;
            var lose = LoseFinalAnswer;
            var up = Task.Run(async () =>
            {
                var handshake = new byte[64];
                await fromSource.ReadExactlyAsync(handshake, _stop.Token);
                await fromTarget.WriteAsync(handshake, _stop.Token);
                var header = new byte[5];
                while (true)
                {
                    await fromSource.ReadExactlyAsync(header, _stop.Token);
                    var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1))];
                    await fromSource.ReadExactlyAsync(payload, _stop.Token);
                    if (header[0] == CompleteFrame && lose)
                    {
                        Volatile.Write(ref completeSeen, true);
                    }

                    await fromTarget.WriteAsync(header, _stop.Token);
                    await fromTarget.WriteAsync(payload, _stop.Token);
                }
            });
            var down = Task.Run(async () =>
            {
                var buffer = new byte[64 * 1024];
                while (true)
                {
                    var read = await fromTarget.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        return;
                    }

                    if (Volatile.Read(ref completeSeen))
                    {
                        // The target answered the final step: the source never hears it.
                        LoseFinalAnswer = false;
                        Refuse |= RefuseAfterLoss;
                        AnswerLost.TrySetResult();
                        return;
                    }

                    await fromSource.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
                }
            });
            await Task.WhenAny(up, down);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or EndOfStreamException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
