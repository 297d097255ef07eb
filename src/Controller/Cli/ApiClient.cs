using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Reconciler.Controller.Api;

namespace Reconciler.Controller.Cli;

/// <summary>The daemon is not there: nothing listens on the socket, or it cannot be opened.</summary>
internal sealed class DaemonUnavailableException(string socket, Exception inner)
    : Exception($"cannot connect to the reconciler daemon at {socket}: is `reconciler run` running?", inner)
{
    public string Socket { get; } = socket;
}

/// <summary>The daemon refused a request: its message and libvirt's error code name.</summary>
internal sealed class ApiRequestException(HttpStatusCode status, string message, string code) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;

    public string Code { get; } = code;
}

/// <summary>A client of the daemon's API over its Unix domain socket.</summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(string socketPath, TimeSpan? timeout = null)
    {
        SocketPath = Path.GetFullPath(socketPath);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), cancellationToken).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri("http://reconciler/"),
            Timeout = timeout ?? TimeSpan.FromMinutes(5),
        };
    }

    public string SocketPath { get; }

    public static string Escape(string segment) => Uri.EscapeDataString(segment);

    public Task<T> GetAsync<T>(string path, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Get, path), cancellationToken);

    public Task<T> PostAsync<T>(string path, CancellationToken cancellationToken) =>
        SendAsync<T>(new HttpRequestMessage(HttpMethod.Post, path), cancellationToken);

    /// <summary>Follows a stream of newline-delimited JSON until the daemon ends it or <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<T> StreamAsync<T>(string path, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        using var response = await ConnectAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length > 0)
            {
                yield return JsonSerializer.Deserialize(line, ApiJson.Info<T>())!;
            }
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<T> SendAsync<T>(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            using var response = await ConnectAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
            return (await response.Content.ReadFromJsonAsync(ApiJson.Info<T>(), cancellationToken).ConfigureAwait(false))!;
        }
    }

    private async Task<HttpResponseMessage> ConnectAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
        {
            throw new DaemonUnavailableException(SocketPath, e);
        }
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        ApiError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync(ApiJson.Info<ApiError>(), cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
        }
        catch (NotSupportedException)
        {
        }

        throw new ApiRequestException(
            response.StatusCode,
            error?.Error ?? $"the daemon answered {(int)response.StatusCode} {response.ReasonPhrase}",
            error?.Code ?? "HTTP_" + (int)response.StatusCode);
    }
}
