using PfSim.Engine;
using PfSim.Rules;
using PfSim.Syntax;
using static PfSim.Tests.Engine.Pkt;

namespace PfSim.Tests.Engine;

/// <summary>
/// no-route and urpf-failed (pf.c PF_MISMATCHAW / pf_routable): no-route matches an address the routing table has no
/// route to; urpf-failed matches a source whose route back does not leave through the interface the packet came in on.
/// The routing table is the host model's: its interfaces' networks plus its routes.
/// </summary>
public class RouteCriteriaTests
{
    private static readonly Address Outside = Address.Parse("198.51.100.7");
    private static readonly Address OnEm0 = Address.Parse("192.0.2.5");
    private static readonly Address OnEm1 = Address.Parse("10.0.0.9");

    private static HostModel Host(bool defaultRoute)
    {
        var text = "interfaces:\n  - name: em0\n    addresses: [192.0.2.1/24]\n  - name: em1\n    addresses: [10.0.0.1/24]\n"
            + (defaultRoute ? "routes:\n  - to: default\n    interface: em0\n    via: 192.0.2.254\n" : "");
        var (model, errors) = HostModelLoader.LoadText(text, "host.yaml");
        Assert.Empty(errors);
        return model!;
    }

    private static Firewall Load(string conf, HostModel host, Dialect d = Dialect.OpenBsd, bool reference = false)
    {
        var r = PfConfLoader.LoadText(conf, "test.conf", new LoadOptions { Dialect = d, Host = host });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return new Firewall(r.Config!, new FirewallOptions { UseReferenceEvaluator = reference });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NoRoute_MatchesADestinationWithoutRoute_UntilTheHostHasADefaultRoute(bool reference)
    {
        var bare = Load("block in quick to no-route\npass\n", Host(false), reference: reference);
        Assert.Equal((RuleAction.Block, 0), Verdict(bare, Udp(OnEm1, 5, Outside, 53), "em1"));
        Assert.Equal((RuleAction.Pass, 1), Verdict(bare, Udp(OnEm1, 5, OnEm0, 53), "em1"));
        var routed = Load("block in quick to no-route\npass\n", Host(true), reference: reference);
        Assert.Equal((RuleAction.Pass, 1), Verdict(routed, Udp(OnEm1, 5, Outside, 53), "em1"));
    }

    [Theory]
    [InlineData(Dialect.OpenBsd, false)]
    [InlineData(Dialect.OpenBsd, true)]
    [InlineData(Dialect.FreeBsd, false)]
    public void UrpfFailed_MatchesASourceWhoseRouteBackLeavesByAnotherInterface(Dialect d, bool reference)
    {
        var fw = Load("block in quick from urpf-failed\npass in all keep state\n", Host(true), d, reference);
        // 10.0.0.9 is routed via em1: arriving on em0 it is spoofed, on em1 it is fine.
        Assert.Equal((RuleAction.Block, 0), Verdict(fw, Udp(OnEm1, 5, OnEm0, 53), "em0"));
        Assert.Equal((RuleAction.Pass, 1), Verdict(fw, Udp(OnEm1, 6, OnEm0, 53), "em1"));
        // The default route covers the Internet through em0.
        Assert.Equal((RuleAction.Pass, 1), Verdict(fw, Udp(Outside, 5, OnEm0, 53), "em0"));
        Assert.Equal((RuleAction.Block, 0), Verdict(fw, Udp(Outside, 6, OnEm0, 53), "em1"));
    }

    [Fact]
    public void UrpfFailed_LinkLocalSourcesAndEncInterfacesAlwaysPass_AndNoRouteNeverMatchesLinkLocal()
    {
        // pf_routable: addresses with an embedded scope skip the check; so do packets on enc(4).
        var fw = Load("block in quick from urpf-failed\nblock in quick to no-route\npass\n", Host(false));
        var ll = Address.Parse("fe80::1");
        Assert.Equal((RuleAction.Pass, 2), Verdict(fw, Udp(ll, 5, Address.Parse("ff02::1"), 53), "em0"));
        Assert.Equal((RuleAction.Block, 0), Verdict(fw, Udp(Outside, 5, OnEm0, 53), "em0"));
        Assert.Equal((RuleAction.Pass, 2), Verdict(fw, Udp(Outside, 5, OnEm0, 53), "enc0"));
    }

    [Fact]
    public void UrpfFailed_InADestination_MatchesEveryAddress()
    {
        // PF_MISMATCHAW gets no interface for the destination, so its urpf clause never finds a mismatch.
        var fw = Load("block in quick to urpf-failed\npass\n", Host(true));
        Assert.Equal((RuleAction.Block, 0), Verdict(fw, Udp(Outside, 5, OnEm0, 53), "em0"));
    }

    [Fact]
    public void StockHost_OnlyLoopbackIsRouted()
    {
        // cli.md: without --host the box has lo0 only, so it has no route beyond 127/8 and ::1.
        var fw = Load("block in quick to no-route\npass\n", HostModel.Default);
        Assert.Equal((RuleAction.Block, 0), Verdict(fw, Udp(OnEm1, 5, Outside, 53), "em0"));
        Assert.Equal((RuleAction.Pass, 1), Verdict(fw, Udp(OnEm1, 5, Address.Parse("127.0.0.1"), 53), "lo0"));
    }

    [Fact]
    public void HostModelRoutes_AreRead_AndBadOnesReportedWithTheirLine()
    {
        var (model, errors) = HostModelLoader.LoadText("routes:\n  - to: 198.51.100.0/24\n    interface: em1\n  - to: default6\n    interface: em0\n", "h.yaml");
        Assert.Empty(errors);
        Assert.Equal(2, model!.Routes.Count);
        Assert.Equal("em1", new RouteTable(model).Lookup(Outside));
        Assert.Equal("em0", new RouteTable(model).Lookup(Address.Parse("2001:db8::1")));
        (_, errors) = HostModelLoader.LoadText("routes:\n  - to: 198.51.100.0/40\n    interface: em1\n", "h.yaml");
        Assert.Equal(2, Assert.Single(errors).Line);
    }

    private static (RuleAction, int) Verdict(Firewall fw, byte[] p, string itf)
    {
        var v = fw.Test(p, itf, Direction.In, 0);
        return (v.Action, v.RuleNumber);
    }
}
