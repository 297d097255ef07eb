using Reconciler.Schema;
using Reconciler.Schema.Diagnostics;
using SharpFuzz;

namespace Reconciler.Fuzz;

/// <summary>
/// AFL++ drives this process through SharpFuzz: each input is one spec file. The schema layer must answer
/// with a document (valid, or its own errors with a message); anything else is made a crash for AFL++ to
/// keep: an exception, an exception the layer caught, a refusal without a message, or a valid definition
/// whose formatted form does not read back. (Hangs are AFL++'s own timeouts.)
/// </summary>
internal static class Program
{
    public static void Main(string[] args)
    {
        if (args.Length > 0)
        {
            // Replays inputs (e.g. out/default/crashes/*) without AFL++.
            foreach (var file in args)
            {
                Console.WriteLine($"{file}: {Describe(File.ReadAllBytes(file))}");
            }

            return;
        }

        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            Check(buffer.ToArray());
        });
    }

    private static string Describe(byte[] bytes)
    {
        try
        {
            Check(bytes);
            return "answered";
        }
        catch (Exception e)
        {
            return e.ToString();
        }
    }

    private static void Check(byte[] bytes)
    {
        var doc = LibvirtSchema.Load("fuzz.xml", bytes);
        if (doc.Errors.FirstOrDefault(e => e.Code == ErrorCode.InternalError && e.Message.StartsWith("internal error: cannot process the definition", StringComparison.Ordinal)) is { } caught)
        {
            throw new InvalidOperationException("the schema layer caught an exception: " + caught.Message);
        }

        if (!doc.IsValid)
        {
            if (doc.Errors.Count == 0 || doc.Errors.Any(e => string.IsNullOrWhiteSpace(e.Message)))
            {
                throw new InvalidOperationException("refused without a message");
            }

            return;
        }

        var again = LibvirtSchema.LoadText("again.xml", doc.Format());
        if (!again.IsValid)
        {
            throw new InvalidOperationException("the effective definition does not read back: " + again.Errors[0].Message);
        }
    }
}
