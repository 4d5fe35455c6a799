using PfSim;
using PfSim.Compile;
using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Bench;

/// <summary>Where the benchmark inputs are: the shipped seed rulesets and the peer material (../shared/peer).</summary>
internal static class BenchData
{
    /// <summary>The realistic ruleset (34 rules once loaded: the largest peer ruleset the front end loads without site files) from the peer collection.</summary>
    public const string Realistic = "rulesets/thirdparty/Misfit-138__OpenBSD-FiOS-and-IPv6-Demystified__pf.conf";

    public static string Root { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PfSim.sln"))) return d.FullName;
        return Environment.CurrentDirectory;
    }

    public static string Peer(string relative)
    {
        foreach (var dir in new[] { Path.Combine(Root, "..", "shared", "peer"), Path.Combine(Root, "..", "..", "shared", "peer"), "/work/shared/peer" })
            if (Directory.Exists(dir)) return Path.GetFullPath(Path.Combine(dir, relative));
        throw new DirectoryNotFoundException("../shared/peer not found (ClassBench sets and rulesets are read from there)");
    }

    public static string ClassBench(string name) => Peer(Path.Combine("classbench", name));

    public static PfConfig LoadRuleset(string name)
    {
        string path = name == "seed-D" ? Path.Combine(Root, "captures", "labs", "seed", "D.conf") : Peer(Realistic);
        var r = PfConfLoader.LoadFile(path, new LoadOptions());
        if (!r.Success) throw new InvalidOperationException($"{path}: {string.Join("; ", r.Errors)}");
        return r.Config!;
    }
}

/// <summary>
/// The "first packets/blocked mix" aimed at a ruleset's own rules: per rule, one packet from its addresses (UDP, ICMP echo
/// or a TCP SYN), each repeated. Packets whose rule passes them with state hit it on repeat; the others (a blocked
/// packet, a SYN repeated) go through the rules every time. For stateful traffic see <see cref="FlowTrace"/>.
/// </summary>
internal sealed class MixedTrace
{
    public byte[][] Packets = [];
    public int[] Interfaces = [];
    public Direction[] Directions = [];
    private string[] _ifNames = [];

    public static MixedTrace For(PfConfig config, int count)
    {
        var flows = new List<(byte[] Packet, string If, Direction Dir)>();
        var rules = RuleFlattener.Flatten(config.Main).Select(f => f.Rule).Where(r => r.Anchor is null).ToList();
        string defaultIf = config.Host.Interfaces.FirstOrDefault(i => i.Name != "lo0")?.Name ?? "em0";
        int n = 0;
        foreach (var r in rules)
        {
            var src = Pick(r.From.Address, r.Af, 1 + n);
            var dst = Pick(r.To.Address, r.Af, 100 + n);
            if (src.Family != dst.Family) dst = src.Family == Af.Inet ? Address.V4(0x0A000064u + (uint)n) : Address.Parse("2001:db8::64");
            var itf = r.Interface is null or "any" || r.InterfaceNot ? defaultIf : r.Interface;
            var dir = r.Direction == Direction.Out ? Direction.Out : Direction.In;
            ushort dport = r.To.Port.IsAny ? (ushort)53 : (ushort)Math.Min(65535u, r.To.Port.Lo);
            PacketSpec spec = (r.Proto, n % 3) switch
            {
                (IpProto.Tcp, _) or (0, 2) => new PacketSpec { Src = src, Dst = dst, Proto = IpProto.Tcp, SrcPort = (ushort)(20000 + n), DstPort = dport, Flags = TcpFlags.Syn, Seq = 1000 },
                (IpProto.Icmp, _) or (IpProto.Icmp6, _) or (0, 1) => new PacketSpec { Src = src, Dst = dst, Proto = src.IsV4 ? IpProto.Icmp : IpProto.Icmp6, IcmpType = (byte)(src.IsV4 ? 8 : 128), IcmpId = (ushort)n },
                _ => new PacketSpec { Src = src, Dst = dst, Proto = IpProto.Udp, SrcPort = (ushort)(30000 + n), DstPort = dport, PayloadLength = 32 },
            };
            flows.Add((PacketBuilder.Build(spec), itf, dir));
            n++;
        }
        // Each flow's packet repeated: the first makes (or not) a state, the repeats hit it.
        var t = new MixedTrace();
        var rnd = new Random(42);
        var list = new List<(byte[], string, Direction)>();
        while (list.Count < count) list.Add(flows[rnd.Next(flows.Count)]);
        t.Packets = [.. list.Select(x => x.Item1)];
        t._ifNames = [.. list.Select(x => x.Item2)];
        t.Directions = [.. list.Select(x => x.Item3)];
        return t;
    }

    /// <summary>Resolves the interface names once for this firewall (ids are per firewall).</summary>
    public void Bind(Firewall fw) => Interfaces = [.. _ifNames.Select(fw.InterfaceId)];

    private static Address Pick(AddressMatch m, Af af, int salt)
    {
        if (!m.Not && m.Kind is AddressKind.Network or AddressKind.Range)
        {
            if (m.Address.Family != Af.Inet || m.Kind != AddressKind.Network || m.Prefix >= 31) return m.Address;
            uint hosts = (uint)Math.Min(200L, (1L << (32 - m.Prefix)) - 2);
            return Address.V4(m.Address.V4Value + (uint)salt % hosts + 1);
        }
        if (!m.Not && m.Kind == AddressKind.Table && m.Table is { Entries.Count: > 0 } t) return t.Entries[salt % t.Entries.Count].Address;
        return af == Af.Inet6 ? Address.Parse("2001:db8::" + (salt % 200 + 1).ToString("x")) : Address.V4(0xC0A80000u + (uint)(salt % 250) + 1);
    }
}
