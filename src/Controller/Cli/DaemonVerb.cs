using System.CommandLine;
using System.Text.Json;
using Reconciler.Controller.Api;
using Reconciler.Controller.Daemon;

namespace Reconciler.Controller.Cli;

/// <summary>What one CLI verb over the daemon's API gets: a client, the output format and where to write.</summary>
internal sealed record VerbContext(ApiClient Client, bool Json, ParseResult Parse, TextWriter Out, TextWriter Err)
{
    /// <summary>Writes <paramref name="value"/> as indented JSON and a newline.</summary>
    public void WriteJson<T>(T value) => Out.Write(JsonSerializer.Serialize(value, ApiJson.IndentedInfo<T>()) + "\n");

    /// <summary>Writes <paramref name="text"/> and the empty line virsh ends its output with.</summary>
    public void WriteVirsh(string text) => Out.Write(text + "\n");
}

/// <summary>
/// The frame of the CLI verbs that talk to the daemon (status, list, dominfo, start, ...): the common
/// <c>--socket</c> and <c>--output</c> options, and virsh's way with errors (<c>error: MESSAGE</c> on stderr, exit status 1).
/// </summary>
internal static class DaemonVerb
{
    /// <summary>Every verb over the daemon's API, in the order of the help.</summary>
    public static IEnumerable<Command> All(TextWriter stdout, TextWriter stderr) =>
        [.. ControllerVerbs.Create(stdout, stderr), .. DomainVerbs.Create(stdout, stderr), .. HostVerbs.Create(stdout, stderr)];

    public static Command Create(
        string name,
        string description,
        TextWriter stdout,
        TextWriter stderr,
        Func<VerbContext, CancellationToken, Task<int>> run,
        params Symbol[] symbols) => Create(name, description, stdout, stderr, run, TimeSpan.FromMinutes(5), symbols);

    public static Command Create(
        string name,
        string description,
        TextWriter stdout,
        TextWriter stderr,
        Func<VerbContext, CancellationToken, Task<int>> run,
        TimeSpan timeout,
        params Symbol[] symbols)
    {
        var socket = new Option<string>("--socket")
        {
            Description = "The daemon's API socket (default: $RECONCILER_SOCKET, else reconciler.sock in the state directory: " +
                "$RECONCILER_STATE, $RECONCILER_STATE_DIR, /var/lib/reconciler as root, else $XDG_STATE_HOME/reconciler or ~/.local/state/reconciler)",
            HelpName = "PATH",
            DefaultValueFactory = _ => DefaultPaths.ClientSocket(),
        };
        var output = new Option<string>("--output", "-o")
        {
            Description = "table: what virsh prints; json: the API's JSON",
            DefaultValueFactory = _ => "table",
        };
        output.AcceptOnlyFromAmong("table", "json");

        var command = new Command(name, description);
        foreach (var symbol in symbols)
        {
            switch (symbol)
            {
                case Argument a:
                    command.Arguments.Add(a);
                    break;
                case Option o:
                    command.Options.Add(o);
                    break;
            }
        }

        command.Options.Add(socket);
        command.Options.Add(output);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var client = new ApiClient(parse.GetValue(socket)!, timeout);
            var context = new VerbContext(client, parse.GetValue(output) == "json", parse, stdout, stderr);
            try
            {
                return await run(context, cancellationToken).ConfigureAwait(false);
            }
            catch (DaemonUnavailableException e)
            {
                await stderr.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                if (e.InnerException?.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AccessDenied })
                {
                    await stderr.WriteLineAsync($"error: permission denied: the socket is open to the user who runs the daemon only").ConfigureAwait(false);
                }

                return 1;
            }
            catch (ApiRequestException e)
            {
                await stderr.WriteLineAsync("error: " + e.Message).ConfigureAwait(false);
                return 1;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException)
            {
                await stderr.WriteLineAsync($"error: the reconciler daemon at {client.SocketPath} did not answer properly: {e.Message}").ConfigureAwait(false);
                return 1;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await stderr.WriteLineAsync($"error: the reconciler daemon at {client.SocketPath} did not answer within {timeout.TotalSeconds:0} seconds").ConfigureAwait(false);
                return 1;
            }
            finally
            {
                await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
        });
        return command;
    }

    /// <summary>A required NAME argument.</summary>
    public static Argument<string> Name(string name, string description) => new(name) { Description = description };

    /// <summary>A flag.</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };
}
