namespace PfSim.Flows;

/// <summary>
/// What a host's IP stack answers by itself: echo replies, port unreachable for a closed UDP port, RST or
/// SYN-ACK for a TCP SYN, and a router's time exceeded. Field values follow each OS's defaults (<see cref="OsModel"/>).
/// </summary>
internal static class HostStack
{
    /// <summary>The stack's answer to a packet delivered to <paramref name="node"/>, or null (it stays silent).</summary>
    public static byte[]? Answer(Simulation sim, Node node, byte[] packet, out string role)
    {
        var ip = new Ip4View(packet);
        role = "";
        switch (ip.Proto)
        {
            case Wire.ProtoIcmp when ip.IcmpType == Wire.IcmpEcho && ip.L4.Length >= 8:
                role = "echo reply";
                return EchoReply(sim, node, packet);
            case Wire.ProtoUdp when !node.UdpListening.Contains(ip.DstPort):
                role = "port unreachable";
                return Error(sim, node, packet, Wire.IcmpUnreach, 3, ip.Dst);
            case Wire.ProtoTcp when ip.L4.Length >= 20 && (ip.TcpFlags & (Wire.TcpSyn | Wire.TcpAck | Wire.TcpRst)) == Wire.TcpSyn:
                if (node.TcpListening.Contains(ip.DstPort))
                {
                    role = "syn-ack";
                    return SynAck(sim, node, packet);
                }
                role = "tcp reset";
                return ResetFor(sim, node, packet);
            default:
                return null;
        }
    }

    private static byte[] EchoReply(Simulation sim, Node node, byte[] request)
    {
        var ip = new Ip4View(request);
        var echo = ip.L4;
        var reply = Wire.IcmpEchoMessage(Wire.IcmpEchoReply, ip.IcmpId, ip.IcmpSeq, echo[8..]);
        return Wire.Ipv4(new Wire.Ip4(ip.Dst, ip.Src, Wire.ProtoIcmp, node.Os.DefaultTtl, sim.NextIpId(node)), reply);
    }

    /// <summary>Time exceeded in transit from a router, sent from the address of the interface the answer leaves by.</summary>
    public static byte[]? TimeExceeded(Simulation sim, Node router, byte[] packet)
    {
        var ip = new Ip4View(packet);
        if (ip.IsIcmpError) return null; // RFC 1122: never an ICMP error about an ICMP error
        var back = router.Route(ip.Src);
        if (back is null) return null;
        return Error(sim, router, packet, Wire.IcmpTimeExceeded, 0, back.Value.Out.Address);
    }

    /// <summary>An ICMP unreachable a node sends about <paramref name="packet"/> (pf's return-icmp, or its stack).</summary>
    public static byte[]? UnreachableFor(Simulation sim, Node node, byte[] packet, byte code)
    {
        var ip = new Ip4View(packet);
        if (ip.IsIcmpError) return null;
        var src = node.Owns(ip.Dst) ? ip.Dst : node.Route(ip.Src)?.Out.Address;
        return src is null ? null : Error(sim, node, packet, Wire.IcmpUnreach, code, src.Value);
    }

    private static byte[] Error(Simulation sim, Node node, byte[] offending, byte type, byte code, Address from)
    {
        var ip = new Ip4View(offending);
        int quote = node.IcmpQuoteOverride is int q ? Math.Min(ip.HeaderLength + q, offending.Length) : node.Os.QuoteLength(offending);
        var msg = Wire.IcmpErrorMessage(type, code, offending, quote);
        return Wire.Ipv4(new Wire.Ip4(from, ip.Src, Wire.ProtoIcmp, node.Os.DefaultTtl, sim.NextIpId(node), Tos: node.Os.IcmpErrorTos), msg);
    }

    /// <summary>RST for a SYN to a closed port (Linux: RST|ACK, seq 0, ack = seq + 1, window 0, DF, IP id 0).</summary>
    public static byte[]? ResetFor(Simulation sim, Node node, byte[] packet)
    {
        var ip = new Ip4View(packet);
        if (ip.Proto != Wire.ProtoTcp || ip.L4.Length < 20 || (ip.TcpFlags & Wire.TcpRst) != 0) return null;
        bool linux = node.Os.Kind == OsKind.Linux;
        var tcp = Wire.Tcp(ip.DstPort, ip.SrcPort, 0, ip.TcpSeq + 1, Wire.TcpRst | Wire.TcpAck, 0, default);
        return Wire.Ipv4(new Wire.Ip4(ip.Dst, ip.Src, Wire.ProtoTcp, node.Os.DefaultTtl, linux ? (ushort)0 : sim.NextIpId(node), DontFragment: linux), tcp);
    }

    private static byte[] SynAck(Simulation sim, Node node, byte[] syn)
    {
        var ip = new Ip4View(syn);
        uint iss = StableHash.Mix(StableHash.Of(node.Name, 7), ip.TcpSeq);
        ReadOnlySpan<byte> mss = [2, 4, 0x05, 0xB4];
        ushort window = node.Os.Kind == OsKind.Linux ? (ushort)64240 : (ushort)65535;
        var tcp = Wire.Tcp(ip.DstPort, ip.SrcPort, iss, ip.TcpSeq + 1, Wire.TcpSyn | Wire.TcpAck, window, mss);
        return Wire.Ipv4(new Wire.Ip4(ip.Dst, ip.Src, Wire.ProtoTcp, node.Os.DefaultTtl, node.Os.Kind == OsKind.Linux ? (ushort)0 : sim.NextIpId(node), DontFragment: true), tcp);
    }
}
