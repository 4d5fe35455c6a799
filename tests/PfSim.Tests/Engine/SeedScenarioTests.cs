using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using static PfSim.Tests.Engine.Pkt;

namespace PfSim.Tests.Engine;

/// <summary>The seed scenario's case C (docs/seed-scenario.md, pf-semantics §5.6 B): UDP traceroute gets no answer.</summary>
public class SeedScenarioTests
{
    private static readonly Address Ubuntu = Address.Parse("192.168.40.1");
    private static readonly Address Server = Address.Parse("192.168.50.1");

    [Theory]
    [InlineData(Dialect.FreeBsd)]
    [InlineData(Dialect.OpenBsd)]
    public void UdpProbe_MatchingNoRule_PassesByDefaultRule_WithoutState(Dialect d)
    {
        var fw = new Firewall(RuleFactory.SeedC(d));
        var v = fw.Test(Udp(Ubuntu, 40000, Server, 33434), "bge0", Direction.In, 0);
        Assert.Equal(RuleAction.Pass, v.Action);
        Assert.Null(v.Rule);
        Assert.Equal(StateUse.None, v.StateUse);
        Assert.Equal(0, fw.States.Count);
    }

    [Theory]
    [InlineData(Dialect.FreeBsd)]
    [InlineData(Dialect.OpenBsd)]
    public void IcmpError_QuotingUdpWithoutState_IsFilteredByRules_AndBlocked(Dialect d)
    {
        var fw = new Firewall(RuleFactory.SeedC(d));
        var probe = UdpSpec(Ubuntu, 40000, Server, 33434);
        fw.Test(PacketBuilder.Build(probe), "bge0", Direction.In, 0);
        var unreach = PacketBuilder.IcmpError(Server, Ubuntu, 3, 3, probe);
        var v = fw.Test(unreach, "bge0", Direction.Out, 0.001);
        Assert.Equal(RuleAction.Block, v.Action);
        Assert.Equal(0, v.RuleNumber);
        Assert.Equal(Reason.Match, v.Reason);
        Assert.Equal(QuotedLookup.NoState, v.Quoted);
    }

    [Theory]
    [InlineData(Dialect.FreeBsd)]
    [InlineData(Dialect.OpenBsd)]
    public void EchoRequest_CreatesState_AndEchoReplyPassesByIt(Dialect d)
    {
        var fw = new Firewall(RuleFactory.SeedC(d));
        var req = fw.Test(Icmp(Ubuntu, Server, 8, 0, 0x1234), "bge0", Direction.In, 0);
        Assert.Equal(RuleAction.Pass, req.Action);
        Assert.Equal(1, req.RuleNumber);
        Assert.Equal(StateUse.New, req.StateUse);
        var rep = fw.Test(Icmp(Server, Ubuntu, 0, 0, 0x1234), "bge0", Direction.Out, 0.01);
        Assert.Equal(RuleAction.Pass, rep.Action);
        Assert.Equal(StateUse.Match, rep.StateUse);
        Assert.Equal(1, rep.RuleNumber);
    }

    [Fact]
    public void IcmpError_QuotingUdpWithState_PassesWithThatState()
    {
        // pf-semantics §5.6 C: a keep-state UDP rule makes the errors match the UDP state.
        var cfg = RuleFactory.SeedC();
        var udp = RuleFactory.Pass("bge0", Af.Inet, IpProto.Udp, Direction.In, "pass in on bge0 inet proto udp keep state");
        udp.Number = 3;
        cfg.Main.Filter.Add(udp);
        var fw = new Firewall(cfg);
        var probe = UdpSpec(Ubuntu, 40000, Server, 33434);
        Assert.Equal(StateUse.New, fw.Test(PacketBuilder.Build(probe), "bge0", Direction.In, 0).StateUse);
        var v = fw.Test(PacketBuilder.IcmpError(Server, Ubuntu, 3, 3, probe), "bge0", Direction.Out, 0.001);
        Assert.Equal(RuleAction.Pass, v.Action);
        Assert.Equal(StateUse.Match, v.StateUse);
        Assert.Equal(3, v.RuleNumber);
        Assert.Equal(QuotedLookup.StateFound, v.Quoted);
    }

    [Fact]
    public void TimeExceeded_QuotingEchoRequestWithState_Passes()
    {
        // Windows tracert: the router's time exceeded quotes the echo request that created a state.
        var fw = new Firewall(RuleFactory.SeedC());
        var req = IcmpSpec(Ubuntu, Server, 8, 0, 7) with { Ttl = 1 };
        fw.Test(PacketBuilder.Build(req), "bge0", Direction.In, 0);
        var v = fw.Test(PacketBuilder.IcmpError(Server, Ubuntu, 11, 0, req), "bge0", Direction.Out, 0.001);
        Assert.Equal(RuleAction.Pass, v.Action);
        Assert.Equal(QuotedLookup.StateFound, v.Quoted);
    }
}

/// <summary>Packet shorthands for engine tests.</summary>
internal static class Pkt
{
    public static PacketSpec UdpSpec(Address s, ushort sp, Address d, ushort dp) => new() { Src = s, Dst = d, Proto = IpProto.Udp, SrcPort = sp, DstPort = dp };
    public static byte[] Udp(Address s, ushort sp, Address d, ushort dp) => PacketBuilder.Build(UdpSpec(s, sp, d, dp));
    public static PacketSpec IcmpSpec(Address s, Address d, byte type, byte code, ushort id) =>
        new() { Src = s, Dst = d, Proto = s.IsV4 ? IpProto.Icmp : IpProto.Icmp6, IcmpType = type, IcmpCode = code, IcmpId = id };
    public static byte[] Icmp(Address s, Address d, byte type, byte code, ushort id) => PacketBuilder.Build(IcmpSpec(s, d, type, code, id));
    public static PacketSpec TcpSpec(Address s, ushort sp, Address d, ushort dp, TcpFlags f, uint seq, uint ack, ushort win = 65535, int len = 0) =>
        new() { Src = s, Dst = d, Proto = IpProto.Tcp, SrcPort = sp, DstPort = dp, Flags = f, Seq = seq, Ack = ack, Win = win, PayloadLength = len };
    public static byte[] Tcp(Address s, ushort sp, Address d, ushort dp, TcpFlags f, uint seq, uint ack, ushort win = 65535, int len = 0) =>
        PacketBuilder.Build(TcpSpec(s, sp, d, dp, f, seq, ack, win, len));
}
