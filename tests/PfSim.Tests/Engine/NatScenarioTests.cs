using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using static PfSim.Tests.Engine.Pkt;

namespace PfSim.Tests.Engine;

/// <summary>
/// NAT scenarios from FreeBSD tests/sys/netpfil/pf/nat.sh (which loads OpenBSD-syntax rules: nat-to, binat-to on match
/// and pass rules), replayed packet by packet through a router with a tester side and a server side.
/// </summary>
public class NatScenarioTests
{
    // The roles of setup_router_server_ipv4: tester -- (testerIf) router (serverIf) -- server.
    private static readonly Address Tester = Address.Parse("192.0.2.2");
    private static readonly Address RouterServerSide = Address.Parse("198.51.100.1");
    private static readonly Address Server = Address.Parse("198.51.100.2");
    private const string TesterIf = "epair0b", ServerIf = "epair1a";

    private static HostModel Host()
    {
        var (model, errors) = HostModelLoader.LoadText(
            $"interfaces:\n  - name: {TesterIf}\n    addresses: [192.0.2.1/24]\n  - name: {ServerIf}\n    addresses: [198.51.100.1/24]\n", "host.yaml");
        Assert.Empty(errors);
        return model!;
    }

    private static Firewall Load(string conf)
    {
        var r = PfSim.Syntax.PfConfLoader.LoadText(conf, "nat.conf", new PfSim.Syntax.LoadOptions { Dialect = Dialect.OpenBsd, Host = Host() });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return new Firewall(r.Config!);
    }

    /// <summary>A forwarded packet: in on one interface, then out on the other carrying the translated header and the tag.</summary>
    private static (Verdict In, Verdict Out) Forward(Firewall fw, byte[] p, string inIf, string outIf, double t)
    {
        var vin = fw.TestInPlace(p, fw.InterfaceId(inIf), Direction.In, t);
        if (!vin.Passed) return (vin, default);
        var vout = fw.TestInPlace(p, fw.InterfaceId(outIf), Direction.Out, t, new PacketContext { Tag = vin.Tag });
        return (vin, vout);
    }

    [Fact]
    public void NatMatch_RulesAfterTheMatchRuleSeeTheTranslatedSource()
    {
        // nat.sh nat_match: "block", "pass in on tester proto tcp keep state", "match out on server proto tcp nat-to
        // (server if)", "pass out on server proto tcp from (server if) keep state"; a TCP handshake from port 4201 works.
        var fw = Load($"block\npass in on {TesterIf} inet proto tcp keep state\nmatch out on {ServerIf} inet proto tcp nat-to {ServerIf}\n"
            + $"pass out on {ServerIf} inet proto tcp from {ServerIf} keep state\n");
        var (i, o) = Forward(fw, Tcp(Tester, 4201, Server, 9, TcpFlags.Syn, 1000, 0), TesterIf, ServerIf, 0);
        Assert.Equal((RuleAction.Pass, 1, RuleAction.Pass, 3), (i.Action, i.RuleNumber, o.Action, o.RuleNumber));
        Assert.Equal(RouterServerSide, o.Nat!.Value.Src);
        var (ri, ro) = Forward(fw, Tcp(Server, 9, RouterServerSide, o.Nat.Value.SrcPort, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001), ServerIf, TesterIf, 0.1);
        Assert.Equal((StateUse.Match, StateUse.Match, true, true), (ri.StateUse, ro.StateUse, ri.Passed, ro.Passed));
        Assert.Equal(new NatResult(Server, 9, Tester, 4201), ri.Nat);
    }

    [Fact]
    public void NatPassIn_TranslatesOnTheInboundState_AndTheOutboundRuleSeesTheNewSource()
    {
        // nat.sh nat_pass_in: "block", "pass in on tester proto tcp nat-to 203.0.113.0 keep state", "pass out on server
        // proto tcp keep state": the server only knows a route back to 203.0.113.0/24.
        var natAddr = Address.Parse("203.0.113.0");
        var fw = Load($"block\npass in on {TesterIf} inet proto tcp nat-to 203.0.113.0 keep state\npass out on {ServerIf} inet proto tcp keep state\n");
        var (i, o) = Forward(fw, Tcp(Tester, 4201, Server, 9, TcpFlags.Syn, 1000, 0), TesterIf, ServerIf, 0);
        Assert.Equal((RuleAction.Pass, 1, RuleAction.Pass, 2), (i.Action, i.RuleNumber, o.Action, o.RuleNumber));
        Assert.Equal(natAddr, i.Nat!.Value.Src);
        Assert.Null(o.Nat);
        var (ri, ro) = Forward(fw, Tcp(Server, 9, natAddr, i.Nat.Value.SrcPort, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001), ServerIf, TesterIf, 0.1);
        Assert.True(ri.Passed && ro.Passed);
        Assert.Equal(new NatResult(Server, 9, Tester, 4201), ro.Nat);
    }

    [Fact]
    public void BinatMatch_OutboundNatAndInboundRdr_WithIfBoundStatesOnEachInterface()
    {
        // nat.sh binat_match: "set state-policy if-bound", "block", "match on server from tester tag sometag binat-to
        // (server if)" (expands to @1 nat-to out and @2 rdr-to in), then pass rules @3..@6 by interface, direction and tag.
        var fw = Load($"set state-policy if-bound\nset ruleset-optimization none\nblock\n"
            + $"match on {ServerIf} inet proto tcp from {Tester} to any tag sometag binat-to {ServerIf}\n"
            + $"pass in  on {TesterIf} inet proto tcp !tagged sometag keep state\n"
            + $"pass out on {ServerIf} inet proto tcp tagged sometag keep state\n"
            + $"pass in  on {ServerIf} inet proto tcp tagged sometag keep state\n"
            + $"pass out on {TesterIf} inet proto tcp tagged sometag keep state\n");

        // The outbound NAT part: tester:4201 -> server:9 leaves as router:4201 (binat-to keeps ports).
        var (i, o) = Forward(fw, Tcp(Tester, 4201, Server, 9, TcpFlags.Syn, 1000, 0), TesterIf, ServerIf, 0);
        Assert.Equal((3, 4), (i.RuleNumber, o.RuleNumber));
        Assert.Equal(new NatResult(RouterServerSide, 4201, Server, 9), o.Nat);
        Assert.Equal(TesterIf, i.State!.CreatedOn);
        Assert.Equal(ServerIf, o.State!.CreatedOn);

        // The inbound RDR part: server:4202 -> router:9 is redirected to tester:9.
        var (ri, ro) = Forward(fw, Tcp(Server, 4202, RouterServerSide, 9, TcpFlags.Syn, 7000, 0), ServerIf, TesterIf, 1);
        Assert.Equal((RuleAction.Pass, 5, RuleAction.Pass, 6), (ri.Action, ri.RuleNumber, ro.Action, ro.RuleNumber));
        Assert.Equal(new NatResult(Server, 4202, Tester, 9), ri.Nat);
        // The tester's answer goes back out as router:9 through the if-bound states.
        var (ai, ao) = Forward(fw, Tcp(Tester, 9, Server, 4202, TcpFlags.Syn | TcpFlags.Ack, 9000, 7001), TesterIf, ServerIf, 1.1);
        Assert.Equal((StateUse.Match, StateUse.Match), (ai.StateUse, ao.StateUse));
        Assert.Equal(new NatResult(RouterServerSide, 9, Server, 4202), ao.Nat);
        // If-bound: the same reply offered on the wrong interface finds no state and meets "block".
        var wrong = fw.Test(Tcp(Tester, 9, Server, 4202, TcpFlags.Ack, 9001, 7001), ServerIf, Direction.In, 1.2);
        Assert.Equal((RuleAction.Block, 0), (wrong.Action, wrong.RuleNumber));
    }

    [Fact]
    public void PathMtu_NeedFragFromBehindTheFirewall_IsTranslatedBack_ThroughRdrAndNat()
    {
        // OpenBSD regress/sys/net/pf_forward (pf.conf, ping_mtu.py, run-regress-ping-mtu-*): an echo with DF goes to an
        // rdr-to address, or out through nat-to; the router behind pf answers "need fragment" (3/4) and the source must
        // receive it. pf_test_state_icmp finds each error's state by the quoted echo and translates it back.
        var src = Address.Parse("192.0.2.2");
        var rdrAddr = Address.Parse("198.51.100.200");
        var echoHost = Address.Parse("198.51.100.2");
        var router = Address.Parse("198.51.100.254");
        var fw = Load($"pass to {{ 198.51.100.0/24 203.0.113.0/24 }}\n"
            + $"pass in to 198.51.100.200/32 rdr-to {echoHost}\n"
            + $"pass out on {ServerIf} to 203.0.113.0/24 nat-to {RouterServerSide}\n");

        // Through rdr-to: src -> rdr address, forwarded to the echo host.
        var (i, o) = Forward(fw, Icmp(src, rdrAddr, 8, 0, 4242), TesterIf, ServerIf, 0);
        Assert.True(i.Passed && o.Passed);
        Assert.Equal(echoHost, i.Nat!.Value.Dst);
        var needFrag = PacketBuilder.IcmpError(router, src, 3, 4, IcmpSpec(src, echoHost, 8, 0, 4242));
        var (ei, eo) = Forward(fw, needFrag, ServerIf, TesterIf, 0.1);
        Assert.Equal((QuotedLookup.StateFound, QuotedLookup.StateFound), (ei.Quoted, eo.Quoted));
        // Leaving towards the source the error comes from the rdr address and quotes src -> rdr address.
        Assert.Equal(new NatResult(rdrAddr, 0, src, 0), eo.Nat);
        PacketDecoder.Decode(needFrag, out var h);
        PacketDecoder.DecodeQuoted(needFrag, h, out var inner);
        Assert.Equal((rdrAddr, src, src, rdrAddr, (byte)4), (h.Src, h.Dst, inner.Src, inner.Dst, h.IcmpCode));

        // Through nat-to: the echo leaves as the router's address with a new id; the error comes back to it.
        var far = Address.Parse("203.0.113.9");
        var (ni, no) = Forward(fw, Icmp(src, far, 8, 0, 4243), TesterIf, ServerIf, 1);
        Assert.True(ni.Passed && no.Passed);
        ushort id = no.Nat!.Value.IcmpId!.Value;
        var needFrag2 = PacketBuilder.IcmpError(router, RouterServerSide, 3, 4, IcmpSpec(RouterServerSide, far, 8, 0, id));
        var (fi, fo) = Forward(fw, needFrag2, ServerIf, TesterIf, 1.1);
        Assert.True(fi.Passed && fo.Passed);
        Assert.Equal(new NatResult(router, 0, src, 0), fi.Nat);
        Assert.Equal(new NatResult(src, 0, far, 0, 4243), fi.QuotedNat);
    }
}
