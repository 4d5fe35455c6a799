using FsCheck;
using FsCheck.Fluent;
using PfSim.Flows;

namespace PfSim.Tests.Flows;

/// <summary>
/// Properties over generated topologies: a chain client — router1 … routerN — server, pf on any subset of the
/// nodes. With an all-pass ruleset every tool reaches its target; with <c>block all</c> on a node of the path
/// none does; a traceroute's hop list is the path.
/// </summary>
public class ChainPropertyTests
{
    private static int Runs => Peer.Long ? 400 : 25;

    /// <summary>A generated chain: routers, the client's OS, which nodes run pf (bit i = node i, 0 = client, last = server), the tool.</summary>
    public sealed record Chain(int Routers, OsKind ClientOs, OsKind RouterOs, int PfMask, int ToolIndex);

    private static readonly Gen<Chain> Chains =
        from routers in Gen.Choose(0, 6)
        from client in Gen.Elements(OsKind.Linux, OsKind.FreeBsd, OsKind.Windows)
        from router in Gen.Elements(OsKind.Linux, OsKind.FreeBsd, OsKind.OpenBsd)
        from mask in Gen.Choose(1, (1 << (routers + 2)) - 1)
        from tool in Gen.Choose(0, 3)
        select new Chain(routers, client, router, mask, tool);

    /// <summary>Builds the lab in code: network 10.0.i.0/24 between node i and node i+1.</summary>
    private static (Lab Lab, List<Node> Path) Build(Chain c)
    {
        var topo = new Topology();
        var nodes = new List<Node> { new("client", OsModel.For(c.ClientOs), false) };
        for (int i = 1; i <= c.Routers; i++) nodes.Add(new($"router{i}", OsModel.For(c.RouterOs), true));
        nodes.Add(new("server", OsModel.Linux, false));
        topo.Nodes.AddRange(nodes);
        for (int i = 0; i + 1 < nodes.Count; i++)
        {
            var left = nodes[i].AddInterface($"if{i}r", Address.V4(10, 0, (byte)i, 1), 24);
            var right = nodes[i + 1].AddInterface($"if{i + 1}l", Address.V4(10, 0, (byte)i, 2), 24);
            topo.AddSegment($"net{i}", 0.0002, [left, right]);
        }
        var any = Address.Parse("0.0.0.0");
        nodes[0].Routes.Add(new StaticRoute(any, 0, Address.V4(10, 0, 0, 2)));
        nodes[^1].Routes.Add(new StaticRoute(any, 0, Address.V4(10, 0, (byte)(nodes.Count - 2), 1)));
        for (int i = 1; i + 1 < nodes.Count; i++)
        {
            nodes[i].Routes.Add(new StaticRoute(Address.V4(10, 0, 0, 0), 8, Address.V4(10, 0, (byte)i, 2)));   // towards the server
            nodes[i].Routes.Add(new StaticRoute(Address.V4(10, 0, 0, 0), 16, Address.V4(10, 0, (byte)(i - 1), 1))); // towards the client
            // the /16 wins for everything but the networks beyond: add the server side explicitly
            for (int j = i + 1; j + 1 < nodes.Count; j++)
                nodes[i].Routes.Add(new StaticRoute(Address.V4(10, 0, (byte)j, 0), 24, Address.V4(10, 0, (byte)i, 2)));
        }
        var lab = new Lab { Path = "generated.yaml", Name = "chain", Topology = topo };
        var variant = new RulesetVariant("generated");
        for (int i = 0; i < nodes.Count; i++)
            if ((c.PfMask & (1 << i)) != 0)
                variant.Sources[nodes[i]] = new PfSource("pf.conf", PfSim.Rules.Dialect.OpenBsd, [], 1);
        lab.Rulesets.Add(variant);
        return (lab, nodes);
    }

    private static ToolKind Tool(Chain c)
    {
        var unix = new[] { ToolKind.Ping, ToolKind.Traceroute, ToolKind.TracerouteIcmp, ToolKind.TracerouteTcp };
        var windows = new[] { ToolKind.Ping, ToolKind.Tracert, ToolKind.Ping, ToolKind.Tracert };
        return (c.ClientOs == OsKind.Windows ? windows : unix)[c.ToolIndex];
    }

    private static RunOutcome RunWith(Chain c, string ruleset)
    {
        var (lab, nodes) = Build(c);
        var run = new LabRun(Tool(c), nodes[0], nodes[^1].PrimaryAddress, "server", new ToolOptions { MaxHops = 10 }, 1);
        lab.Runs.Add(run);
        var edits = lab.Rulesets[0].Sources.Keys.ToDictionary(n => n, _ => ruleset);
        return new LabRunner(lab, new PfFilterFactory(explain: false)).Run(lab.Rulesets[0], run, edits);
    }

    [Fact]
    public void AllPassRuleset_EveryToolReachesItsTarget()
    {
        Prop.ForAll(Chains.ToArbitrary(), c =>
        {
            var o = RunWith(c, "pass all\n");
            Assert.True(o.Reached, $"{c}: {string.Join(" | ", o.Output)}");
            Assert.Empty(o.Lost);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    [Fact]
    public void BlockAll_OnAnyNodeOfThePath_NothingReaches()
    {
        Prop.ForAll(Chains.ToArbitrary(), c =>
        {
            var o = RunWith(c, "block all\n");
            Assert.False(o.Reached, $"{c}");
            Assert.NotEmpty(o.Lost);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    [Fact]
    public void Traceroute_HopList_IsThePath()
    {
        Prop.ForAll(Chains.ToArbitrary(), c =>
        {
            var chain = c with { ToolIndex = 1 }; // traceroute (UDP) or tracert on Windows
            var (_, nodes) = Build(chain);
            var o = RunWith(chain, "pass all\n");
            // each router answers from the interface facing the client; then the server itself
            var expected = nodes.Skip(1).Select((n, i) => Address.V4(10, 0, (byte)i, 2).ToString()).ToList();
            Assert.Equal(expected, o.Hops);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }
}
