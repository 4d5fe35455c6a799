using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using static PfSim.Tests.Engine.Pkt;

namespace PfSim.Tests.Engine;

/// <summary>ICMP through translation: the echo id as a port (pf_get_sport, pf_translate), errors translated back
/// (pf_test_state_icmp, pf_translate_icmp), and the outer-destination check on errors.</summary>
public class IcmpNatTests
{
    private static readonly Address Inside = Address.Parse("10.0.0.5");
    private static readonly Address Inside2 = Address.Parse("10.0.0.6");
    private static readonly Address Public = Address.Parse("192.0.2.1");
    private static readonly Address Remote = Address.Parse("198.51.100.7");
    private static readonly Address Router = Address.Parse("203.0.113.1");

    private const string OpenBsdNat = "match out on em0 inet from 10.0.0.0/24 nat-to 192.0.2.1\npass out on em0 inet\nblock in on em0\n";
    private const string FreeBsdNat = "nat on em0 inet from 10.0.0.0/24 to any -> 192.0.2.1\npass out on em0 inet keep state\nblock in on em0\n";

    [Theory]
    [InlineData(Dialect.OpenBsd)]
    [InlineData(Dialect.FreeBsd)]
    public void NatTo_RewritesTheEchoId_SoTwoHostsWithTheSameIdGetTwoStates(Dialect d)
    {
        // pf_get_sport: an echo request's id is chosen like a source port in 1..65535; without it the second host's
        // translated key would collide with the first (state-insert).
        var fw = new Firewall(NatTests.Load(d == Dialect.OpenBsd ? OpenBsdNat : FreeBsdNat, d));
        int em0 = fw.InterfaceId("em0");
        var p1 = Icmp(Inside, Remote, 8, 0, 77);
        var v1 = fw.TestInPlace(p1, em0, Direction.Out, 0);
        var v2 = fw.Test(Icmp(Inside2, Remote, 8, 0, 77), em0, Direction.Out, 0.1);
        Assert.Equal((RuleAction.Pass, StateUse.New), (v1.Action, v1.StateUse));
        Assert.Equal((RuleAction.Pass, StateUse.New), (v2.Action, v2.StateUse));
        ushort id1 = v1.Nat!.Value.IcmpId!.Value, id2 = v2.Nat!.Value.IcmpId!.Value;
        Assert.NotEqual(id1, id2);
        // The packet left with the new id and a valid ICMP checksum.
        PacketDecoder.Decode(p1, out var h1);
        Assert.Equal((Public, id1), (h1.Src, h1.IcmpId));
        var ip = new PacketDotNet.IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(p1));
        Assert.True(ip.ValidIPChecksum && ((PacketDotNet.IcmpV4Packet)ip.PayloadPacket).ValidIcmpChecksum);

        // The echo reply to the public address with the new id matches the state and goes back with the host's own id.
        var reply = Icmp(Remote, Public, 0, 0, id1);
        var r = fw.TestInPlace(reply, em0, Direction.In, 0.2);
        Assert.Equal((RuleAction.Pass, StateUse.Match), (r.Action, r.StateUse));
        PacketDecoder.Decode(reply, out var rh);
        Assert.Equal((Inside, (ushort)77), (rh.Dst, rh.IcmpId));
    }

    [Fact]
    public void OpenBsd_StaticPortDoesNotKeepTheEchoId()
    {
        // pf_get_sport sets low = 1, high = 65535 for an echo request whatever the pool's ports: binat-to (nat-to
        // static-port) still changes the id.
        var fw = new Firewall(NatTests.Load("match out on em0 inet from 10.0.0.0/24 nat-to 192.0.2.1 static-port\npass\n"));
        var v1 = fw.Test(Icmp(Inside, Remote, 8, 0, 77), "em0", Direction.Out, 0);
        var v2 = fw.Test(Icmp(Inside2, Remote, 8, 0, 77), "em0", Direction.Out, 0.1);
        Assert.Equal((StateUse.New, StateUse.New), (v1.StateUse, v2.StateUse));
        Assert.NotEqual(v1.Nat!.Value.IcmpId, v2.Nat!.Value.IcmpId);
    }

    [Fact]
    public void OpenBsd_NonEchoQueryThroughNat_GetsIdZeroInTheKey_AndItsReplyFindsNoState()
    {
        // pf_get_sport returns early for ICMP other than echo and leaves nport 0, which pf_get_transaddr stores as
        // pd->nsport: the translated key's id side is 0 while the packet keeps its id (pf_translate patches echo only).
        var fw = new Firewall(NatTests.Load(OpenBsdNat));
        var v = fw.Test(Icmp(Inside, Remote, 13, 0, 55), "em0", Direction.Out, 0);
        Assert.Equal((StateUse.New, (ushort?)55), (v.StateUse, v.Nat!.Value.IcmpId));
        Assert.Equal(0, v.State!.Wire.Port1);
        var reply = fw.Test(Icmp(Remote, Public, 14, 0, 55), "em0", Direction.In, 0.1);
        Assert.Equal((RuleAction.Block, StateUse.None), (reply.Action, reply.StateUse));
    }

    [Theory]
    [InlineData(Dialect.OpenBsd)]
    [InlineData(Dialect.FreeBsd)]
    public void IcmpErrorQuotingNattedUdp_IsTranslatedBack_OuterDestinationAndQuotedSource(Dialect d)
    {
        // pf_test_state_icmp: nk = key[pd->didx]; the quoted source P:port becomes the inside host and, through
        // pf_translate_icmp's oa argument, the outer destination too.
        var fw = new Firewall(NatTests.Load(d == Dialect.OpenBsd ? OpenBsdNat : FreeBsdNat, d));
        int em0 = fw.InterfaceId("em0");
        var v = fw.Test(Udp(Inside, 4000, Remote, 33434), em0, Direction.Out, 0);
        ushort port = v.Nat!.Value.SrcPort;
        var err = PacketBuilder.IcmpError(Router, Public, 11, 0, UdpSpec(Public, port, Remote, 33434));
        var e = fw.TestInPlace(err, em0, Direction.In, 0.1);
        Assert.Equal((RuleAction.Pass, StateUse.Match, QuotedLookup.StateFound), (e.Action, e.StateUse, e.Quoted));
        Assert.Equal(new NatResult(Router, 0, Inside, 0), e.Nat);
        Assert.Equal(new NatResult(Inside, 4000, Remote, 33434), e.QuotedNat);
        PacketDecoder.Decode(err, out var h);
        PacketDecoder.DecodeQuoted(err, h, out var inner);
        Assert.Equal((Router, Inside), (h.Src, h.Dst));
        Assert.Equal((Inside, (ushort)4000, Remote, (ushort)33434), (inner.Src, inner.SrcPort, inner.Dst, inner.DstPort));
        var ip = new PacketDotNet.IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(err));
        Assert.True(ip.ValidIPChecksum && ((PacketDotNet.IcmpV4Packet)ip.PayloadPacket).ValidIcmpChecksum);
    }

    [Fact]
    public void IcmpErrorFromRedirectedServer_OuterSourceBecomesThePublicAddress()
    {
        // rdr-to: the server's port-unreachable quotes client -> server:8080; the quoted destination goes back to the
        // public address and port, and the outer source (pf_translate_icmp with oa = pd->src) with it.
        var fw = new Firewall(NatTests.Load("block in on em0\npass in on em0 inet proto tcp to 192.0.2.1 port 80 rdr-to 10.0.0.80 port 8080\n"));
        var server = Address.Parse("10.0.0.80");
        Assert.True(fw.Test(Tcp(Remote, 3333, Public, 80, TcpFlags.Syn, 100, 0), "em0", Direction.In, 0).Passed);
        var err = PacketBuilder.IcmpError(server, Remote, 3, 3, TcpSpec(Remote, 3333, server, 8080, TcpFlags.Syn, 100, 0));
        var e = fw.Test(err, "em0", Direction.Out, 0.1);
        Assert.Equal((RuleAction.Pass, QuotedLookup.StateFound), (e.Action, e.Quoted));
        Assert.Equal(new NatResult(Public, 0, Remote, 0), e.Nat);
        Assert.Equal(new NatResult(Remote, 3333, Public, 80), e.QuotedNat);
    }

    [Fact]
    public void TimeExceededQuotingNattedEcho_QuotedIdGoesBackToTheHostsId()
    {
        // traceroute -I through nat-to: the quoted echo request carries the translated id; pf writes nk->port[iidx] back.
        var fw = new Firewall(NatTests.Load(OpenBsdNat));
        var v = fw.Test(Icmp(Inside, Remote, 8, 0, 77), "em0", Direction.Out, 0);
        ushort id = v.Nat!.Value.IcmpId!.Value;
        var err = PacketBuilder.IcmpError(Router, Public, 11, 0, IcmpSpec(Public, Remote, 8, 0, id));
        var e = fw.Test(err, "em0", Direction.In, 0.1);
        Assert.Equal((RuleAction.Pass, QuotedLookup.StateFound), (e.Action, e.Quoted));
        Assert.Equal(new NatResult(Inside, 0, Remote, 0, 77), e.QuotedNat);
    }

    [Theory]
    [InlineData(Dialect.OpenBsd)]
    [InlineData(Dialect.FreeBsd)]
    public void IcmpError_NotAddressedToTheQuotedSource_FindsNoState_AndTheRulesetDecides(Dialect d)
    {
        // pf_test_state_icmp: "BAD ICMP ... outer dst" when pd->dst != pd2.src; the state is not used (pf-semantics
        // Correction 5: FreeBSD too), so pf_test runs the ruleset and its reason is match.
        var fw = new Firewall(NatTests.Load("block in on em0\npass out on em0 inet proto udp keep state\n", d));
        var local = Address.Parse("192.0.2.10");
        Assert.True(fw.Test(Udp(local, 4000, Remote, 53), "em0", Direction.Out, 0).Passed);
        var good = fw.Test(PacketBuilder.IcmpError(Remote, local, 3, 3, UdpSpec(local, 4000, Remote, 53)), "em0", Direction.In, 0.1);
        Assert.Equal((RuleAction.Pass, QuotedLookup.StateFound), (good.Action, good.Quoted));
        var other = Address.Parse("192.0.2.11");
        var bad = fw.Test(PacketBuilder.IcmpError(Remote, other, 3, 3, UdpSpec(local, 4000, Remote, 53)), "em0", Direction.In, 0.2);
        Assert.Equal((RuleAction.Block, 0, StateUse.None, QuotedLookup.WrongDestination, Reason.Match),
            (bad.Action, bad.RuleNumber, bad.StateUse, bad.Quoted, bad.Reason));
    }

    [Fact]
    public void OpenBsd_IcmpErrorWithoutState_RulesSeeItsNatToSource_ButItLeavesUntranslated()
    {
        // pf_match_rule calls pf_get_transaddr for a match rule whatever the packet, so later rules test pd->nsaddr; only
        // pf_create_state's pf_translate rewrites the packet, and ICMP errors never create state.
        var fw = new Firewall(NatTests.Load("match out on em0 inet from 10.0.0.0/24 nat-to 192.0.2.1\nblock out on em0\npass out on em0 inet from 192.0.2.1 no state\n"));
        var err = PacketBuilder.IcmpError(Inside, Remote, 3, 3, UdpSpec(Remote, 5000, Inside, 9));
        var v = fw.TestInPlace(err, fw.InterfaceId("em0"), Direction.Out, 0);
        Assert.Equal((RuleAction.Pass, 2, StateUse.None, (NatResult?)null), (v.Action, v.RuleNumber, v.StateUse, v.Nat));
        PacketDecoder.Decode(err, out var h);
        Assert.Equal(Inside, h.Src);
    }

    [Fact]
    public void FreeBsd_IcmpErrorWithoutState_IsTranslatedByTheNatRule_WithoutAState()
    {
        // Classic FreeBSD pf_test_rule: pf_get_translation and the rewrite run before and apart from state creation
        // (!state_icmp guards only pf_create_state), so the error leaves from the nat address.
        var fw = new Firewall(NatTests.Load("nat on em0 inet from 10.0.0.0/24 to any -> 192.0.2.1\nblock out on em0 all\npass out on em0 inet from 192.0.2.1 to any keep state\n", Dialect.FreeBsd));
        var err = PacketBuilder.IcmpError(Inside, Remote, 3, 3, UdpSpec(Remote, 5000, Inside, 9));
        var v = fw.TestInPlace(err, fw.InterfaceId("em0"), Direction.Out, 0);
        Assert.Equal((RuleAction.Pass, 1, StateUse.None), (v.Action, v.RuleNumber, v.StateUse));
        Assert.Equal(Public, v.Nat!.Value.Src);
        PacketDecoder.Decode(err, out var h);
        Assert.Equal(Public, h.Src);
        var ip = new PacketDotNet.IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(err));
        Assert.True(ip.ValidIPChecksum && ((PacketDotNet.IcmpV4Packet)ip.PayloadPacket).ValidIcmpChecksum);
    }
}
