namespace PfSim.Compile;

/// <summary>
/// A HiCuts-style decision tree over five fields (source, destination, source port, destination port, protocol).
/// Each rule is a box (a closed interval per field); a field the tree cannot express (negation, tables, interface
/// addresses, <c>!=</c> ports) is the whole field. A leaf lists, in evaluation order, every rule whose box meets the leaf's
/// region: a superset of the rules a packet in that region can match, which the caller tests exactly. So the tree only
/// ever removes rules that fail a criterion pf tests before <c>probability</c> and <c>tagged</c>, and the walk over a leaf
/// sees the same rules, in the same order, as pf's walk would after discarding those.
/// </summary>
public sealed class CutTree
{
    /// <summary>Bits of each field: addresses (the top 32 bits for IPv6), ports, protocol.</summary>
    public static readonly int[] FieldBits = [32, 32, 16, 16, 8];
    public const int Fields = 5;

    // Node i: Dim[i] < 0 for a leaf (rules LeafStart..LeafStart+LeafCount in _leafRules), else children at Child[i]..+2^Cuts.
    private readonly sbyte[] _dim;
    private readonly byte[] _shift;
    private readonly int[] _mask;
    private readonly int[] _first;
    private readonly int[] _count;
    private readonly int[] _children;
    private readonly int[] _leafRules;

    public int NodeCount => _dim.Length;
    public int LeafRuleCount => _leafRules.Length;
    public int MaxLeaf { get; }
    public int Depth { get; }
    public long MemoryBytes => _dim.Length * (1L + 1 + 4 + 4 + 4) + _children.Length * 4L + _leafRules.Length * 4L;

    /// <summary>Looks up the leaf of a key and returns its rules (ascending flat indices).</summary>
    public ReadOnlySpan<int> Lookup(uint src, uint dst, uint sport, uint dport, uint proto)
    {
        int n = 0;
        var dim = _dim;
        while (true)
        {
            int d = dim[n];
            if (d < 0) return new ReadOnlySpan<int>(_leafRules, _first[n], _count[n]);
            uint key = d switch { 0 => src, 1 => dst, 2 => sport, 3 => dport, _ => proto };
            n = _children[_first[n] + (int)((key >> _shift[n]) & (uint)_mask[n])];
        }
    }

    private CutTree(Builder b)
    {
        _dim = b.Dim.ToArray();
        _shift = b.Shift.ToArray();
        _mask = b.Mask.ToArray();
        _first = b.First.ToArray();
        _count = b.Count.ToArray();
        _children = b.Children.ToArray();
        _leafRules = b.LeafRules.ToArray();
        MaxLeaf = b.MaxLeaf;
        Depth = b.MaxDepth;
    }

    /// <summary>Builds the tree over rule boxes: <paramref name="lo"/>/<paramref name="hi"/>[rule * 5 + field]; <paramref name="ids"/> ascending.</summary>
    public static CutTree Build(int[] ids, uint[] lo, uint[] hi, int binth = 8, double spaceFactor = 2.0)
    {
        var b = new Builder(lo, hi, binth, spaceFactor);
        var region = new uint[Fields];
        var bits = (int[])FieldBits.Clone();
        b.Node(ids, region, bits, 0);
        return new CutTree(b);
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
        private readonly long budget = 16L * lo.Length / Fields + 4096;

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

        public int Node(int[] ids, uint[] region, int[] bits, int depth)
        {
            MaxDepth = Math.Max(MaxDepth, depth);
            // Beyond the budget (copies of rules in leaves) the rest of the tree is leaves: bounded memory, still exact.
            if (ids.Length <= binth || depth >= 24 || LeafRules.Count > budget) return Leaf(ids);
            // For each field, as many cuts as the space measure allows (HiCuts); keep the field whose largest child is smallest.
            int best = -1, bestLog = 0, bestMax = ids.Length;
            long bestCopies = long.MaxValue;
            for (int d = 0; d < Fields; d++)
            {
                int w = bits[d];
                if (w == 0) continue;
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
            int prev = -1;
            List<int>? prevList = null;
            for (int c = 0; c < cuts; c++)
            {
                // Neighbours with the same rules share one leaf (HiCuts' node merging; a subtree's cuts depend on its region).
                if (prevList is not null && Dim[prev] < 0 && prevList.SequenceEqual(parts[c])) { Children[firstChild + c] = prev; continue; }
                var childRegion = (uint[])region.Clone();
                childRegion[best] = region[best] + ((uint)c << shift);
                prev = Node(parts[c].ToArray(), childRegion, childBits, depth + 1);
                prevList = parts[c];
                Children[firstChild + c] = prev;
            }
            return node;
        }
    }
}
