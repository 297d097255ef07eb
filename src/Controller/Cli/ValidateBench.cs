using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Reconciler.Schema;

namespace Reconciler.Controller.Cli;

/// <summary>
/// <c>reconciler bench validate PATH...</c>: validates and normalizes every XML file under the paths, a
/// number of times in one process, and prints files per second; when python3 with libvirt's bindings is
/// installed, defines the same files in libvirt's test driver (test:///default) and prints its rate too.
/// </summary>
internal static class ValidateBench
{
    // Defines each file in libvirt's test driver by the kind of its root element; prints the seconds taken.
    private const string LibvirtScript = """
        import sys, time, libvirt
        t0 = time.monotonic()
        libvirt.registerErrorHandler(lambda *a: None, None)
        c = libvirt.open('test:///default')
        pool = c.storagePoolLookupByName('default-pool')
        n = 0
        for path in sys.stdin.read().splitlines():
            xml = open(path, encoding='utf-8', errors='replace').read()
            head = xml[:4096]
            try:
                if '<domain' in head: c.defineXML(xml).undefine()
                elif '<network' in head: c.networkDefineXML(xml).undefine()
                elif '<pool' in head: c.storagePoolDefineXML(xml).undefine()
                elif '<volume' in head: pool.createXML(xml, 0).delete()
            except libvirt.libvirtError:
                pass
            n += 1
        print(n, time.monotonic() - t0)
        """;

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files or directories (searched for *.xml), e.g. libvirt's test data", Arity = ArgumentArity.OneOrMore };
        var repeat = new Option<int>("--repeat") { Description = "How many times to go over the files", DefaultValueFactory = _ => 10 };
        var command = new Command("validate", "Validate and normalize files (libvirt's test data) in one process and print the rate, beside libvirt's own when python3-libvirt is installed")
        {
            paths, repeat,
        };
        command.SetAction(async (parse, ct) =>
        {
            var files = SpecPathsOf(parse.GetValue(paths)!);
            var times = parse.GetValue(repeat);
            if (files.Count == 0 || times < 1)
            {
                await stderr.WriteLineAsync("reconciler bench validate: no *.xml file under the paths, or --repeat below 1").ConfigureAwait(false);
                return 2;
            }

            return await RunAsync(files, times, stdout, ct).ConfigureAwait(false);
        });
        return command;
    }

    private static List<string> SpecPathsOf(string[] paths) =>
        [.. paths.SelectMany<string, string>(p => Directory.Exists(p)
                ? Directory.EnumerateFiles(p, "*.xml", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                : File.Exists(p) ? [p] : [])];

    private static async Task<int> RunAsync(List<string> files, int times, TextWriter stdout, CancellationToken ct)
    {
        var inv = CultureInfo.InvariantCulture;
        var contents = files.Select(File.ReadAllBytes).ToList();
        var bytes = contents.Sum(c => (long)c.Length);

        // The first pass warms up (JIT); it is timed with the others.
        var clock = Stopwatch.StartNew();
        long valid = 0;
        var passes = new List<double>();
        for (var pass = 0; pass < times; pass++)
        {
            var passStart = clock.Elapsed.TotalSeconds;
            ct.ThrowIfCancellationRequested();
            // Load gives the normalized text of a valid file too: it formats it anyway, to read it back.
            // Each worker drops its document once normalized, as a one-shot `validate` or `normalize` does;
            // keeping them in an ordered merge would only measure the garbage collector promoting them.
            // The files are handed out a few at a time, so that a core whose files cost more (or that another
            // process takes for a while) does not leave the other waiting at the end of the pass.
            var validInPass = 0;
            Parallel.ForEach(Partitioner.Create(0, files.Count, 8), new ParallelOptions { CancellationToken = ct }, range =>
            {
                var count = 0;
                for (var i = range.Item1; i < range.Item2; i++)
                {
                    var doc = LibvirtSchema.Load(files[i], contents[i], null, out var normalized);
                    count += doc.IsValid && (normalized ?? doc.Format()) is not null ? 1 : 0;
                }

                Interlocked.Add(ref validInPass, count);
            });
            valid = validInPass;
            passes.Add(clock.Elapsed.TotalSeconds - passStart);
        }

        var seconds = clock.Elapsed.TotalSeconds;
        var ours = files.Count * times / seconds;
        await stdout.WriteLineAsync(string.Create(inv,
            $"validate + normalize  {files.Count} files ({bytes / 1024} KiB, {valid} valid) x {times} in {seconds:0.00} s: {ours:0} files/s on {Environment.ProcessorCount} cores")).ConfigureAwait(false);
        await stdout.WriteLineAsync(string.Create(inv,
            $"  passes: {string.Join(" ", passes.Select(p => p.ToString("0.000", inv)))} s")).ConfigureAwait(false);
        await stdout.WriteLineAsync(string.Create(inv,
            $"  allocated {GC.GetTotalAllocatedBytes() / (1024.0 * 1024):0} MiB ({GC.GetTotalAllocatedBytes() / 1024.0 / (files.Count * times):0} KiB a file), {GC.CollectionCount(0)} collections ({GC.CollectionCount(2)} full), {GC.GetTotalPauseDuration().TotalMilliseconds:0} ms paused")).ConfigureAwait(false);

        var libvirt = await LibvirtRateAsync(files, ct).ConfigureAwait(false);
        if (libvirt is { } theirs)
        {
            await stdout.WriteLineAsync(string.Create(inv,
                $"libvirt 9 test driver {files.Count} files defined in {files.Count / theirs:0.00} s (python start-up included): {theirs:0} files/s")).ConfigureAwait(false);
            await stdout.WriteLineAsync(string.Create(inv, $"ratio                 {ours / theirs:0.0} x libvirt's rate (target >= 3 x)")).ConfigureAwait(false);
        }
        else
        {
            await stdout.WriteLineAsync("libvirt               not measured: python3 with the libvirt module (python3-libvirt) is not installed").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>libvirt's rate (files per second) through python3-libvirt's test driver, or null without it.</summary>
    private static async Task<double?> LibvirtRateAsync(List<string> files, CancellationToken ct)
    {
        // Debian's python3-libvirt lives with the system python, which another python3 on the PATH may hide.
        foreach (var python in (string[])["/usr/bin/python3", "python3"])
        {
            if (await LibvirtRateAsync(python, files, ct).ConfigureAwait(false) is { } rate)
            {
                return rate;
            }
        }

        return null;
    }

    private static async Task<double?> LibvirtRateAsync(string python, List<string> files, CancellationToken ct)
    {
        var script = Path.Combine(Path.GetTempPath(), $"reconciler-bench-libvirt-{Environment.ProcessId}.py");
        await File.WriteAllTextAsync(script, LibvirtScript, ct).ConfigureAwait(false);
        try
        {
            var start = new ProcessStartInfo(python, [script]) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            var clock = Stopwatch.StartNew();
            using var process = Process.Start(start);
            if (process is null)
            {
                return null;
            }

            await process.StandardInput.WriteAsync(string.Join('\n', files.Select(Path.GetFullPath))).ConfigureAwait(false);
            process.StandardInput.Close();
            var output = await process.StandardOutput.ReadToEndAsync(ct).ConfigureAwait(false);
            await process.StandardError.ReadToEndAsync(ct).ConfigureAwait(false);
            await process.WaitForExitAsync(ct).ConfigureAwait(false);
            var wall = clock.Elapsed.TotalSeconds;
            return process.ExitCode == 0 && output.Split(' ') is [var n, _] && int.TryParse(n, CultureInfo.InvariantCulture, out var count) && count > 0
                ? count / wall
                : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException)
        {
            // No python3, or it stopped reading: its libvirt module is missing.
            return null;
        }
        finally
        {
            File.Delete(script);
        }
    }
}
