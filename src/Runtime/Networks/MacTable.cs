using System.Xml.Linq;
using Reconciler.Schema.Xml;

namespace Reconciler.Runtime.Networks;

/// <summary>
/// Every MAC address named by the definitions (persistent and live) of the host's domains, counted, so that
/// a generated MAC is checked against them in constant time rather than by walking every definition (which
/// made defining n domains cost n² walks). A definition changed in place is read again when next asked.
/// Thread-safe.
/// </summary>
internal sealed class MacTable
{
    private readonly Lock _sync = new();
    private readonly Dictionary<string, int> _counts = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<XElement, Entry> _trees = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<XElement> _stale = new(ReferenceEqualityComparer.Instance);

    /// <summary>A definition takes the place of another (either may be null).</summary>
    public void Replace(XElement? old, XElement? replacement)
    {
        if (ReferenceEquals(old, replacement))
        {
            return;
        }

        lock (_sync)
        {
            if (replacement is not null)
            {
                Add(replacement);
            }

            if (old is not null)
            {
                Remove(old);
            }
        }
    }

    /// <summary>Whether a definition of the host names <paramref name="mac"/>.</summary>
    public bool Contains(string mac)
    {
        lock (_sync)
        {
            foreach (var tree in _stale)
            {
                var entry = _trees[tree];
                Count(entry.Macs, -1);
                entry.Macs = Read(tree);
                Count(entry.Macs, +1);
            }

            _stale.Clear();
            return _counts.ContainsKey(mac);
        }
    }

    private void Add(XElement tree)
    {
        if (_trees.TryGetValue(tree, out var entry))
        {
            entry.References++;
            return;
        }

        entry = new Entry(Read(tree));
        entry.OnChanged = (_, _) =>
        {
            lock (_sync)
            {
                if (_trees.ContainsKey(tree))
                {
                    _stale.Add(tree);
                }
            }
        };
        tree.Changed += entry.OnChanged;
        _trees[tree] = entry;
        Count(entry.Macs, +1);
    }

    private void Remove(XElement tree)
    {
        if (!_trees.TryGetValue(tree, out var entry) || --entry.References > 0)
        {
            return;
        }

        tree.Changed -= entry.OnChanged;
        _trees.Remove(tree);
        _stale.Remove(tree);
        Count(entry.Macs, -1);
    }

    private void Count(string[] macs, int delta)
    {
        foreach (var mac in macs)
        {
            var n = _counts.GetValueOrDefault(mac) + delta;
            if (n > 0)
            {
                _counts[mac] = n;
            }
            else
            {
                _counts.Remove(mac);
            }
        }
    }

    /// <summary>The MACs a domain definition gives its interfaces.</summary>
    public static string[] Read(XElement tree) =>
        [.. tree.El("devices").Els("interface").Select(i => i.El("mac").A("address")).OfType<string>()];

    private sealed class Entry(string[] macs)
    {
        public string[] Macs { get; set; } = macs;

        public int References { get; set; } = 1;

        public EventHandler<XObjectChangeEventArgs>? OnChanged { get; set; }
    }
}
