namespace PfSim.Analysis;

/// <summary>
/// One box of header space: a product of per-field value sets. Small fields (interface, direction,
/// address family, protocol, TCP flags, ICMP type and code) are sets of 0..255; addresses and ports
/// are inclusive intervals. Immutable.
/// </summary>
public sealed class Box
{
    public const int SetCount = 7;
    public const int RangeCount = 4;

    // Set fields.
    public const int Iface = 0, Dir = 1, Af = 2, Proto = 3, Flags = 4, IcmpType = 5, IcmpCode = 6;
    // Interval fields.
    public const int Src = 0, Dst = 1, Sport = 2, Dport = 3;

    private readonly ByteSet[] sets;
    private readonly UInt128[] lo;
    private readonly UInt128[] hi;

    public Box(ByteSet[] sets, UInt128[] lo, UInt128[] hi)
    {
        this.sets = sets;
        this.lo = lo;
        this.hi = hi;
    }

    public ByteSet Set(int field) => sets[field];
    public UInt128 Lo(int field) => lo[field];
    public UInt128 Hi(int field) => hi[field];

    public bool IsEmpty
    {
        get
        {
            for (int i = 0; i < SetCount; i++) if (sets[i].IsEmpty) return true;
            for (int i = 0; i < RangeCount; i++) if (lo[i] > hi[i]) return true;
            return false;
        }
    }

    public Box WithSet(int field, ByteSet value)
    {
        var s = (ByteSet[])sets.Clone();
        s[field] = value;
        return new Box(s, lo, hi);
    }

    public Box WithRange(int field, UInt128 l, UInt128 h)
    {
        var nl = (UInt128[])lo.Clone();
        var nh = (UInt128[])hi.Clone();
        nl[field] = l;
        nh[field] = h;
        return new Box(sets, nl, nh);
    }

    public bool Overlaps(Box o)
    {
        for (int i = 0; i < RangeCount; i++)
            if (lo[i] > o.hi[i] || o.lo[i] > hi[i]) return false;
        for (int i = 0; i < SetCount; i++)
            if (!sets[i].Overlaps(o.sets[i])) return false;
        return true;
    }

    /// <summary>True when every point of <paramref name="o"/> is in this box.</summary>
    public bool Covers(Box o)
    {
        for (int i = 0; i < RangeCount; i++)
            if (o.lo[i] < lo[i] || o.hi[i] > hi[i]) return false;
        for (int i = 0; i < SetCount; i++)
            if (!o.sets[i].IsSubsetOf(sets[i])) return false;
        return true;
    }

    /// <summary>The common part, or null when there is none.</summary>
    public Box? Intersect(Box o)
    {
        if (!Overlaps(o)) return null;
        var s = new ByteSet[SetCount];
        var l = new UInt128[RangeCount];
        var h = new UInt128[RangeCount];
        for (int i = 0; i < SetCount; i++) s[i] = sets[i].Intersect(o.sets[i]);
        for (int i = 0; i < RangeCount; i++)
        {
            l[i] = UInt128.Max(lo[i], o.lo[i]);
            h[i] = UInt128.Min(hi[i], o.hi[i]);
        }
        return new Box(s, l, h);
    }

    /// <summary>
    /// This box minus <paramref name="o"/>, as disjoint boxes: peel off, field by field, the part outside
    /// <paramref name="o"/>, then narrow that field to the overlap and go on with the next.
    /// </summary>
    public void SubtractInto(Box o, List<Box> result)
    {
        if (!Overlaps(o)) { result.Add(this); return; }
        var s = (ByteSet[])sets.Clone();
        var l = (UInt128[])lo.Clone();
        var h = (UInt128[])hi.Clone();
        // Intervals first: addresses and ports separate most rules.
        for (int i = 0; i < RangeCount; i++)
        {
            if (l[i] < o.lo[i])
            {
                var pl = (UInt128[])l.Clone(); var ph = (UInt128[])h.Clone();
                ph[i] = o.lo[i] - 1;
                result.Add(new Box((ByteSet[])s.Clone(), pl, ph));
                l[i] = o.lo[i];
            }
            if (h[i] > o.hi[i])
            {
                var pl = (UInt128[])l.Clone(); var ph = (UInt128[])h.Clone();
                pl[i] = o.hi[i] + 1;
                result.Add(new Box((ByteSet[])s.Clone(), pl, ph));
                h[i] = o.hi[i];
            }
        }
        for (int i = 0; i < SetCount; i++)
        {
            var outside = s[i].Except(o.sets[i]);
            if (!outside.IsEmpty)
            {
                var ps = (ByteSet[])s.Clone();
                ps[i] = outside;
                result.Add(new Box(ps, (UInt128[])l.Clone(), (UInt128[])h.Clone()));
                s[i] = s[i].Intersect(o.sets[i]);
            }
        }
    }

    public bool Contains(in HeaderPoint p) =>
        sets[Iface].Contains(p.Iface) && sets[Dir].Contains(p.Dir) && sets[Af].Contains(p.Af) &&
        sets[Proto].Contains(p.Proto) && sets[Flags].Contains(p.Flags) &&
        sets[IcmpType].Contains(p.IcmpType) && sets[IcmpCode].Contains(p.IcmpCode) &&
        In(Src, p.Src) && In(Dst, p.Dst) && In(Sport, (UInt128)p.Sport) && In(Dport, (UInt128)p.Dport);

    private bool In(int field, UInt128 v) => v >= lo[field] && v <= hi[field];

    /// <summary>One packet of the box, chosen to look like real traffic where the box allows it.</summary>
    public HeaderPoint Witness()
    {
        int proto = sets[Proto].Min;
        // A SYN is the first packet of a TCP connection; prefer it, then a plain ACK.
        int flags = sets[Flags].Contains(0x02) ? 0x02 : sets[Flags].Contains(0x10) ? 0x10 : sets[Flags].Min;
        // An echo request is the usual first ICMP packet.
        int type = sets[IcmpType].Contains(8) && proto == 1 ? 8 : sets[IcmpType].Contains(128) && proto == 58 ? 128 : sets[IcmpType].Min;
        return new HeaderPoint(
            sets[Iface].Min, sets[Dir].Min, sets[Af].Min, proto,
            Pick(Src), Pick(Dst), (int)PickPort(Sport, 49152), (int)PickPort(Dport, 0),
            flags, type, sets[IcmpCode].Min);
    }

    // A network's first address is its network address; a host inside reads better when there is one.
    private UInt128 Pick(int field) => hi[field] > lo[field] ? lo[field] + 1 : lo[field];

    private UInt128 PickPort(int field, uint preferred) =>
        preferred >= lo[field] && preferred <= hi[field] ? preferred : lo[field];
}

/// <summary>One packet header as a point of header space (addresses as 128-bit numbers; IPv4 in the low 32 bits).</summary>
public readonly record struct HeaderPoint(
    int Iface, int Dir, int Af, int Proto, UInt128 Src, UInt128 Dst, int Sport, int Dport, int Flags, int IcmpType, int IcmpCode)
{
    public Address SrcAddress => ToAddress(Af, Src);
    public Address DstAddress => ToAddress(Af, Dst);

    public static Address ToAddress(int af, UInt128 v) =>
        af == 4 ? Address.V4((uint)v) : new Address(PfSim.Af.Inet6, (ulong)(v >> 64), (ulong)v);

    public static UInt128 ToNumber(in Address a) => a.IsV4 ? a.V4Value : ((UInt128)a.Hi << 64) | a.Lo;
}
