using FsCheck;
using FsCheck.Fluent;
using PfSim.Rules;
using PfSim.Syntax;
using PfSim.Tests.Compile;

namespace PfSim.Tests.Syntax;

/// <summary>
/// pfctl's optimizer must not change what pf decides (pfctl_optimize.c: "if a packet is passed, it doesn't matter who
/// passed it"): the optimized and the unoptimized ruleset give every packet the same action, return, log and state.
/// Only rule numbers move. Rulesets are generated as text in families of rules that differ in one address, so that
/// duplicates, covered rules, tables and re-ordering all occur.
/// </summary>
public class OptimizerEquivalenceTests
{
    private static readonly string[] V4 = ["10.0.0.0/24", "10.0.0.1", "10.0.0.2", "10.0.0.128/25", "10.0.1.0/24", "10.0.1.1",
        "192.168.1.1", "192.168.1.129", "10.0.0.255", "127.0.0.1", "10.1.0.1", "10.0.0.0/8", "any"];
    private static readonly string[] V6 = ["2001:db8::/32", "2001:db8::1", "2001:db8::ff", "2001:db8:1::1", "2001:db9::1", "::1", "any"];
    private static readonly string[] Ports = ["", " port 22", " port 80", " port 1024:2000", " port > 1023", " port != 443"];

    private sealed record Shape(string Head, string Af, string Proto, string SrcPort, string DstPort, string Tail);

    private static Gen<Shape> RuleShape =>
        from action in Gen.Elements("pass", "pass", "block", "block return", "block drop")
        from dir in Gen.Elements("", " in", " out")
        from log in Gen.Frequency((5, Gen.Constant("")), (1, Gen.Constant(" log")))
        from quick in Gen.Frequency((3, Gen.Constant("")), (1, Gen.Constant(" quick")))
        from itf in Gen.Elements("", " on em0", " on em1", " on em0", " on egress")
        from af in Gen.Elements(" inet", " inet", " inet6", "")
        from proto in Gen.Elements("", " proto tcp", " proto tcp", " proto udp")
        from sport in Gen.Frequency((4, Gen.Constant("")), (1, Gen.Elements(Ports)))
        from dport in Gen.Elements(Ports)
        from state in Gen.Elements("", "", " no state", " flags S/SA", " flags any")
        let ported = proto.Length > 0
        let flagsOk = proto != " proto udp" && !action.StartsWith("block")
        select new Shape(action + dir + log + quick + itf, af, proto, ported ? sport : "", ported ? dport : "",
            flagsOk || state == " no state" && !action.StartsWith("block") ? state : "");

    private static Gen<string> Address(string af) =>
        af == " inet6" ? Gen.Elements(V6) : af == " inet" ? Gen.Elements(V4) : Gen.Constant("any");

    /// <summary>A family: one shape, 1 to 9 rules that differ in the source or the destination address.</summary>
    private static Gen<string[]> Family =>
        from s in RuleShape
        from varySource in Gen.Elements(true, false)
        from fixedAddress in Address(s.Af)
        from count in Gen.Choose(1, 9)
        from varied in Address(s.Af).ArrayOf(count)
        select varied.Select(v =>
        {
            var (src, dst) = varySource ? (v, fixedAddress) : (fixedAddress, v);
            return $"{s.Head}{s.Af}{s.Proto} from {src}{s.SrcPort} to {dst}{s.DstPort}{s.Tail}";
        }).ToArray();

    private static Gen<string> RulesetText =>
        from families in Family.ArrayOf().Where(f => f.Length is > 0 and <= 5)
        select string.Join("\n", families.SelectMany(f => f)) + "\n";

    private static PfConfig? Load(string text, string optimization)
    {
        var r = PfConfLoader.LoadText(text, "gen", new LoadOptions { Dialect = Dialect.OpenBsd, Host = RulesetGenerators.Host(), Optimization = optimization });
        return r.Success ? r.Config : null;
    }

    [Fact]
    public void OptimizedRuleset_DecidesEveryPacketAsTheUnoptimizedOne()
    {
        int loaded = 0, changed = 0;
        var gen = from text in RulesetText from packets in RulesetGenerators.Packet.ArrayOf(40) select (text, packets);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var plain = Load(x.text, "none");
            var optimized = Load(x.text, "basic");
            Assert.Equal(plain is null, optimized is null);
            if (plain is null || optimized is null) return;
            loaded++;
            if (optimized.Main.Filter.Count != plain.Main.Filter.Count) changed++;
            var a = new CompiledEquivalenceTests.Trio(plain);
            var b = new CompiledEquivalenceTests.Trio(optimized);
            foreach (var p in x.packets)
            {
                var qa = a.Query(p);
                var qb = b.Query(p);
                var ma = a.Reference.Evaluate(ref qa, [], null);
                var mb = b.Reference.Evaluate(ref qb, [], null);
                string Verdict(Rule? r) => r is null ? "default pass" : $"{r.Action} {r.Return} log={r.Log} state={r.State}";
                Assert.True(Verdict(ma.Rule) == Verdict(mb.Rule),
                    $"{p}\nunoptimized: {Verdict(ma.Rule)} by {ma.Rule?.Text}\noptimized: {Verdict(mb.Rule)} by {mb.Rule?.Text}\nruleset:\n{x.text}");
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 2000 : 80));
        // The generator must reach the optimizer, not only rulesets it leaves alone or pfctl rejects.
        Assert.True(loaded > 40, $"only {loaded} generated rulesets loaded");
        Assert.True(changed > loaded / 4, $"the optimizer changed only {changed} of {loaded} rulesets");
    }

    [Fact]
    public void NegatedAddresses_FoldedIntoOneTable_ChangeTheMeaningAsPfctlDoes()
    {
        // addrs_combineable lets six "from ! a" rules become "from ! <table>": the union of complements becomes the
        // complement of the union. pfctl does this; PfSim loads what pfctl would load.
        var text = string.Concat(Enumerable.Range(1, 6).Select(i => $"block in quick on em0 inet from ! 10.0.0.{i}\n")) + "pass in on em0 all\n";
        var optimized = Load(text, "basic")!;
        Assert.Equal("block drop in quick on em0 inet from ! <__automatic_0> to any", optimized.Main.Filter[0].Text);
        Assert.Equal(2, optimized.Main.Filter.Count);
    }
}
