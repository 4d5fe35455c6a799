using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using static PfSim.Tests.Engine.Pkt;
using static PfSim.Tests.Engine.RuleFactory;
using Peer = PfSim.Tests.Peer;

namespace PfSim.Tests.Engine;

/// <summary>pf behaviours named after what they check (pf-semantics.md sections in comments).</summary>
public class BehaviourTests
{
    private static readonly Address C = Address.Parse("10.0.0.1");
    private static readonly Address S = Address.Parse("10.0.0.2");

    [Fact]
    public void SeedScriptC_ExpectationsHold_WithRulesBuiltInCode()
    {
        var fw = new Firewall(SeedC());
        var path = Path.Combine(Peer.RepoRoot, "captures", "scripts", "seed-C.pkt");
        foreach (var sp in PacketScript.Parse(File.ReadAllText(path), path))
        {
            var v = fw.Test(sp.Bytes, sp.Interface, sp.Direction, sp.Time);
            var state = v.StateUse switch { StateUse.New => "new", StateUse.Match => "match", _ => "none" };
            Assert.Null(sp.Expect!.Check(v.Passed ? "pass" : "block", v.Rule?.Number, state, v.Reason.Name()));
        }
    }

    [Fact]
    public void LastMatchWins_UnlessQuick()
    {
        var fw = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(state: StateMode.None)));
        Assert.Equal(1, fw.Test(Udp(C, 1, S, 2), "em0", Direction.In, 0).RuleNumber);
        var quick = Block() with { Quick = true };
        fw = new Firewall(Config(Dialect.OpenBsd, quick, Pass(state: StateMode.None)));
        var v = fw.Test(Udp(C, 1, S, 2), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Block, 0), (v.Action, v.RuleNumber));
    }

    [Fact]
    public void UnsolicitedEchoReply_OpenBsdSkipsStatefulRule_FreeBsdPassesAndCreatesState()
    {
        // pf-semantics §5.3 and §8.3 case 2: block all; pass proto icmp.
        var ob = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(proto: IpProto.Icmp)));
        var v = ob.Test(Icmp(S, C, 0, 0, 9), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Block, 0), (v.Action, v.RuleNumber));
        var fb = new Firewall(Config(Dialect.FreeBsd, Block(), Pass(proto: IpProto.Icmp)));
        v = fb.Test(Icmp(S, C, 0, 0, 9), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Pass, StateUse.New), (v.Action, v.StateUse));
    }

    [Fact]
    public void TcpHandshake_ThroughKeepState_PassesBothWays_AndOutOfWindowIsStateMismatch()
    {
        var fw = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(proto: IpProto.Tcp, dir: Direction.In)));
        Assert.Equal(StateUse.New, fw.Test(Tcp(C, 5000, S, 80, TcpFlags.Syn, 100, 0), "em0", Direction.In, 0).StateUse);
        var synack = fw.Test(Tcp(S, 80, C, 5000, TcpFlags.Syn | TcpFlags.Ack, 9000, 101), "em0", Direction.Out, 0.01);
        Assert.Equal((RuleAction.Pass, StateUse.Match), (synack.Action, synack.StateUse));
        Assert.True(fw.Test(Tcp(C, 5000, S, 80, TcpFlags.Ack, 101, 9001), "em0", Direction.In, 0.02).Passed);
        Assert.True(fw.Test(Tcp(C, 5000, S, 80, TcpFlags.Ack | TcpFlags.Push, 101, 9001, len: 100), "em0", Direction.In, 0.03).Passed);
        var s = fw.States.States.Single();
        Assert.Equal((TcpState.Established, TcpState.Established), (s.Src.State, s.Dst.State));
        // Far outside the window: the state exists, so the ruleset is not consulted.
        var bad = fw.Test(Tcp(C, 5000, S, 80, TcpFlags.Ack, 101 + 5_000_000, 9001, len: 100), "em0", Direction.In, 0.04);
        Assert.Equal((RuleAction.Block, Reason.StateMismatch, StateUse.Match), (bad.Action, bad.Reason, bad.StateUse));
    }

    [Fact]
    public void MidStreamAck_WithoutState_DoesNotMatchImplicitFlagsSSA()
    {
        // pf-semantics §2.12.5 / §8.3 case 5.
        var fw = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(proto: IpProto.Tcp)));
        var v = fw.Test(Tcp(C, 5000, S, 80, TcpFlags.Ack, 1, 1), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Block, 0), (v.Action, v.RuleNumber));
    }

    [Fact]
    public void UdpTimeouts_60_30_30_60_AsPseudoStateAdvances()
    {
        // pf-semantics §4.4 and §8.3 case 7.
        var fw = new Firewall(Config(Dialect.OpenBsd, Pass(proto: IpProto.Udp)));
        fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 0);
        var s = fw.States.States.Single();
        Assert.Equal(60, fw.Expires(s));
        fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 1);
        Assert.Equal(31, fw.Expires(s));
        fw.Test(Udp(S, 2, C, 1), "em0", Direction.In, 2);
        Assert.Equal(32, fw.Expires(s));
        fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 3);
        Assert.Equal(63, fw.Expires(s));
    }

    [Fact]
    public void ExpiredState_IsGone_AndTheRulesetDecidesAgain()
    {
        var fw = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(proto: IpProto.Udp, dir: Direction.Out)));
        fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 0);
        Assert.True(fw.Test(Udp(S, 2, C, 1), "em0", Direction.In, 59).Passed);
        // After the reply the state waits udp.single (30 s) from the last packet.
        var late = fw.Test(Udp(S, 2, C, 1), "em0", Direction.In, 59 + 31);
        Assert.Equal((RuleAction.Block, StateUse.None), (late.Action, late.StateUse));
    }

    [Fact]
    public void SetTimeout_AndPerRuleTimeout_Apply()
    {
        var cfg = Config(Dialect.OpenBsd, Pass(proto: IpProto.Udp) with { StateOptions = new StateOptions { Timeouts = new Dictionary<string, uint> { ["udp.first"] = 5 } } });
        cfg.Options.Timeouts["udp.single"] = 7;
        var fw = new Firewall(cfg);
        fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 0);
        var s = fw.States.States.Single();
        Assert.Equal(5, fw.Expires(s));
        fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 1);
        Assert.Equal(8, fw.Expires(s));
    }

    [Fact]
    public void AdaptiveTimeouts_ScaleDown_AsTheTableFills()
    {
        var cfg = Config(Dialect.OpenBsd, Pass(proto: IpProto.Udp));
        cfg.Options.Timeouts["adaptive.start"] = 2;
        cfg.Options.Timeouts["adaptive.end"] = 6;
        var fw = new Firewall(cfg);
        for (ushort i = 1; i <= 4; i++) fw.Test(Udp(C, i, S, 2), "em0", Direction.Out, 0);
        // 4 states, start 2, end 6: factor (6-4)/(6-2) = 0.5 of udp.first 60.
        Assert.Equal(30, fw.Expires(fw.States.States.First()));
    }

    [Fact]
    public void SetSkip_Interface_PassesWithoutEvaluation()
    {
        var cfg = Config(Dialect.OpenBsd, Block());
        cfg.Options.Skip.Add("lo");
        var fw = new Firewall(cfg);
        var v = fw.Test(Udp(C, 1, S, 2), "lo0", Direction.In, 0);
        Assert.True(v.Skipped && v.Passed);
        Assert.False(fw.Test(Udp(C, 1, S, 2), "em0", Direction.In, 0).Passed);
    }

    [Fact]
    public void BlockReturn_SendsRstForTcp_IcmpPortUnreachForUdp_NothingForIcmpErrors()
    {
        var fw = new Firewall(Config(Dialect.OpenBsd, Block() with { Return = BlockReturn.Return }));
        Assert.Equal(ReturnKind.TcpRst, fw.Test(Tcp(C, 1, S, 2, TcpFlags.Syn, 1, 0), "em0", Direction.In, 0).Return);
        var u = fw.Test(Udp(C, 1, S, 2), "em0", Direction.In, 0);
        Assert.Equal((ReturnKind.Icmp, (byte)3, (byte)3), (u.Return, u.ReturnType, u.ReturnCode));
        var err = PacketBuilder.IcmpError(C, S, 3, 3, UdpSpec(S, 2, C, 1));
        Assert.Equal(ReturnKind.None, fw.Test(err, "em0", Direction.In, 0).Return);
        // OpenBSD answers a blocked echo request; FreeBSD never answers ICMP.
        Assert.Equal(ReturnKind.Icmp, fw.Test(Icmp(C, S, 8, 0, 1), "em0", Direction.In, 0).Return);
        var fb = new Firewall(Config(Dialect.FreeBsd, Block() with { Return = BlockReturn.Return }));
        Assert.Equal(ReturnKind.None, fb.Test(Icmp(C, S, 8, 0, 1), "em0", Direction.In, 0).Return);
    }

    [Fact]
    public void Tags_StickWhenSet_AndTaggedTestsThem()
    {
        var fw = new Firewall(Config(Dialect.OpenBsd,
            Pass(state: StateMode.None) with { Tag = "LAN" },
            Block() with { Tagged = "LAN", TaggedNot = true },
            Block(proto: IpProto.Tcp)));
        var v = fw.Test(Udp(C, 1, S, 2), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Pass, 0, "LAN"), (v.Action, v.RuleNumber, v.Tag));
        // A tag carried from another pass is seen by tagged.
        var fw2 = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(state: StateMode.None) with { Tagged = "LAN" }));
        Assert.True(fw2.Test(Udp(C, 1, S, 2), fw2.InterfaceId("em1"), Direction.Out, 0, new PacketContext { Tag = "LAN" }).Passed);
        Assert.False(fw2.Test(Udp(C, 1, S, 2), fw2.InterfaceId("em1"), Direction.Out, 0).Passed);
    }

    [Fact]
    public void Anchors_EvaluatedInPlace_QuickAnchorStopsOnlyWhenSomethingInsideMatched()
    {
        var cfg = new PfConfig(Dialect.OpenBsd);
        var a = cfg.Main.GetOrAddAnchor("a");
        a.Filter.Add(Pass(proto: IpProto.Udp, state: StateMode.None));
        cfg.Main.Filter.Add(Block());
        cfg.Main.Filter.Add(new Rule { Number = 1, Quick = true, Anchor = new AnchorCall { Name = "a", Ruleset = a } });
        cfg.Main.Filter.Add(Block() with { Number = 2 });
        var fw = new Firewall(cfg);
        var v = fw.Test(Udp(C, 1, S, 2), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Pass, "a", 0), (v.Action, v.AnchorPath, v.RuleNumber));
        // TCP matches nothing inside: evaluation continues after the anchor, @2 blocks.
        var t = fw.Test(Tcp(C, 1, S, 2, TcpFlags.Syn, 1, 0), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Block, "", 2), (t.Action, t.AnchorPath, t.RuleNumber));
    }

    [Fact]
    public void Tables_LongestPrefix_WithNegatedEntries()
    {
        // pf-semantics §2.6: { 10.0.0.0/8, !10.1.0.0/16 } matches 10.2.3.4 but not 10.1.2.3.
        var t = new Table("nets");
        t.Entries.Add(new TableEntry(Address.Parse("10.0.0.0"), 8, false));
        t.Entries.Add(new TableEntry(Address.Parse("10.1.0.0"), 16, true));
        var rule = Pass(state: StateMode.None) with { From = new Endpoint(new AddressMatch { Kind = AddressKind.Table, Name = "nets", Table = t }, PortMatch.Any) };
        var fw = new Firewall(Config(Dialect.OpenBsd, Block(), rule));
        Assert.True(fw.Test(Udp(Address.Parse("10.2.3.4"), 1, S, 2), "em0", Direction.In, 0).Passed);
        Assert.False(fw.Test(Udp(Address.Parse("10.1.2.3"), 1, S, 2), "em0", Direction.In, 0).Passed);
    }

    [Fact]
    public void MaxStates_RefusesWithStateLimit()
    {
        var fw = new Firewall(Config(Dialect.OpenBsd, Pass(proto: IpProto.Udp) with { StateOptions = new StateOptions { MaxStates = 1 } }));
        Assert.Equal(StateUse.New, fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 0).StateUse);
        var v = fw.Test(Udp(C, 3, S, 2), "em0", Direction.Out, 0);
        Assert.Equal((RuleAction.Block, Reason.StateLimit), (v.Action, v.Reason));
    }

    [Fact]
    public void IfBoundState_IsNotSeenOnAnotherInterface_FloatingIs()
    {
        var bound = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(proto: IpProto.Udp, dir: Direction.Out) with { StateOptions = new StateOptions { IfBound = true } }));
        bound.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 0);
        Assert.False(bound.Test(Udp(S, 2, C, 1), "em1", Direction.In, 0.1).Passed);
        Assert.True(bound.Test(Udp(S, 2, C, 1), "em0", Direction.In, 0.1).Passed);
        var floating = new Firewall(Config(Dialect.OpenBsd, Block(), Pass(proto: IpProto.Udp, dir: Direction.Out)));
        floating.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 0);
        Assert.True(floating.Test(Udp(S, 2, C, 1), "em1", Direction.In, 0.1).Passed);
    }

    [Fact]
    public void IpOptions_AreDropped_UnlessAllowOpts()
    {
        var opt = PacketBuilder.Build(UdpSpec(C, 1, S, 2) with { IpOptions = true });
        var fw = new Firewall(Config(Dialect.OpenBsd, Pass(state: StateMode.None)));
        Assert.Equal(Reason.IpOption, fw.Test(opt, "em0", Direction.In, 0).Reason);
        fw = new Firewall(Config(Dialect.OpenBsd, Pass(state: StateMode.None) with { AllowOpts = true }));
        Assert.True(fw.Test(opt, "em0", Direction.In, 0).Passed);
    }

    [Fact]
    public void LaterFragment_CannotMatchRuleWithPorts()
    {
        var frag = PacketBuilder.Build(UdpSpec(C, 1, S, 53) with { FragmentOffset = 1480 });
        var rule = Pass(proto: IpProto.Udp, state: StateMode.None) with { To = new Endpoint(AddressMatch.AnyAddress, PortMatch.Equal(53)) };
        var fw = new Firewall(Config(Dialect.OpenBsd, Block(), rule));
        Assert.False(fw.Test(frag, "em0", Direction.In, 0).Passed);
        Assert.True(fw.Test(Udp(C, 1, S, 53), "em0", Direction.In, 0).Passed);
    }

    [Fact]
    public void UserCriterion_UnknownOwner_MatchesOnlyEqOrNe()
    {
        // pf-semantics §2.12.6: forwarded packets have no socket; user >= 0 never matches them.
        var rule = Pass(proto: IpProto.Udp, state: StateMode.None) with { Uid = new PortMatch(PortOp.Ge, 0, 0) };
        var fw = new Firewall(Config(Dialect.OpenBsd, Block(), rule));
        Assert.False(fw.Test(Udp(C, 1, S, 2), "em0", Direction.Out, 0).Passed);
        Assert.True(fw.Test(Udp(C, 1, S, 2), fw.InterfaceId("em0"), Direction.Out, 0, new PacketContext { Uid = 1000 }).Passed);
    }

    [Fact]
    public void MalformedPacket_IsShortOrBadOffset_NeverAnException()
    {
        var fw = new Firewall(Config(Dialect.OpenBsd));
        var v = fw.Test(Udp(C, 1, S, 2).AsSpan(0, 10), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Block, Reason.Short), (v.Action, v.Reason));
    }
}

public class ModulateAndSynproxyTests
{
    private static readonly Address C = Address.Parse("10.0.0.1");
    private static readonly Address S = Address.Parse("10.0.0.2");

    [Fact]
    public void ModulateState_RewritesTheInitiatorsSequence_AndDemodulatesAcks()
    {
        var fw = new Firewall(RuleFactory.Config(Dialect.OpenBsd, RuleFactory.Pass(proto: IpProto.Tcp, dir: Direction.Out, state: StateMode.Modulate)));
        int em0 = fw.InterfaceId("em0");
        var syn = Pkt.Tcp(C, 1000, S, 80, TcpFlags.Syn, 100, 0);
        Assert.Equal(StateUse.New, fw.TestInPlace(syn, em0, Direction.Out, 0).StateUse);
        PacketDecoder.Decode(syn, out var h);
        Assert.NotEqual(100u, h.Seq); // the wire carries pf's random ISN
        var synack = Pkt.Tcp(S, 80, C, 1000, TcpFlags.Syn | TcpFlags.Ack, 5000, h.Seq + 1);
        Assert.True(fw.TestInPlace(synack, em0, Direction.In, 0.01).Passed);
        PacketDecoder.Decode(synack, out var h2);
        Assert.Equal(101u, h2.Ack); // the client sees an ack of its own ISN
        // pf also modulates the server's ISN (deferred modulator); the client acks what it saw.
        var ack = Pkt.Tcp(C, 1000, S, 80, TcpFlags.Ack, 101, h2.Seq + 1);
        Assert.True(fw.TestInPlace(ack, em0, Direction.Out, 0.02).Passed);
        PacketDecoder.Decode(ack, out var h3);
        Assert.Equal((h.Seq + 1, 5001u), (h3.Seq, h3.Ack));
    }

    [Fact]
    public void SynproxyState_AnswersTheSyn_AndConsumesIt()
    {
        var fw = new Firewall(RuleFactory.Config(Dialect.OpenBsd, RuleFactory.Pass(proto: IpProto.Tcp, dir: Direction.In, state: StateMode.Synproxy)));
        var v = fw.Test(Pkt.Tcp(C, 1000, S, 80, TcpFlags.Syn, 100, 0), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Block, Reason.Synproxy, ReturnKind.SynAck, StateUse.New), (v.Action, v.Reason, v.Return, v.StateUse));
    }
}
