namespace PfSim.Packets;

/// <summary>IP protocol numbers pf treats specially.</summary>
public static class IpProto
{
    public const byte HopOpts = 0;
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Routing = 43;
    public const byte Fragment = 44;
    public const byte Esp = 50;
    public const byte Ah = 51;
    public const byte Icmp6 = 58;
    public const byte NoNext = 59;
    public const byte DstOpts = 60;
}

/// <summary>TCP flag bits as pf writes them (F S R P A U E W).</summary>
[Flags]
public enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Push = 0x08,
    Ack = 0x10,
    Urg = 0x20,
    Ece = 0x40,
    Cwr = 0x80,
}

/// <summary>Outcome of decoding a packet; the failures map to pf's drop reasons (short, bad-offset, fragment).</summary>
public enum DecodeStatus : byte
{
    Ok = 0,
    /// <summary>A header is cut short (PFRES_SHORT).</summary>
    Short,
    /// <summary>A header length or offset is impossible (PFRES_BADOFF).</summary>
    BadOffset,
    /// <summary>A fragment pf cannot accept, e.g. one overlapping the transport header (PFRES_FRAG).</summary>
    Fragment,
    /// <summary>Not IPv4 or IPv6.</summary>
    NotIp,
}

/// <summary>
/// One IP packet decoded without allocation: the fields pf's rules and state tracking read.
/// Offsets point into the bytes it was decoded from; for an ICMP error, <see cref="QuotedOffset"/>
/// locates the quoted packet, which <see cref="PacketDecoder.DecodeQuoted"/> decodes with the same code.
/// </summary>
public struct PacketHeaders
{
    public Af Af;
    public Address Src;
    public Address Dst;
    /// <summary>Transport protocol (after IPv6 extension headers).</summary>
    public byte Proto;
    /// <summary>Total length from the IP header (IPv6: payload length + 40).</summary>
    public int TotalLength;
    /// <summary>Bytes actually present (may be less than <see cref="TotalLength"/> inside an ICMP error).</summary>
    public int CapturedLength;
    public byte Ttl;
    public byte Tos;
    public uint IpId;
    /// <summary>Fragment offset in bytes; non-zero for a non-first fragment.</summary>
    public int FragmentOffset;
    public bool MoreFragments;
    public bool DontFragment;
    /// <summary>IPv4 options or an IPv6 hop-by-hop/routing header present (pf drops these unless allow-opts).</summary>
    public bool HasIpOptions;
    /// <summary>Offset of the transport header.</summary>
    public int TransportOffset;
    /// <summary>True when the transport header was read (false for non-first fragments and unknown protocols).</summary>
    public bool HasTransport;

    public ushort SrcPort;
    public ushort DstPort;
    public TcpFlags TcpFlags;
    public uint Seq;
    public uint Ack;
    public ushort Win;
    public int TcpHeaderLength;
    /// <summary>Window scale option of a SYN, or -1 when absent.</summary>
    public sbyte WindowScale;
    /// <summary>Transport payload length (TCP data length as pf's p_len).</summary>
    public int PayloadLength;

    public byte IcmpType;
    public byte IcmpCode;
    public ushort IcmpId;
    public ushort IcmpSeq;
    /// <summary>Offset of the quoted IP packet of an ICMP/ICMPv6 error, or -1.</summary>
    public int QuotedOffset;

    public readonly bool IsFragment => FragmentOffset != 0 || MoreFragments;
    /// <summary>A non-first fragment: no transport header, pf's PF_VPROTO_FRAGMENT when not reassembled.</summary>
    public readonly bool IsLaterFragment => FragmentOffset != 0;
    public readonly bool IsIcmp => Proto == IpProto.Icmp || Proto == IpProto.Icmp6;
    public readonly bool IsIcmpError => QuotedOffset >= 0;
    public readonly bool HasPorts => HasTransport && (Proto == IpProto.Tcp || Proto == IpProto.Udp);
}
