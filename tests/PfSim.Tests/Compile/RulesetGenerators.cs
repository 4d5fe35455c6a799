using FsCheck;
using FsCheck.Fluent;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Tests.Compile;

/// <summary>A packet as the ruleset sees it (what <c>RuleQuery</c> carries), generated.</summary>
public sealed record GenPacket(Af Af, Address Src, Address Dst, byte Proto, ushort SrcPort, ushort DstPort, TcpFlags Flags,
    byte IcmpType, byte IcmpCode, byte Tos, bool Fragment, bool IcmpError, Direction IcmpDirection, Direction Direction,
    string Interface, string? Tag, uint Uid, string? ReceivedOn);

/// <summary>
/// Generators that reach the hard parts of rule matching: overlapping prefixes of every length, ranges, tables with
/// negated entries, <c>!</c> on everything, port operators at their edges, anchors (nested and wildcard), quick, match
/// rules, tags, probability, once, user, received-on, and packets drawn from the same addresses and ports.
/// </summary>
public static class RulesetGenerators
{
    private static readonly Address[] V4Pool = [.. new[] { "10.0.0.0", "10.0.0.1", "10.0.0.2", "10.0.0.127", "10.0.0.128", "10.0.0.255",
        "10.0.1.0", "10.0.1.1", "10.0.1.200", "10.1.0.1", "10.255.255.255", "192.168.1.1", "192.168.1.129", "0.0.0.0", "255.255.255.255", "127.0.0.1" }
        .Select(Address.Parse)];
    private static readonly Address[] V6Pool = [.. new[] { "2001:db8::", "2001:db8::1", "2001:db8::ff", "2001:db8:1::1", "2001:db9::1", "fe80::1", "::1", "ffff:ffff::" }
        .Select(Address.Parse)];
    private static readonly int[] V4Prefixes = [0, 1, 8, 9, 16, 23, 24, 25, 31, 32];
    private static readonly int[] V6Prefixes = [0, 16, 31, 32, 33, 48, 64, 127, 128];
    public static readonly uint[] PortEdges = [0, 1, 22, 79, 80, 81, 443, 1023, 1024, 1025, 65534, 65535];
    private static readonly string[] Interfaces = ["em0", "em1", "egress", "any", "lo0", "lo"];

    public static HostModel Host()
    {
        var h = HostModel.CreateDefault();
        h.Interfaces.Add(new HostInterface("em0", [new InterfaceAddress(Address.Parse("10.0.0.1"), 24), new InterfaceAddress(Address.Parse("2001:db8::1"), 64)], ["egress"]));
        h.Interfaces.Add(new HostInterface("em1", [new InterfaceAddress(Address.Parse("192.168.1.1"), 24)], []));
        return h;
    }

    private static Gen<Address> AddressOf(Af af) => Gen.Elements(af == Af.Inet6 ? V6Pool : V4Pool);

    private static Gen<AddressMatch> Network =>
        from af in Gen.Frequency((3, Gen.Constant(Af.Inet)), (1, Gen.Constant(Af.Inet6)))
        from a in AddressOf(af)
        from p in Gen.Elements(af == Af.Inet ? V4Prefixes : V6Prefixes)
        select AddressMatch.Net(a, p);

    private static Gen<AddressMatch> Range =>
        from af in Gen.Frequency((3, Gen.Constant(Af.Inet)), (1, Gen.Constant(Af.Inet6)))
        from a in AddressOf(af)
        from b in AddressOf(af)
        select new AddressMatch { Kind = AddressKind.Range, Address = a < b ? a : b, RangeEnd = a < b ? b : a };

    // A placeholder table marks "resolved by the loader"; Build swaps in the configuration's table of that name.
    private static Gen<AddressMatch> TableRef =>
        from name in Gen.Elements("t1", "t2", "empty", "missing")
        from resolved in Gen.Elements(true, false)
        select new AddressMatch { Kind = AddressKind.Table, Name = name, Table = resolved ? new Table(name) : null };

    private static Gen<AddressMatch> Dynamic =>
        from name in Gen.Elements("em0", "em1", "egress", "self", "lo0")
        from mod in Gen.Elements(InterfaceModifier.None, InterfaceModifier.Network, InterfaceModifier.Broadcast, InterfaceModifier.NoAlias)
        select new AddressMatch { Kind = AddressKind.Dynamic, Name = name, Modifiers = mod };

    private static Gen<AddressMatch> AddressCriterion =>
        from m in Gen.Frequency((5, Gen.Constant(AddressMatch.AnyAddress)), (8, Network), (1, Range), (2, TableRef), (1, Dynamic),
            (1, Gen.Constant(new AddressMatch { Kind = AddressKind.NoRoute })))
        from not in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        select not && m.Kind != AddressKind.Any ? m with { Not = true } : m;

    public static Gen<PortMatch> Port =>
        Gen.Frequency(
            (4, Gen.Constant(PortMatch.Any)),
            (6, from op in Gen.Elements(Enum.GetValues<PortOp>().Where(o => o != PortOp.None).ToArray())
                from lo in Gen.Elements(PortEdges)
                from hi in Gen.Elements(PortEdges)
                select new PortMatch(op, lo, op is PortOp.Range or PortOp.InsideExclusive or PortOp.Outside ? hi : lo)));

    private static Gen<T> Rarely<T>(T common, Gen<T> rare, int odds = 8) => Gen.Frequency((odds, Gen.Constant(common)), (1, rare));

    public static Gen<Rule> PlainRule =>
        from action in Gen.Frequency((5, Gen.Constant(RuleAction.Pass)), (4, Gen.Constant(RuleAction.Block)), (2, Gen.Constant(RuleAction.Match)))
        from quick in Gen.Frequency((2, Gen.Constant(false)), (1, Gen.Constant(true)))
        from dir in Gen.Elements(Direction.InOut, Direction.InOut, Direction.In, Direction.Out)
        from itf in Gen.Frequency((3, Gen.Constant<string?>(null)), (2, Gen.Elements<string?>(Interfaces)))
        from itfNot in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        from af in Gen.Elements(Af.Any, Af.Any, Af.Inet, Af.Inet, Af.Inet6)
        from proto in Gen.Elements<byte>(0, 0, IpProto.Tcp, IpProto.Tcp, IpProto.Udp, IpProto.Icmp, IpProto.Icmp6, 47)
        from src in AddressCriterion
        from dst in AddressCriterion
        from sport in Port
        from dport in Port
        from withFlags in Gen.Elements(false, true)
        from icmpType in Rarely<byte>(0, Gen.Elements<byte>(1, 4, 9, 129), 2)
        from icmpCode in Rarely<byte>(0, Gen.Elements<byte>(1, 2))
        from state in Gen.Elements(StateMode.None, StateMode.Keep, StateMode.Keep)
        from sloppy in Rarely(false, Gen.Constant(true))
        from tos in Rarely<byte?>(null, Gen.Elements<byte?>(0x10, 0))
        from prob in Rarely(0u, Gen.Elements(uint.MaxValue / 2, uint.MaxValue / 10))
        from tag in Rarely<string?>(null, Gen.Elements<string?>("a", "b"), 4)
        from tagged in Rarely<string?>(null, Gen.Elements<string?>("a", "b"), 4)
        from taggedNot in Gen.Elements(false, true)
        from once in Rarely(false, Gen.Constant(true), 15)
        from uid in Rarely(PortMatch.Any, Gen.Elements(PortMatch.Equal(0), new PortMatch(PortOp.Ne, 0, 0), new PortMatch(PortOp.Gt, 100, 100)))
        from recv in Rarely<string?>(null, Gen.Elements<string?>("em0", "any", "egress"), 12)
        from recvNot in Gen.Elements(false, true)
        from prio in Rarely<byte?>(null, Gen.Elements<byte?>(3, 5), 15)
        from frag in Rarely(false, Gen.Constant(true), 15)
        from os in Rarely<string?>(null, Gen.Elements<string?>("unknown", "Linux"), 15)
        from rdomain in Rarely(-1, Gen.Elements(0, 1), 15)
        select new Rule
        {
            Action = action, Return = action == RuleAction.Block ? BlockReturn.Drop : BlockReturn.None, Quick = quick, Direction = dir,
            Interface = itf, InterfaceNot = itf is not null && itfNot, Af = af, Proto = proto,
            From = new Endpoint(src, sport), To = new Endpoint(dst, dport),
            Flags = withFlags ? (byte)TcpFlags.Syn : (byte)0, FlagsMask = withFlags ? (byte)(TcpFlags.Syn | TcpFlags.Ack) : (byte)0,
            IcmpType = icmpType, IcmpCode = icmpType == 0 ? (byte)0 : icmpCode, State = state,
            StateOptions = sloppy ? new StateOptions { Sloppy = true } : StateOptions.Default,
            Tos = tos, Probability = prob, Tag = tag, Tagged = tagged, TaggedNot = tagged is not null && taggedNot, Once = once,
            Uid = uid, ReceivedOn = recv, ReceivedOnNot = recv is not null && recvNot, Prio = prio, Fragment = frag, Os = os, RDomain = rdomain,
        };

    /// <summary>
    /// A rule with some of its address and port criteria made wildcards (each with odds 1 in 2) and quick drawn evenly:
    /// what puts rules of one ruleset into several EffiCuts categories, with quick and non-quick rules in each.
    /// </summary>
    public static Gen<Rule> WildRule =>
        from r in PlainRule
        from wild in Gen.Choose(0, 15)
        from quick in Gen.Elements(false, true)
        select r with
        {
            Quick = quick,
            From = new Endpoint((wild & 1) != 0 ? AddressMatch.AnyAddress : r.From.Address, (wild & 4) != 0 ? PortMatch.Any : r.From.Port),
            To = new Endpoint((wild & 2) != 0 ? AddressMatch.AnyAddress : r.To.Address, (wild & 8) != 0 ? PortMatch.Any : r.To.Port),
        };

    /// <summary>A wildcard-heavy configuration of <paramref name="minRules"/> to <paramref name="maxRules"/> main rules (large enough for the trees), anchors included.</summary>
    public static Gen<PfConfig> WildcardHeavyConfig(int minRules, int maxRules) =>
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(minRules, maxRules)
        from anchorOdds in Gen.Choose(0, 2)
        from pool in WildRule.ArrayOf(count * 2 + 8)
        select Build(seed, count, anchorOdds, pool);

    /// <summary>A configuration: tables, up to <paramref name="maxRules"/> main rules, anchors (inline, nested, wildcard).</summary>
    public static Gen<PfConfig> Config(int maxRules) =>
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(1, maxRules)
        from anchorOdds in Gen.Choose(0, 6)
        from pool in PlainRule.ArrayOf(count * 3 + 8)
        select Build(seed, count, anchorOdds, pool);

    // Rules come from the generated pool in order; where anchors go and how big they are is drawn from the seed.
    private static PfConfig Build(int seed, int count, int anchorOdds, Rule[] pool)
    {
        var rnd = new Random(seed);
        var config = new PfConfig(Dialect.OpenBsd) { Host = Host() };
        var main = config.Main;
        var t1 = new Table("t1");
        t1.Entries.AddRange([new(Address.Parse("10.0.0.0"), 16, false), new(Address.Parse("10.0.1.0"), 24, true),
            new(Address.Parse("10.0.1.128"), 25, false), new(Address.Parse("2001:db8::"), 32, false), new(Address.Parse("10.0.0.1"), 32, true)]);
        var t2 = new Table("t2");
        t2.Entries.AddRange([new(Address.Parse("192.168.1.0"), 24, false), new(Address.Parse("192.168.1.128"), 25, true), new(Address.Parse("0.0.0.0"), 0, true),
            new(Address.Parse("10.0.0.1"), 32, false)]);
        main.Tables["t1"] = t1;
        main.Tables["t2"] = t2;
        main.Tables["empty"] = new Table("empty");
        int next = 0, taken = 0;
        AddressMatch Resolve(AddressMatch m) => m.Table is { } t ? m with { Table = main.FindTable(t.Name) } : m;
        Rule Sample()
        {
            var r = pool[taken++ % pool.Length];
            return r with { From = r.From with { Address = Resolve(r.From.Address) }, To = r.To with { Address = Resolve(r.To.Address) } };
        }
        void Fill(Ruleset rs, int n, int depth)
        {
            for (int i = 0; i < n; i++)
            {
                var r = Sample();
                if (depth < 3 && anchorOdds > 0 && rnd.Next(12) < anchorOdds)
                {
                    var name = "a" + next++;
                    bool wildcard = rnd.Next(4) == 0;
                    var child = rs.GetOrAddAnchor(name);
                    if (wildcard)
                    {
                        foreach (var sub in new[] { "x", "y" }) Fill(child.GetOrAddAnchor(sub), rnd.Next(0, 4), depth + 1);
                    }
                    else Fill(child, rnd.Next(0, 5), depth + 1);
                    r = r with { Action = RuleAction.Pass, Anchor = new AnchorCall { Name = wildcard ? name + "/*" : name, Ruleset = child, Wildcard = wildcard } };
                }
                r.Number = rs.Filter.Count;
                r.Text = $"@{r.Number} in '{rs.Path}'";
                rs.Filter.Add(r);
            }
        }
        Fill(main, count, 0);
        return config;
    }

    public static Gen<GenPacket> Packet =>
        from af in Gen.Frequency((3, Gen.Constant(Af.Inet)), (1, Gen.Constant(Af.Inet6)))
        from src in AddressOf(af)
        from dst in AddressOf(af)
        from proto in Gen.Elements(IpProto.Tcp, IpProto.Tcp, IpProto.Udp, af == Af.Inet ? IpProto.Icmp : IpProto.Icmp6, (byte)47)
        from sport in Gen.Frequency((3, Gen.Elements(PortEdges)), (1, Gen.Choose(0, 65535).Select(x => (uint)x)))
        from dport in Gen.Frequency((3, Gen.Elements(PortEdges)), (1, Gen.Choose(0, 65535).Select(x => (uint)x)))
        from flags in Gen.Elements(TcpFlags.Syn, TcpFlags.Syn | TcpFlags.Ack, TcpFlags.Ack, TcpFlags.Rst, TcpFlags.None)
        from icmpType in Gen.Elements<byte>(0, 3, 8, 128, 129)
        from icmpCode in Gen.Elements<byte>(0, 1)
        from tos in Gen.Elements<byte>(0, 0x10)
        from frag in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
        from icmpError in Gen.Frequency((9, Gen.Constant(false)), (1, Gen.Constant(true)))
        from icmpDir in Gen.Elements(Direction.In, Direction.Out)
        from dir in Gen.Elements(Direction.In, Direction.Out)
        from itf in Gen.Elements("em0", "em1", "lo0", "vio0")
        from tag in Gen.Elements<string?>(null, null, "a", "b")
        from uid in Gen.Elements(uint.MaxValue, 0u, 1000u)
        from recv in Gen.Elements<string?>(null, "em0", "em1")
        select new GenPacket(af, src, dst, proto, (ushort)sport, (ushort)dport, flags, icmpType, icmpCode, tos, frag,
            icmpError && (proto == IpProto.Icmp || proto == IpProto.Icmp6), icmpDir, dir, itf, tag, uid, recv);
}
