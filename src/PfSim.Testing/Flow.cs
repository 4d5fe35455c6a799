using PfSim.Engine;

namespace PfSim.Testing;

public enum FlowKind : byte
{
    /// <summary>A TCP connection: handshake, data both ways, FIN exchange.</summary>
    Tcp,
    /// <summary>A UDP request and its answer.</summary>
    Udp,
    /// <summary>Three ICMP (or ICMPv6) echo requests and their replies.</summary>
    Ping,
    /// <summary>A DNS query over UDP to port 53 and its answer.</summary>
    Dns,
}

/// <summary>Where pf sees a flow: the interfaces it crosses from client to server, each with the direction it crosses it.</summary>
public sealed record FlowPath(IReadOnlyList<(string Interface, Direction Direction)> Forward)
{
    /// <summary>A firewall on the server itself: requests come in on <paramref name="iface"/>, answers go out on it.</summary>
    public static FlowPath Host(string iface) => new([(iface, Direction.In)]);

    /// <summary>The client is the firewall host: requests go out on <paramref name="iface"/>.</summary>
    public static FlowPath Outbound(string iface) => new([(iface, Direction.Out)]);

    /// <summary>A router: in on <paramref name="from"/>, out on <paramref name="to"/>.</summary>
    public static FlowPath Through(string from, string to) => new([(from, Direction.In), (to, Direction.Out)]);

    /// <summary>The answers' way: the same interfaces backwards, each crossed the other way.</summary>
    public IEnumerable<(string Interface, Direction Direction)> Backward =>
        Forward.Reverse().Select(h => (h.Interface, h.Direction == Direction.In ? Direction.Out : Direction.In));

    public override string ToString() => string.Join(", ", Forward.Select(h => $"{(h.Direction == Direction.In ? "in" : "out")} on {h.Interface}"));
}

/// <summary>A whole exchange between a client and a server, as packets in order.</summary>
public sealed record Flow(FlowKind Kind, Address Client, Address Server, int ClientPort, int ServerPort, FlowPath Path, int IcmpId = 4242)
{
    /// <summary>The packets in order, each with whether it goes client→server (true) or back.</summary>
    public IEnumerable<(TestPacket Packet, bool Forward)> Packets()
    {
        var iface = Path.Forward[0].Interface;
        TestPacket C2S(int proto) => new() { Interface = iface, Source = Client, Destination = Server, Protocol = proto, SourcePort = ClientPort, DestinationPort = ServerPort, TcpFlags = 0 };
        TestPacket S2C(int proto) => new() { Interface = iface, Source = Server, Destination = Client, Protocol = proto, SourcePort = ServerPort, DestinationPort = ClientPort, TcpFlags = 0 };
        switch (Kind)
        {
            case FlowKind.Tcp:
                const uint c = 1000, s = 5000;
                yield return (C2S(6) with { TcpFlags = 0x02, Seq = c }, true);
                yield return (S2C(6) with { TcpFlags = 0x12, Seq = s, Ack = c + 1 }, false);
                yield return (C2S(6) with { TcpFlags = 0x10, Seq = c + 1, Ack = s + 1 }, true);
                yield return (C2S(6) with { TcpFlags = 0x18, Seq = c + 1, Ack = s + 1, PayloadLength = 20 }, true);
                yield return (S2C(6) with { TcpFlags = 0x18, Seq = s + 1, Ack = c + 21, PayloadLength = 100 }, false);
                yield return (C2S(6) with { TcpFlags = 0x11, Seq = c + 21, Ack = s + 101 }, true);
                yield return (S2C(6) with { TcpFlags = 0x11, Seq = s + 101, Ack = c + 22 }, false);
                yield return (C2S(6) with { TcpFlags = 0x10, Seq = c + 22, Ack = s + 102 }, true);
                break;
            case FlowKind.Udp:
            case FlowKind.Dns:
                yield return (C2S(17) with { PayloadLength = 32 }, true);
                yield return (S2C(17) with { PayloadLength = 64 }, false);
                break;
            case FlowKind.Ping:
                bool v6 = Client.IsV6;
                int proto = v6 ? 58 : 1;
                for (int i = 0; i < 3; i++)
                {
                    yield return (C2S(proto) with { SourcePort = 0, DestinationPort = 0, IcmpType = v6 ? 128 : 8, IcmpId = IcmpId, Seq = (uint)i }, true);
                    yield return (S2C(proto) with { SourcePort = 0, DestinationPort = 0, IcmpType = v6 ? 129 : 0, IcmpId = IcmpId, Seq = (uint)i }, false);
                }
                break;
        }
    }

    /// <summary>Runs the flow on <paramref name="fw"/>: every packet crosses every hop of its way, state carried along.</summary>
    public FlowOutcome RunOn(Firewall fw)
    {
        var seen = new List<PacketOutcome>();
        double t = 1.0;
        foreach (var (packet, forward) in Packets())
        {
            foreach (var (iface, dir) in forward ? Path.Forward : Path.Backward)
            {
                var p = packet with { Interface = iface, Direction = dir };
                var o = RulesetUnderTest.Evaluate(fw, p, t);
                seen.Add(o);
                if (!o.Passed) return new FlowOutcome(this, seen, o);
                t += 0.01;
            }
        }
        return new FlowOutcome(this, seen, null);
    }

    public override string ToString() => Kind switch
    {
        FlowKind.Ping => $"ping from {Client} to {Server} ({Path})",
        FlowKind.Dns => $"dns from {Client} port {ClientPort} to {Server} port {ServerPort} ({Path})",
        _ => $"{Kind.ToString().ToLowerInvariant()} from {Client} port {ClientPort} to {Server} port {ServerPort} ({Path})",
    };
}

/// <summary>What happened to a flow: every packet's outcome up to the first one pf dropped.</summary>
public sealed record FlowOutcome(Flow Flow, IReadOnlyList<PacketOutcome> Packets, PacketOutcome? Blocked)
{
    public bool PassedBothWays => Blocked is null;

    public override string ToString() => Blocked is null
        ? $"{Flow}: all {Packets.Count} packets passed"
        : $"{Flow}: packet {Packets.Count} was blocked\n  {Blocked}";
}
