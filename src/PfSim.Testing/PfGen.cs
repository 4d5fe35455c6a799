using FsCheck;
using FsCheck.Fluent;
using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Testing;

/// <summary>
/// FsCheck generators of packets drawn from a ruleset: half of the time from the values the ruleset talks
/// about (network edges, table entries, port operands and their neighbours), otherwise from the whole
/// range. FsCheck's own numeric generators stay near zero; these cover 32- and 128-bit addresses and all ports.
/// </summary>
public static class PfGen
{
    /// <summary>A uniformly random 64-bit number.</summary>
    public static Gen<ulong> UInt64 { get; } =
        Gen.Choose(0, 65535).SelectMany(a => Gen.Choose(0, 65535).SelectMany(b => Gen.Choose(0, 65535).SelectMany(c => Gen.Choose(0, 65535)
            .Select(d => (ulong)(uint)a << 48 | (ulong)(uint)b << 32 | (ulong)(uint)c << 16 | (uint)d))));

    /// <summary>A number in lo..hi inclusive, uniformly (up to the modulo bias of 128 bits).</summary>
    public static Gen<UInt128> Between(UInt128 lo, UInt128 hi)
    {
        if (lo >= hi) return Gen.Constant(lo);
        var span = hi - lo;
        return UInt64.SelectMany(h => UInt64.Select(l =>
        {
            var v = ((UInt128)h << 64) | l;
            return span == UInt128.MaxValue ? v : lo + v % (span + 1);
        }));
    }

    /// <summary>Interesting values inside lo..hi half of the time, any value of the range otherwise.</summary>
    public static Gen<UInt128> Field(UInt128 lo, UInt128 hi, IEnumerable<UInt128> interesting)
    {
        var inside = interesting.Where(v => v >= lo && v <= hi).Distinct().ToArray();
        var any = Between(lo, hi);
        if (inside.Length == 0) return any;
        return Gen.Frequency((1, any), (1, Gen.Elements(inside)));
    }

    /// <summary>Packets anywhere in header space.</summary>
    public static Gen<TestPacket> Packets(PfConfig config) => Within(config, HeaderSpace.For(config).Universe);

    /// <summary>Packets that lie in <paramref name="region"/> (boxes of the config's header space).</summary>
    public static Gen<TestPacket> Within(PfConfig config, IReadOnlyList<Box> region, HeaderSpace? space = null)
    {
        if (region.Count == 0) throw new ArgumentException("the region holds no packet", nameof(region));
        space ??= HeaderSpace.For(config);
        var values = new RulesetValues(config);
        return Gen.Elements(region.ToArray()).SelectMany(b => InBox(b, space, values));
    }

    /// <summary>A packet of one box.</summary>
    public static Gen<TestPacket> InBox(Box b, HeaderSpace space, RulesetValues values)
    {
        var ifs = b.Set(Box.Iface).Values().ToArray();
        var named = ifs.Where(i => space.Interfaces[i] != HeaderSpace.OtherInterface).ToArray();
        var ifGen = named.Length > 0 ? Gen.Elements(named) : Gen.Elements(ifs);
        var protos = b.Set(Box.Proto).Values().ToArray();
        var likely = protos.Where(p => values.Protocols.Contains(p)).ToArray();
        var protoGen = likely.Length > 0 ? Gen.Frequency((4, Gen.Elements(likely)), (1, Gen.Elements(protos))) : Gen.Elements(protos);
        var flags = b.Set(Box.Flags);
        var flagGen = flags.Contains(0x02) ? Gen.Frequency((3, Gen.Constant(0x02)), (1, Gen.Elements(flags.Values().ToArray()))) : Gen.Elements(flags.Values().ToArray());
        var types = b.Set(Box.IcmpType);
        var likelyTypes = values.IcmpTypes.Where(types.Contains).ToArray();
        var typeGen = likelyTypes.Length > 0 ? Gen.Frequency((3, Gen.Elements(likelyTypes)), (1, Gen.Elements(types.Values().ToArray()))) : Gen.Elements(types.Values().ToArray());
        var af = b.Set(Box.Af).Min;
        var addrValues = values.Addresses.Where(a => (a.IsV4 ? 4 : 6) == af).Select(a => HeaderPoint.ToNumber(a)).ToArray();
        var portValues = values.Ports.Select(p => (UInt128)p).ToArray();
        var src = Field(b.Lo(Box.Src), b.Hi(Box.Src), addrValues);
        var dst = Field(b.Lo(Box.Dst), b.Hi(Box.Dst), addrValues);
        var sport = Field(b.Lo(Box.Sport), b.Hi(Box.Sport), [49152, 1024, .. portValues]);
        var dport = Field(b.Lo(Box.Dport), b.Hi(Box.Dport), portValues);
        var dir = Gen.Elements(b.Set(Box.Dir).Values().ToArray());
        var code = Gen.Elements(b.Set(Box.IcmpCode).Values().ToArray());

        return from i in ifGen
               from d in dir
               from p in protoGen
               from s in src
               from t in dst
               from sp in sport
               from dp in dport
               from f in flagGen
               from ty in typeGen
               from c in code
               from id in Gen.Choose(1, 65535)
               select new TestPacket
               {
                   Interface = space.Interfaces[i],
                   Direction = (Direction)d,
                   Source = HeaderPoint.ToAddress(af, s),
                   Destination = HeaderPoint.ToAddress(af, t),
                   Protocol = p,
                   SourcePort = p is 6 or 17 ? (int)sp : 0,
                   DestinationPort = p is 6 or 17 ? (int)dp : 0,
                   TcpFlags = p == 6 ? f : 0,
                   IcmpType = p is 1 or 58 ? ty : 0,
                   IcmpCode = p is 1 or 58 ? c : 0,
                   IcmpId = p is 1 or 58 ? id : 0,
               }.WithQuoteIfError();
    }

    /// <summary>
    /// Simpler packets of the same region: one field at a time moved to the region's plainest value for it
    /// (a well-known port, the network's first host, a SYN), so a failing case shrinks to the fields that matter.
    /// </summary>
    public static IEnumerable<TestPacket> Shrink(TestPacket p, IReadOnlyList<Box> region, HeaderSpace space)
    {
        var point = p.ToPoint(space);
        var box = region.FirstOrDefault(b => b.Contains(point));
        if (box is null) yield break;
        var w = box.Witness();
        var plain = TestPacket.FromPoint(w, space);
        if (p.IcmpId != 1 && p.Protocol is 1 or 58) yield return p with { IcmpId = 1 };
        if (p.Interface != plain.Interface) yield return p with { Interface = plain.Interface };
        if (p.Direction != plain.Direction) yield return p with { Direction = plain.Direction };
        if (p.Source != plain.Source) yield return p with { Source = plain.Source };
        if (p.Destination != plain.Destination) yield return p with { Destination = plain.Destination };
        if (p.SourcePort != plain.SourcePort) yield return p with { SourcePort = plain.SourcePort };
        if (p.DestinationPort != plain.DestinationPort) yield return p with { DestinationPort = plain.DestinationPort };
        if (p.TcpFlags != plain.TcpFlags) yield return p with { TcpFlags = plain.TcpFlags };
        if (p.IcmpType != plain.IcmpType) yield return p with { IcmpType = plain.IcmpType, IcmpCode = plain.IcmpCode };
        if (p.Protocol != plain.Protocol) yield return plain;
    }

    /// <summary>An arbitrary (generator and shrinker) of packets in a region.</summary>
    public static Arbitrary<TestPacket> Arbitrary(PfConfig config, IReadOnlyList<Box> region, HeaderSpace? space = null)
    {
        space ??= HeaderSpace.For(config);
        var s = space;
        return Arb.From(Within(config, region, s), p => Shrink(p, region, s));
    }
}
