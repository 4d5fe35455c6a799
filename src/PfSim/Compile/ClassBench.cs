using System.Globalization;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Compile;

/// <summary>One header of a ClassBench trace: the 5-tuple.</summary>
public readonly record struct ClassBenchHeader(uint Src, uint Dst, ushort SrcPort, ushort DstPort, byte Proto);

/// <summary>
/// ClassBench filter sets (db_generator output) as pf rules, for measuring and checking the classifier at scale.
/// Filter i becomes rule @i, <c>quick</c> (ClassBench's first match), pass for even i and block for odd i, so the
/// deciding rule, not only the action, shows whether two evaluators agree.
/// </summary>
public static class ClassBench
{
    /// <summary>Reads a filter set ("@sa/len\tda/len\tlo : hi\tlo : hi\tproto/mask\tflags/mask\t") as a configuration.</summary>
    public static PfConfig LoadRules(string path, int limit = int.MaxValue)
    {
        var config = new PfConfig(Dialect.OpenBsd);
        int n = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (n >= limit) break;
            if (line.Length == 0 || line[0] != '@') continue;
            var f = line[1..].Split('\t');
            var (sp, dp) = (Ports(f[2]), Ports(f[3]));
            var protoParts = f[4].Split('/');
            byte proto = Convert.ToByte(protoParts[1], 16) == 0 ? (byte)0 : Convert.ToByte(protoParts[0], 16);
            var r = new Rule
            {
                Number = n, Action = n % 2 == 0 ? RuleAction.Pass : RuleAction.Block, Return = n % 2 == 0 ? BlockReturn.None : BlockReturn.Drop,
                Quick = true, Af = Af.Inet, Proto = proto,
                From = new Endpoint(Prefix(f[0]), sp), To = new Endpoint(Prefix(f[1]), dp),
                File = path, Line = n + 1,
            };
            r.Text = $"{(n % 2 == 0 ? "pass" : "block drop")} quick inet{(proto == 0 ? "" : $" proto {proto}")} from {f[0]} port {f[2].Replace(" ", "")} to {f[1]} port {f[3].Replace(" ", "")}";
            config.Main.Filter.Add(r);
            n++;
        }
        return config;
    }

    /// <summary>Reads a trace ("src\tdst\tsport\tdport\tproto\tflags\tfilter").</summary>
    public static List<ClassBenchHeader> LoadTrace(string path, int limit = int.MaxValue)
    {
        var list = new List<ClassBenchHeader>();
        foreach (var line in File.ReadLines(path))
        {
            if (list.Count >= limit) break;
            var f = line.Split('\t');
            if (f.Length < 5) continue;
            list.Add(new ClassBenchHeader(uint.Parse(f[0], CultureInfo.InvariantCulture), uint.Parse(f[1], CultureInfo.InvariantCulture),
                ushort.Parse(f[2], CultureInfo.InvariantCulture), ushort.Parse(f[3], CultureInfo.InvariantCulture), byte.Parse(f[4], CultureInfo.InvariantCulture)));
        }
        return list;
    }

    /// <summary>The headers as IPv4 packets: TCP/UDP with their ports, other protocols bare (pf reads no ports there).</summary>
    public static byte[] ToPacket(in ClassBenchHeader h)
    {
        bool ports = h.Proto is IpProto.Tcp or IpProto.Udp;
        var b = new byte[20 + (h.Proto == IpProto.Tcp ? 20 : ports ? 8 : 8)];
        b[0] = 0x45;
        b[2] = (byte)(b.Length >> 8);
        b[3] = (byte)b.Length;
        b[8] = 64;
        b[9] = h.Proto;
        WriteU32(b, 12, h.Src);
        WriteU32(b, 16, h.Dst);
        if (ports)
        {
            b[20] = (byte)(h.SrcPort >> 8); b[21] = (byte)h.SrcPort;
            b[22] = (byte)(h.DstPort >> 8); b[23] = (byte)h.DstPort;
            if (h.Proto == IpProto.Tcp) { b[32] = 0x50; b[33] = (byte)TcpFlags.Syn; b[34] = 0xFF; b[35] = 0xFF; }
            else { b[24] = 0; b[25] = 8; }
        }
        return b;
    }

    private static void WriteU32(byte[] b, int at, uint v)
    {
        b[at] = (byte)(v >> 24); b[at + 1] = (byte)(v >> 16); b[at + 2] = (byte)(v >> 8); b[at + 3] = (byte)v;
    }

    private static AddressMatch Prefix(string text)
    {
        var p = text.Split('/');
        int len = int.Parse(p[1], CultureInfo.InvariantCulture);
        return len == 0 ? AddressMatch.AnyAddress : AddressMatch.Net(Address.Parse(p[0]), len);
    }

    private static PortMatch Ports(string text)
    {
        var p = text.Split(':', StringSplitOptions.TrimEntries);
        uint lo = uint.Parse(p[0], CultureInfo.InvariantCulture), hi = uint.Parse(p[1], CultureInfo.InvariantCulture);
        if (lo == 0 && hi == 65535) return PortMatch.Any;
        return lo == hi ? PortMatch.Equal(lo) : new PortMatch(PortOp.Range, lo, hi);
    }
}
