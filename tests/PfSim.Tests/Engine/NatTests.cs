using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using PfSim.Syntax;
using static PfSim.Tests.Engine.Pkt;

namespace PfSim.Tests.Engine;

/// <summary>Translation (pf-semantics §4.2 wire/stack keys, §7.2 OpenBSD nat-to vs FreeBSD nat rules).</summary>
public class NatTests
{
    private static readonly Address Inside = Address.Parse("10.0.0.5");
    private static readonly Address Public = Address.Parse("192.0.2.1");
    private static readonly Address Remote = Address.Parse("198.51.100.7");

    internal static PfConfig Load(string text, Dialect d = Dialect.Auto)
    {
        var r = PfConfLoader.LoadText(text, "test.conf", new LoadOptions { Dialect = d });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return r.Config!;
    }

    [Fact]
    public void OpenBsd_NatTo_TranslatesSource_StateHasWireAndStackKeys_ReplyTranslatedBack()
    {
        var fw = new Firewall(Load("match out on em0 inet from 10.0.0.0/24 nat-to 192.0.2.1\npass out on em0 inet proto udp\nblock in on em0\n"));
        int em0 = fw.InterfaceId("em0");
        var pkt = Udp(Inside, 4000, Remote, 53);
        var v = fw.TestInPlace(pkt, em0, Direction.Out, 0);
        Assert.Equal((RuleAction.Pass, StateUse.New), (v.Action, v.StateUse));
        var nat = Assert.IsType<NatResult>(v.Nat);
        Assert.Equal(Public, nat.Src);
        Assert.InRange(nat.SrcPort, (ushort)50001, (ushort)65535);
        // The packet was rewritten in place with valid checksums.
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(pkt, out var h));
        Assert.Equal((Public, nat.SrcPort), (h.Src, h.SrcPort));
        var ip = new PacketDotNet.IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(pkt));
        Assert.True(ip.ValidIPChecksum && ((PacketDotNet.UdpPacket)ip.PayloadPacket).ValidUdpChecksum);
        Assert.True(v.State!.IsTranslated);

        // The reply comes back to the public address and port; it matches the wire key and is translated to the inside host.
        var reply = Udp(Remote, 53, Public, nat.SrcPort);
        var r = fw.TestInPlace(reply, em0, Direction.In, 0.1);
        Assert.Equal((RuleAction.Pass, StateUse.Match), (r.Action, r.StateUse));
        PacketDecoder.Decode(reply, out var rh);
        Assert.Equal((Inside, (ushort)4000), (rh.Dst, rh.DstPort));
    }

    [Fact]
    public void OpenBsd_RdrTo_TranslatesDestination_LaterRulesSeeOriginalUnlessMatch()
    {
        var fw = new Firewall(Load("block in on em0\npass in on em0 inet proto tcp to 192.0.2.1 port 80 rdr-to 10.0.0.5 port 8080\n"));
        var v = fw.Test(Tcp(Remote, 3333, Public, 80, TcpFlags.Syn, 1, 0), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Pass, 1), (v.Action, v.RuleNumber));
        Assert.Equal(new NatResult(Remote, 3333, Inside, 8080), v.Nat);
        // The server's SYN|ACK leaves from the inside address and port, matched on the stack key, rewritten to the public one.
        var back = fw.Test(Tcp(Inside, 8080, Remote, 3333, TcpFlags.Syn | TcpFlags.Ack, 500, 2), "em0", Direction.Out, 0.01);
        Assert.Equal((RuleAction.Pass, StateUse.Match), (back.Action, back.StateUse));
        Assert.Equal(new NatResult(Public, 80, Remote, 3333), back.Nat);
    }

    [Fact]
    public void FreeBsd_NatRule_ForcesState_EvenUnderTheDefaultRule()
    {
        // pf-semantics §4.1: classic FreeBSD creates a state when a nat rule translated the packet.
        var fw = new Firewall(Load("nat on em0 inet from 10.0.0.0/24 to any -> 192.0.2.1\n", Dialect.FreeBsd));
        var v = fw.Test(Udp(Inside, 4000, Remote, 53), "em0", Direction.Out, 0);
        Assert.Equal((RuleAction.Pass, StateUse.New), (v.Action, v.StateUse));
        Assert.Null(v.Rule);
        Assert.Equal(Public, v.Nat!.Value.Src);
        var reply = fw.Test(Udp(Remote, 53, Public, v.Nat.Value.SrcPort), "em0", Direction.In, 0.1);
        Assert.Equal(StateUse.Match, reply.StateUse);
    }

    [Fact]
    public void FreeBsd_FilterRulesSeeTranslatedAddresses_AndNoNatExempts()
    {
        var fw = new Firewall(Load("no nat on em0 inet from 10.0.0.9 to any\nnat on em0 inet from 10.0.0.0/24 to any -> 192.0.2.1\nblock out on em0 all\npass out on em0 inet from 192.0.2.1 to any keep state\n", Dialect.FreeBsd));
        Assert.True(fw.Test(Udp(Inside, 4000, Remote, 53), "em0", Direction.Out, 0).Passed);
        var exempt = fw.Test(Udp(Address.Parse("10.0.0.9"), 4000, Remote, 53), "em0", Direction.Out, 0);
        Assert.Equal((RuleAction.Block, (NatResult?)null), (exempt.Action, exempt.Nat));
    }

    [Fact]
    public void FreeBsd_RdrPass_SkipsFilterRules()
    {
        var fw = new Firewall(Load("rdr pass on em0 inet proto tcp to 192.0.2.1 port 80 -> 10.0.0.5 port 8080\nblock in all\n", Dialect.FreeBsd));
        var v = fw.Test(Tcp(Remote, 3333, Public, 80, TcpFlags.Syn, 1, 0), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Pass, StateUse.New), (v.Action, v.StateUse));
        Assert.Equal(RuleAction.Rdr, v.Rule!.Action);
        Assert.Equal(new NatResult(Remote, 3333, Inside, 8080), v.Nat);
    }

    [Fact]
    public void IcmpError_ForTranslatedFlow_FindsStateByWireKey()
    {
        var fw = new Firewall(Load("match out on em0 inet from 10.0.0.0/24 nat-to 192.0.2.1\npass out on em0 inet proto udp\nblock in on em0\n"));
        var v = fw.Test(Udp(Inside, 4000, Remote, 33434), "em0", Direction.Out, 0);
        var onWire = UdpSpec(Public, v.Nat!.Value.SrcPort, Remote, 33434);
        var err = fw.Test(PacketBuilder.IcmpError(Remote, Public, 3, 3, onWire), "em0", Direction.In, 0.1);
        Assert.Equal((RuleAction.Pass, QuotedLookup.StateFound), (err.Action, err.Quoted));
    }
}

public class MatchRuleTests
{
    [Fact]
    public void MatchRule_NeverDecides_ButCountsAndLogs_AndItsStateRemembersIt()
    {
        // pf-semantics §2.4: match rules apply options and log, but pass/block comes from the last pass/block rule.
        var cfg = NatTests.Load("match in log proto udp\nblock in proto udp to port 9\npass in proto udp to port 53\n");
        var fw = new Firewall(cfg);
        var v = fw.Test(Pkt.Udp(Address.Parse("10.0.0.1"), 1, Address.Parse("10.0.0.2"), 53), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Pass, 2, true), (v.Action, v.RuleNumber, v.Log));
        Assert.Same(cfg.Main.Filter[0], Assert.Single(v.State!.MatchRules!));
        var b = fw.Test(Pkt.Udp(Address.Parse("10.0.0.1"), 1, Address.Parse("10.0.0.2"), 9), "em0", Direction.In, 0);
        Assert.Equal((RuleAction.Block, 1), (b.Action, b.RuleNumber));
        Assert.Equal(2ul, fw.Counters[cfg.Main.Filter[0]].Packets);
    }

    [Fact]
    public void MatchRulesAndAnchorRules_CountTheStatesTheyApplyTo()
    {
        // pf.c STATE_INC_COUNTERS / STATE_DEC_COUNTERS: states_cur of the rule, its anchor rule and every match rule the
        // state remembers (pfctl -vsr "States:"); the anchor rule's states_tot too.
        var cfg = NatTests.Load("match in proto udp\nanchor \"a\" {\n pass in proto udp to port 53\n}\n");
        var fw = new Firewall(cfg);
        var v = fw.Test(Pkt.Udp(Address.Parse("10.0.0.1"), 1, Address.Parse("10.0.0.2"), 53), "em0", Direction.In, 0);
        Assert.Equal(StateUse.New, v.StateUse);
        var matchRule = cfg.Main.Filter[0];
        var anchorRule = cfg.Main.Filter[1];
        Assert.Equal((1u, 1u), (fw.Counters[matchRule].StatesCurrent, fw.Counters[anchorRule].StatesCurrent));
        fw.Purge(1000);
        Assert.Equal((0u, 0u, 1ul), (fw.Counters[matchRule].StatesCurrent, fw.Counters[anchorRule].StatesCurrent, fw.Counters[anchorRule].StatesTotal));
    }
}
