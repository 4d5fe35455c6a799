using FsCheck;
using FsCheck.Fluent;
using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using static PfSim.Tests.Engine.Pkt;
using static PfSim.Tests.Engine.RuleFactory;

namespace PfSim.Tests.Engine;

/// <summary>FsCheck properties of the engine; each case draws its packets from a seeded Random so values cover the full ranges.</summary>
public class EngineProperties
{
    private static readonly Address Client = Address.Parse("10.1.2.3");
    private static readonly Address Server = Address.Parse("172.16.9.8");

    private static Firewall TcpFirewall() =>
        new(Config(Dialect.OpenBsd, Block(), Pass(proto: IpProto.Tcp, dir: Direction.Out)));

    /// <summary>A TCP endpoint pair exchanging well-formed segments, as real stacks do.</summary>
    private sealed class Conversation(Random rng)
    {
        public uint ClientNext = (uint)rng.NextInt64(0, 1L << 32), ServerNext = (uint)rng.NextInt64(0, 1L << 32);
        public ushort ClientWin = (ushort)rng.Next(4096, 65536), ServerWin = (ushort)rng.Next(4096, 65536);
        public readonly ushort Sport = (ushort)rng.Next(1024, 65536);
        /// <summary>What each side last acknowledged of the other: a sender stays within ack + advertised window.</summary>
        public uint ClientAckedByServer, ServerAckedByClient;

        public int Room(bool fromClient) => fromClient
            ? (int)Math.Min(1460, ClientAckedByServer + ServerWin - ClientNext)
            : (int)Math.Min(1460, ServerAckedByClient + ClientWin - ServerNext);

        public byte[] FromClient(TcpFlags f, int len)
        {
            var p = Tcp(Client, Sport, Server, 80, f, ClientNext, (f & TcpFlags.Ack) != 0 ? ServerNext : 0, ClientWin, len);
            if ((f & TcpFlags.Ack) != 0) ServerAckedByClient = ServerNext;
            ClientNext += (uint)len + ((f & (TcpFlags.Syn | TcpFlags.Fin)) != 0 ? 1u : 0);
            return p;
        }

        public byte[] FromServer(TcpFlags f, int len)
        {
            var p = Tcp(Server, 80, Client, Sport, f, ServerNext, ClientNext, ServerWin, len);
            ClientAckedByServer = ClientNext;
            ServerNext += (uint)len + ((f & (TcpFlags.Syn | TcpFlags.Fin)) != 0 ? 1u : 0);
            return p;
        }
    }

    private static (Firewall, Conversation) Established(Random rng)
    {
        var fw = TcpFirewall();
        var c = new Conversation(rng);
        Assert.Equal(StateUse.New, fw.Test(c.FromClient(TcpFlags.Syn, 0), "em0", Direction.Out, 0).StateUse);
        Assert.True(fw.Test(c.FromServer(TcpFlags.Syn | TcpFlags.Ack, 0), "em0", Direction.In, 0.01).Passed);
        Assert.True(fw.Test(c.FromClient(TcpFlags.Ack, 0), "em0", Direction.Out, 0.02).Passed);
        return (fw, c);
    }

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public bool RandomTcpConversations_ThroughKeepState_PassBothWays(int seed)
    {
        var rng = new Random(seed);
        var (fw, c) = Established(rng);
        double t = 0.1;
        int segments = rng.Next(1, 40);
        for (int i = 0; i < segments; i++)
        {
            bool fromClient = rng.Next(2) == 0;
            // Segments never exceed what the receiver advertised beyond its last acknowledgement.
            int len = rng.Next(0, c.Room(fromClient) + 1);
            var p = fromClient ? c.FromClient(TcpFlags.Ack | TcpFlags.Push, len) : c.FromServer(TcpFlags.Ack | TcpFlags.Push, len);
            var v = fw.Test(p, "em0", fromClient ? Direction.Out : Direction.In, t += 0.01);
            if (!v.Passed || v.StateUse != StateUse.Match) return false;
        }
        bool ok = fw.Test(c.FromClient(TcpFlags.Fin | TcpFlags.Ack, 0), "em0", Direction.Out, t += 0.01).Passed
            && fw.Test(c.FromServer(TcpFlags.Fin | TcpFlags.Ack, 0), "em0", Direction.In, t += 0.01).Passed
            && fw.Test(c.FromClient(TcpFlags.Ack, 0), "em0", Direction.Out, t += 0.01).Passed;
        var s = fw.States.States.Single();
        return ok && s.Src.State >= TcpState.FinWait2 && s.Dst.State >= TcpState.FinWait2;
    }

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public bool OutOfWindowSegments_AreBlockedWithStateMismatch(int seed)
    {
        var rng = new Random(seed);
        var (fw, c) = Established(rng);
        int len = rng.Next(1, 1461);
        // Beyond the window the server advertised, or more than a window behind what the client already sent.
        uint seq = rng.Next(2) == 0
            ? c.ClientNext + c.ServerWin + (uint)rng.Next(1, 1 << 30)
            : c.ClientNext - (uint)(c.ServerWin + len) - (uint)rng.Next(70_000, 1 << 30);
        var bad = Tcp(Client, c.Sport, Server, 80, TcpFlags.Ack, seq, c.ServerNext, c.ClientWin, len);
        var v = fw.Test(bad, "em0", Direction.Out, 1);
        return v.Action == RuleAction.Block && v.Reason == Reason.StateMismatch && v.StateUse == StateUse.Match;
    }

    [FsCheck.Xunit.Property(MaxTest = 60)]
    public bool IcmpErrors_QuotingAFlow_PassIffItsStateExists(int seed)
    {
        var rng = new Random(seed);
        // UDP to port 53 keeps state; anything else passes by the default rule without state; ICMP is blocked by rule.
        var fw = new Firewall(Config(Dialect.OpenBsd,
            Block(proto: IpProto.Icmp),
            Pass(proto: IpProto.Udp, dir: Direction.Out) with { To = new Endpoint(AddressMatch.AnyAddress, PortMatch.Equal(53)) }));
        var flows = new List<(PacketSpec Spec, bool Stateful)>();
        for (int i = 0; i < 20; i++)
        {
            var src = Address.V4((uint)rng.NextInt64(0x0A000000, 0x0AFFFFFF));
            var dst = Address.V4((uint)rng.NextInt64(0xC0000000, 0xDFFFFFFF));
            ushort dport = rng.Next(2) == 0 ? (ushort)53 : (ushort)rng.Next(54, 65536);
            var spec = UdpSpec(src, (ushort)rng.Next(1024, 65536), dst, dport);
            var v = fw.Test(PacketBuilder.Build(spec), "em0", Direction.Out, i * 0.01);
            flows.Add((spec, v.StateUse == StateUse.New));
        }
        foreach (var (spec, stateful) in flows)
        {
            byte type = rng.Next(2) == 0 ? (byte)3 : (byte)11;
            var err = PacketBuilder.IcmpError(spec.Dst, spec.Src, type, 0, spec);
            var v = fw.Test(err, "em0", Direction.In, 1);
            if (v.Passed != stateful) return false;
            if (v.Quoted != (stateful ? QuotedLookup.StateFound : QuotedLookup.NoState)) return false;
        }
        return true;
    }

    [FsCheck.Xunit.Property(MaxTest = 200)]
    public bool MalformedOrTruncatedPackets_GiveShortOrBadOffset_NeverAnException(int seed)
    {
        var rng = new Random(seed);
        var fw = new Firewall(Config(Dialect.OpenBsd, Pass(proto: IpProto.Tcp)));
        var p = Tcp(Client, 1, Server, 2, TcpFlags.Syn, 5, 0, len: rng.Next(0, 100));
        int corrupt = rng.Next(0, 4);
        for (int i = 0; i < corrupt; i++) p[rng.Next(p.Length)] = (byte)rng.Next(256);
        var slice = p.AsSpan(0, rng.Next(0, p.Length + 1));
        var status = PacketDecoder.Decode(slice, out _);
        var v = fw.Test(slice, "em0", Direction.In, 0);
        return status == DecodeStatus.Ok || (v.Action == RuleAction.Block && v.Reason is Reason.Short or Reason.BadOffset or Reason.Fragment);
    }
}
