using System.Buffers.Binary;

namespace PfSim.Flows;

/// <summary>
/// The flow modeler's one seam for building packets as bytes (IPv4 with ICMP, UDP, TCP, and ICMP errors
/// quoting a packet). Everything the host models send goes through here. It stays apart from
/// <c>PfSim.Packets.PacketBuilder</c> on purpose: that builder makes packets from a spec (zero payload,
/// a rebuilt quote), while the host models must reproduce the real tools' payload bytes and TCP options
/// byte for byte and quote the very packet that expired (its decremented TTL, its checksum).
/// </summary>
internal static class Wire
{
    public const byte ProtoIcmp = 1, ProtoTcp = 6, ProtoUdp = 17;
    public const byte IcmpEchoReply = 0, IcmpUnreach = 3, IcmpEcho = 8, IcmpTimeExceeded = 11;
    public const byte TcpFin = 0x01, TcpSyn = 0x02, TcpRst = 0x04, TcpPsh = 0x08, TcpAck = 0x10;

    /// <summary>Fields of an IPv4 header a host model chooses.</summary>
    public readonly record struct Ip4(Address Src, Address Dst, byte Proto, byte Ttl, ushort Id, bool DontFragment = false, byte Tos = 0);

    /// <summary>An IPv4 packet around <paramref name="l4"/> (transport header and data, checksum already set).</summary>
    public static byte[] Ipv4(in Ip4 h, ReadOnlySpan<byte> l4)
    {
        var p = new byte[20 + l4.Length];
        p[0] = 0x45;
        p[1] = h.Tos;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)p.Length);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), h.Id);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), h.DontFragment ? (ushort)0x4000 : (ushort)0);
        p[8] = h.Ttl;
        p[9] = h.Proto;
        h.Src.WriteTo(p.AsSpan(12));
        h.Dst.WriteTo(p.AsSpan(16));
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Checksum(p.AsSpan(0, 20)));
        l4.CopyTo(p.AsSpan(20));
        FixTransportChecksum(p);
        return p;
    }

    /// <summary>ICMP echo request or reply with its data.</summary>
    public static byte[] IcmpEchoMessage(byte type, ushort id, ushort seq, ReadOnlySpan<byte> data)
    {
        var m = new byte[8 + data.Length];
        m[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(6), seq);
        data.CopyTo(m.AsSpan(8));
        return m;
    }

    /// <summary>An ICMP error (unreachable, time exceeded) quoting the first <paramref name="quoteLength"/> bytes of <paramref name="offending"/>.</summary>
    public static byte[] IcmpErrorMessage(byte type, byte code, ReadOnlySpan<byte> offending, int quoteLength)
    {
        int q = Math.Min(quoteLength, offending.Length);
        var m = new byte[8 + q];
        m[0] = type;
        m[1] = code;
        offending[..q].CopyTo(m.AsSpan(8));
        return m;
    }

    /// <summary>A UDP datagram (checksum filled in by <see cref="Ipv4"/>).</summary>
    public static byte[] Udp(ushort sport, ushort dport, ReadOnlySpan<byte> data)
    {
        var m = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(m, sport);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(4), (ushort)m.Length);
        data.CopyTo(m.AsSpan(8));
        return m;
    }

    /// <summary>A TCP segment without data (checksum filled in by <see cref="Ipv4"/>).</summary>
    public static byte[] Tcp(ushort sport, ushort dport, uint seq, uint ack, byte flags, ushort window, ReadOnlySpan<byte> options)
    {
        int optLen = (options.Length + 3) & ~3;
        var m = new byte[20 + optLen];
        BinaryPrimitives.WriteUInt16BigEndian(m, sport);
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(m.AsSpan(8), ack);
        m[12] = (byte)((m.Length / 4) << 4);
        m[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(m.AsSpan(14), window);
        options.CopyTo(m.AsSpan(20));
        return m;
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="data"/> with an initial partial sum.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data, uint initial = 0)
    {
        uint sum = initial;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>Recomputes the IPv4 header checksum (after a TTL change) and the transport checksum.</summary>
    public static void FixChecksums(Span<byte> p)
    {
        int hl = (p[0] & 0x0F) * 4;
        p[10] = p[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(p[10..], Checksum(p[..hl]));
    }

    private static void FixTransportChecksum(Span<byte> p)
    {
        int hl = (p[0] & 0x0F) * 4;
        var l4 = p[hl..];
        switch (p[9])
        {
            case ProtoIcmp when l4.Length >= 4:
                l4[2] = l4[3] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[2..], Checksum(l4));
                break;
            case ProtoUdp when l4.Length >= 8:
                l4[6] = l4[7] = 0;
                ushort u = Checksum(l4, PseudoHeaderSum(p, l4.Length));
                BinaryPrimitives.WriteUInt16BigEndian(l4[6..], u == 0 ? (ushort)0xFFFF : u);
                break;
            case ProtoTcp when l4.Length >= 20:
                l4[16] = l4[17] = 0;
                BinaryPrimitives.WriteUInt16BigEndian(l4[16..], Checksum(l4, PseudoHeaderSum(p, l4.Length)));
                break;
        }
    }

    private static uint PseudoHeaderSum(ReadOnlySpan<byte> ip, int l4Length)
    {
        uint s = 0;
        for (int i = 12; i < 20; i += 2) s += (uint)(ip[i] << 8 | ip[i + 1]);
        return s + ip[9] + (uint)l4Length;
    }
}

/// <summary>A read-only look at the IPv4 fields the flow modeler needs (its own packets only: well formed).</summary>
internal readonly ref struct Ip4View
{
    private readonly ReadOnlySpan<byte> _p;
    public Ip4View(ReadOnlySpan<byte> p) => _p = p;

    public bool IsValid => _p.Length >= 20 && _p[0] >> 4 == 4;
    public int HeaderLength => (_p[0] & 0x0F) * 4;
    public int TotalLength => BinaryPrimitives.ReadUInt16BigEndian(_p[2..]);
    public ushort Id => BinaryPrimitives.ReadUInt16BigEndian(_p[4..]);
    public bool DontFragment => (_p[6] & 0x40) != 0;
    public byte Ttl => _p[8];
    public byte Proto => _p[9];
    public byte Tos => _p[1];
    public Address Src => Address.FromBytes(_p.Slice(12, 4));
    public Address Dst => Address.FromBytes(_p.Slice(16, 4));
    public ReadOnlySpan<byte> L4 => _p[Math.Min(HeaderLength, _p.Length)..];

    public ushort SrcPort => L4.Length >= 4 && Proto is Wire.ProtoTcp or Wire.ProtoUdp ? BinaryPrimitives.ReadUInt16BigEndian(L4) : (ushort)0;
    public ushort DstPort => L4.Length >= 4 && Proto is Wire.ProtoTcp or Wire.ProtoUdp ? BinaryPrimitives.ReadUInt16BigEndian(L4[2..]) : (ushort)0;
    public byte IcmpType => Proto == Wire.ProtoIcmp && L4.Length >= 1 ? L4[0] : (byte)0;
    public byte IcmpCode => Proto == Wire.ProtoIcmp && L4.Length >= 2 ? L4[1] : (byte)0;
    public ushort IcmpId => BinaryPrimitives.ReadUInt16BigEndian(L4[4..]);
    public ushort IcmpSeq => BinaryPrimitives.ReadUInt16BigEndian(L4[6..]);
    public uint TcpSeq => BinaryPrimitives.ReadUInt32BigEndian(L4[4..]);
    public uint TcpAck => BinaryPrimitives.ReadUInt32BigEndian(L4[8..]);
    public byte TcpFlags => L4[13];
    public bool IsIcmpError => Proto == Wire.ProtoIcmp && IcmpType is Wire.IcmpUnreach or Wire.IcmpTimeExceeded or 4 or 5 or 12;
    /// <summary>The packet an ICMP error quotes (its IP header and what follows, as far as quoted).</summary>
    public ReadOnlySpan<byte> Quoted => L4.Length > 8 ? L4[8..] : default;
}
