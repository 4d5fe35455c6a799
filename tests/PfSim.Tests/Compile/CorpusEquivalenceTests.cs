using FsCheck;
using FsCheck.Fluent;
using PfSim.Compile;
using PfSim.Engine;
using PfSim.Rules;
using PfSim.Syntax;
using PfSim.Tests.Syntax;

namespace PfSim.Tests.Compile;

/// <summary>
/// The compiled evaluator against the reference on real material: ClassBench filter sets with their traces (also
/// against the true first matches given with them) and every ruleset of the pfctl regression suites the front end loads.
/// </summary>
public class CorpusEquivalenceTests
{
    private static string Set(string name) => Peer.Path_("classbench", name);

    /// <summary>Checks a filter set: compiled == reference on <paramref name="referenceLimit"/> headers, compiled == the .match file on all TCP/UDP ones.</summary>
    private static void CheckClassBench(string set, int headers, int referenceLimit)
    {
        var config = ClassBench.LoadRules(Set(set));
        var trace = ClassBench.LoadTrace(Set(set + "_trace"), headers);
        var truth = File.ReadLines(Set(set + "_trace.match")).Take(trace.Count).Select(int.Parse).ToArray();
        var fw = new Firewall(config, new FirewallOptions { UseReferenceEvaluator = true });
        var itf = fw.GetInterface(fw.InterfaceId("em0"));
        var reference = new ReferenceEvaluator(config, fw.Counters, true, 1);
        var compiled = new CompiledEvaluator(config, fw.Counters, true, 1);
        Assert.Equal(ClassifierKind.CutTree, compiled.Compiled.Kind);
        var list = new List<Rule>();
        int checkedTruth = 0;
        for (int i = 0; i < trace.Count; i++)
        {
            var q = Query(trace[i], itf);
            var got = compiled.Evaluate(ref q, list, null);
            // pf reads ports of TCP and UDP only; ClassBench's first match tests them for every protocol.
            if (trace[i].Proto is 6 or 17)
            {
                Assert.True(got.Rule?.Number == truth[i], $"{set} header {i}: compiled @{got.Rule?.Number}, ClassBench first match {truth[i]}");
                checkedTruth++;
            }
            if (i < referenceLimit)
            {
                var q2 = Query(trace[i], itf);
                var want = reference.Evaluate(ref q2, list, null);
                Assert.True(ReferenceEquals(got.Rule, want.Rule), $"{set} header {i}: compiled @{got.Rule?.Number}, reference @{want.Rule?.Number}");
            }
        }
        Assert.True(checkedTruth > trace.Count / 2, $"{set}: only {checkedTruth} TCP/UDP headers");
    }

    // The query refers to its headers: a box on the heap keeps them alive for as long as the query is used.
    internal static RuleQuery Query(in ClassBenchHeader h, Interface itf) => new()
    {
        Packet = ref new System.Runtime.CompilerServices.StrongBox<PfSim.Packets.PacketHeaders>(new PfSim.Packets.PacketHeaders
        {
            Af = Af.Inet, Src = Address.V4(h.Src), Dst = Address.V4(h.Dst), Proto = h.Proto, HasTransport = true, QuotedOffset = -1,
            SrcPort = h.SrcPort, DstPort = h.DstPort, TcpFlags = PfSim.Packets.TcpFlags.Syn,
        }).Value!,
        Interface = itf, Direction = Direction.In, Src = Address.V4(h.Src), Dst = Address.V4(h.Dst),
        SrcPort = h.Proto is 6 or 17 ? h.SrcPort : (ushort)0, DstPort = h.Proto is 6 or 17 ? h.DstPort : (ushort)0,
        Uid = PacketContext.UnknownId, Gid = PacketContext.UnknownId, IcmpDirection = Direction.In,
    };

    [PeerTheory]
    [InlineData("acl1_1K")]
    [InlineData("fw1_1K")]
    [InlineData("ipc1_1K")]
    public void ClassBench1K_CompiledEqualsReferenceAndFirstMatch(string set) => CheckClassBench(set, 3000, 3000);

    [LongFact]
    public void ClassBench10K_CompiledEqualsReferenceAndFirstMatch()
    {
        foreach (var set in new[] { "acl1_10K", "fw1_10K", "ipc1_10K" }) CheckClassBench(set, int.MaxValue, 5000);
    }

    [LongFact]
    public void ClassBench100K_CompiledEqualsFirstMatch() => CheckClassBench("acl1_100K", int.MaxValue, 300);

    /// <summary>Every pf*.in of both pfctl suites that loads without error.</summary>
    public static IEnumerable<(string Name, PfConfig Config)> SuiteConfigs()
    {
        foreach (var (suite, dialect) in new[] { ("pfctl-openbsd", Dialect.OpenBsd), ("pfctl-freebsd", Dialect.FreeBsd) })
            foreach (var f in Directory.GetFiles(Peer.Path_(suite), "pf*.in").Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(f).StartsWith("pfail")) continue;
                LoadResult r;
                try { r = PfConfLoader.LoadFile(f, new LoadOptions { Dialect = dialect, Host = Conformance.RegressHost(dialect) }); }
                catch (IOException) { continue; }
                if (r.Success) yield return (suite + "/" + Path.GetFileName(f), r.Config!);
            }
    }

    [PeerFact]
    public void PfctlSuiteRulesets_CompiledEqualsReference()
    {
        var configs = SuiteConfigs().ToArray();
        Assert.True(configs.Length > 100, $"only {configs.Length} suite rulesets loaded");
        var trios = new Dictionary<int, CompiledEquivalenceTests.Trio>();
        var gen = from i in Gen.Choose(0, configs.Length - 1) from ps in RulesetGenerators.Packet.ArrayOf(40) select (i, ps);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            if (!trios.TryGetValue(x.i, out var trio)) trios[x.i] = trio = new CompiledEquivalenceTests.Trio(configs[x.i].Config);
            foreach (var p in x.ps)
            {
                var diff = trio.Compare(p);
                Assert.True(diff is null, configs[x.i].Name + ": " + diff);
            }
        }).Check(FsCheck.Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 5000 : 300));
    }

    [PeerFact]
    public void PfctlSuiteRulesets_PacketsAimedAtEachRule_CompiledEqualsReference()
    {
        // Packets made from each rule's own addresses and ports, so the rules' criteria are hit, not only missed.
        foreach (var (name, config) in SuiteConfigs())
        {
            var trio = new CompiledEquivalenceTests.Trio(config);
            foreach (var f in RuleFlattener.Flatten(config.Main))
                foreach (var p in Aimed(f.Rule))
                {
                    var diff = trio.Compare(p);
                    Assert.True(diff is null, name + ": " + diff);
                }
        }
    }

    private static IEnumerable<GenPacket> Aimed(Rule r)
    {
        var src = Pick(r.From.Address);
        var dst = Pick(r.To.Address);
        var af = r.Af != Af.Any ? r.Af : src.Family != Af.Any ? src.Family : dst.Family != Af.Any ? dst.Family : Af.Inet;
        if (src.Family != af) src = af == Af.Inet ? Address.Parse("10.0.0.1") : Address.Parse("2001:db8::1");
        if (dst.Family != af) dst = af == Af.Inet ? Address.Parse("10.0.0.2") : Address.Parse("2001:db8::2");
        byte proto = r.Proto != 0 ? r.Proto : (byte)6;
        ushort sp = (ushort)Math.Min(65535u, r.From.Port.Lo), dp = (ushort)Math.Min(65535u, r.To.Port.Lo);
        foreach (var dir in new[] { Direction.In, Direction.Out })
            foreach (var itf in new[] { r.Interface is null or "any" ? "em0" : r.Interface, "lo0" })
                yield return new GenPacket(af, src, dst, proto, sp, dp, PfSim.Packets.TcpFlags.Syn, r.IcmpType > 0 ? (byte)(r.IcmpType - 1) : (byte)8,
                    r.IcmpCode > 0 ? (byte)(r.IcmpCode - 1) : (byte)0, r.Tos ?? 0, r.Fragment, false, Direction.In, dir, itf, r.Tagged, PacketContext.UnknownId, null);
    }

    private static Address Pick(AddressMatch m) => m.Kind switch
    {
        AddressKind.Network or AddressKind.Range => m.Address,
        AddressKind.Table when m.Table is { Entries.Count: > 0 } t => t.Entries[0].Address,
        _ => default,
    };
}
