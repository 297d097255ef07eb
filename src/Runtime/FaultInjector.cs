using System.Globalization;
using Reconciler.Schema.Diagnostics;

namespace Reconciler.Runtime;

/// <summary>
/// Makes the runtime fail on purpose, to prove that callers cope: a fraction of every operation fails
/// transiently (<see cref="RuntimeException.IsTransient"/>: trying again may work), and named operations on
/// named objects fail every time (permanent faults). Thread-safe.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _sync = new();
    private readonly Random _random;
    private long _injected;

    public FaultInjector(double transientRate = 0, IEnumerable<string>? permanent = null, int? seed = null)
    {
        if (transientRate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(transientRate), "a rate between 0 and 1");
        }

        TransientRate = transientRate;
        Permanent = new HashSet<string>(permanent ?? [], StringComparer.Ordinal);
        _random = seed is { } s ? new Random(s) : new Random();
    }

    /// <summary>The fraction of operations that fail once (0 to 1).</summary>
    public double TransientRate { get; }

    /// <summary>Faults that never go away, as "Operation:object" (for example "Start:web-01" or "CreateVolume:images").</summary>
    public IReadOnlySet<string> Permanent { get; }

    /// <summary>How many faults were injected so far.</summary>
    public long Injected => Interlocked.Read(ref _injected);

    /// <summary>Throws when this call of <paramref name="operation"/> on <paramref name="target"/> is to fail.</summary>
    public void Check(string operation, string target)
    {
        var name = operation.EndsWith("Async", StringComparison.Ordinal) ? operation[..^5] : operation;
        if (name.StartsWith("Get", StringComparison.Ordinal) || name.StartsWith("List", StringComparison.Ordinal))
        {
            // Reads do not fail: faults are for the operations that change something.
            return;
        }

        if (Permanent.Contains(name + ":" + target) || Permanent.Contains(name + ":*"))
        {
            Interlocked.Increment(ref _injected);
            throw new RuntimeException(ErrorCode.OperationFailed, $"injected permanent fault: {name} of '{target}' always fails");
        }

        bool fail;
        lock (_sync)
        {
            fail = TransientRate > 0 && _random.NextDouble() < TransientRate;
        }

        if (fail)
        {
            Interlocked.Increment(ref _injected);
            throw new RuntimeException(ErrorCode.OperationFailed, $"injected transient fault: {name} of '{target}' failed this time") { IsTransient = true };
        }
    }

    /// <summary>Reads "RATE" or "RATE;Op:name;Op:name" (the daemon's --faults setting); null for none.</summary>
    public static FaultInjector? Parse(string? spec)
    {
        if (string.IsNullOrWhiteSpace(spec))
        {
            return null;
        }

        var parts = spec.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var rate = double.Parse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture);
        return new FaultInjector(rate, parts.Skip(1));
    }
}
