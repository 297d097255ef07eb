using System.Diagnostics;
using System.Globalization;
using Reconciler.Schema.Diagnostics;
using Reconciler.Schema.Domains.Model;
using Reconciler.Schema.Networks.Model;
using Reconciler.Schema.Storage.Model;
using Reconciler.Schema.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace Reconciler.Schema.Tests.Fuzzing;

/// <summary>
/// Mutation fuzzing over every public spec file (libvirt's test data beside the repository, and the
/// examples): the schema layer answers each mutant with a result — valid, or its own errors — and never
/// with an exception, an internal "cannot process" error (an exception it caught), or a hang. A valid
/// mutant is also formatted and read into its typed model, as the CLI and the runtime do.
/// </summary>
/// <remarks>
/// Deterministic: mutant N of a run is made by <c>new Random(seed * 1_000_003 + N)</c>, so a failure is
/// reproduced by its number. RECONCILER_FUZZ_MUTATIONS (default 3000) and RECONCILER_FUZZ_SEED (default 1)
/// choose the run; RECONCILER_FUZZ_OUT names a directory where failing inputs are written.
/// </remarks>
public sealed class MutationFuzzTests(ITestOutputHelper output)
{
    /// <summary>No single input may take longer; the run fails (instead of hanging) when one does.</summary>
    private static readonly TimeSpan PerInput = TimeSpan.FromSeconds(10);

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : fallback;

    /// <summary>The failure (null when none) of the schema layer on one input.</summary>
    internal static string? Check(string name, byte[] bytes, out bool valid)
    {
        valid = false;
        SpecDocument doc;
        try
        {
            doc = LibvirtSchema.Load(name, bytes);
            if (doc.Errors.FirstOrDefault(e => e.Code == ErrorCode.InternalError && e.Message.StartsWith("internal error: cannot process the definition", StringComparison.Ordinal)) is { } caught)
            {
                return "caught an exception: " + caught.Message;
            }

            if (doc.IsValid)
            {
                valid = true;
                var formatted = doc.Format();
                var again = LibvirtSchema.LoadText(name, formatted, SchemaOptions.Default);
                if (!again.IsValid)
                {
                    return "the effective definition does not read back: " + again.Errors[0].Message;
                }

                _ = doc.Kind switch
                {
                    SpecKind.Domain => (object)DomainDefinition.FromXml(doc.Effective!),
                    SpecKind.Network => NetworkDefinition.FromXml(doc.Effective!),
                    SpecKind.StoragePool => StoragePoolDefinition.FromXml(doc.Effective!),
                    _ => StorageVolumeDefinition.FromXml(doc.Effective!),
                };
            }
            else if (doc.Errors.Count == 0 || doc.Errors.Any(e => string.IsNullOrWhiteSpace(e.Message)))
            {
                return "invalid without a message";
            }
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message + "\n" + string.Join('\n', (e.StackTrace ?? string.Empty).Split('\n').Take(6));
        }

        return null;
    }

    [Fact]
    public void Mutants_of_the_public_corpus_get_answers_not_exceptions_or_hangs()
    {
        var seeds = Corpus.AllSpecFiles().Select(f => (File: f, Bytes: File.ReadAllBytes(f))).ToList();
        Assert.NotEmpty(seeds);
        var mutations = Setting("RECONCILER_FUZZ_MUTATIONS", 3000);
        var seed = Setting("RECONCILER_FUZZ_SEED", 1);
        var outDir = Environment.GetEnvironmentVariable("RECONCILER_FUZZ_OUT");

        var failures = new List<string>();
        var current = -1;
        var started = Stopwatch.GetTimestamp();
        var (valid, invalid) = (0, 0);
        var worker = new Thread(() =>
        {
            for (var n = 0; n < mutations; n++)
            {
                Volatile.Write(ref current, n);
                var random = new Random(unchecked((seed * 1_000_003) + n));
                var (file, bytes) = seeds[random.Next(seeds.Count)];
                var (mutant, what) = Mutator.Mutate(bytes, random);
                var problem = Check("mutant.xml", mutant, out var isValid);
                if (problem is not null)
                {
                    lock (failures)
                    {
                        failures.Add($"#{n} {Path.GetFileName(file)}: {what}\n  {problem}");
                    }

                    if (outDir is not null)
                    {
                        Directory.CreateDirectory(outDir);
                        File.WriteAllBytes(Path.Combine(outDir, $"seed{seed}-{n}.xml"), mutant);
                    }
                }
                else if (isValid)
                {
                    valid++;
                }
                else
                {
                    invalid++;
                }
            }

            Volatile.Write(ref current, mutations);
        }, maxStackSize: 16 * 1024 * 1024)
        { IsBackground = true };
        worker.Start();

        // Poll the worker's progress: one input that takes too long fails the run instead of hanging it.
        var last = -1;
        var since = Stopwatch.StartNew();
        while (Volatile.Read(ref current) < mutations)
        {
            var now = Volatile.Read(ref current);
            if (now != last)
            {
                (last, since) = (now, Stopwatch.StartNew());
            }
            else if (since.Elapsed > PerInput)
            {
                var random = new Random(unchecked((seed * 1_000_003) + now));
                var (file, bytes) = seeds[random.Next(seeds.Count)];
                Assert.Fail($"mutant #{now} of {Path.GetFileName(file)} ({Mutator.Mutate(bytes, random).Description}) got no answer within {PerInput.TotalSeconds} s");
            }

            worker.Join(TimeSpan.FromMilliseconds(20));
        }

        worker.Join();
        var elapsed = Stopwatch.GetElapsedTime(started);
        output.WriteLine($"{mutations} mutants of {seeds.Count} files (seed {seed}) in {elapsed.TotalSeconds:F1} s: {valid} valid, {invalid} refused, {failures.Count} failures");
        Assert.True(failures.Count == 0, $"{failures.Count} of {mutations} mutants (seed {seed}) broke the schema layer:\n" + string.Join("\n", failures.Take(30)));
    }
}
