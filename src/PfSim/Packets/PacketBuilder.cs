using System.Buffers.Binary;

namespace PfSim.Packets;

/// <summary>A packet to build: what a packet-script line or a flow model says about it.</summary>
public sealed record PacketSpec
{
    public Address Src { get; init; }
    public Address Dst { get; init; }
    public byte Proto { get; init; }
    public ushort SrcPort { get; init; }
    public ushort DstPort { get; init; }
    public TcpFlags Flags { get; init; }
    public uint Seq { get; init; }
    public uint Ack { get; init; }
    public ushort Win { get; init; } = 65535;
    /// <summary>Window scale option sent with a SYN, or -1 for none.</summary>
    public sbyte WindowScale { get; init; } = -1;
    public byte IcmpType { get; init; }
    public byte IcmpCode { get; init; }
    public ushort IcmpId { get; init; }
    public ushort IcmpSeq { get; init; }
    public byte Ttl { get; init; } = 64;
    public byte Tos { get; init; }
    public ushort IpId { get; init; }
    /// <summary>Transport payload bytes (TCP data length, UDP/ICMP data).</summary>
    public int PayloadLength { get; init; }
    /// <summary>Total IP length wanted; when larger than the headers, the payload is padded to reach it.</summary>
    public int TotalLength { get; init; }
    /// <summary>Fragment offset in bytes (multiple of 8): non-zero makes a later fragment without transport header.</summary>
    public int FragmentOffset { get; init; }
    public bool MoreFragments { get; init; }
    public bool DontFragment { get; init; }
    /// <summary>Add an IPv4 router-alert option (IPv6: a hop-by-hop header).</summary>
    public bool IpOptions { get; init; }
    /// <summary>For an ICMP error: the packet it quotes.</summary>
    public PacketSpec? Quoted { get; init; }
    /// <summary>How many bytes of the quoted packet's payload the error carries: 8 as RFC 792 routers do; -1 = all of it.</summary>
    public int QuoteBytes { get; init; } = 8;

    public Af Af => Src.Family;
}

/// <summary>Builds real IPv4/IPv6 TCP/UDP/ICMP/ICMPv6 packets with correct checksums, including ICMP errors quoting a packet.</summary>
public static class PacketBuilder
{
    public static byte[] Build(PacketSpec s)
    {
        if (s.Src.Family != s.Dst.Family || !s.Src.IsValid) throw new ArgumentException("source and destination must be addresses of the same family");
        byte[] transport = s.FragmentOffset != 0 ? new byte[Math.Max(s.PayloadLength, 8)] : BuildTransport(s);
        bool v4 = s.Af == Af.Inet;
        int ipHeader = v4 ? (s.IpOptions ? 24 : 20) : 40 + (s.IpOptions ? 8 : 0) + (s.FragmentOffset != 0 || s.MoreFragments ? 8 : 0);
        int total = Math.Max(ipHeader + transport.Length, s.TotalLength);
        var p = new byte[total];
        transport.CopyTo(p, ipHeader);
        if (v4) WriteIpv4(p, s, ipHeader, total);
        else WriteIpv6(p, s, total);
        if (s.FragmentOffset == 0) FillTransportChecksum(p, s, ipHeader);
        return p;
    }

    /// <summary>An ICMP (IPv4) or ICMPv6 error from <paramref name="src"/> to <paramref name="dst"/> quoting <paramref name="quoted"/>.</summary>
    public static byte[] IcmpError(Address src, Address dst, byte type, byte code, PacketSpec quoted, int quoteBytes = 8, byte ttl = 64) =>
        Build(new PacketSpec
        {
            Src = src, Dst = dst, Proto = src.IsV4 ? IpProto.Icmp : IpProto.Icmp6,
            IcmpType = type, IcmpCode = code, Quoted = quoted, QuoteBytes = quoteBytes, Ttl = ttl,
        });

    private static byte[] BuildTransport(PacketSpec s)
    {
        switch (s.Proto)
        {
            case IpProto.Tcp:
            {
                int opt = s.WindowScale >= 0 ? 4 : 0;
                var t = new byte[20 + opt + s.PayloadLength];
                BinaryPrimitives.WriteUInt16BigEndian(t, s.SrcPort);
                BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), s.DstPort);
                BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(4), s.Seq);
                BinaryPrimitives.WriteUInt32BigEndian(t.AsSpan(8), s.Ack);
                t[12] = (byte)((20 + opt) / 4 << 4);
                t[13] = (byte)s.Flags;
                BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(14), s.Win);
                if (opt > 0) { t[20] = 1; t[21] = 3; t[22] = 3; t[23] = (byte)s.WindowScale; }
                return t;
            }
            case IpProto.Udp:
            {
                var t = new byte[8 + s.PayloadLength];
                BinaryPrimitives.WriteUInt16BigEndian(t, s.SrcPort);
                BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(2), s.DstPort);
                BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(4), (ushort)t.Length);
                return t;
            }
            case IpProto.Icmp:
            case IpProto.Icmp6:
            {
                byte[] quoted = [];
                if (s.Quoted is not null)
                {
                    var q = Build(s.Quoted);
                    int hl = q[0] >> 4 == 4 ? (q[0] & 15) * 4 : QuotedHeaderLength6(q);
                    int keep = s.QuoteBytes < 0 ? q.Length : Math.Min(q.Length, hl + s.QuoteBytes);
                    quoted = q.AsSpan(0, keep).ToArray();
                }
                var t = new byte[8 + quoted.Length + s.PayloadLength];
                t[0] = s.IcmpType;
                t[1] = s.IcmpCode;
                if (s.Quoted is null)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(4), s.IcmpId);
                    BinaryPrimitives.WriteUInt16BigEndian(t.AsSpan(6), s.IcmpSeq);
                }
                quoted.CopyTo(t, 8);
                return t;
            }
            default:
                return new byte[s.PayloadLength];
        }
    }

    private static int QuotedHeaderLength6(byte[] q)
    {
        int off = 40;
        byte next = q[6];
        while (next is IpProto.HopOpts or IpProto.Routing or IpProto.DstOpts or IpProto.Fragment && off + 2 <= q.Length)
        {
            int len = next == IpProto.Fragment ? 8 : (q[off + 1] + 1) * 8;
            next = q[off];
            off += len;
        }
        return Math.Min(off, q.Length);
    }

    private static void WriteIpv4(byte[] p, PacketSpec s, int hl, int total)
    {
        p[0] = (byte)(0x40 | hl / 4);
        p[1] = s.Tos;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)total);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), s.IpId);
        int frag = (s.FragmentOffset / 8) | (s.MoreFragments ? 0x2000 : 0) | (s.DontFragment ? 0x4000 : 0);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(6), (ushort)frag);
        p[8] = s.Ttl;
        p[9] = s.Proto;
        s.Src.WriteTo(p.AsSpan(12));
        s.Dst.WriteTo(p.AsSpan(16));
        if (hl > 20) { p[20] = 0x94; p[21] = 4; } // router alert
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(10), Checksum(p.AsSpan(0, hl), 0));
    }

    private static void WriteIpv6(byte[] p, PacketSpec s, int total)
    {
        BinaryPrimitives.WriteUInt32BigEndian(p, 0x6000_0000u | (uint)s.Tos << 20);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), (ushort)(total - 40));
        p[7] = s.Ttl;
        s.Src.WriteTo(p.AsSpan(8));
        s.Dst.WriteTo(p.AsSpan(24));
        int off = 40;
        ref byte next = ref p[6];
        if (s.IpOptions)
        {
            next = IpProto.HopOpts;
            next = ref p[off];
            p[off + 2] = 1; p[off + 3] = 4; // PadN filling the 8-byte header
            off += 8;
        }
        if (s.FragmentOffset != 0 || s.MoreFragments)
        {
            next = IpProto.Fragment;
            next = ref p[off];
            BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(off + 2), (ushort)(s.FragmentOffset & 0xFFF8 | (s.MoreFragments ? 1 : 0)));
            BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(off + 4), s.IpId);
        }
        next = s.Proto;
    }

    private static void FillTransportChecksum(byte[] p, PacketSpec s, int off)
    {
        int len = p.Length - off;
        int at = s.Proto switch { IpProto.Tcp => 16, IpProto.Udp => 6, IpProto.Icmp or IpProto.Icmp6 => 2, _ => -1 };
        if (at < 0 || len < at + 2) return;
        uint pseudo = 0;
        if (s.Proto != IpProto.Icmp)
        {
            Span<byte> a = stackalloc byte[16];
            int n = s.Src.WriteTo(a); pseudo = Sum(a[..n], pseudo);
            n = s.Dst.WriteTo(a); pseudo = Sum(a[..n], pseudo);
            pseudo += s.Proto;
            pseudo += (uint)len;
        }
        ushort c = Checksum(p.AsSpan(off, len), pseudo);
        if (s.Proto == IpProto.Udp && c == 0) c = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(off + at), c);
    }

    private static uint Sum(ReadOnlySpan<byte> b, uint acc)
    {
        int i = 0;
        for (; i + 1 < b.Length; i += 2) acc += (uint)(b[i] << 8 | b[i + 1]);
        if (i < b.Length) acc += (uint)(b[i] << 8);
        return acc;
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="b"/> plus a pseudo-header sum.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> b, uint initial)
    {
        uint acc = Sum(b, initial);
        while (acc >> 16 != 0) acc = (acc & 0xFFFF) + (acc >> 16);
        return (ushort)~acc;
    }
}
