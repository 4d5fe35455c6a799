using FsCheck;
using FsCheck.Fluent;
using PfSim.Compile;
using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Tests.Compile;

/// <summary>
/// The compiled evaluator (skip steps and cut trees) gives the reference's verdict for every generated ruleset and packet:
/// the same deciding rule, ruleset, anchor rule, tag, log flag and match rules, with the same probability draws.
/// </summary>
public class CompiledEquivalenceTests
{
    private static int Runs => Peer.Long ? 3000 : 120;

    /// <summary>Three evaluators over one configuration, sharing counters (so <c>once</c> expiry is seen by all).</summary>
    internal sealed class Trio
    {
        public readonly PfConfig Config;
        public readonly Firewall Fw;
        public readonly IRulesetEvaluator Reference, Skip, Tree;

        public Trio(PfConfig config, ulong seed = 7)
        {
            Config = config;
            Fw = new Firewall(config, new FirewallOptions { Seed = seed, EvaluatorFactory = (c, s, o) => new ReferenceEvaluator(c, s, o, seed) });
            bool openBsd = config.Dialect != Dialect.FreeBsd;
            Reference = new ReferenceEvaluator(config, Fw.Counters, openBsd, seed);
            Skip = new CompiledEvaluator(config, Fw.Counters, openBsd, seed, ClassifierKind.SkipSteps);
            Tree = new CompiledEvaluator(config, Fw.Counters, openBsd, seed, ClassifierKind.CutTree);
        }

        public RuleQuery Query(GenPacket g)
        {
            var h = new PacketHeaders
            {
                Af = g.Af, Src = g.Src, Dst = g.Dst, Proto = g.Proto, TcpFlags = g.Flags, IcmpType = g.IcmpType, IcmpCode = g.IcmpCode,
                Tos = g.Tos, HasTransport = !g.Fragment, FragmentOffset = g.Fragment ? 8 : 0, QuotedOffset = g.IcmpError ? 28 : -1,
                SrcPort = g.SrcPort, DstPort = g.DstPort,
            };
            return new RuleQuery
            {
                Packet = ref new System.Runtime.CompilerServices.StrongBox<PacketHeaders>(h).Value!, Interface = Fw.GetInterface(Fw.InterfaceId(g.Interface)), Direction = g.Direction, Src = g.Src, Dst = g.Dst,
                SrcPort = g.Fragment ? (ushort)0 : g.SrcPort, DstPort = g.Fragment ? (ushort)0 : g.DstPort, IcmpError = g.IcmpError,
                IcmpDirection = g.IcmpDirection, Fragment = g.Fragment, Tag = g.Tag, Uid = g.Uid, Gid = PacketContext.UnknownId,
                ReceivedOn = g.ReceivedOn,
            };
        }

        /// <summary>Null when all three agree, else what differs.</summary>
        public string? Compare(GenPacket g)
        {
            var (rm, rl) = Run(Reference, g);
            foreach (var (name, ev) in new[] { ("skip steps", Skip), ("cut tree", Tree) })
            {
                var (m, l) = Run(ev, g);
                if (!ReferenceEquals(m.Rule, rm.Rule) || !ReferenceEquals(m.Ruleset, rm.Ruleset) || !ReferenceEquals(m.AnchorRule, rm.AnchorRule)
                    || m.Tag != rm.Tag || m.LogMatch != rm.LogMatch || m.TranslationFailed != rm.TranslationFailed || !l.SequenceEqual(rl))
                    return $"{name}: rule {Describe(m.Rule)} tag {m.Tag} matches [{string.Join(",", l.Select(Describe))}] vs reference {Describe(rm.Rule)} tag {rm.Tag} matches [{string.Join(",", rl.Select(Describe))}] for {g}";
            }
            return null;
        }

        private (RuleMatch, List<Rule>) Run(IRulesetEvaluator ev, GenPacket g)
        {
            var q = Query(g);
            var list = new List<Rule>();
            var m = ev.Evaluate(ref q, list, null);
            return (m, list);
        }

        private static string Describe(Rule? r) => r is null ? "default" : r.Text;
    }

    [Fact]
    public void GeneratedRulesetsAndPackets_CompiledVerdictEqualsReference()
    {
        var gen = from c in RulesetGenerators.Config(40) from ps in RulesetGenerators.Packet.ArrayOf(30) select (c, ps);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var trio = new Trio(x.c);
            // Some once rules have fired already: all evaluators must pass over them.
            int k = 0;
            foreach (var r in x.c.Main.Filter) if (r.Once && k++ % 2 == 0) trio.Fw.Counters[r].Expired = true;
            foreach (var p in x.ps)
            {
                var diff = trio.Compare(p);
                Assert.True(diff is null, diff);
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    [Fact]
    public void LargeGeneratedRulesets_UseTheTree_AndAgree()
    {
        var gen = from c in RulesetGenerators.Config(300) from ps in RulesetGenerators.Packet.ArrayOf(60) select (c, ps);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var trio = new Trio(x.c);
            foreach (var p in x.ps)
            {
                var diff = trio.Compare(p);
                Assert.True(diff is null, diff);
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 400 : 15));
    }

    [Fact]
    public void SkipSteps_JumpToTheNextRuleWithADifferentField()
    {
        // pf_calc_skip_steps: three rules on em0 then one on em1: a packet on em1 skips from rule 0 straight to rule 3.
        var rules = new[] { "em0", "em0", "em0", "em1" }.Select(i => new Rule { Action = RuleAction.Pass, Interface = i }).ToArray();
        var config = new PfConfig(Dialect.OpenBsd);
        foreach (var r in rules) { r.Number = config.Main.Filter.Count; config.Main.Filter.Add(r); }
        var compiled = new CompiledRuleset(config, ClassifierKind.SkipSteps);
        Assert.Equal(3, compiled.Skip[0 * (int)SkipField.Count + (int)SkipField.Ifp]);
        Assert.Equal(3, compiled.Skip[2 * (int)SkipField.Count + (int)SkipField.Ifp]);
        Assert.Equal(4, compiled.Skip[3 * (int)SkipField.Count + (int)SkipField.Ifp]);
        // Every rule has the same (any) direction: one step to the end.
        Assert.Equal(4, compiled.Skip[0 * (int)SkipField.Count + (int)SkipField.Dir]);
    }

    [Fact]
    public void MatchRuleWithNatTo_IsReportedAsFallback()
    {
        var config = new PfConfig(Dialect.OpenBsd);
        var nat = new Rule { Action = RuleAction.Match, NatTo = new AddressPool(), Text = "match out on em0 nat-to 10.0.0.1" };
        config.Main.Filter.Add(nat);
        for (int i = 0; i < 30; i++) config.Main.Filter.Add(new Rule { Action = RuleAction.Pass, Number = i + 1, Text = "pass" });
        var compiled = new CompiledRuleset(config);
        Assert.Equal(ClassifierKind.CutTree, compiled.Kind);
        Assert.Single(compiled.Fallbacks);
        Assert.Same(nat, compiled.Fallbacks[0].Rule);
        Assert.Contains("fallback after @0", compiled.Describe());
    }

    [Fact]
    public void EvaluationCounts_AreTheReferences()
    {
        // pfctl -vsr's Evaluations: the compiled evaluator counts every rule the reference walk tests, without walking.
        var gen = from c in RulesetGenerators.Config(60) from ps in RulesetGenerators.Packet.ArrayOf(25) select (c, ps);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var fr = new Firewall(x.c, new FirewallOptions { UseReferenceEvaluator = true });
            var ft = new Firewall(x.c);
            var trio = new Trio(x.c);
            var tree = new CompiledEvaluator(x.c, ft.Counters, true, 7, ClassifierKind.CutTree);
            var reference = new ReferenceEvaluator(x.c, fr.Counters, true, 7);
            foreach (var p in x.ps)
            {
                var q1 = trio.Query(p);
                reference.Evaluate(ref q1, [], null);
                var q2 = trio.Query(p);
                tree.Evaluate(ref q2, [], null);
            }
            tree.FlushEvaluations();
            foreach (var f in RuleFlattener.Flatten(x.c.Main))
                Assert.True(fr.Counters[f.Rule].Evaluations == ft.Counters[f.Rule].Evaluations,
                    $"{f.Rule.Text}: {ft.Counters[f.Rule].Evaluations} vs reference {fr.Counters[f.Rule].Evaluations}");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 1000 : 60));
    }

    [Fact]
    public void Firewall_UsesTheCompiledEvaluatorByDefault_AndTheReferenceOnRequest()
    {
        var config = new PfConfig(Dialect.OpenBsd);
        Assert.IsType<CompiledEvaluator>(new Firewall(config).Evaluator);
        Assert.IsType<ReferenceEvaluator>(new Firewall(config, new FirewallOptions { UseReferenceEvaluator = true }).Evaluator);
    }
}
