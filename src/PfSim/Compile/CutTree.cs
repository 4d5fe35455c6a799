namespace PfSim.Compile;

/// <summary>
/// HiCuts-style decision trees over five fields (source, destination, source port, destination port, protocol), one per
/// rule category (EffiCuts' separation, see <see cref="Categories"/>), sharing one node store and one leaf store.
/// Each rule is a box (a closed interval per field); a field the tree cannot express (negation, tables, interface
/// addresses, <c>!=</c> ports) is the whole field. A leaf lists, in evaluation order, every rule of its tree whose box
/// meets the leaf's region: a superset of the rules a packet in that region can match, which the caller tests exactly.
/// Every rule is in exactly one tree, so merging the leaves of all trees in index order gives the caller the rules pf's
/// walk would test, in pf's order, less some that fail a criterion pf tests before <c>probability</c> and <c>tagged</c>.
/// </summary>
public sealed class CutTree
{
    /// <summary>Bits of each field: addresses (the top 32 bits for IPv6), ports, protocol.</summary>
    public static readonly int[] FieldBits = [32, 32, 16, 16, 8];
    public const int Fields = 5;

    /// <summary>A node in one cache-friendly record: a leaf (Dim &lt; 0) has rules LeafRules[First..First+Count), an inner node children Children[First..First+Count] picked by (key &gt;&gt; Shift) &amp; Count.</summary>
    private struct Node
    {
        public int First;
        /// <summary>A leaf's rule count, or an inner node's cut mask (cuts - 1).</summary>
        public int Count;
        public sbyte Dim;
        public byte Shift;
    }

    private readonly Node[] _nodes;
    private readonly int[] _children;
    private readonly int[] _roots;

    /// <summary>The leaves' rules (flat indices, ascending within a leaf); <see cref="Lookup"/> returns ranges of it.</summary>
    internal readonly int[] LeafRules;
    /// <summary>Rules in each tree (the category sizes), and which fields are large in each.</summary>
    public IReadOnlyList<(int Rules, int LargeFields)> TreeShapes { get; }
    public int TreeCount => _roots.Length;
    public int NodeCount => _nodes.Length;
    public int LeafRuleCount => LeafRules.Length;
    public int MaxLeaf { get; }
    public int Depth { get; }
    public long MemoryBytes => _nodes.Length * 12L + _children.Length * 4L + LeafRules.Length * 4L + _roots.Length * 4L;

    /// <summary>Looks up the leaf of a key (src, dst, sport, dport, proto) in tree <paramref name="tree"/>: its rules are LeafRules[first..first+count).</summary>
    public int Lookup(int tree, ReadOnlySpan<uint> key, out int first)
    {
        var nodes = _nodes;
        var children = _children;
        ref readonly var node = ref nodes[_roots[tree]];
        while (node.Dim >= 0)
            node = ref nodes[children[node.First + (int)((key[node.Dim] >> node.Shift) & (uint)node.Count)]];
        first = node.First;
        return node.Count;
    }

    private CutTree(Builder b, int[] roots, List<(int, int)> shapes)
    {
        _nodes = new Node[b.Dim.Count];
        for (int i = 0; i < _nodes.Length; i++)
            _nodes[i] = new Node { First = b.First[i], Count = b.Dim[i] < 0 ? b.Count[i] : b.Mask[i], Dim = b.Dim[i], Shift = b.Shift[i] };
        _children = b.Children.ToArray();
        LeafRules = b.LeafRules.ToArray();
        _roots = roots;
        TreeShapes = shapes;
        MaxLeaf = b.MaxLeaf;
        Depth = b.MaxDepth;
    }

    /// <summary>
    /// Builds one tree per group over rule boxes: <paramref name="lo"/>/<paramref name="hi"/>[rule * 5 + field]; each
    /// group's ids ascending. <paramref name="largeFields"/> (per group, a bit per field) are never cut: a cut there would copy every rule.
    /// </summary>
    public static CutTree Build(IReadOnlyList<int[]> groups, IReadOnlyList<int> largeFields, uint[] lo, uint[] hi, int binth = 8, double spaceFactor = 2.0)
    {
        var b = new Builder(lo, hi, binth, spaceFactor);
        var roots = new int[groups.Count];
        var shapes = new List<(int, int)>();
        for (int g = 0; g < groups.Count; g++)
        {
            var bits = (int[])FieldBits.Clone();
            for (int d = 0; d < Fields; d++) if ((largeFields[g] & (1 << d)) != 0) bits[d] = 0;
            b.Budget = b.LeafRules.Count + 16L * groups[g].Length + 4096;
            roots[g] = b.Node(groups[g], new uint[Fields], FieldBits, bits, 0);
            shapes.Add((groups[g].Length, largeFields[g]));
        }
        return new CutTree(b, roots, shapes);
    }

    private sealed class Builder(uint[] lo, uint[] hi, int binth, double spaceFactor)
    {
        public readonly List<sbyte> Dim = [];
        public readonly List<byte> Shift = [];
        public readonly List<int> Mask = [];
        public readonly List<int> First = [];
        public readonly List<int> Count = [];
        public readonly List<int> Children = [];
        public readonly List<int> LeafRules = [];
        public int MaxLeaf, MaxDepth;
        private const int MaxCutsLog = 8;
        /// <summary>Leaf copies the current tree may still make: 16 per rule plus a little (bounded memory, still exact).</summary>
        public long Budget;

        private long Copies(int[] ids, int d, uint regionBase, int w, int logCuts)
        {
            long copies = 0;
            int s = w - logCuts;
            foreach (int id in ids)
            {
                var (l, h) = Clip(id, d, regionBase, w);
                copies += (h >> s) - (l >> s) + 1;
            }
            return copies;
        }

        /// <summary>The largest child and the total copies when field <paramref name="d"/> is cut in 2^logCuts.</summary>
        private (int Max, long Copies) Spread(int[] ids, int d, uint regionBase, int w, int logCuts)
        {
            var counts = new int[1 << logCuts];
            int s = w - logCuts;
            long copies = 0;
            foreach (int id in ids)
            {
                var (l, h) = Clip(id, d, regionBase, w);
                for (uint c = l >> s; c <= h >> s; c++) counts[c]++;
                copies += (h >> s) - (l >> s) + 1;
            }
            return (counts.Max(), copies);
        }

        private int NewNode()
        {
            Dim.Add(-1); Shift.Add(0); Mask.Add(0); First.Add(0); Count.Add(0);
            return Dim.Count - 1;
        }

        private int Leaf(int[] ids)
        {
            int n = NewNode();
            First[n] = LeafRules.Count;
            Count[n] = ids.Length;
            LeafRules.AddRange(ids);
            MaxLeaf = Math.Max(MaxLeaf, ids.Length);
            return n;
        }

        /// <summary>The rule's interval on field <paramref name="d"/> clipped to the region [base, base + 2^bits).</summary>
        private (uint, uint) Clip(int id, int d, uint regionBase, int bits)
        {
            ulong top = regionBase + ((1UL << bits) - 1);
            uint l = Math.Max(lo[id * Fields + d], regionBase);
            uint h = (uint)Math.Min(hi[id * Fields + d], top);
            return (l - regionBase, h - regionBase);
        }

        /// <summary>
        /// A node over <paramref name="ids"/> in a region: <paramref name="bits"/> its width per field, <paramref name="cuttable"/>
        /// the bits left to cut per field (0 for a field the tree must not cut).
        /// </summary>
        public int Node(int[] ids, uint[] region, int[] bits, int[] cuttable, int depth)
        {
            MaxDepth = Math.Max(MaxDepth, depth);
            // Beyond the budget (copies of rules in leaves) the rest of the tree is leaves: bounded memory, still exact.
            if (ids.Length <= binth || depth >= 24 || LeafRules.Count > Budget) return Leaf(ids);
            // Region compaction (as HyperCuts does): shrink each field to the aligned block holding all the rules' intervals.
            // A key outside it matches none of these rules on that field, so whichever child it lands in is still exact.
            region = (uint[])region.Clone();
            bits = (int[])bits.Clone();
            for (int d = 0; d < Fields; d++)
            {
                if (bits[d] == 0) continue;
                uint lmin = uint.MaxValue, hmax = 0;
                foreach (int id in ids)
                {
                    var (l, h) = Clip(id, d, region[d], bits[d]);
                    lmin = Math.Min(lmin, l);
                    hmax = Math.Max(hmax, h);
                }
                int w = 32 - System.Numerics.BitOperations.LeadingZeroCount(lmin ^ hmax);
                if (w < bits[d])
                {
                    region[d] += w == 32 ? 0 : lmin >> w << w;
                    bits[d] = w;
                }
            }
            // For each field, as many cuts as the space measure allows (HiCuts); keep the field whose largest child is smallest.
            int best = -1, bestLog = 0, bestMax = ids.Length;
            long bestCopies = long.MaxValue;
            for (int d = 0; d < Fields; d++)
            {
                int w = bits[d];
                if (w == 0 || cuttable[d] == 0) continue;
                int logCuts = 1;
                while (logCuts < Math.Min(MaxCutsLog, w) && Copies(ids, d, region[d], w, logCuts + 1) + (1L << (logCuts + 1)) <= spaceFactor * ids.Length)
                    logCuts++;
                var (max, copies) = Spread(ids, d, region[d], w, logCuts);
                if (max < bestMax || (max == bestMax && best >= 0 && copies < bestCopies))
                {
                    best = d; bestLog = logCuts; bestMax = max; bestCopies = copies;
                }
            }
            if (best < 0) return Leaf(ids);

            int wb = bits[best];
            int cuts = 1 << bestLog, shift = wb - bestLog;
            var parts = new List<int>[cuts];
            for (int c = 0; c < cuts; c++) parts[c] = [];
            foreach (int id in ids)
            {
                var (l, h) = Clip(id, best, region[best], wb);
                for (uint c = l >> shift; c <= h >> shift; c++) parts[c].Add(id);
            }

            int node = NewNode();
            Dim[node] = (sbyte)best;
            Shift[node] = (byte)shift;
            Mask[node] = cuts - 1;
            int firstChild = Children.Count;
            First[node] = firstChild;
            for (int c = 0; c < cuts; c++) Children.Add(0);
            var childBits = (int[])bits.Clone();
            childBits[best] = shift;
            var childCuttable = (int[])cuttable.Clone();
            childCuttable[best] = shift;
            int prev = -1;
            List<int>? prevList = null;
            for (int c = 0; c < cuts; c++)
            {
                // Neighbours with the same rules share one leaf (HiCuts' node merging; a subtree's cuts depend on its region).
                if (prevList is not null && Dim[prev] < 0 && prevList.SequenceEqual(parts[c])) { Children[firstChild + c] = prev; continue; }
                var childRegion = (uint[])region.Clone();
                childRegion[best] = region[best] + ((uint)c << shift);
                prev = Node(parts[c].ToArray(), childRegion, childBits, childCuttable, depth + 1);
                prevList = parts[c];
                Children[firstChild + c] = prev;
            }
            return node;
        }
    }
}
