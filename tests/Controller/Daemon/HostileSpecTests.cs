using System.Net;
using System.Net.Sockets;
using Reconciler.Controller.Tests.Support;
using Reconciler.Tests.Hostile;
using Xunit;
using static Reconciler.Controller.Tests.Daemon.DaemonTests;

namespace Reconciler.Controller.Tests.Daemon;

/// <summary>
/// Hostile content written over a spec file of a running domain: the daemon refuses it with the file, the
/// position and the reason in the domain's status, keeps the last good definition applied (the domain keeps
/// running), never fetches what the file names, and never crashes.
/// </summary>
public sealed class HostileSpecTests
{
    [Fact]
    public void Every_hostile_file_is_refused_by_the_spec_source_and_the_last_good_state_stays()
    {
        using var dir = new TempDir();
        var specs = CopyExamples(dir);
        var state = Path.Combine(dir.Path, "state");
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var daemon = new DaemonProcess(specs, state);
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running"), "web-01 running");
        var file = Path.Combine(specs, "domains", "web-01.xml");
        var good = File.ReadAllBytes(file);
        var runFiles = Path.Combine(state, "runtime", "run");

        string? previous = null;
        HostileFiles.Case? last = null;
        foreach (var c in HostileFiles.All.Where(c => !c.Valid))
        {
            if (last is not null && last.Message == c.Message && last.Line == c.Line && last.Column == c.Column)
            {
                // The same error again would not show as a change: put the good file back in between.
                File.WriteAllBytes(file, good);
                daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy"), "web-01 back in sync");
                previous = null;
            }

            File.WriteAllBytes(file, File.ReadAllBytes(c.Path));
            daemon.WaitFor(
                s => Is(s, "domain/web-01", "Error", "Healthy") && Message(s, "domain/web-01") is var m && m != previous && m.Contains(c.Message, StringComparison.Ordinal),
                $"{c.File} written over web-01.xml is refused");
            var message = Message(daemon.Status(), "domain/web-01");
            Assert.StartsWith(c.Line is { } line ? $"{file}:{line}:" : $"{file}:", message, StringComparison.Ordinal);
            Assert.Matches(@"^[^\n]+:\d+:\d+: error: ", message);
            Assert.Contains("stays applied", message, StringComparison.Ordinal);
            Assert.Single(Directory.GetFiles(runFiles, "*.json"), f => File.ReadAllText(f).Contains("\"web-01\"", StringComparison.Ordinal));
            previous = message;
            last = c;
        }

        // A spec that names a URL of ours, in every way XML can: nothing ever connects.
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        File.WriteAllText(Path.Combine(specs, "networks", "remote.xml"),
            $"<?xml version='1.0'?>\n<!DOCTYPE network [<!ENTITY % p SYSTEM '{url}/p'> %p; <!ENTITY x SYSTEM '{url}/x'>]>\n<network><name>&x;</name></network>\n");
        File.WriteAllText(Path.Combine(specs, "networks", "stylesheet.xml"),
            $"<?xml version='1.0'?>\n<?xml-stylesheet type='text/xsl' href='{url}/s.xsl'?>\n<network><name>styled</name></network>\n");
        daemon.WaitFor(
            s => s.Values.Count(v => v.GetProperty("message").GetString()!.Contains("remote.xml:2:1: error: DTDs", StringComparison.Ordinal) ||
                                     v.GetProperty("message").GetString()!.Contains("stylesheet.xml:2:3: error: processing instructions", StringComparison.Ordinal)) == 2,
            "both files are refused");
        Assert.False(listener.Pending(), "the daemon made a request for a URL named in a spec file");

        File.WriteAllBytes(file, good);
        daemon.WaitFor(s => Is(s, "domain/web-01", "Synced", "Healthy", "running"), "web-01 back in sync with the good file");
        Assert.False(daemon.HasExited);
        Assert.DoesNotContain("Unhandled exception", daemon.Output, StringComparison.Ordinal);
    }
}
