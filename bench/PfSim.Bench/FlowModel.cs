using PfSim.Engine;
using PfSim.Packets;

namespace PfSim.Bench;

/// <summary>What a flow of the stateful trace is.</summary>
internal enum FlowKind : byte
{
    /// <summary>A long-lived TCP connection: handshake once, then data each way every round.</summary>
    TcpLong,
    /// <summary>A whole TCP connection (handshake, request, response, FIN/ACK close) in the opening only.</summary>
    TcpShort,
    /// <summary>UDP request/response on one port pair, repeated every round (NTP/QUIC/VPN-like).</summary>
    Udp,
    /// <summary>One UDP query and its answer (DNS-like), in the opening only.</summary>
    UdpOnce,
    /// <summary>ICMP echo requests and replies with one id (ping).</summary>
    Echo,
    /// <summary>A single packet the ruleset decides without state (blocked, or passed by a rule or the default without state).</summary>
    Probe,
}

/// <summary>Addresses and ports as one side sends them; for ICMP echo both ports hold the echo id.</summary>
internal readonly record struct Ends(Address Src, ushort SrcPort, Address Dst, ushort DstPort)
{
    public Ends Reverse() => new(Dst, DstPort, Src, SrcPort);
}

/// <summary>One crossing of pf: an interface and a direction.</summary>
internal readonly record struct Leg(string If, Direction Dir);

/// <summary>One packet of a flow before it is put on a leg: who sends it and its TCP/ICMP fields in round 0.</summary>
internal readonly record struct Seg(bool FromClient, TcpFlags Flags = TcpFlags.None, uint Seq = 0, uint Ack = 0, int Payload = 0,
    ushort Win = 0, sbyte WScale = -1, ushort IcmpSeq = 0);

/// <summary>
/// A flow: its client's addresses, the pf crossings of its packets (one, or two for a forwarded flow: in on one interface,
/// out on another), the packets of its opening (once) and of one round (repeated, sequence numbers advancing).
/// The addresses each leg translates to (nat-to) are learned from pf's verdict on the flow's first packet, per run.
/// </summary>
internal sealed class Flow
{
    public required FlowKind Kind { get; init; }
    public required byte Proto { get; init; }
    public required Leg[] Legs { get; init; }
    public required Ends Client { get; init; }
    /// <summary>The pass rule the flow was drawn from (or, for a probe, what it is).</summary>
    public required string Origin { get; init; }
    public Seg[] Opening { get; init; } = [];
    public Seg[] Round { get; init; } = [];
    /// <summary>Bytes each side sends per round (TCP sequence advance) and echo sequence numbers used per round.</summary>
    public uint ClientBytes { get; init; }
    public uint ServerBytes { get; init; }
    public ushort EchoStep { get; init; }

    private Ends[] _after = [];
    private bool[] _created = [];

    public bool IsIcmp => Proto is IpProto.Icmp or IpProto.Icmp6;
    /// <summary>A leg translated the flow's addresses (learned in the last run).</summary>
    public bool Translated { get; private set; }

    /// <summary>Forgets what the last run learned (translations, which legs have their state).</summary>
    public void Reset()
    {
        _after = new Ends[Legs.Length];
        _created = new bool[Legs.Length];
        Translated = false;
    }

    /// <summary>The legs a packet crosses, in order: client → server goes through the legs forward, replies backward.</summary>
    public int LegAt(Seg s, int step) => s.FromClient ? step : Legs.Length - 1 - step;

    /// <summary>The direction a packet crosses a leg in: the leg's for the client's packets, the other way for replies.</summary>
    public Direction DirOf(Seg s, int leg) => s.FromClient ? Legs[leg].Dir : Legs[leg].Dir == Direction.In ? Direction.Out : Direction.In;

    /// <summary>Whether this packet should create the leg's state (the flow's first packet on it) or hit it.</summary>
    public StateUse Expected(Seg s, int leg) => Kind == FlowKind.Probe ? StateUse.None : _created[leg] || !s.FromClient ? StateUse.Match : StateUse.New;

    /// <summary>The packet as pf sees it on leg <paramref name="leg"/> in round <paramref name="round"/>.</summary>
    public byte[] Build(Seg s, int leg, int round)
    {
        var e = s.FromClient ? (leg == 0 ? Client : _after[leg - 1]) : _after[leg].Reverse();
        uint r = (uint)round;
        uint mine = s.FromClient ? ClientBytes : ServerBytes, theirs = s.FromClient ? ServerBytes : ClientBytes;
        var spec = new PacketSpec { Src = e.Src, Dst = e.Dst, Proto = Proto, SrcPort = e.SrcPort, DstPort = e.DstPort };
        spec = Proto switch
        {
            IpProto.Tcp => spec with
            {
                Flags = s.Flags, Seq = s.Seq + r * mine, Ack = (s.Flags & TcpFlags.Ack) != 0 ? s.Ack + r * theirs : 0,
                Win = s.Win, WindowScale = s.WScale, PayloadLength = s.Payload,
            },
            IpProto.Icmp or IpProto.Icmp6 => spec with
            {
                IcmpType = (byte)(Proto == IpProto.Icmp ? (s.FromClient ? 8 : 0) : (s.FromClient ? 128 : 129)),
                IcmpId = e.SrcPort, IcmpSeq = (ushort)(s.IcmpSeq + r * EchoStep), PayloadLength = s.Payload,
            },
            _ => spec with { PayloadLength = s.Payload },
        };
        return PacketBuilder.Build(spec);
    }

    /// <summary>Learns from pf's verdict on the flow's first packet on a leg what it leaves that leg as.</summary>
    public void Learn(Seg s, int leg, in Verdict v)
    {
        if (!s.FromClient || _created[leg] || Kind == FlowKind.Probe) return;
        _created[leg] = true;
        var pre = leg == 0 ? Client : _after[leg - 1];
        _after[leg] = pre;
        if (v.Nat is { } n)
        {
            _after[leg] = IsIcmp
                ? new Ends(n.Src, n.IcmpId ?? pre.SrcPort, n.Dst, n.IcmpId ?? pre.DstPort)
                : new Ends(n.Src, n.SrcPort, n.Dst, n.DstPort);
            Translated |= _after[leg] != pre;
        }
    }

    /// <summary>How much a packet's fields move per round: TCP sequence and acknowledgment, or the echo sequence.</summary>
    public (uint Seq, uint Ack) StepPerRound(Seg s) =>
        Proto == IpProto.Tcp ? (s.FromClient ? (ClientBytes, ServerBytes) : (ServerBytes, ClientBytes))
        : IsIcmp ? (EchoStep, 0u) : (0u, 0u);

    // Flows of each kind, with the sizes of a busy client/server exchange. ISNs are random, as stacks choose them.

    public static Flow Tcp(FlowKind kind, Leg[] legs, Ends client, string origin, Random rnd)
    {
        uint c = (uint)rnd.NextInt64(1, uint.MaxValue), s = (uint)rnd.NextInt64(1, uint.MaxValue);
        const ushort Win = 1024; // × 2^7 (window scale 7 on both SYNs): 128 KiB
        var open = new List<Seg>
        {
            new(true, TcpFlags.Syn, c, 0, 0, 64240, 7),
            new(false, TcpFlags.Syn | TcpFlags.Ack, s, c + 1, 0, 65160, 7),
            new(true, TcpFlags.Ack, c + 1, s + 1, 0, Win),
        };
        int request = 120 + rnd.Next(400), segments = 2 + rnd.Next(6);
        var exchange = new List<Seg> { new(true, TcpFlags.Push | TcpFlags.Ack, c + 1, s + 1, request, Win) };
        uint sn = s + 1, cn = c + 1 + (uint)request;
        for (int i = 0; i < segments; i++)
        {
            int len = i == segments - 1 ? 200 + rnd.Next(1200) : 1400;
            exchange.Add(new(false, i == segments - 1 ? TcpFlags.Push | TcpFlags.Ack : TcpFlags.Ack, sn, cn, len, Win));
            sn += (uint)len;
            if (i % 2 == 1 || i == segments - 1) exchange.Add(new(true, TcpFlags.Ack, cn, sn, 0, Win)); // delayed ACK: every second segment
        }
        if (kind == FlowKind.TcpLong)
            return new Flow { Kind = kind, Proto = IpProto.Tcp, Legs = legs, Client = client, Origin = origin, Opening = [.. open], Round = [.. exchange], ClientBytes = (uint)request, ServerBytes = sn - (s + 1) };
        // A whole connection: the exchange, then the server closes and the client closes (FIN/ACK both ways).
        open.AddRange(exchange);
        open.Add(new(false, TcpFlags.Fin | TcpFlags.Ack, sn, cn, 0, Win));
        open.Add(new(true, TcpFlags.Ack, cn, sn + 1, 0, Win));
        open.Add(new(true, TcpFlags.Fin | TcpFlags.Ack, cn, sn + 1, 0, Win));
        open.Add(new(false, TcpFlags.Ack, sn + 1, cn + 1, 0, Win));
        return new Flow { Kind = kind, Proto = IpProto.Tcp, Legs = legs, Client = client, Origin = origin, Opening = [.. open] };
    }

    public static Flow Udp(FlowKind kind, Leg[] legs, Ends client, string origin, Random rnd)
    {
        int q = 30 + rnd.Next(30), a = 60 + rnd.Next(400);
        Seg[] pair = [new(true, Payload: q), new(false, Payload: a)];
        return new Flow
        {
            Kind = kind, Proto = IpProto.Udp, Legs = legs, Client = client, Origin = origin, Opening = pair,
            Round = kind == FlowKind.Udp ? [.. pair, .. pair] : [],
        };
    }

    public static Flow Echo(byte proto, Leg[] legs, Ends client, string origin) => new()
    {
        Kind = FlowKind.Echo, Proto = proto, Legs = legs, Client = client, Origin = origin, EchoStep = 2,
        Opening = [new(true, IcmpSeq: 1, Payload: 56), new(false, IcmpSeq: 1, Payload: 56)],
        Round = [new(true, IcmpSeq: 2, Payload: 56), new(false, IcmpSeq: 2, Payload: 56), new(true, IcmpSeq: 3, Payload: 56), new(false, IcmpSeq: 3, Payload: 56)],
    };

    public static Flow Probe(byte proto, Leg leg, Ends ends, string origin, Seg seg) => new()
    {
        Kind = FlowKind.Probe, Proto = proto, Legs = [leg], Client = ends, Origin = origin, Round = [seg],
    };
}
