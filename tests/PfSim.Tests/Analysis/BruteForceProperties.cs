using FsCheck;
using FsCheck.Fluent;
using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Tests.Analysis;

/// <summary>
/// Decision maps, diff and lint checked against pf's evaluation of every header of a tiny field space,
/// on random small rulesets (tables with negated entries, anchors, quick, port operators, flags, ICMP).
/// </summary>
public class BruteForceProperties
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 2000 : 30);

    private static Arbitrary<int> Seeds => Gen.Choose(0, int.MaxValue).ToArbitrary();

    /// <summary>Finds the box holding a point quickly: boxes bucketed by protocol.</summary>
    private sealed class Lookup
    {
        private readonly Dictionary<int, List<DecidedBox>> byProto = [];
        public Lookup(IEnumerable<DecidedBox> boxes)
        {
            foreach (var d in boxes)
                foreach (var p in d.Box.Set(Box.Proto).Values())
                {
                    if (!byProto.TryGetValue(p, out var l)) byProto[p] = l = [];
                    l.Add(d);
                }
        }
        public DecidedBox Find(in HeaderPoint p)
        {
            DecidedBox? found = null;
            foreach (var d in byProto[p.Proto])
                if (d.Box.Contains(p))
                {
                    if (found is not null) throw new InvalidOperationException($"two boxes hold {p}");
                    found = d;
                }
            return found ?? throw new InvalidOperationException($"no box holds {p}");
        }
    }

    private static bool SameDecider(Decider a, Decider b) =>
        a.Kind == b.Kind && ReferenceEquals(a.Site?.Rule, b.Site?.Rule);

    [Fact]
    public void DecisionMap_AgreesWithRuleByRuleEvaluation_OnEveryHeader()
    {
        Prop.ForAll(Seeds, seed =>
        {
            var config = SmallRulesets.Random(seed, seed % 3 == 0 ? Dialect.FreeBsd : Dialect.OpenBsd);
            var space = HeaderSpace.For(config);
            var lookup = new Lookup(DecisionMap.Build(config, space).Boxes);
            foreach (var p in SmallRulesets.Points(space))
            {
                var want = PointEvaluator.Decide(config, space, p);
                var got = lookup.Find(p).Decider;
                if (!SameDecider(want, got))
                    throw new Exception($"{RegionFormat.Packet(p, space)}: pf decides by {want.Name}, the map says {got.Name}\n{SmallRulesets.Text(config)}");
            }
        }).Check(Quick);
    }

    [Fact]
    public void Diff_HoldsExactlyTheHeadersDecidedDifferently()
    {
        Prop.ForAll(Seeds, Seeds, (s1, s2) =>
        {
            var a = SmallRulesets.Random(s1);
            var b = s2 % 4 == 0 ? SmallRulesets.Random(s1) : SmallRulesets.Random(s2);
            var diff = RulesetDiff.Compute(a, b);
            var regions = diff.Groups.SelectMany(g => g.Regions.Select(r => (g, r.Box))).ToList();
            foreach (var g in diff.Groups)
                foreach (var r in g.Regions)
                    if (!r.Box.Contains(r.Witness)) throw new Exception("witness outside its region");
            foreach (var p in SmallRulesets.Points(diff.Space))
            {
                var da = PointEvaluator.Decide(a, diff.Space, p);
                var db = PointEvaluator.Decide(b, diff.Space, p);
                var hits = regions.Where(x => x.Box.Contains(p)).ToList();
                bool differs = da.Effect != db.Effect;
                if (differs != (hits.Count > 0))
                    throw new Exception($"{RegionFormat.Packet(p, diff.Space)}: old {da.Name}, new {db.Name}, diff regions {hits.Count}\nOLD\n{SmallRulesets.Text(a)}\nNEW\n{SmallRulesets.Text(b)}");
                if (differs && (hits.Count != 1 || !SameDecider(hits[0].g.Old, da) || !SameDecider(hits[0].g.New, db)))
                    throw new Exception($"{RegionFormat.Packet(p, diff.Space)}: diff names the wrong rules");
            }
        }).Check(Quick);
    }

    [Fact]
    public void Lint_ReportsExactlyTheRulesThatNeverDecide_AndTheRedundantOnes()
    {
        Prop.ForAll(Seeds, seed =>
        {
            var config = SmallRulesets.Random(seed);
            var lint = RulesetLint.Run(config);
            var space = lint.Space;
            var points = SmallRulesets.Points(space).ToList();
            var decidedBy = points.Select(p => PointEvaluator.Decide(config, space, p)).ToList();
            foreach (var site in RulesetWalk.AllSites(config.Main).ToList())
            {
                var rule = site.Rule;
                if (rule.Action is not (RuleAction.Pass or RuleAction.Block) || rule.Anchor is not null) continue;
                var finding = lint.Findings.FirstOrDefault(f => ReferenceEquals(f.Site.Rule, rule));
                bool decides = decidedBy.Any(d => ReferenceEquals(d.Site?.Rule, rule));
                bool reportedDead = finding is { Kind: LintKind.Shadowed or LintKind.NeverMatches or LintKind.SkippedInterface };
                if (decides == reportedDead)
                    throw new Exception($"rule {site.Name} decides={decides}, lint says {finding?.Message ?? "nothing"}\n{SmallRulesets.Text(config)}");
                if (!decides) continue;
                // Redundant: removing the rule changes no header's effect.
                int at = site.Ruleset.Filter.IndexOf(rule);
                site.Ruleset.Filter.RemoveAt(at);
                bool same = points.Select((p, i) => PointEvaluator.Decide(config, space, p).Effect == decidedBy[i].Effect).All(x => x);
                site.Ruleset.Filter.Insert(at, rule);
                bool reportedRedundant = finding?.Kind == LintKind.Redundant;
                if (same != reportedRedundant)
                    throw new Exception($"rule {site.Name}: removing it changes nothing={same}, lint says {finding?.Message ?? "nothing"}\n{SmallRulesets.Text(config)}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 500 : 15));
    }
}

/// <summary>The same brute force against the engine itself: each header built as a real packet and passed through a fresh Firewall.</summary>
public class EngineBruteForceProperties
{
    public static byte[] Build(in HeaderPoint p)
    {
        var spec = new PfSim.Packets.PacketSpec
        {
            Src = p.SrcAddress, Dst = p.DstAddress, Proto = (byte)p.Proto,
            SrcPort = (ushort)p.Sport, DstPort = (ushort)p.Dport, Flags = (PfSim.Packets.TcpFlags)p.Flags,
            IcmpType = (byte)p.IcmpType, IcmpCode = (byte)p.IcmpCode, IcmpId = 7,
        };
        // An ICMP error carries the start of the packet it answers; without one pf drops it as short.
        if (p.Proto is 1 or 58 && PfSim.Engine.IcmpMapping.Map(p.Af == 4 ? Af.Inet : Af.Inet6, (byte)p.IcmpType, 7, 0, out _, out _, out _))
            spec = spec with { Quoted = new PfSim.Packets.PacketSpec { Src = p.DstAddress, Dst = p.SrcAddress, Proto = 17, SrcPort = 5000, DstPort = 33434 } };
        return PfSim.Packets.PacketBuilder.Build(spec);
    }

    [Fact]
    public void DecisionMap_AgreesWithTheEngine_OnEveryHeader()
    {
        Prop.ForAll(Gen.Choose(0, int.MaxValue).ToArbitrary(), seed =>
        {
            var config = SmallRulesets.Random(seed, seed % 3 == 0 ? Dialect.FreeBsd : Dialect.OpenBsd);
            var space = HeaderSpace.For(config);
            var map = DecisionMap.Build(config, space);
            var byProto = map.Boxes.SelectMany(d => d.Box.Set(Box.Proto).Values().Select(p => (p, d))).ToLookup(x => x.p, x => x.d);
            foreach (var p in SmallRulesets.Points(space))
            {
                var fw = new PfSim.Engine.Firewall(config);
                var v = fw.Test(Build(p), space.Interfaces[p.Iface], (Direction)p.Dir, 1.0);
                var point = p;
                var got = byProto[p.Proto].Single(d => d.Box.Contains(point)).Decider;
                bool same = v.Skipped ? got.Kind == DecisionKind.Skip
                    : v.Rule is null ? got.Kind == DecisionKind.Default
                    : ReferenceEquals(got.Site?.Rule, v.Rule);
                if (!same)
                    throw new Exception($"{RegionFormat.Packet(p, space)}: engine says {(v.Rule is null ? "default" : "@" + v.Rule.Number)} ({v.Action}, {v.Reason}), the map says {got.Name}\n{SmallRulesets.Text(config)}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 300 : 8));
    }
}
