using System.Buffers.Binary;

namespace PfSim.Captures;

/// <summary>What <see cref="LinkLayer.Decode"/> found in a frame.</summary>
public enum FrameStatus : byte
{
    /// <summary>An IPv4 or IPv6 packet (maybe cut short by the snaplen).</summary>
    Ip,
    /// <summary>A well-formed frame that carries no IP packet (ARP, LLDP …): pf never sees it.</summary>
    NotIp,
    /// <summary>The link header itself is cut short.</summary>
    Truncated,
    /// <summary>A pflog header that is not valid (length below 45 or beyond the frame).</summary>
    BadPflog,
    /// <summary>A link type PfSim does not read.</summary>
    UnsupportedLinkType,
}

/// <summary>The IP packet inside a frame, and what the link layer said about it.</summary>
public ref struct Frame
{
    /// <summary>The IP packet from its header on, without link-layer padding (trimmed to the IP length).</summary>
    public ReadOnlySpan<byte> Ip;
    /// <summary>Where <see cref="Ip"/> starts in the frame.</summary>
    public int IpOffset;
    /// <summary>4 or 6.</summary>
    public byte IpVersion;
    /// <summary>Direction the link layer records (Linux SLL packet type, pflog dir); InOut when it says nothing.</summary>
    public Direction LinkDirection;
    public bool HasPflog;
    /// <summary>The pflog header; meaningful only when <see cref="HasPflog"/>.</summary>
    public PflogHeader Pflog;
}

/// <summary>Finds the IP packet in a frame of each supported link type, without copying or allocating.</summary>
public static class LinkLayer
{
    private const ushort EtherIPv4 = 0x0800, EtherIPv6 = 0x86DD, EtherVlan = 0x8100, EtherQinQ = 0x88A8,
        EtherQinQOld = 0x9100, EtherMpls = 0x8847, EtherMplsMcast = 0x8848;

    public static FrameStatus Decode(int linkType, ReadOnlySpan<byte> data, bool hostLittleEndian, out Frame frame)
    {
        // Every field but the pflog header (120 bytes, read only when HasPflog says it was filled): no zeroing per packet.
        System.Runtime.CompilerServices.Unsafe.SkipInit(out frame);
        frame.Ip = default;
        frame.IpOffset = 0;
        frame.IpVersion = 0;
        frame.LinkDirection = default;
        frame.HasPflog = false;
        switch (linkType)
        {
            case 1: return Ethernet(data, ref frame);
            case 12 or 14 or 101: return ByVersion(data, 0, ref frame);
            case 228: return Ip(data, 0, 4, ref frame);
            case 229: return Ip(data, 0, 6, ref frame);
            case 0: return BsdLoopback(data, networkOrder: false, ref frame);
            case 108: return BsdLoopback(data, networkOrder: true, ref frame);
            case 113: return Sll(data, ref frame);
            case 276: return Sll2(data, ref frame);
            case 117: return Pflog(data, hostLittleEndian, ref frame);
            case 9 or 50: return Ppp(data, ref frame);
            case 226: return Ipnet(data, ref frame);
            default: return FrameStatus.UnsupportedLinkType;
        }
    }

    private static FrameStatus Ethernet(ReadOnlySpan<byte> d, ref Frame f)
    {
        if (d.Length < 14) return FrameStatus.Truncated;
        int off = 12;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(d[off..]);
        // 802.1Q and 802.1ad tags, any depth (QinQ): each is TPID + TCI, then the next type.
        while (type is EtherVlan or EtherQinQ or EtherQinQOld)
        {
            off += 4;
            if (d.Length < off + 2) return FrameStatus.Truncated;
            type = BinaryPrimitives.ReadUInt16BigEndian(d[off..]);
        }
        return EtherType(d, type, off + 2, ref f);
    }

    private static FrameStatus EtherType(ReadOnlySpan<byte> d, ushort type, int off, ref Frame f) => type switch
    {
        EtherIPv4 => Ip(d, off, 4, ref f),
        EtherIPv6 => Ip(d, off, 6, ref f),
        EtherMpls or EtherMplsMcast => Mpls(d, off, ref f),
        _ => FrameStatus.NotIp,
    };

    // An MPLS label stack: 4 bytes a label, the bottom one has S set; the payload's version nibble says IPv4/IPv6.
    private static FrameStatus Mpls(ReadOnlySpan<byte> d, int off, ref Frame f)
    {
        while (true)
        {
            if (d.Length < off + 4) return FrameStatus.Truncated;
            bool bottom = (d[off + 2] & 1) != 0;
            off += 4;
            if (bottom) break;
        }
        return ByVersion(d, off, ref f);
    }

    private static FrameStatus BsdLoopback(ReadOnlySpan<byte> d, bool networkOrder, ref Frame f)
    {
        if (d.Length < 4) return FrameStatus.Truncated;
        uint af = BinaryPrimitives.ReadUInt32BigEndian(d);
        // DLT_NULL holds the family in the capturing host's order: a family is small, so the order shows.
        if (!networkOrder && af > 0xFFFF) af = BinaryPrimitives.ReadUInt32LittleEndian(d);
        if (af == 2) return Ip(d, 4, 4, ref f);
        if (af is 24 or 28 or 30 or 10) return Ip(d, 4, 6, ref f);
        return FrameStatus.NotIp;
    }

    private static FrameStatus Sll(ReadOnlySpan<byte> d, ref Frame f)
    {
        if (d.Length < 16) return FrameStatus.Truncated;
        f.LinkDirection = SllDirection(BinaryPrimitives.ReadUInt16BigEndian(d));
        return EtherType(d, BinaryPrimitives.ReadUInt16BigEndian(d[14..]), 16, ref f);
    }

    private static FrameStatus Sll2(ReadOnlySpan<byte> d, ref Frame f)
    {
        if (d.Length < 20) return FrameStatus.Truncated;
        f.LinkDirection = SllDirection(d[10]);
        return EtherType(d, BinaryPrimitives.ReadUInt16BigEndian(d), 20, ref f);
    }

    // Linux packet types: 0 to us, 1 broadcast, 2 multicast, 3 to someone else (all received); 4 outgoing.
    private static Direction SllDirection(int packetType) => packetType switch
    {
        0 or 1 or 2 or 3 => Direction.In,
        4 => Direction.Out,
        _ => Direction.InOut,
    };

    private static FrameStatus Pflog(ReadOnlySpan<byte> d, bool hostLittleEndian, ref Frame f)
    {
        if (!PflogHeader.TryRead(d, hostLittleEndian, out f.Pflog, out _)) return FrameStatus.BadPflog;
        f.HasPflog = true;
        f.LinkDirection = f.Pflog.Dir;
        int off = f.Pflog.HeaderBytes;
        if (d.Length <= off) return FrameStatus.Truncated;
        // tcpdump.org picks the decoder from af; OpenBSD's from naf: the version nibble settles both.
        return ByVersion(d, off, ref f);
    }

    private static FrameStatus Ppp(ReadOnlySpan<byte> d, ref Frame f)
    {
        int off = 0;
        if (d.Length >= 2 && d[0] == 0xFF && d[1] == 0x03) off = 2;
        if (d.Length < off + 1) return FrameStatus.Truncated;
        int proto;
        // Protocol field compression: an odd first byte is a one-byte protocol.
        if ((d[off] & 1) != 0) { proto = d[off]; off += 1; }
        else
        {
            if (d.Length < off + 2) return FrameStatus.Truncated;
            proto = BinaryPrimitives.ReadUInt16BigEndian(d[off..]);
            off += 2;
        }
        return proto switch
        {
            0x21 => Ip(d, off, 4, ref f),
            0x57 => Ip(d, off, 6, ref f),
            0x281 or 0x283 => Mpls(d, off, ref f),
            _ => FrameStatus.NotIp,
        };
    }

    private static FrameStatus Ipnet(ReadOnlySpan<byte> d, ref Frame f)
    {
        if (d.Length < 24) return FrameStatus.Truncated;
        return d[1] switch
        {
            2 => Ip(d, 24, 4, ref f),
            26 => Ip(d, 24, 6, ref f),
            _ => FrameStatus.NotIp,
        };
    }

    private static FrameStatus ByVersion(ReadOnlySpan<byte> d, int off, ref Frame f)
    {
        if (d.Length <= off) return FrameStatus.Truncated;
        return (d[off] >> 4) switch
        {
            4 => Ip(d, off, 4, ref f),
            6 => Ip(d, off, 6, ref f),
            _ => FrameStatus.NotIp,
        };
    }

    private static FrameStatus Ip(ReadOnlySpan<byte> d, int off, byte version, ref Frame f)
    {
        if (d.Length <= off) return FrameStatus.Truncated;
        var ip = d[off..];
        // Drop link-layer padding and trailers (Ethernet minimum frame, FCS): the IP length says where the packet ends.
        if (version == 4 && ip.Length >= 4)
        {
            int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            if (total >= 20 && total < ip.Length) ip = ip[..total];
        }
        else if (version == 6 && ip.Length >= 6)
        {
            int payload = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
            if (payload > 0 && 40 + payload < ip.Length) ip = ip[..(40 + payload)];
        }
        f.Ip = ip;
        f.IpOffset = off;
        f.IpVersion = version;
        return FrameStatus.Ip;
    }
}
