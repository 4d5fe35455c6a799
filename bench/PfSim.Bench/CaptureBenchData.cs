using System.Buffers.Binary;
using PfSim.Captures;

namespace PfSim.Bench;

/// <summary>
/// The benchmark's capture: Ethernet frames shaped like the seed scenario's traffic at the server 192.168.50.1 on
/// bfe0 — pings from the test network and from elsewhere, UDP traceroutes and their port unreachables, TCP
/// handshakes — deterministic for a given count, so tcpdump and PfSim read the very same file.
/// </summary>
public static class CaptureBenchData
{
    public const string Server = "192.168.50.1";
    public static string DefaultPath(int packets) => Path.Combine(Path.GetTempPath(), $"pfsim-bench-{packets}.pcap");

    /// <summary>Writes the file unless it already exists with the right size marker; returns its path.</summary>
    public static string Ensure(int packets, string? path = null)
    {
        path ??= DefaultPath(packets);
        if (File.Exists(path) && CountRecords(path) == packets) return path;
        Write(path, packets);
        return path;
    }

    private static long CountRecords(string path)
    {
        try { using var r = CaptureReader.Open(path); return r.Count(); }
        catch (CaptureFormatException) { return -1; }
    }

    public static void Write(string path, int packets)
    {
        using var w = PcapWriter.Create(path, (int)LinkType.Ethernet, 65535);
        var frame = new byte[14 + 20 + 8 + 56 + 28];
        var rnd = new Random(20110101);
        long t = 1_300_000_000L * 1_000_000_000L;
        uint server = 0xC0A83201;
        int n = 0;
        while (n < packets)
        {
            t += rnd.Next(1, 200) * 1000L;
            int kind = rnd.Next(100);
            uint client = kind < 60 ? 0xC0A82800u | (uint)rnd.Next(1, 255)      // 192.168.40.x: the test network
                        : kind < 80 ? 0xC0A86400u | (uint)rnd.Next(1, 255)      // 192.168.100.x: the Windows side
                        : 0x0A000000u | (uint)rnd.Next(1, 1 << 24);             // elsewhere
            // ping keeps one id per run: the same client reuses its echo state until it expires.
            ushort id = (ushort)((client * 2654435761u) >> 16);
            switch (kind % 4)
            {
                case 0 or 1:  // ping: request in, reply out
                    n += Emit(w, frame, t, Icmp(frame, client, server, 8, 0, id, (ushort)n, ttl: 64), packets, n);
                    n += Emit(w, frame, t += 150_000, Icmp(frame, server, client, 0, 0, id, (ushort)(n - 1), ttl: 64), packets, n);
                    break;
                case 2:  // UDP traceroute probe in, port unreachable out quoting it
                    ushort dport = (ushort)(33434 + rnd.Next(30));
                    int len = Udp(frame, client, server, (ushort)(40000 + rnd.Next(20000)), dport, ttl: (byte)rnd.Next(1, 30));
                    n += Emit(w, frame, t, len, packets, n);
                    var probe = frame.AsSpan(14, 28).ToArray();
                    n += Emit(w, frame, t += 80_000, IcmpError(frame, server, client, 3, 3, probe), packets, n);
                    break;
                default:  // TCP SYN in, SYN|ACK out
                    ushort sport = (ushort)(1024 + rnd.Next(60000));
                    n += Emit(w, frame, t, Tcp(frame, client, server, sport, 22, 0x02), packets, n);
                    n += Emit(w, frame, t += 90_000, Tcp(frame, server, client, 22, sport, 0x12), packets, n);
                    break;
            }
        }
    }

    private static int Emit(PcapWriter w, byte[] frame, long t, int len, int packets, int n)
    {
        if (n >= packets) return 0;
        w.Write(t, frame.AsSpan(0, len));
        return 1;
    }

    private static void Ip(byte[] f, uint src, uint dst, byte proto, int payload, byte ttl)
    {
        var e = f.AsSpan();
        e[..12].Fill(0x02);
        BinaryPrimitives.WriteUInt16BigEndian(e[12..], 0x0800);
        var ip = e[14..34];
        ip.Clear();
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + payload));
        ip[8] = ttl;
        ip[9] = proto;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], src);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dst);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
    }

    private static int Icmp(byte[] f, uint src, uint dst, byte type, byte code, ushort id, ushort seq, byte ttl)
    {
        Ip(f, src, dst, 1, 8 + 56, ttl);
        var icmp = f.AsSpan(34, 64);
        icmp.Clear();
        icmp[0] = type;
        icmp[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return 34 + 64;
    }

    private static int IcmpError(byte[] f, uint src, uint dst, byte type, byte code, byte[] quoted)
    {
        Ip(f, src, dst, 1, 8 + quoted.Length, 64);
        var icmp = f.AsSpan(34, 8 + quoted.Length);
        icmp.Clear();
        icmp[0] = type;
        icmp[1] = code;
        quoted.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return 34 + icmp.Length;
    }

    private static int Udp(byte[] f, uint src, uint dst, ushort sport, ushort dport, byte ttl)
    {
        Ip(f, src, dst, 17, 8, ttl);
        var udp = f.AsSpan(34, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], 0);  // no checksum (allowed for IPv4 UDP)
        return 34 + 8;
    }

    private static int Tcp(byte[] f, uint src, uint dst, ushort sport, ushort dport, byte flags)
    {
        Ip(f, src, dst, 6, 20, 64);
        var tcp = f.AsSpan(34, 20);
        tcp.Clear();
        BinaryPrimitives.WriteUInt16BigEndian(tcp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], dport);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], 0x1000_0000u ^ sport);
        if ((flags & 0x10) != 0) BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], (0x1000_0000u ^ dport) + 1);
        tcp[12] = 0x50;
        tcp[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 64240);
        // TCP checksum over the pseudo-header.
        uint sum = (src >> 16) + (src & 0xFFFF) + (dst >> 16) + (dst & 0xFFFF) + 6 + 20;
        for (int i = 0; i < 20; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(tcp[i..]);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~sum);
        return 34 + 20;
    }

    private static ushort Checksum(ReadOnlySpan<byte> s)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < s.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(s[i..]);
        if ((s.Length & 1) != 0) sum += (uint)s[^1] << 8;
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
