namespace Reconciler.Schema.Support;

/// <summary>
/// libvirt's sorted insertion of devices (virDomainDiskInsert, virDomainControllerInsertPreAlloced): walking
/// back over the devices inserted so far, a new device goes before the first device of its group whose key
/// is greater than its own, otherwise just after the last device of its group, otherwise at the end; a
/// device without a key goes just after the last device of its group. libvirt does this with a linear
/// scan per device (quadratic in all); this gives the same order in O(n log n).
/// </summary>
/// <remarks>
/// Why it is the same: by induction each group stays contiguous (a device is only ever placed next to one
/// of its group, or at the end when its group is new), groups keep the order of their first device, and
/// the keyed devices of a group stay sorted with equal keys in insertion order. So "the first device of
/// the group with a greater key" is the first-inserted device with the smallest key greater than the new
/// one's, which a sorted set of keys finds in logarithmic time.
/// </remarks>
internal static class SortedInsertion
{
    public static List<T> Order<T, TGroup, TKey>(IEnumerable<T> items, Func<T, TGroup> group, Func<T, TKey?> key)
        where TKey : struct, IComparable<TKey>
    {
        var groups = new List<Group<T, TKey>>();
        var byName = new Dictionary<GroupName<TGroup>, Group<T, TKey>>();
        foreach (var item in items)
        {
            var name = new GroupName<TGroup>(group(item));
            if (!byName.TryGetValue(name, out var g))
            {
                g = new Group<T, TKey>();
                byName[name] = g;
                groups.Add(g);
            }

            g.Insert(item, key(item));
        }

        var result = new List<T>();
        foreach (var g in groups)
        {
            result.AddRange(g.Items);
        }

        return result;
    }

    /// <summary>A group name that may be null (a device without a bus is in the group of those without).</summary>
    private readonly record struct GroupName<TGroup>(TGroup Value);

    private sealed class Group<T, TKey>
        where TKey : struct, IComparable<TKey>
    {
        private readonly SortedSet<TKey> _keys = new(Comparer<TKey>.Create((a, b) => a.CompareTo(b)));
        private readonly Dictionary<TKey, LinkedListNode<T>> _firstOfKey = [];

        public LinkedList<T> Items { get; } = new();

        public void Insert(T item, TKey? key)
        {
            if (key is not { } k)
            {
                Items.AddLast(item);
                return;
            }

            LinkedListNode<T> node;
            if (_keys.Count > 0 && _keys.Max.CompareTo(k) > 0 && FirstGreater(k) is { } greater)
            {
                node = Items.AddBefore(_firstOfKey[greater], item);
            }
            else
            {
                node = Items.AddLast(item);
            }

            if (_keys.Add(k))
            {
                _firstOfKey[k] = node;
            }
        }

        private TKey? FirstGreater(TKey k)
        {
            foreach (var candidate in _keys.GetViewBetween(k, _keys.Max))
            {
                if (candidate.CompareTo(k) > 0)
                {
                    return candidate;
                }
            }

            return null;
        }
    }
}
