using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Compile;

/// <summary>
/// EffiCuts' separation (Vamanan, Voskuilen and Vijaykumar, SIGCOMM 2010) for the cut trees: rules are grouped by which
/// fields are "large" (cover more than <see cref="Largeness"/> of the field), and each group gets its own tree that never
/// cuts its large fields. A wildcard then lives in one leaf of one small tree instead of being copied into every cut of
/// one big tree, which is what made wildcard-heavy sets (ClassBench fw1) leave thousands of rules per leaf.
/// Groups smaller than <see cref="MergeBelow"/> join the group whose large fields are the fewest that include theirs
/// (EffiCuts' category merging): that tree does not cut those fields either, so nothing is copied, and there are fewer
/// trees to look up per packet.
/// (Putting the small groups no big one includes into one shared tree was measured worse: their wildcards copy again.)
/// </summary>
internal static class Categories
{
    /// <summary>A field is large when a rule's interval covers more than this fraction of it (EffiCuts' 0.5).</summary>
    public const double Largeness = 0.5;
    /// <summary>Groups with fewer rules than this, or than <see cref="MergeFraction"/> of the class, merge into a compatible bigger group.</summary>
    public const int MergeBelow = 64;
    public const double MergeFraction = 0.05;
    /// <summary>HiCuts' binth: a node with this many rules or fewer is a leaf.</summary>
    public const int Binth = 8;
    /// <summary>
    /// The fields that define categories: addresses and ports. The protocol (8 bits, a handful of values) is left to the
    /// trees' cuts: as a category field it doubled the trees for no fewer rules tested (measured on ClassBench).
    /// </summary>
    public const int CategoryFields = 0b01111;

    /// <summary>
    /// The trees for one packet class (address family, with or without ports). With <paramref name="separate"/> false,
    /// one HiCuts tree for the whole class (the design before the separation, kept for measuring).
    /// </summary>
    public static CutTree Build(CompiledRule[] rules, Af af, bool ports, RuleBox[] boxes, bool separate = true)
    {
        const int F = CutTree.Fields;
        var ids = new List<int>(rules.Length);
        var lo = new uint[rules.Length * F];
        var hi = new uint[rules.Length * F];
        for (int i = 0; i < rules.Length; i++)
        {
            ref readonly var r = ref rules[i];
            if (r.Af != Af.Any && r.Af != af) continue;
            if (ports && r.Proto != 0 && r.Proto != IpProto.Tcp && r.Proto != IpProto.Udp) continue;
            bool ok = AddressBox(r.Src, af, out lo[i * F], out hi[i * F])
                && AddressBox(r.Dst, af, out lo[i * F + 1], out hi[i * F + 1])
                && PortBox(ports ? r.SrcPort : PortMatch.Any, out lo[i * F + 2], out hi[i * F + 2])
                && PortBox(ports ? r.DstPort : PortMatch.Any, out lo[i * F + 3], out hi[i * F + 3]);
            if (!ok) continue;
            lo[i * F + 4] = r.Proto == 0 ? 0u : r.Proto;
            hi[i * F + 4] = r.Proto == 0 ? 255u : r.Proto;
            ids.Add(i);
            boxes[i] = new RuleBox(lo.AsSpan(i * F, F), hi.AsSpan(i * F, F));
        }
        if (!separate) return CutTree.Build([ids.ToArray()], [0], lo, hi);

        // Group by large-field mask (ids stay ascending within a group).
        var byMask = new SortedDictionary<int, List<int>>();
        foreach (int i in ids)
        {
            int mask = 0;
            for (int d = 0; d < F; d++)
            {
                if ((CategoryFields & (1 << d)) == 0) continue;
                double width = (double)hi[i * F + d] - lo[i * F + d] + 1;
                if (width > Largeness * Math.Pow(2, CutTree.FieldBits[d])) mask |= 1 << d;
            }
            if (!byMask.TryGetValue(mask, out var g)) byMask[mask] = g = [];
            g.Add(i);
        }
        // A small group joins the smallest big group whose large fields include its own: that tree never cuts those
        // fields, so nothing is copied, and the small group's rules are still split on every field the tree cuts.
        var groups = byMask.Select(kv => new Group(kv.Key, kv.Value)).ToList();
        int mergeBelow = Math.Max(MergeBelow, (int)(MergeFraction * ids.Count));
        var big = groups.Where(g => g.Ids.Count >= mergeBelow).ToList();
        foreach (var small in groups.Except(big).OrderByDescending(g => PopCount(g.Mask)).ToList())
        {
            var target = big.Where(g => (g.Mask & small.Mask) == small.Mask).OrderBy(g => PopCount(g.Mask)).ThenByDescending(g => g.Ids.Count).FirstOrDefault();
            if (target is null) continue;
            target.Ids.AddRange(small.Ids);
            groups.Remove(small);
        }
        foreach (var g in groups) g.Ids.Sort();
        return CutTree.Build([.. groups.Select(g => g.Ids.ToArray())], [.. groups.Select(g => g.Mask)], lo, hi, Binth);
    }

    private sealed class Group(int mask, List<int> ids)
    {
        public readonly int Mask = mask;
        public readonly List<int> Ids = ids;
    }

    private static int PopCount(int x) => System.Numerics.BitOperations.PopCount((uint)x);

    /// <summary>The packet-key interval of an address criterion (IPv6: its top 32 bits); false when no address of the family matches.</summary>
    private static bool AddressBox(in CompiledAddress a, Af af, out uint lo, out uint hi)
    {
        lo = 0;
        hi = uint.MaxValue;
        if (a.Not) return true;
        if (a.Kind == AddressKind.Network)
        {
            if (a.Family != af) return false;
            uint net = Key(a.Hi, a.Lo, af), mask = Key(a.MaskHi, a.MaskLo, af);
            lo = net & mask;
            hi = net | ~mask;
            return true;
        }
        if (a.Kind == AddressKind.Range)
        {
            if (a.RangeStart.Family != af) return false;
            lo = Key(a.RangeStart.Hi, a.RangeStart.Lo, af);
            hi = Key(a.RangeEnd.Hi, a.RangeEnd.Lo, af);
            return lo <= hi;
        }
        // no-route, urpf-failed and the rest depend on more than the address: the whole range may match.
        return true;
    }

    /// <summary>The 32-bit tree key of an address: the IPv4 value, or the top 32 bits of an IPv6 address.</summary>
    public static uint Key(ulong hi, ulong lo, Af af) => af == Af.Inet ? (uint)lo : (uint)(hi >> 32);

    private static bool PortBox(in PortMatch m, out uint lo, out uint hi)
    {
        lo = 0;
        hi = 65535;
        switch (m.Op)
        {
            case PortOp.Eq: lo = hi = m.Lo; break;
            case PortOp.Range: lo = m.Lo; hi = m.Hi; break;
            case PortOp.InsideExclusive: if (m.Hi == 0) return false; lo = m.Lo + 1; hi = m.Hi - 1; break;
            case PortOp.Lt: if (m.Lo == 0) return false; hi = m.Lo - 1; break;
            case PortOp.Le: hi = m.Lo; break;
            case PortOp.Gt: lo = m.Lo + 1; break;
            case PortOp.Ge: lo = m.Lo; break;
            default: return true; // none, !=, <>: the whole field
        }
        hi = Math.Min(hi, 65535u);
        return lo <= hi;
    }
}

/// <summary>
/// A rule's box in one compact record (32 bytes), tested before the rule itself: a packet outside it cannot match the
/// rule (the box only ever widens a criterion), so the walk passes over it without touching the rule, as if pf's test failed.
/// </summary>
internal readonly struct RuleBox
{
    private readonly uint _srcLo, _srcSpan, _dstLo, _dstSpan;
    private readonly ushort _sportLo, _sportSpan, _dportLo, _dportSpan;
    private readonly byte _protoLo, _protoSpan;

    public RuleBox(ReadOnlySpan<uint> lo, ReadOnlySpan<uint> hi)
    {
        _srcLo = lo[0]; _srcSpan = hi[0] - lo[0];
        _dstLo = lo[1]; _dstSpan = hi[1] - lo[1];
        _sportLo = (ushort)lo[2]; _sportSpan = (ushort)(hi[2] - lo[2]);
        _dportLo = (ushort)lo[3]; _dportSpan = (ushort)(hi[3] - lo[3]);
        _protoLo = (byte)lo[4]; _protoSpan = (byte)(hi[4] - lo[4]);
    }

    /// <summary>The key is inside the box; <paramref name="ports"/> false: a packet whose ports pf does not read (the port fields are not tested).</summary>
    public bool Contains(uint src, uint dst, uint sport, uint dport, uint proto, bool ports) =>
        src - _srcLo <= _srcSpan && dst - _dstLo <= _dstSpan && proto - _protoLo <= _protoSpan
        && (!ports || ((ushort)(sport - _sportLo) <= _sportSpan && (ushort)(dport - _dportLo) <= _dportSpan));
}
