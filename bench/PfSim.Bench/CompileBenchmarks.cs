using BenchmarkDotNet.Attributes;
using PfSim;
using PfSim.Compile;
using PfSim.Engine;
using PfSim.Rules;

namespace PfSim.Bench;

/// <summary>The three evaluators a firewall can use, as the benchmarks name them.</summary>
public enum EvaluatorKind { Reference, SkipSteps, Compiled }

internal static class Evaluators
{
    public static Firewall Firewall(PfConfig config, EvaluatorKind kind) => new(config, kind switch
    {
        EvaluatorKind.Reference => new FirewallOptions { UseReferenceEvaluator = true },
        EvaluatorKind.SkipSteps => new FirewallOptions { EvaluatorFactory = (c, s, o) => new CompiledEvaluator(c, s, o, 1, ClassifierKind.SkipSteps) },
        _ => new FirewallOptions { EvaluatorFactory = (c, s, o) => new CompiledEvaluator(c, s, o, 1, ClassifierKind.CutTree) },
    });
}

/// <summary>
/// ClassBench filter sets through the whole packet path (bytes, decode, state lookup that misses, classifier, verdict):
/// first packets only, since the converted rules keep no state. Reference walk, pf's skip steps and the cut trees, side by side.
/// </summary>
[MemoryDiagnoser]
public class ClassBenchFirstPackets
{
    public const int Packets = 1000;
    private Firewall _reference = null!, _skip = null!, _compiled = null!;
    private byte[][] _trace = [];
    private int _if;

    [Params("acl1_1K", "fw1_1K", "ipc1_1K", "acl1_10K", "fw1_10K", "ipc1_10K", "acl1_100K")]
    public string Set { get; set; } = "acl1_1K";

    [GlobalSetup]
    public void Setup()
    {
        var config = ClassBench.LoadRules(BenchData.ClassBench(Set));
        _trace = [.. ClassBench.LoadTrace(BenchData.ClassBench(Set + "_trace"), Packets).Select(h => ClassBench.ToPacket(h))];
        _reference = Evaluators.Firewall(config, EvaluatorKind.Reference);
        _skip = Evaluators.Firewall(config, EvaluatorKind.SkipSteps);
        _compiled = Evaluators.Firewall(config, EvaluatorKind.Compiled);
        _if = _reference.InterfaceId("em0");
        _skip.InterfaceId("em0");
        _compiled.InterfaceId("em0");
    }

    private int Run(Firewall fw)
    {
        int passed = 0;
        var t = _trace;
        for (int i = 0; i < t.Length; i++)
            if (fw.Test(t[i], _if, Direction.In, 1.0).Action == RuleAction.Pass) passed++;
        return passed;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Packets)] public int Reference() => Run(_reference);
    [Benchmark(OperationsPerInvoke = Packets)] public int SkipSteps() => Run(_skip);
    [Benchmark(OperationsPerInvoke = Packets)] public int Compiled() => Run(_compiled);
}

/// <summary>
/// Seed ruleset D and a realistic ruleset with the "first packets/blocked mix" (<see cref="MixedTrace"/>): one packet per
/// rule-derived flow (a UDP datagram, an echo request or a TCP SYN), repeated. On the realistic ruleset most are blocked
/// first packets (168 of 2000 hit a state); the stateful traffic is <see cref="StatefulFlowTrace"/>.
/// </summary>
[MemoryDiagnoser]
public class RealisticMixedTrace
{
    private Firewall _reference = null!, _skip = null!, _compiled = null!;
    private MixedTrace _trace = null!;
    private double _time;

    [Params("seed-D", "realistic")]
    public string Ruleset { get; set; } = "seed-D";

    [GlobalSetup]
    public void Setup()
    {
        var config = BenchData.LoadRuleset(Ruleset);
        _trace = MixedTrace.For(config, 2000);
        _reference = Evaluators.Firewall(config, EvaluatorKind.Reference);
        _skip = Evaluators.Firewall(config, EvaluatorKind.SkipSteps);
        _compiled = Evaluators.Firewall(config, EvaluatorKind.Compiled);
        foreach (var fw in new[] { _reference, _skip, _compiled }) _trace.Bind(fw);
    }

    private int Run(Firewall fw)
    {
        int passed = 0;
        var t = _trace;
        for (int i = 0; i < t.Packets.Length; i++)
        {
            _time += 1e-6;
            if (fw.Test(t.Packets[i], t.Interfaces[i], t.Directions[i], _time).Action == RuleAction.Pass) passed++;
        }
        return passed;
    }

    /// <summary>What the trace's packets get from the compiled firewall (run after the warm-up): state hits, rule decisions, new states.</summary>
    public string Describe()
    {
        int hits = 0, rules = 0, created = 0, passed = 0;
        var t = _trace;
        for (int i = 0; i < t.Packets.Length; i++)
        {
            var v = _compiled.Test(t.Packets[i], t.Interfaces[i], t.Directions[i], _time);
            if (v.StateUse == StateUse.Match) hits++;
            else if (v.StateUse == StateUse.New) created++;
            else rules++;
            if (v.Passed) passed++;
        }
        return $"{t.Packets.Length} packets: {hits} state hits, {rules} decided by rules, {created} new states, {passed} passed";
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 2000)] public int Reference() => Run(_reference);
    [Benchmark(OperationsPerInvoke = 2000)] public int SkipSteps() => Run(_skip);
    [Benchmark(OperationsPerInvoke = 2000)] public int Compiled() => Run(_compiled);
}

/// <summary>Compiling a ClassBench set (flatten, skip steps, four cut trees).</summary>
[MemoryDiagnoser]
public class CompileTime
{
    private PfConfig _config = null!;

    [Params("acl1_10K", "fw1_10K", "ipc1_10K")]
    public string Set { get; set; } = "acl1_10K";

    [GlobalSetup]
    public void Setup() => _config = ClassBench.LoadRules(BenchData.ClassBench(Set));

    [Benchmark] public long Compile() => new CompiledRuleset(_config).MemoryBytes;
}
