using BenchmarkDotNet.Attributes;
using PfSim.Flows;
using PfSim.Rules;

namespace PfSim.Bench;

/// <summary>
/// The flow modeler at scale: 1,000 Linux UDP traceroutes through a 10-hop path (9 routers, then the server)
/// with pf on the middle router running a realistic ruleset (tables, lists, keep state, block return log).
/// One operation = 1,000 traceroutes; <see cref="Setup"/> prints the packets and pf evaluations of one
/// operation, so packets/s = packets / mean time.
/// Run: dotnet run -c Release --project bench/PfSim.Bench -- --filter '*LabBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class LabBenchmarks
{
    public const string Ruleset = """
        set skip on lo
        table <bogons> const { 0.0.0.0/8 127.0.0.0/8 169.254.0.0/16 192.0.2.0/24 224.0.0.0/3 }
        table <admins> { 10.0.0.0/24 10.0.1.0/24 }
        block return log all
        block in quick from <bogons>
        pass in inet proto tcp from <admins> to any port { 22 80 443 } flags S/SA keep state
        pass in inet proto icmp icmp-type { echoreq unreach timex } keep state
        pass in inet proto udp from 10.0.0.0/8 to any port 33434:33534 keep state
        pass out all keep state
        """;

    private const int Traceroutes = 1000;
    private Topology _topology = null!;
    private Node _client = null!, _server = null!, _pfRouter = null!;
    private PfConfig _config = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_topology, _client, _server, _pfRouter) = Chain(9);
        var loaded = PfSim.Syntax.PfConfLoader.LoadText(Ruleset, "bench.conf", new PfSim.Syntax.LoadOptions { Dialect = Dialect.OpenBsd, Host = _pfRouter.ToHostModel() });
        if (!loaded.Success) throw new InvalidOperationException(string.Join("\n", loaded.Errors));
        _config = loaded.Config!;
        var (packets, evaluations, reached) = RunAll();
        Console.WriteLine($"// one operation: {Traceroutes} traceroutes, {packets} packets, {evaluations} pf evaluations, {reached} reached the server");
    }

    [Benchmark]
    public long ThousandTraceroutesThroughTenHops() => RunAll().Packets;

    private (long Packets, long Evaluations, int Reached) RunAll()
    {
        var pf = new Dictionary<Node, IPacketFilter> { [_pfRouter] = new PfFilter(_config, explain: false) };
        long packets = 0, evaluations = 0;
        int reached = 0;
        for (int i = 0; i < Traceroutes; i++)
        {
            var sim = new Simulation(_topology, pf, recordTrace: false);
            var tool = ToolModel.Create(ToolKind.Traceroute, _client, _server.PrimaryAddress, new ToolOptions());
            tool.Start(sim, i * 10.0);
            sim.Run();
            packets += sim.Packets.Count;
            evaluations += sim.Evaluations;
            if (tool.Reached) reached++;
        }
        return (packets, evaluations, reached);
    }

    /// <summary>client — router1 … routerN — server on 10.0.i.0/24 links; pf on the middle router.</summary>
    internal static (Topology, Node Client, Node Server, Node PfRouter) Chain(int routers)
    {
        var topo = new Topology();
        var nodes = new List<Node> { new("client", OsModel.Linux, false) };
        for (int i = 1; i <= routers; i++) nodes.Add(new($"router{i}", OsModel.OpenBsd, true));
        nodes.Add(new("server", OsModel.Linux, false));
        topo.Nodes.AddRange(nodes);
        for (int i = 0; i + 1 < nodes.Count; i++)
        {
            var a = nodes[i].AddInterface($"em{i}", Address.V4(10, 0, (byte)i, 1), 24);
            var b = nodes[i + 1].AddInterface($"em{i + 1}", Address.V4(10, 0, (byte)i, 2), 24);
            topo.AddSegment($"net{i}", 0.0003, [a, b]);
        }
        var any = Address.Parse("0.0.0.0");
        nodes[0].Routes.Add(new StaticRoute(any, 0, Address.V4(10, 0, 0, 2)));
        nodes[^1].Routes.Add(new StaticRoute(any, 0, Address.V4(10, 0, (byte)(nodes.Count - 2), 1)));
        for (int i = 1; i + 1 < nodes.Count; i++)
        {
            for (int j = 0; j + 1 < nodes.Count; j++)
                if (j < i - 1) nodes[i].Routes.Add(new StaticRoute(Address.V4(10, 0, (byte)j, 0), 24, Address.V4(10, 0, (byte)(i - 1), 1)));
                else if (j > i) nodes[i].Routes.Add(new StaticRoute(Address.V4(10, 0, (byte)j, 0), 24, Address.V4(10, 0, (byte)i, 2)));
        }
        return (topo, nodes[0], nodes[^1], nodes[(routers + 1) / 2]);
    }
}
