using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Tests.Engine;

/// <summary>Scenarios derived from pf's own kernel tests (FreeBSD tests/sys/netpfil/pf, OpenBSD regress/sys/net/pf_*), run as packet scripts or packets.</summary>
public class KernelScenarioTests
{
    private static List<(ScriptPacket Packet, Verdict Verdict)> Run(string conf, string script, Dialect d = Dialect.Auto)
    {
        var fw = new Firewall(NatTests.Load(conf, d));
        var result = new List<(ScriptPacket, Verdict)>();
        foreach (var sp in PacketScript.Parse(script, "scenario"))
        {
            var v = fw.Test(sp.Bytes, sp.Interface, sp.Direction, sp.Time);
            result.Add((sp, v));
            if (sp.Expect is not null)
            {
                var state = v.StateUse switch { StateUse.New => "new", StateUse.Match => "match", _ => "none" };
                var diff = sp.Expect.Check(v.Passed ? "pass" : "block", v.Rule?.Number, state, v.Reason.Name());
                Assert.True(diff is null, $"line {sp.Line}: {diff}");
            }
        }
        return result;
    }

    [Fact]
    public void ForgedIcmpError_QuotingAnUnrelatedFlow_IsNotPassedByState()
    {
        // FreeBSD tests/sys/netpfil/pf/icmp.sh, cve_2019_5598 (CVE-2019-5598.py): a UDP state exists, then an ICMP error
        // quoting 4.3.2.1 -> 1.2.3.4 must not ride on it.
        Run("block all\npass in proto udp to 198.51.100.3 port 53\npass out proto udp to 198.51.100.3 port 53\n", """
            in  on epair0b proto udp from 192.0.2.1 port 1234 to 198.51.100.3 port 53   # expect pass rule 1 state new
            out on epair1b proto udp from 192.0.2.1 port 1234 to 198.51.100.3 port 53   # expect pass rule 2 state new
            in  on epair0b proto icmp from 192.0.2.1 to 198.51.100.3 icmp-type unreach code port-unr quoting ( proto udp from 4.3.2.1 port 1234 to 1.2.3.4 port 53 )   # expect block rule 0 state none
            """, Dialect.FreeBsd);
    }

    [Fact]
    public void TableReferencedInsideAnchor_ResolvesToTheMainRulesetsTable()
    {
        // FreeBSD tests/sys/netpfil/pf/anchor.sh, pr183198: "block in" then an anchor passing "from <test>".
        Run("table <test> { 10.0.0.1, 10.0.0.2, 10.0.0.3 }\nblock in\nanchor \"epair\" on epair0b {\n pass in from <test>\n}\n", """
            in on epair0b proto udp from 10.0.0.2 port 5 to 10.0.0.9 port 7   # expect pass state new
            in on epair0b proto udp from 10.0.0.4 port 5 to 10.0.0.9 port 7   # expect block rule 0
            """, Dialect.FreeBsd);
    }

    [Fact]
    public void OnceRule_FiresOnce_ThenIsExpired()
    {
        // FreeBSD tests/sys/netpfil/pf/once.sh, basic: "block" + "pass in from 192.0.2.2 once"; the first ping run works
        // (its state carries the later echoes), the second run does not.
        Run("block\npass in from 192.0.2.2 once\n", """
            @0 in on epair0a proto icmp from 192.0.2.2 to 192.0.2.1 icmp-type echoreq id 1   # expect pass rule 1 state new
            @1 in on epair0a proto icmp from 192.0.2.2 to 192.0.2.1 icmp-type echoreq id 1   # expect pass rule 1 state match
            @5 in on epair0a proto icmp from 192.0.2.2 to 192.0.2.1 icmp-type echoreq id 2   # expect block rule 0
            """);
    }

    [Fact]
    public void MaxStatesPerRule_RefusesTheFourthConnection()
    {
        // FreeBSD tests/sys/netpfil/pf/max_states.sh: "keep state (max 3)"; the 4th SYN from another port is dropped.
        var r = Run("block\npass in on epair0b inet6 proto tcp keep state (max 3)\n", """
            in on epair0b proto tcp from 2001:db8::1 port 4201 to 2001:db8:1::1 port 80 flags S   # expect pass rule 1 state new
            in on epair0b proto tcp from 2001:db8::1 port 4202 to 2001:db8:1::1 port 80 flags S   # expect pass rule 1 state new
            in on epair0b proto tcp from 2001:db8::1 port 4203 to 2001:db8:1::1 port 80 flags S   # expect pass rule 1 state new
            in on epair0b proto tcp from 2001:db8::1 port 4204 to 2001:db8:1::1 port 80 flags S   # expect block rule 1
            """, Dialect.FreeBsd);
        Assert.Equal(Reason.StateLimit, r[^1].Verdict.Reason);
    }

    [Theory]
    [InlineData(Dialect.OpenBsd)]
    [InlineData(Dialect.FreeBsd)]
    public void Synproxy_PfAnswersTheSyn_ThenOpensToTheServer_EveryHandshakePacketIsConsumed(Dialect d)
    {
        // FreeBSD tests/sys/netpfil/pf/synproxy.sh, synproxy: "pass out quick on epair0b all no state allow-opts",
        // "pass in quick on epair0b proto tcp ... port 7 synproxy state", "pass in quick on epair0b all no state"; an echo
        // connection from 192.0.2.1 to 198.51.100.2:7 must work. Steps as pf_synproxy runs them.
        var fw = new Firewall(NatTests.Load("pass out quick on epair0b all no state allow-opts\n"
            + "pass in quick on epair0b proto tcp from any to any port 7 synproxy state\npass in quick on epair0b all no state\n", d));
        var c = Address.Parse("192.0.2.1");
        var s = Address.Parse("198.51.100.2");
        var syn = fw.Test(Pkt.Tcp(c, 40000, s, 7, TcpFlags.Syn, 1000, 0), "epair0b", Direction.In, 0);
        Assert.Equal((RuleAction.Block, StateUse.New, Reason.Synproxy, ReturnKind.SynAck), (syn.Action, syn.StateUse, syn.Reason, syn.Return));
        var st = syn.State!;
        uint proxyIsn = st.Src.SeqHi;
        // A retransmitted SYN gets pf's SYN|ACK again; one with another sequence number is dropped.
        Assert.Equal(ReturnKind.SynAck, fw.Test(Pkt.Tcp(c, 40000, s, 7, TcpFlags.Syn, 1000, 0), "epair0b", Direction.In, 0.5).Return);
        var badSyn = fw.Test(Pkt.Tcp(c, 40000, s, 7, TcpFlags.Syn, 5000, 0), "epair0b", Direction.In, 0.6);
        Assert.Equal((RuleAction.Block, Reason.Synproxy, ReturnKind.None), (badSyn.Action, badSyn.Reason, badSyn.Return));
        // The client's ACK of pf's SYN|ACK: pf now sends its own SYN to the server; the ACK itself goes nowhere.
        var ack = fw.Test(Pkt.Tcp(c, 40000, s, 7, TcpFlags.Ack, 1001, proxyIsn + 1), "epair0b", Direction.In, 1);
        Assert.Equal((RuleAction.Block, Reason.Synproxy, ReturnKind.ProxySyn), (ack.Action, ack.Reason, ack.Return));
        Assert.Equal(TcpState.ProxyDst, st.Src.State);
        uint serverIsnFromPf = st.Dst.SeqHi;
        // The server's SYN|ACK (leaving towards the client on epair0b) completes the second handshake: pf ACKs both sides.
        var synack = fw.Test(Pkt.Tcp(s, 7, c, 40000, TcpFlags.Syn | TcpFlags.Ack, 77000, serverIsnFromPf + 1), "epair0b", Direction.Out, 1.1);
        Assert.Equal((RuleAction.Block, Reason.Synproxy, ReturnKind.ProxyAcks), (synack.Action, synack.Reason, synack.Return));
        Assert.Equal((TcpState.Established, TcpState.Established), (st.Src.State, st.Dst.State));
        // From now on the spliced connection is tracked: the client's data (in pf's numbering) passes, so does the reply.
        var data = fw.Test(Pkt.Tcp(c, 40000, s, 7, TcpFlags.Ack | TcpFlags.Push, 1001, proxyIsn + 1, len: 5), "epair0b", Direction.In, 1.2);
        Assert.Equal((RuleAction.Pass, StateUse.Match), (data.Action, data.StateUse));
        var echo = fw.Test(Pkt.Tcp(s, 7, c, 40000, TcpFlags.Ack | TcpFlags.Push, 77001, serverIsnFromPf + 6, len: 5), "epair0b", Direction.Out, 1.3);
        Assert.Equal((RuleAction.Pass, StateUse.Match), (echo.Action, echo.StateUse));
    }

    [Fact]
    public void Synproxy_OnAnOutboundSyn_IsPlainKeepState_OnOpenBsd()
    {
        // OpenBSD pf_create_state proxies only when pd->dir == PF_IN (pfctl warns that synproxy is for inbound rules).
        var fw = new Firewall(NatTests.Load("pass out proto tcp synproxy state\n"));
        var v = fw.Test(Pkt.Tcp(Address.Parse("192.0.2.1"), 40000, Address.Parse("198.51.100.2"), 80, TcpFlags.Syn, 1000, 0), "em0", Direction.Out, 0);
        Assert.Equal((RuleAction.Pass, StateUse.New, ReturnKind.None), (v.Action, v.StateUse, v.Return));
    }
}
