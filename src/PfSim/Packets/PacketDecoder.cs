using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace PfSim.Packets;

/// <summary>Decodes IPv4/IPv6 packets into <see cref="PacketHeaders"/> without allocating, as pf_setup_pdesc reads them.</summary>
public static class PacketDecoder
{
    /// <summary>Decodes one packet that starts at its IP header.</summary>
    public static DecodeStatus Decode(ReadOnlySpan<byte> ipPacket, out PacketHeaders h) => DecodeCore(ipPacket, false, out h);

    /// <summary>Decodes the packet an ICMP/ICMPv6 error quotes (IP header and at least 8 bytes of its payload).</summary>
    public static DecodeStatus DecodeQuoted(ReadOnlySpan<byte> ipPacket, in PacketHeaders outer, out PacketHeaders inner)
    {
        if (outer.QuotedOffset < 0 || outer.QuotedOffset > ipPacket.Length) { inner = default; inner.QuotedOffset = -1; return DecodeStatus.Short; }
        var st = DecodeCore(ipPacket[outer.QuotedOffset..], true, out inner);
        if (st == DecodeStatus.Ok)
        {
            inner.TransportOffset += outer.QuotedOffset;
            if (inner.QuotedOffset >= 0) inner.QuotedOffset += outer.QuotedOffset;
        }
        return st;
    }

    /// <summary>True for the ICMP/ICMPv6 types that report an error about another packet (pf_icmp_mapping returns 1).</summary>
    public static bool IsErrorType(Af af, byte type) => af == Af.Inet
        ? type is 3 or 4 or 5 or 11 or 12
        : type is 1 or 2 or 3 or 4;

    private static DecodeStatus DecodeCore(ReadOnlySpan<byte> p, bool quoted, out PacketHeaders h)
    {
        h = default;
        h.QuotedOffset = -1;
        h.WindowScale = -1;
        h.CapturedLength = p.Length;
        if (p.Length < 1) return DecodeStatus.Short;
        int version = p[0] >> 4;
        int off;
        byte proto;
        if (version == 4)
        {
            if (p.Length < 20) return DecodeStatus.Short;
            int hl = (p[0] & 15) * 4;
            if (hl < 20) return DecodeStatus.BadOffset;
            if (p.Length < hl) return DecodeStatus.Short;
            h.Af = Af.Inet;
            h.Tos = p[1];
            h.TotalLength = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
            if (h.TotalLength < hl) return DecodeStatus.BadOffset;
            if (!quoted && p.Length < h.TotalLength) return DecodeStatus.Short;
            h.IpId = BinaryPrimitives.ReadUInt16BigEndian(p[4..]);
            ushort frag = BinaryPrimitives.ReadUInt16BigEndian(p[6..]);
            h.DontFragment = (frag & 0x4000) != 0;
            h.MoreFragments = (frag & 0x2000) != 0;
            h.FragmentOffset = (frag & 0x1FFF) * 8;
            h.Ttl = p[8];
            proto = p[9];
            SetV4(ref h.Src, BinaryPrimitives.ReadUInt32BigEndian(p[12..]));
            SetV4(ref h.Dst, BinaryPrimitives.ReadUInt32BigEndian(p[16..]));
            h.HasIpOptions = hl > 20;
            off = hl;
        }
        else if (version == 6)
        {
            if (p.Length < 40) return DecodeStatus.Short;
            h.Af = Af.Inet6;
            h.Tos = (byte)((BinaryPrimitives.ReadUInt16BigEndian(p) >> 4) & 0xFF);
            h.TotalLength = BinaryPrimitives.ReadUInt16BigEndian(p[4..]) + 40;
            if (!quoted && p.Length < h.TotalLength) return DecodeStatus.Short;
            proto = p[6];
            h.Ttl = p[7];
            SetV6(ref h.Src, p.Slice(8, 16));
            SetV6(ref h.Dst, p.Slice(24, 16));
            off = 40;
            // pf_walk_header6: hop-by-hop, routing, destination options, fragment and AH precede the transport header.
            for (int n = 0; ; n++)
            {
                if (n > 16) return DecodeStatus.BadOffset;
                if (proto is IpProto.HopOpts or IpProto.Routing or IpProto.DstOpts)
                {
                    if (p.Length < off + 2) return DecodeStatus.Short;
                    if (proto is IpProto.HopOpts or IpProto.Routing) h.HasIpOptions = true;
                    byte next = p[off];
                    off += (p[off + 1] + 1) * 8;
                    proto = next;
                }
                else if (proto == IpProto.Fragment)
                {
                    if (p.Length < off + 8) return DecodeStatus.Short;
                    ushort fo = BinaryPrimitives.ReadUInt16BigEndian(p[(off + 2)..]);
                    h.FragmentOffset = fo & 0xFFF8;
                    h.MoreFragments = (fo & 1) != 0;
                    h.IpId = BinaryPrimitives.ReadUInt32BigEndian(p[(off + 4)..]);
                    proto = p[off];
                    off += 8;
                    if (h.FragmentOffset != 0) break;
                }
                else if (proto == IpProto.Ah)
                {
                    if (p.Length < off + 2) return DecodeStatus.Short;
                    byte next = p[off];
                    off += (p[off + 1] + 2) * 4;
                    proto = next;
                }
                else break;
                if (off > h.TotalLength) return DecodeStatus.BadOffset;
            }
        }
        else return DecodeStatus.NotIp;

        h.Proto = proto;
        h.TransportOffset = off;
        int end = quoted ? p.Length : h.TotalLength;
        if (h.FragmentOffset != 0) return DecodeStatus.Ok; // no transport header in a later fragment
        int avail = end - off;
        switch (proto)
        {
            case IpProto.Tcp:
            {
                // An ICMP error need quote only the first 8 bytes (ports and sequence number).
                int need = quoted ? 8 : 20;
                if (avail < need) return h.MoreFragments ? DecodeStatus.Fragment : DecodeStatus.Short;
                var t = p[off..];
                h.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(t);
                h.DstPort = BinaryPrimitives.ReadUInt16BigEndian(t[2..]);
                h.Seq = BinaryPrimitives.ReadUInt32BigEndian(t[4..]);
                h.HasTransport = true;
                if (avail < 20) return DecodeStatus.Ok;
                h.Ack = BinaryPrimitives.ReadUInt32BigEndian(t[8..]);
                int thl = (t[12] >> 4) * 4;
                h.TcpFlags = (TcpFlags)t[13];
                h.Win = BinaryPrimitives.ReadUInt16BigEndian(t[14..]);
                if (thl < 20) return DecodeStatus.BadOffset;
                if (!quoted && thl > avail) return DecodeStatus.Short;
                h.TcpHeaderLength = thl;
                h.PayloadLength = Math.Max(0, h.TotalLength - off - thl);
                if ((h.TcpFlags & TcpFlags.Syn) != 0 && thl > 20 && avail >= thl) h.WindowScale = ReadWindowScale(t.Slice(20, thl - 20));
                return DecodeStatus.Ok;
            }
            case IpProto.Udp:
                if (avail < 8) return h.MoreFragments ? DecodeStatus.Fragment : DecodeStatus.Short;
                h.SrcPort = BinaryPrimitives.ReadUInt16BigEndian(p[off..]);
                h.DstPort = BinaryPrimitives.ReadUInt16BigEndian(p[(off + 2)..]);
                h.PayloadLength = Math.Max(0, h.TotalLength - off - 8);
                h.HasTransport = true;
                return DecodeStatus.Ok;
            case IpProto.Icmp:
            case IpProto.Icmp6:
                // pf pulls ICMP_MINLEN (8) bytes for ICMP and sizeof(icmp6_hdr) (8) for ICMPv6.
                if (avail < 8) return h.MoreFragments ? DecodeStatus.Fragment : DecodeStatus.Short;
                if ((proto == IpProto.Icmp) != (h.Af == Af.Inet)) { h.HasTransport = false; return DecodeStatus.Ok; }
                h.IcmpType = p[off];
                h.IcmpCode = p[off + 1];
                h.IcmpId = BinaryPrimitives.ReadUInt16BigEndian(p[(off + 4)..]);
                h.IcmpSeq = BinaryPrimitives.ReadUInt16BigEndian(p[(off + 6)..]);
                h.PayloadLength = Math.Max(0, h.TotalLength - off - 8);
                h.HasTransport = true;
                if (IsErrorType(h.Af, h.IcmpType) && !quoted) h.QuotedOffset = off + 8;
                return DecodeStatus.Ok;
            default:
                h.PayloadLength = Math.Max(0, h.TotalLength - off);
                return DecodeStatus.Ok;
        }
    }

    // The addresses are written field by field into the zeroed headers: assigning a new Address makes the JIT build it
    // in a stack temporary and copy it with wider loads than its stores, a store-forwarding stall that cost a third of
    // the decode (perf, EngineVerdictBench).
    private static void SetV4(ref Address a, uint value)
    {
        Unsafe.AsRef(in a.Lo) = value;
        Unsafe.AsRef(in a.Family) = Af.Inet;
    }

    private static void SetV6(ref Address a, ReadOnlySpan<byte> bytes)
    {
        Unsafe.AsRef(in a.Hi) = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        Unsafe.AsRef(in a.Lo) = BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        Unsafe.AsRef(in a.Family) = Af.Inet6;
    }

    /// <summary>pf_get_wscale: the window scale option of a SYN, capped at 14.</summary>
    private static sbyte ReadWindowScale(ReadOnlySpan<byte> opts)
    {
        int i = 0;
        while (i < opts.Length)
        {
            byte kind = opts[i];
            if (kind == 0) break;
            if (kind == 1) { i++; continue; }
            if (i + 1 >= opts.Length) break;
            int len = opts[i + 1];
            if (len < 2 || i + len > opts.Length) break;
            if (kind == 3 && len == 3) return (sbyte)Math.Min((int)opts[i + 2], 14);
            i += len;
        }
        return -1;
    }
}
