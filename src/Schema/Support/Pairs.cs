namespace Reconciler.Schema.Support;

/// <summary>
/// libvirt checks many "no two devices alike" rules with two nested loops, which is quadratic in the number
/// of devices: a hostile file with tens of thousands of devices would keep a validation busy for minutes.
/// These helpers find the same pairs in linear time, in the order the nested loops would find them.
/// </summary>
internal static class Pairs
{
    /// <summary>
    /// For each <c>i</c>, the smallest <c>j &gt; i</c> such that <paramref name="probe"/> of item i is among
    /// <paramref name="keys"/> of item j, or -1. A null probe matches nothing. With a symmetric rule
    /// (probe and keys are the one key of an item) this is "the next item with the same key".
    /// </summary>
    public static int[] NextMatches<T>(IReadOnlyList<T> items, Func<T, object?> probe, Func<T, IEnumerable<object>> keys)
    {
        var next = new int[items.Count];
        var latest = new Dictionary<object, int>();
        for (var i = items.Count - 1; i >= 0; i--)
        {
            next[i] = probe(items[i]) is { } p && latest.TryGetValue(p, out var j) ? j : -1;
            foreach (var key in keys(items[i]))
            {
                latest[key] = i;
            }
        }

        return next;
    }

    /// <summary>For each item, the next one with the same (non-null) key, or -1.</summary>
    public static int[] NextWithSameKey<T>(IReadOnlyList<T> items, Func<T, object?> key) =>
        NextMatches(items, key, item => key(item) is { } k ? [k] : []);

    /// <summary>
    /// The first pair <c>(i, j)</c>, <c>i &lt; j</c>, with the same non-null key, in the order of the loops
    /// <c>for i { for j &gt; i }</c>; null when every key is unique.
    /// </summary>
    public static (int First, int Second)? FirstWithSameKey<T>(IReadOnlyList<T> items, Func<T, object?> key)
    {
        var next = NextWithSameKey(items, key);
        for (var i = 0; i < next.Length; i++)
        {
            if (next[i] >= 0)
            {
                return (i, next[i]);
            }
        }

        return null;
    }
}
