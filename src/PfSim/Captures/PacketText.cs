using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace PfSim.Captures;

/// <summary>
/// One line describing an IP packet the way <c>tcpdump -n</c> does (addresses, ports, TCP flags, ICMP type and
/// what an ICMP error quotes). For display only: it allocates a string.
/// </summary>
public static class PacketText
{
    public static string Describe(ReadOnlySpan<byte> ip)
    {
        var sb = new StringBuilder(96);
        Append(sb, ip);
        return sb.ToString();
    }

    public static void Append(StringBuilder sb, ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 1) { sb.Append("[|ip]"); return; }
        int version = ip[0] >> 4;
        if (version == 4) V4(sb, ip);
        else if (version == 6) V6(sb, ip);
        else sb.Append("IP").Append(version.ToString(CultureInfo.InvariantCulture)).Append(" [|ip]");
    }

    private static void V4(StringBuilder sb, ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 20) { sb.Append("IP [|ip]"); return; }
        int ihl = (ip[0] & 0xF) * 4;
        int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        int frag = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        int proto = ip[9];
        string src = Address.FromBytes(ip.Slice(12, 4)).ToString(), dst = Address.FromBytes(ip.Slice(16, 4)).ToString();
        int payloadLen = Math.Max(0, total - ihl);
        var payload = ihl <= ip.Length ? ip[ihl..] : default;
        sb.Append("IP ");
        if ((frag & 0x1FFF) != 0)
        {
            sb.Append(src).Append(" > ").Append(dst).Append(": ip-proto-").Append(proto)
              .Append(CultureInfo.InvariantCulture, $" (frag {BinaryPrimitives.ReadUInt16BigEndian(ip[4..])}:{payloadLen}@{(frag & 0x1FFF) * 8}{((frag & 0x2000) != 0 ? "+" : "")})");
            return;
        }
        Transport(sb, proto, src, dst, payload, payloadLen, v6: false);
        sb.Append(CultureInfo.InvariantCulture, $" (ttl {ip[8]})");
    }

    private static void V6(StringBuilder sb, ReadOnlySpan<byte> ip)
    {
        if (ip.Length < 40) { sb.Append("IP6 [|ip6]"); return; }
        int payloadLen = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        string src = Address.FromBytes(ip.Slice(8, 16)).ToString(), dst = Address.FromBytes(ip.Slice(24, 16)).ToString();
        int next = ip[6];
        int off = 40;
        // Walk the extension headers that carry a length (hop-by-hop, routing, destination options, fragment).
        while (next is 0 or 43 or 60 or 44 && off + 8 <= ip.Length)
        {
            if (next == 44)
            {
                int fo = BinaryPrimitives.ReadUInt16BigEndian(ip[(off + 2)..]) >> 3;
                if (fo != 0) { sb.Append("IP6 ").Append(src).Append(" > ").Append(dst).Append(": frag"); return; }
                next = ip[off];
                off += 8;
                continue;
            }
            int len = (ip[off + 1] + 1) * 8;
            next = ip[off];
            off += len;
        }
        sb.Append("IP6 ");
        var payload = off <= ip.Length ? ip[off..] : default;
        Transport(sb, next, src, dst, payload, Math.Max(0, payloadLen - (off - 40)), v6: true);
        sb.Append(CultureInfo.InvariantCulture, $" (hlim {ip[7]})");
    }

    private static void Transport(StringBuilder sb, int proto, string src, string dst, ReadOnlySpan<byte> p, int len, bool v6)
    {
        switch (proto)
        {
            case 6 when p.Length >= 14:
            {
                int sport = BinaryPrimitives.ReadUInt16BigEndian(p), dport = BinaryPrimitives.ReadUInt16BigEndian(p[2..]);
                int hl = p.Length >= 13 ? (p[12] >> 4) * 4 : 20;
                sb.Append(CultureInfo.InvariantCulture, $"{src}.{sport} > {dst}.{dport}: Flags [{TcpFlags(p[13])}], seq {BinaryPrimitives.ReadUInt32BigEndian(p[4..])}");
                if ((p[13] & 0x10) != 0 && p.Length >= 12) sb.Append(CultureInfo.InvariantCulture, $", ack {BinaryPrimitives.ReadUInt32BigEndian(p[8..])}");
                if (p.Length >= 16) sb.Append(CultureInfo.InvariantCulture, $", win {BinaryPrimitives.ReadUInt16BigEndian(p[14..])}");
                sb.Append(CultureInfo.InvariantCulture, $", length {Math.Max(0, len - hl)}");
                return;
            }
            case 17 when p.Length >= 4:
                sb.Append(CultureInfo.InvariantCulture, $"{src}.{BinaryPrimitives.ReadUInt16BigEndian(p)} > {dst}.{BinaryPrimitives.ReadUInt16BigEndian(p[2..])}: UDP, length {Math.Max(0, len - 8)}");
                return;
            case 1 when !v6 && p.Length >= 2:
                sb.Append(src).Append(" > ").Append(dst).Append(": ICMP ");
                Icmp4(sb, p, len);
                return;
            case 58 when v6 && p.Length >= 2:
                sb.Append(src).Append(" > ").Append(dst).Append(": ICMP6, ");
                Icmp6(sb, p, len);
                return;
            default:
                sb.Append(src).Append(" > ").Append(dst).Append(": ").Append(ProtoName(proto)).Append(CultureInfo.InvariantCulture, $", length {len}");
                return;
        }
    }

    private static void Icmp4(StringBuilder sb, ReadOnlySpan<byte> p, int len)
    {
        int type = p[0], code = p[1];
        switch (type)
        {
            case 0 or 8:
                sb.Append(type == 8 ? "echo request" : "echo reply");
                if (p.Length >= 8) sb.Append(CultureInfo.InvariantCulture, $", id {BinaryPrimitives.ReadUInt16BigEndian(p[4..])}, seq {BinaryPrimitives.ReadUInt16BigEndian(p[6..])}");
                break;
            case 3:
                sb.Append(Unreach4(code, p.Length >= 8 ? p[8..] : default));
                break;
            case 11:
                sb.Append(code == 0 ? "time exceeded in-transit" : "ip reassembly time exceeded");
                break;
            default:
                sb.Append(CultureInfo.InvariantCulture, $"type-#{type}");
                break;
        }
        sb.Append(CultureInfo.InvariantCulture, $", length {len}");
    }

    // tcpdump's wording for the unreachables, naming what the quoted packet was sent to.
    private static string Unreach4(int code, ReadOnlySpan<byte> quoted)
    {
        string dst = quoted.Length >= 20 ? Address.FromBytes(quoted.Slice(16, 4)).ToString() : "?";
        int qproto = quoted.Length >= 10 ? quoted[9] : 0;
        int qihl = quoted.Length >= 1 ? (quoted[0] & 0xF) * 4 : 20;
        return code switch
        {
            0 => $"net {dst} unreachable",
            1 => $"host {dst} unreachable",
            2 => $"{dst} protocol {qproto} unreachable",
            3 when quoted.Length >= qihl + 4 && qproto is 6 or 17 =>
                $"{dst} {(qproto == 6 ? "tcp" : "udp")} port {BinaryPrimitives.ReadUInt16BigEndian(quoted[(qihl + 2)..])} unreachable",
            3 => $"{dst} port unreachable",
            4 => $"{dst} unreachable - need to frag",
            13 => $"host {dst} unreachable - admin prohibited filter",
            _ => $"{dst} unreachable - code {code}",
        };
    }

    private static void Icmp6(StringBuilder sb, ReadOnlySpan<byte> p, int len)
    {
        int type = p[0], code = p[1];
        switch (type)
        {
            case 128 or 129:
                sb.Append(type == 128 ? "echo request" : "echo reply");
                if (p.Length >= 8) sb.Append(CultureInfo.InvariantCulture, $", id {BinaryPrimitives.ReadUInt16BigEndian(p[4..])}, seq {BinaryPrimitives.ReadUInt16BigEndian(p[6..])}");
                break;
            case 1:
                sb.Append("destination unreachable, ").Append(code switch
                {
                    0 => "unreachable route", 1 => "unreachable prohibited", 3 => "unreachable address", 4 => "unreachable port",
                    _ => $"code {code}",
                });
                break;
            case 2: sb.Append("packet too big"); break;
            case 3: sb.Append(code == 0 ? "time exceeded in-transit" : "ip6 reassembly time exceeded"); break;
            case 4: sb.Append("parameter problem"); break;
            case 133: sb.Append("router solicitation"); break;
            case 134: sb.Append("router advertisement"); break;
            case 135: sb.Append("neighbor solicitation"); break;
            case 136: sb.Append("neighbor advertisement"); break;
            case 143: sb.Append("multicast listener report v2"); break;
            default: sb.Append(CultureInfo.InvariantCulture, $"type {type}"); break;
        }
        sb.Append(CultureInfo.InvariantCulture, $", length {len}");
    }

    public static string TcpFlags(byte f)
    {
        var s = new StringBuilder(8);
        if ((f & 0x02) != 0) s.Append('S');
        if ((f & 0x01) != 0) s.Append('F');
        if ((f & 0x08) != 0) s.Append('P');
        if ((f & 0x04) != 0) s.Append('R');
        if ((f & 0x20) != 0) s.Append('U');
        if ((f & 0x40) != 0) s.Append('E');
        if ((f & 0x80) != 0) s.Append('W');
        if ((f & 0x10) != 0) s.Append('.');
        return s.Length == 0 ? "none" : s.ToString();
    }

    private static string ProtoName(int proto) => proto switch
    {
        1 => "ICMP", 2 => "IGMP", 6 => "TCP", 17 => "UDP", 41 => "IP6", 47 => "GRE", 50 => "ESP", 51 => "AH", 58 => "ICMP6",
        89 => "OSPF", 103 => "PIM", 112 => "VRRP", 132 => "SCTP",
        _ => $"ip-proto-{proto}",
    };
}
