using System.Buffers.Binary;
using PfSim.Packets;

namespace PfSim.Engine;

/// <summary>Rewrites fields of a packet in place as pf does (pf_change_a/ap), keeping checksums right.</summary>
internal static class PacketRewriter
{
    public static void SetSeqAck(Span<byte> p, in PacketHeaders h, uint seq, uint ack)
    {
        var t = p[h.TransportOffset..];
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(t[8..], ack);
        FixTransportChecksum(p, h);
    }

    /// <summary>Writes new addresses and ports (translation) and recomputes the IP and transport checksums.</summary>
    public static void Translate(Span<byte> p, in PacketHeaders h, in Address src, ushort sport, in Address dst, ushort dport, bool icmpErrorId = false)
    {
        if (h.Af == Af.Inet)
        {
            src.WriteTo(p[12..]);
            dst.WriteTo(p[16..]);
            int hl = (p[0] & 15) * 4;
            p[10] = p[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(p[10..], PacketBuilder.Checksum(p[..hl], 0));
        }
        else
        {
            src.WriteTo(p[8..]);
            dst.WriteTo(p[24..]);
        }
        if (h.IsLaterFragment) return;
        var t = p[h.TransportOffset..];
        if (h.HasPorts)
        {
            BinaryPrimitives.WriteUInt16BigEndian(t, sport);
            BinaryPrimitives.WriteUInt16BigEndian(t[2..], dport);
        }
        else if (h.IsIcmp && (!h.IsIcmpError || icmpErrorId) && t.Length >= 6)
        {
            // pf_translate rewrites the echo id from the key's port.
            BinaryPrimitives.WriteUInt16BigEndian(t[4..], sport);
        }
        FixTransportChecksum(p, h, src, dst);
    }

    /// <summary>
    /// Translates an ICMP error back through a state (pf_translate_icmp / FreeBSD pf_change_icmp): the outer addresses,
    /// the quoted packet's addresses and ports (or echo id), then the ICMP checksum. OpenBSD leaves the quoted IP header
    /// checksum stale and zeroes a quoted UDP checksum; FreeBSD fixes the quoted IP header checksum and leaves the quoted
    /// transport checksum alone.
    /// </summary>
    public static void TranslateIcmpError(Span<byte> p, in PacketHeaders h, in PacketHeaders inner, in NatResult outer, in NatResult quoted, bool openBsd)
    {
        int q = h.QuotedOffset;
        if (h.Af == Af.Inet)
        {
            outer.Src.WriteTo(p[12..]);
            outer.Dst.WriteTo(p[16..]);
            int hl = (p[0] & 15) * 4;
            p[10] = p[11] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(p[10..], PacketBuilder.Checksum(p[..hl], 0));
            quoted.Src.WriteTo(p[(q + 12)..]);
            quoted.Dst.WriteTo(p[(q + 16)..]);
            if (!openBsd)
            {
                int ihl = (p[q] & 15) * 4;
                if (p.Length >= q + ihl)
                {
                    p[q + 10] = p[q + 11] = 0;
                    BinaryPrimitives.WriteUInt16BigEndian(p[(q + 10)..], PacketBuilder.Checksum(p.Slice(q, ihl), 0));
                }
            }
        }
        else
        {
            outer.Src.WriteTo(p[8..]);
            outer.Dst.WriteTo(p[24..]);
            quoted.Src.WriteTo(p[(q + 8)..]);
            quoted.Dst.WriteTo(p[(q + 24)..]);
        }
        var t = p[inner.TransportOffset..];
        if (inner.HasPorts && t.Length >= 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(t, quoted.SrcPort);
            BinaryPrimitives.WriteUInt16BigEndian(t[2..], quoted.DstPort);
            if (openBsd && inner.Proto == IpProto.Udp && t.Length >= 8) t[6] = t[7] = 0;
        }
        else if (inner.IsIcmp && quoted.IcmpId is ushort id && t.Length >= 6)
            BinaryPrimitives.WriteUInt16BigEndian(t[4..], id);
        FixTransportChecksum(p, h, outer.Src, outer.Dst);
    }

    private static void FixTransportChecksum(Span<byte> p, in PacketHeaders h) =>
        FixTransportChecksum(p, h, ReadAddr(p, h.Af, true), ReadAddr(p, h.Af, false));

    private static Address ReadAddr(ReadOnlySpan<byte> p, Af af, bool src) =>
        af == Af.Inet ? Address.FromBytes(p.Slice(src ? 12 : 16, 4)) : Address.FromBytes(p.Slice(src ? 8 : 24, 16));

    private static void FixTransportChecksum(Span<byte> p, in PacketHeaders h, in Address src, in Address dst)
    {
        int at = h.Proto switch { IpProto.Tcp => 16, IpProto.Udp => 6, IpProto.Icmp or IpProto.Icmp6 => 2, _ => -1 };
        int end = Math.Min(p.Length, h.TotalLength);
        int len = end - h.TransportOffset;
        if (at < 0 || len < at + 2) return;
        var t = p.Slice(h.TransportOffset, len);
        if (h.Proto == IpProto.Udp && h.Af == Af.Inet && t[6] == 0 && t[7] == 0) return; // no UDP checksum in use
        t[at] = t[at + 1] = 0;
        uint pseudo = 0;
        if (h.Proto != IpProto.Icmp)
        {
            Span<byte> a = stackalloc byte[16];
            int n = src.WriteTo(a); pseudo = Sum(a[..n], pseudo);
            n = dst.WriteTo(a); pseudo = Sum(a[..n], pseudo);
            pseudo += h.Proto;
            pseudo += (uint)len;
        }
        ushort c = PacketBuilder.Checksum(t, pseudo);
        if (h.Proto == IpProto.Udp && c == 0) c = 0xFFFF;
        BinaryPrimitives.WriteUInt16BigEndian(t[at..], c);
    }

    private static uint Sum(ReadOnlySpan<byte> b, uint acc)
    {
        for (int i = 0; i + 1 < b.Length; i += 2) acc += (uint)(b[i] << 8 | b[i + 1]);
        return acc;
    }
}
