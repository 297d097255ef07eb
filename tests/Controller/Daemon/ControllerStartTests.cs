using Reconciler.Controller.Daemon;
using Reconciler.Controller.Tests.Support;
using Xunit;

namespace Reconciler.Controller.Tests.Daemon;

/// <summary>The spec directory read while the runtime loads, and what changes before the loop watches it.</summary>
public sealed class ControllerStartTests
{
    private const string Network = "<network><name>n{0}</name><bridge name='virbr{0}'/></network>";

    private static (TempDir Dir, ControllerOptions Options) Directory3()
    {
        var dir = new TempDir();
        var specs = Path.Combine(dir.Path, "specs");
        Directory.CreateDirectory(specs);
        for (var i = 0; i < 3; i++)
        {
            File.WriteAllText(Path.Combine(specs, $"n{i}.xml"), string.Format(System.Globalization.CultureInfo.InvariantCulture, Network, i));
        }

        return (dir, new ControllerOptions { Specs = specs, State = Path.Combine(dir.Path, "state"), Host = "h" });
    }

    private static IReadOnlyCollection<string>? ChangesOnceSeen(ControllerStart start, Func<IReadOnlyCollection<string>?, bool> seen)
    {
        // Watcher events arrive on their own thread: poll (without taking the changes) until they are in.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var peek = start.PeekChanges();
            if (seen(peek))
            {
                return start.TakeChanges();
            }

            Thread.Sleep(20);
        }

        return start.TakeChanges();
    }

    [Fact]
    public async Task The_early_scan_reads_every_file_and_a_file_changed_after_it_is_handed_to_the_loop()
    {
        var (dir, options) = Directory3();
        using var _ = dir;
        using var start = ControllerStart.Begin(options, scanEarly: true);
        var scan = await start.EarlyScan!;
        Assert.Equal(3, scan.Files.Count);
        Assert.All(scan.Files.Values, f => Assert.Empty(f.Errors));

        var edited = Path.Combine(options.Specs, "n1.xml");
        File.WriteAllText(edited + ".tmp", string.Format(System.Globalization.CultureInfo.InvariantCulture, Network, 7));
        File.Move(edited + ".tmp", edited, overwrite: true);

        var changes = ChangesOnceSeen(start, c => c is { Count: > 0 });
        Assert.Equal([edited], changes);
    }

    [Fact]
    public async Task A_directory_that_comes_before_the_loop_watches_means_reading_everything_again()
    {
        var (dir, options) = Directory3();
        using var _ = dir;
        using var start = ControllerStart.Begin(options, scanEarly: true);
        await start.EarlyScan!;

        Directory.CreateDirectory(Path.Combine(options.Specs, "more"));
        Assert.Null(ChangesOnceSeen(start, c => c is null));
    }

    [Fact]
    public void Without_an_early_scan_nothing_is_watched_or_read_ahead()
    {
        var (dir, options) = Directory3();
        using var _ = dir;
        using var start = ControllerStart.Begin(options, scanEarly: false);
        Assert.Null(start.EarlyScan);
        File.WriteAllText(Path.Combine(options.Specs, "n0.xml"), "changed");
        Assert.Empty(start.TakeChanges()!);
    }
}
