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
    public static void Translate(Span<byte> p, in PacketHeaders h, in Address src, ushort sport, in Address dst, ushort dport)
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
        else if (h.IsIcmp && !h.IsIcmpError && t.Length >= 6)
        {
            // pf_translate rewrites the echo id from the key's port.
            BinaryPrimitives.WriteUInt16BigEndian(t[4..], sport);
        }
        FixTransportChecksum(p, h, src, dst);
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
