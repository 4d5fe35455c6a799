using BenchmarkDotNet.Attributes;
using PfSim;
using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Bench;

/// <summary>
/// Verdicts per second on the seed scenario's final ruleset D: packets that hit states, packets the ruleset decides
/// without creating state (default pass, ICMP errors), and new flows that create states.
/// </summary>
[MemoryDiagnoser]
public class EngineVerdictBench
{
    private const int Flows = 512;
    private Firewall _fw = null!;
    private int _ifId;
    private byte[][] _replies = null!;
    private byte[][] _ruleDecided = null!;
    private byte[][] _newFlows = null!;
    private double _time;

    internal static PfConfig SeedD()
    {
        var path = Path.Combine(RepoRoot(), "captures", "labs", "seed", "D.conf");
        var r = PfConfLoader.LoadFile(path, new LoadOptions());
        return r.Config ?? throw new InvalidOperationException(string.Join("\n", r.Errors));
    }

    internal static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PfSim.sln"))) return d.FullName;
        throw new InvalidOperationException("PfSim.sln not found above " + AppContext.BaseDirectory);
    }

    [GlobalSetup]
    public void Setup()
    {
        _fw = new Firewall(SeedD());
        _ifId = _fw.InterfaceId("bfe0");
        var server = Address.Parse("192.168.50.1");
        _replies = new byte[Flows][];
        _ruleDecided = new byte[Flows][];
        _newFlows = new byte[Flows][];
        for (int i = 0; i < Flows; i++)
        {
            var client = Address.V4(0xC0A82800u | (uint)(i % 250 + 1)); // 192.168.40.x
            var req = new PacketSpec { Src = client, Dst = server, Proto = IpProto.Icmp, IcmpType = 8, IcmpId = (ushort)i };
            _fw.Test(PacketBuilder.Build(req), _ifId, Direction.In, 0);
            _replies[i] = PacketBuilder.Build(req with { Src = server, Dst = client, IcmpType = 0 });
            // Alternately: a UDP probe passed by the default rule, and a port unreachable to 192.168.100.x blocked by @1.
            var probe = new PacketSpec { Src = client, Dst = server, Proto = IpProto.Udp, SrcPort = (ushort)(40000 + i), DstPort = 33434 };
            _ruleDecided[i] = i % 2 == 0
                ? PacketBuilder.Build(probe)
                : PacketBuilder.IcmpError(server, Address.V4(0xC0A86400u | (uint)(i % 250 + 1)), 3, 3, probe with { Src = Address.V4(0xC0A86400u | (uint)(i % 250 + 1)) });
            _newFlows[i] = PacketBuilder.Build(req with { IcmpId = (ushort)(10000 + i) });
        }
    }

    /// <summary>Echo replies matching existing ICMP states (no ruleset evaluation).</summary>
    [Benchmark(OperationsPerInvoke = Flows)]
    public int StateHits()
    {
        int passed = 0;
        for (int i = 0; i < _replies.Length; i++)
            if (_fw.Test(_replies[i], _ifId, Direction.Out, 1).Passed) passed++;
        return passed;
    }

    /// <summary>Packets the ruleset decides without creating state: UDP probes (default pass) and ICMP errors (blocked).</summary>
    [Benchmark(OperationsPerInvoke = Flows)]
    public int RulesetDecided()
    {
        int passed = 0;
        for (int i = 0; i < _ruleDecided.Length; i++)
            if (_fw.Test(_ruleDecided[i], i % 2 == 0 ? _ifId : _ifId, i % 2 == 0 ? Direction.In : Direction.Out, 1).Passed) passed++;
        return passed;
    }

    /// <summary>A mix: half state hits, a quarter default-pass probes, a quarter blocked errors.</summary>
    [Benchmark(OperationsPerInvoke = 2 * Flows)]
    public int Mixed()
    {
        int passed = 0;
        for (int i = 0; i < Flows; i++)
        {
            if (_fw.Test(_replies[i], _ifId, Direction.Out, 1).Passed) passed++;
            if (_fw.Test(_ruleDecided[i], _ifId, i % 2 == 0 ? Direction.In : Direction.Out, 1).Passed) passed++;
        }
        return passed;
    }

    /// <summary>New echo flows creating states; time advances past icmp.first so the purge keeps the table small.</summary>
    [Benchmark(OperationsPerInvoke = Flows)]
    public int NewFlows()
    {
        _time += 31;
        int created = 0;
        for (int i = 0; i < _newFlows.Length; i++)
            if (_fw.Test(_newFlows[i], _ifId, Direction.In, _time).StateUse == StateUse.New) created++;
        return created;
    }
}

/// <summary>
/// State lookups with a million states in the table: <see cref="Find"/> repeats 4096 random keys (their states stay in the
/// CPU caches, as a firewall's busy flows do); <see cref="FindAcrossTable"/> visits every state once in random order, so
/// nearly every lookup goes to memory.
/// </summary>
[MemoryDiagnoser]
public class StateLookupBench
{
    public const int StateCount = 1_000_000;
    private const int Lookups = 4096;
    private StateTable _table = null!;
    private StateKey[] _keys = null!;
    private StateKey[] _shuffled = null!;

    internal static StateTable Fill(int n, out StateKey[] keys)
    {
        var t = new StateTable();
        keys = new StateKey[n];
        var server = Address.Parse("198.51.100.1");
        for (int i = 0; i < n; i++)
        {
            var client = Address.V4(0x0A000000u | (uint)(i >> 6));
            var key = StateKey.ForPacket(Direction.In, client, (ushort)(1024 + (i & 63)), server, 443, IpProto.Tcp);
            keys[i] = key;
            t.Insert(new State { Wire = key, Stack = key, Direction = Direction.In });
        }
        return t;
    }

    [GlobalSetup]
    public void Setup()
    {
        _table = Fill(StateCount, out var all);
        var rng = new Random(42);
        _keys = new StateKey[Lookups];
        for (int i = 0; i < Lookups; i++) _keys[i] = all[rng.Next(all.Length)];
        _shuffled = (StateKey[])all.Clone();
        rng.Shuffle(_shuffled);
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int Find()
    {
        int found = 0;
        for (int i = 0; i < _keys.Length; i++)
            if (_table.Find(_keys[i], Direction.In, 0) is not null) found++;
        return found;
    }

    [Benchmark(OperationsPerInvoke = StateCount)]
    public int FindAcrossTable()
    {
        int found = 0;
        for (int i = 0; i < _shuffled.Length; i++)
            if (_table.Find(_shuffled[i], Direction.In, 0) is not null) found++;
        return found;
    }
}
