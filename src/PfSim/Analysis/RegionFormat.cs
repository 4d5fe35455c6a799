using System.Text;

namespace PfSim.Analysis;

/// <summary>Writes boxes and witness packets the way pf.conf and <c>pfsim eval</c> scripts write them.</summary>
public static class RegionFormat
{
    private const string FlagLetters = "FSRPAUEW";

    public static string ProtoName(int p) => p switch
    {
        1 => "icmp", 6 => "tcp", 17 => "udp", 58 => "icmp6", _ => p.ToString(),
    };

    public static string Flags(int f)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < 8; i++) if ((f & (1 << i)) != 0) sb.Append(FlagLetters[i]);
        return sb.Length == 0 ? "none" : sb.ToString();
    }

    /// <summary>A box as pf.conf criteria: "in on bge0 inet proto icmp from 192.168.100.0/24 to any icmp-type 8 code 0".</summary>
    public static string Box(Box b, HeaderSpace space)
    {
        var parts = new List<string>();
        var dir = b.Set(Analysis.Box.Dir);
        if (dir.Count == 1) parts.Add(dir.Contains(1) ? "in" : "out");
        var ifs = b.Set(Analysis.Box.Iface);
        if (ifs != space.AllInterfaces)
        {
            var names = ifs.Values().Select(i => space.Interfaces[i]).ToList();
            parts.Add(names.Count == 1 ? $"on {names[0]}" : $"on {{ {string.Join(' ', names)} }}");
        }
        var af = b.Set(Analysis.Box.Af);
        int fam = af.Contains(4) ? 4 : 6;
        if (af.Count == 1) parts.Add(fam == 4 ? "inet" : "inet6");
        var protos = b.Set(Analysis.Box.Proto);
        if (protos.Count == 1) parts.Add($"proto {ProtoName(protos.Min)}");
        else if (protos.Count <= 8) parts.Add($"proto {{ {string.Join(' ', protos.Values().Select(ProtoName))} }}");
        else if (protos.Count < 256) parts.Add($"proto {{ {protos.Format()} }}");
        parts.Add("from " + Addresses(b.Lo(Analysis.Box.Src), b.Hi(Analysis.Box.Src), fam));
        if (PortsShown(b, Analysis.Box.Sport, out var sp)) parts.Add(sp);
        parts.Add("to " + Addresses(b.Lo(Analysis.Box.Dst), b.Hi(Analysis.Box.Dst), fam));
        if (PortsShown(b, Analysis.Box.Dport, out var dp)) parts.Add(dp);
        bool tcp = protos.Contains(6);
        var flags = b.Set(Analysis.Box.Flags);
        if (tcp && flags.Count < 256) parts.Add("flags " + FlagSet(flags));
        bool icmp = protos.Contains(1) || protos.Contains(58);
        var types = b.Set(Analysis.Box.IcmpType);
        var codes = b.Set(Analysis.Box.IcmpCode);
        string kw = protos.Contains(58) && !protos.Contains(1) ? "icmp6-type" : "icmp-type";
        if (icmp && types.Count < 256) parts.Add($"{kw} {Set(types)}");
        if (icmp && codes.Count < 256) parts.Add($"code {Set(codes)}");
        return string.Join(' ', parts);
    }

    private static string Set(ByteSet s) => s.Count == 1 ? s.Min.ToString() : $"{{ {s.Format()} }}";

    private static bool PortsShown(Box b, int field, out string text)
    {
        text = "";
        var protos = b.Set(Analysis.Box.Proto);
        if (!protos.Contains(6) && !protos.Contains(17)) return false;
        var lo = b.Lo(field); var hi = b.Hi(field);
        if (lo == 0 && hi == 65535) return false;
        text = lo == hi ? $"port {lo}" : $"port {lo}:{hi}";
        return true;
    }

    /// <summary>"any", "10.0.0.0/8", "{ 10.0.0.0/8 11.0.0.0/16 }" or "a - b" for ranges needing many networks.</summary>
    public static string Addresses(UInt128 lo, UInt128 hi, int af)
    {
        UInt128 max = af == 4 ? HeaderSpace.V4Max : UInt128.MaxValue;
        if (lo == 0 && hi == max) return "any";
        var nets = Networks(lo, hi, af);
        if (nets.Count == 1) return nets[0];
        if (nets.Count <= 3) return $"{{ {string.Join(' ', nets)} }}";
        return $"{HeaderPoint.ToAddress(af, lo)} - {HeaderPoint.ToAddress(af, hi)}";
    }

    /// <summary>The fewest CIDR networks that cover exactly lo..hi.</summary>
    public static List<string> Networks(UInt128 lo, UInt128 hi, int af)
    {
        int bits = af == 4 ? 32 : 128;
        var r = new List<string>();
        var cur = lo;
        while (true)
        {
            int size = 0; // log2 of the block
            while (size < bits)
            {
                if (size + 1 >= 128)
                {
                    if (cur == 0 && hi == UInt128.MaxValue) size = 128;
                    break;
                }
                UInt128 block = UInt128.One << (size + 1);
                if ((cur & (block - 1)) != 0) break;
                UInt128 last = cur + (block - 1);
                if (last < cur || last > hi) break;
                size++;
            }
            var addr = HeaderPoint.ToAddress(af, cur);
            r.Add(size == 0 ? addr.ToString() : $"{addr}/{bits - size}");
            if (r.Count > 8) return r;
            if (size >= 128) break;
            UInt128 end = cur + ((UInt128.One << size) - 1);
            if (end >= hi || size == bits) break;
            cur = end + 1;
        }
        return r;
    }

    /// <summary>A flag set as "S/SA" when it is one value/mask pair, else the list of flag combinations.</summary>
    public static string FlagSet(ByteSet s)
    {
        int always = 0xFF, never = 0xFF;
        foreach (var v in s.Values()) { always &= v; never &= ~v; }
        int mask = (always | never) & 0xFF;
        if (s.Count == 1 << (8 - System.Numerics.BitOperations.PopCount((uint)mask)))
            return $"{(always == 0 ? "" : Flags(always))}/{Flags(mask)}";
        var vals = s.Values().Take(6).Select(Flags).ToList();
        return $"{{ {string.Join(' ', vals)}{(s.Count > 6 ? " …" : "")} }}";
    }

    /// <summary>A header as one line of a <c>pfsim eval</c> packet script.</summary>
    public static string Packet(in HeaderPoint p, HeaderSpace space)
    {
        var sb = new StringBuilder();
        sb.Append(p.Dir == 1 ? "in" : "out").Append(" on ").Append(space.Interfaces[p.Iface]);
        sb.Append(p.Af == 4 ? " inet" : " inet6").Append(" proto ").Append(ProtoName(p.Proto));
        sb.Append(" from ").Append(p.SrcAddress);
        if (p.Proto is 6 or 17) sb.Append(" port ").Append(p.Sport);
        sb.Append(" to ").Append(p.DstAddress);
        if (p.Proto is 6 or 17) sb.Append(" port ").Append(p.Dport);
        if (p.Proto == 6) sb.Append(" flags ").Append(Flags(p.Flags) == "none" ? "none" : Flags(p.Flags));
        if (p.Proto is 1 or 58) sb.Append(p.Proto == 1 ? " icmp-type " : " icmp6-type ").Append(p.IcmpType).Append(" code ").Append(p.IcmpCode);
        return sb.ToString();
    }
}
