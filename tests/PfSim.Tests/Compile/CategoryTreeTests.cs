using FsCheck;
using FsCheck.Fluent;
using PfSim.Compile;
using PfSim.Engine;
using PfSim.Rules;

namespace PfSim.Tests.Compile;

/// <summary>
/// EffiCuts' separation: rules in several trees, one per category of wildcard fields, merged back into pf's order at
/// lookup. The deciding rule must still be pf's: last match wins, quick stops, match rules, tags and anchors in order,
/// whichever trees the rules involved sit in.
/// </summary>
public class CategoryTreeTests
{
    [Fact]
    public void WildcardHeavyRulesets_QuickAndNonQuickAcrossCategories_CompiledVerdictEqualsReference()
    {
        var gen = from c in RulesetGenerators.WildcardHeavyConfig(40, 250) from ps in RulesetGenerators.Packet.ArrayOf(60) select (c, ps);
        int separated = 0;
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var trio = new CompiledEquivalenceTests.Trio(x.c);
            if (((CompiledEvaluator)trio.Tree).Compiled.Trees[0]!.TreeCount > 1) separated++;
            foreach (var p in x.ps)
            {
                var diff = trio.Compare(p);
                Assert.True(diff is null, diff);
            }
        }).Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 400 : 25));
        // The property is about several trees: most generated rulesets must have them.
        Assert.True(separated > 12, $"only {separated} of 25 rulesets were split into several trees");
    }

    [Fact]
    public void WildcardRules_GoToTheirOwnTree_NotCopiedIntoEveryCut()
    {
        // 200 "from host" rules and 200 "to host port P" rules: one tree cuts sources, the other destinations, where a
        // single tree copies every rule of one kind into each cut of the other's field.
        var config = new PfConfig(Dialect.OpenBsd);
        for (int i = 0; i < 400; i++)
        {
            var host = Address.V4(0x0A000000u + (uint)(i * 7919 % 65536));
            var r = i % 2 == 0
                ? new Rule { Action = RuleAction.Pass, Quick = i % 4 == 0, From = new Endpoint(AddressMatch.Net(host, 32), PortMatch.Any), To = new Endpoint(AddressMatch.AnyAddress, PortMatch.Any) }
                : new Rule { Action = RuleAction.Block, Proto = 6, To = new Endpoint(AddressMatch.Net(host, 32), PortMatch.Equal((uint)(1000 + i))) };
            r.Number = i;
            r.Text = $"@{i}";
            config.Main.Filter.Add(r);
        }
        var separated = new CompiledRuleset(config);
        var single = new CompiledRuleset(config, ClassifierKind.CutTree, separate: false);
        Assert.True(separated.Trees[0]!.TreeCount >= 2, separated.Describe());
        Assert.True(separated.Trees[0]!.MaxLeaf <= 16, separated.Describe());
        Assert.True(single.Trees[0]!.MaxLeaf > separated.Trees[0]!.MaxLeaf, single.Describe());
        Assert.Contains("200 src,sport wild", separated.Describe());
        Assert.Contains("200 dst,sport,dport wild", separated.Describe());
    }

    /// <summary>fw1 (the wildcard-heavy ClassBench set) with every third rule not quick and every fifth a match rule: the deciding rule is pf's.</summary>
    [PeerFact]
    public void Fw1WithNonQuickAndMatchRules_CompiledEqualsReference()
    {
        var config = ClassBench.LoadRules(Peer.Path_("classbench", "fw1_1K"));
        var rules = config.Main.Filter;
        for (int i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            if (i % 3 == 1) r = r with { Quick = false };
            if (i % 5 == 2) r = r with { Action = RuleAction.Match, Tag = "m" + i % 2 };
            if (i % 7 == 3) r = r with { Tagged = "m1" };
            rules[i] = r;
        }
        var trace = ClassBench.LoadTrace(Peer.Path_("classbench", "fw1_1K_trace"), 3000);
        var fw = new Firewall(config, new FirewallOptions { UseReferenceEvaluator = true });
        var itf = fw.GetInterface(fw.InterfaceId("em0"));
        var reference = new ReferenceEvaluator(config, fw.Counters, true, 1);
        var compiled = new CompiledEvaluator(config, fw.Counters, true, 1);
        Assert.True(compiled.Compiled.Trees[0]!.TreeCount > 1);
        List<Rule> got = [], want = [];
        foreach (var h in trace)
        {
            got.Clear();
            want.Clear();
            var q1 = CorpusEquivalenceTests.Query(h, itf);
            var m1 = compiled.Evaluate(ref q1, got, null);
            var q2 = CorpusEquivalenceTests.Query(h, itf);
            var m2 = reference.Evaluate(ref q2, want, null);
            Assert.True(ReferenceEquals(m1.Rule, m2.Rule) && m1.Tag == m2.Tag && got.SequenceEqual(want),
                $"{h}: compiled @{m1.Rule?.Number} tag {m1.Tag}, reference @{m2.Rule?.Number} tag {m2.Tag}");
        }
    }
}
