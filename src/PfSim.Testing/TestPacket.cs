using System.Text;
using PfSim.Analysis;

namespace PfSim.Testing;

/// <summary>
/// One packet as a test speaks of it: where pf sees it (interface, direction) and its header fields.
/// Printed as a line of a <c>pfsim eval</c> packet script, so a failing witness can be replayed.
/// </summary>
public sealed record TestPacket
{
    public required string Interface { get; init; }
    public Direction Direction { get; init; } = Direction.In;
    public required Address Source { get; init; }
    public required Address Destination { get; init; }
    /// <summary>IP protocol number (6 tcp, 17 udp, 1 icmp, 58 icmp6, …).</summary>
    public int Protocol { get; init; } = 6;
    public int SourcePort { get; init; }
    public int DestinationPort { get; init; }
    /// <summary>TCP flags byte (0x02 = SYN).</summary>
    public int TcpFlags { get; init; } = 0x02;
    public int IcmpType { get; init; }
    public int IcmpCode { get; init; }
    /// <summary>ICMP echo identifier.</summary>
    public int IcmpId { get; init; }
    public uint Seq { get; init; }
    public uint Ack { get; init; }

    public Af Family => Source.Family;
    /// <summary>TCP/UDP payload bytes (data segments of a flow).</summary>
    public int PayloadLength { get; init; }
    public byte Ttl { get; init; } = 64;

    /// <summary>The packet's bytes, as PfSim's packet builder writes them (valid checksums).</summary>
    public byte[] Build() => PfSim.Packets.PacketBuilder.Build(ToBuilderSpec());

    internal PfSim.Packets.PacketSpec ToBuilderSpec() => new()
    {
        Src = Source, Dst = Destination, Proto = (byte)Protocol,
        SrcPort = (ushort)SourcePort, DstPort = (ushort)DestinationPort,
        Flags = (PfSim.Packets.TcpFlags)TcpFlags, Seq = Seq, Ack = Ack,
        IcmpType = (byte)IcmpType, IcmpCode = (byte)IcmpCode, IcmpId = (ushort)IcmpId, IcmpSeq = 1,
        PayloadLength = PayloadLength, Ttl = Ttl,
        Quoted = Quoted?.ToBuilderSpec(),
    };

    /// <summary>True for ICMP error messages (they quote a packet and never create state).</summary>
    public bool IsIcmpError => Protocol is 1 or 58 &&
        PfSim.Engine.IcmpMapping.Map(Family, (byte)IcmpType, (ushort)IcmpId, 0, out _, out _, out _);

    /// <summary>An ICMP error gets the packet it answers (a UDP probe from the destination back to the source), as a real one carries.</summary>
    public TestPacket WithQuoteIfError() => !IsIcmpError || Quoted is not null ? this : this with
    {
        Quoted = new TestPacket { Interface = Interface, Source = Destination, Destination = Source, Protocol = 17, SourcePort = 40000, DestinationPort = 33434, TcpFlags = 0 },
    };

    /// <summary>For an ICMP error: the packet it quotes.</summary>
    public TestPacket? Quoted { get; init; }

    /// <summary>The header-space point of this packet (for region checks); the interface index comes from <paramref name="space"/>.</summary>
    public HeaderPoint ToPoint(HeaderSpace space) => new(
        space.InterfaceIndex(Interface), (int)Direction, Source.IsV4 ? 4 : 6, Protocol,
        HeaderPoint.ToNumber(Source), HeaderPoint.ToNumber(Destination),
        Protocol is 6 or 17 ? SourcePort : 0, Protocol is 6 or 17 ? DestinationPort : 0,
        Protocol == 6 ? TcpFlags : 0, Protocol is 1 or 58 ? IcmpType : 0, Protocol is 1 or 58 ? IcmpCode : 0);

    public static TestPacket FromPoint(in HeaderPoint p, HeaderSpace space) => new()
    {
        Interface = space.Interfaces[p.Iface],
        Direction = (Direction)p.Dir,
        Source = p.SrcAddress,
        Destination = p.DstAddress,
        Protocol = p.Proto,
        SourcePort = p.Sport,
        DestinationPort = p.Dport,
        TcpFlags = p.Flags,
        IcmpType = p.IcmpType,
        IcmpCode = p.IcmpCode,
    };

    /// <summary>The reply direction's packet header: addresses and ports swapped, seen on the same interface going the other way.</summary>
    public TestPacket Reversed() => this with
    {
        Direction = Direction == Direction.In ? Direction.Out : Direction.In,
        Source = Destination,
        Destination = Source,
        SourcePort = DestinationPort,
        DestinationPort = SourcePort,
    };

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Direction == Direction.Out ? "out" : "in").Append(" on ").Append(Interface);
        sb.Append(Source.IsV4 ? " inet" : " inet6").Append(" proto ").Append(RegionFormat.ProtoName(Protocol));
        sb.Append(" from ").Append(Source);
        if (Protocol is 6 or 17) sb.Append(" port ").Append(SourcePort);
        sb.Append(" to ").Append(Destination);
        if (Protocol is 6 or 17) sb.Append(" port ").Append(DestinationPort);
        if (Protocol == 6) sb.Append(" flags ").Append(RegionFormat.Flags(TcpFlags));
        if (Protocol is 1 or 58)
        {
            sb.Append(Protocol == 1 ? " icmp-type " : " icmp6-type ").Append(IcmpType).Append(" code ").Append(IcmpCode);
            if (IcmpId != 0) sb.Append(" id ").Append(IcmpId);
        }
        return sb.ToString();
    }
}
