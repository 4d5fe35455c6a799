using PfSim.Rules;

namespace PfSim.Analysis;

/// <summary>The headers one rule matches, and what about it header fields alone cannot decide.</summary>
public sealed class RuleRegion
{
    public required List<Box> Boxes { get; init; }
    /// <summary>Criteria outside the header (user, tag, os, probability, …): the region assumes they hold.</summary>
    public required IReadOnlyList<string> Unmodeled { get; init; }
    public bool IsCertain => Unmodeled.Count == 0;
}

/// <summary>
/// A rule's match region, criterion by criterion as pf_match_rule tests them: interface, direction,
/// family, protocol, addresses, then per protocol the TCP flags, ports and ICMP type/code (pf tests
/// those only for the protocols that have them), and OpenBSD's rule that reply-direction ICMP cannot
/// match a non-sloppy stateful rule.
/// </summary>
public sealed class RuleRegions(HeaderSpace space, PfConfig config)
{
    private readonly Dictionary<Rule, RuleRegion> cache = new(ReferenceEqualityComparer.Instance);

    public HeaderSpace Space => space;

    /// <summary>ICMP types pf_icmp_mapping puts in the reply direction (icmp_dir OUT), IPv4 (the mapping follows the packet's family).</summary>
    public static readonly ByteSet Icmp4Replies = ByteSet.Of(0, 9, 14, 16, 18, 34, 36);
    /// <summary>The same for ICMPv6: echo reply, node information reply, and type 201 (neighbour advertisements count as errors there).</summary>
    public static readonly ByteSet Icmp6Replies = ByteSet.Of(129, 140, 201);

    public RuleRegion Of(Rule rule, Ruleset? owner = null)
    {
        if (cache.TryGetValue(rule, out var r)) return r;
        r = Build(rule, owner ?? config.Main);
        cache[rule] = r;
        return r;
    }

    private RuleRegion Build(Rule rule, Ruleset owner)
    {
        var unmodeled = new List<string>();
        var basis = space.Full();

        var ifs = rule.Interface is null ? space.AllInterfaces : space.InterfacesMatching(rule.Interface);
        if (rule.InterfaceNot) ifs = space.AllInterfaces.Except(ifs);
        basis = basis.WithSet(Box.Iface, ifs);
        basis = basis.WithSet(Box.Dir, rule.Direction switch
        {
            Direction.InOut => ByteSet.Of(1, 2),
            Direction.In => ByteSet.Of(1),
            Direction.Out => ByteSet.Of(2),
            _ => ByteSet.Empty,
        });
        basis = basis.WithSet(Box.Af, rule.Af switch { Af.Inet => ByteSet.Of(4), Af.Inet6 => ByteSet.Of(6), _ => ByteSet.Of(4, 6) });
        if (rule.Proto != 0) basis = basis.WithSet(Box.Proto, ByteSet.Of(rule.Proto));

        var region = space.Restrict(basis);
        region = Narrow(region, AddressCriterion(rule.From.Address, Box.Src, owner, unmodeled, "from"));
        region = Narrow(region, AddressCriterion(rule.To.Address, Box.Dst, owner, unmodeled, "to"));
        if (rule.FlagsMask != 0)
            region = Narrow(region, ForProtocols(ByteSet.Of(6), b => [b.WithSet(Box.Flags, ByteSet.Masked(rule.Flags, rule.FlagsMask))]));
        if (!rule.From.Port.IsAny)
            region = Narrow(region, ForProtocols(HeaderSpace.TcpUdp, b => PortBoxes(b, Box.Sport, rule.From.Port)));
        if (!rule.To.Port.IsAny)
            region = Narrow(region, ForProtocols(HeaderSpace.TcpUdp, b => PortBoxes(b, Box.Dport, rule.To.Port)));
        if (rule.IcmpType != 0)
            region = Narrow(region, ForProtocols(HeaderSpace.IcmpProtos, b => [b.WithSet(Box.IcmpType, ByteSet.Of(rule.IcmpType - 1))]));
        if (rule.IcmpCode != 0)
            region = Narrow(region, ForProtocols(HeaderSpace.IcmpProtos, b => [b.WithSet(Box.IcmpCode, ByteSet.Of(rule.IcmpCode - 1))]));
        if (config.Dialect != Dialect.FreeBsd && rule.IsStateful && !rule.StateOptions.Sloppy)
        {
            var replies = new List<Box>
            {
                space.Full().WithSet(Box.Af, ByteSet.Of(4)).WithSet(Box.Proto, ByteSet.Of(1)).WithSet(Box.IcmpType, Icmp4Replies),
                space.Full().WithSet(Box.Af, ByteSet.Of(6)).WithSet(Box.Proto, ByteSet.Of(58)).WithSet(Box.IcmpType, Icmp6Replies),
            };
            region = Region.Subtract(region, replies);
        }
        // A `fragment` rule matches only fragments pf did not reassemble; first packets here are whole.
        if (rule.Fragment) region = [];

        if (!rule.Uid.IsAny) unmodeled.Add("user");
        if (!rule.Gid.IsAny) unmodeled.Add("group");
        if (rule.Os is not null) unmodeled.Add("os");
        if (rule.Tos is not null) unmodeled.Add("tos");
        if (rule.Prio is not null) unmodeled.Add("prio");
        if (rule.Probability != 0) unmodeled.Add("probability");
        if (rule.Tagged is not null) unmodeled.Add("tagged");
        if (rule.ReceivedOn is not null) unmodeled.Add("received-on");
        if (rule.RDomain >= 0) unmodeled.Add("rdomain");
        if (rule.Once) unmodeled.Add("once");
        return new RuleRegion { Boxes = region, Unmodeled = unmodeled };
    }

    private static List<Box> Narrow(List<Box> region, List<Box> criterion) => Region.Intersect(region, criterion);

    /// <summary>Packets of other protocols pass the test untouched; packets of <paramref name="protos"/> must fall in the boxes <paramref name="test"/> gives.</summary>
    private List<Box> ForProtocols(ByteSet protos, Func<Box, List<Box>> test)
    {
        var full = space.Full();
        var result = new List<Box> { full.WithSet(Box.Proto, ByteSet.All.Except(protos)) };
        result.AddRange(test(full.WithSet(Box.Proto, protos)));
        return result;
    }

    private static List<Box> PortBoxes(Box b, int field, PortMatch m)
    {
        var r = new List<Box>();
        void Add(long lo, long hi)
        {
            lo = Math.Max(lo, 0);
            hi = Math.Min(hi, 65535);
            if (lo <= hi) r.Add(b.WithRange(field, (UInt128)lo, (UInt128)hi));
        }
        long a = m.Lo, z = m.Hi;
        switch (m.Op)
        {
            case PortOp.Eq: Add(a, a); break;
            case PortOp.Ne: Add(0, a - 1); Add(a + 1, 65535); break;
            case PortOp.Lt: Add(0, a - 1); break;
            case PortOp.Le: Add(0, a); break;
            case PortOp.Gt: Add(a + 1, 65535); break;
            case PortOp.Ge: Add(a, 65535); break;
            case PortOp.InsideExclusive: Add(a + 1, z - 1); break;
            case PortOp.Outside: Add(0, a - 1); Add(z + 1, 65535); break;
            case PortOp.Range: Add(a, z); break;
            default: Add(0, 65535); break;
        }
        // Ne and Outside can yield two overlapping-free pieces; an empty operator range matches nothing.
        return r;
    }

    private List<Box> AddressCriterion(AddressMatch m, int field, Ruleset owner, List<string> unmodeled, string side)
    {
        var full = space.Full();
        var set = AddressSets.Positive(m, config.Host, owner);
        if (set is null)
        {
            unmodeled.Add($"{side} {m.Kind switch { AddressKind.NoRoute => "no-route", AddressKind.UrpfFailed => "urpf-failed", _ => "route " + m.Name }}");
            return [full];
        }
        if (m.Not) set = AddressSets.Complement(set);
        return AddressSets.Normalize(set)
            .Select(i => full.WithSet(Box.Af, ByteSet.Of(i.Af)).WithRange(field, i.Lo, i.Hi))
            .ToList();
    }
}
