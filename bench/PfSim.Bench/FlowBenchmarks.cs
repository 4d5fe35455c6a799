using BenchmarkDotNet.Attributes;
using PfSim.Engine;

namespace PfSim.Bench;

/// <summary>
/// Seed ruleset D and the realistic ruleset with stateful traffic (<see cref="FlowTrace"/>): the flows are opened in the
/// setup, then each invocation is one round of their established traffic (about 90% state hits, the rest packets the
/// ruleset decides without state), its sequence numbers advanced before the round (outside the measurement, hence one
/// invocation per iteration). Mix "echo-replies": the round holds only ICMP echo replies, pure state hits.
/// </summary>
[MemoryDiagnoser]
[InvocationCount(1)]
[WarmupCount(5)]
[IterationCount(20)]
public class StatefulFlowTrace
{
    private Firewall _fw = null!;
    private FlowTrace _trace = null!;
    private double _time;

    [Params("seed-D", "realistic")]
    public string Ruleset { get; set; } = "seed-D";

    [Params("flows", "echo-replies")]
    public string Mix { get; set; } = "flows";

    [GlobalSetup(Target = nameof(Reference))] public void SetupReference() => Setup(EvaluatorKind.Reference);
    [GlobalSetup(Target = nameof(SkipSteps))] public void SetupSkipSteps() => Setup(EvaluatorKind.SkipSteps);
    [GlobalSetup(Target = nameof(Compiled))] public void SetupCompiled() => Setup(EvaluatorKind.Compiled);

    /// <summary>Builds the trace and opens its flows on a firewall of <paramref name="kind"/> (opening and round 0).</summary>
    public void Setup(EvaluatorKind kind)
    {
        var config = FlowHosts.Load(Ruleset);
        _trace = FlowTrace.Build(config, echoRepliesOnly: Mix == "echo-replies");
        _fw = Evaluators.Firewall(config, kind);
        _trace.Bind(_fw);
        _trace.Open(_fw, ref _time);
    }

    /// <summary>The next round: sequence numbers advanced in place.</summary>
    [IterationSetup]
    public void NextRound() => _trace.Advance();

    private int Run()
    {
        int passed = 0;
        var fw = _fw;
        var packets = _trace.RoundBytes;
        var ifs = _trace.RoundIfs;
        var dirs = _trace.RoundDirs;
        for (int i = 0; i < packets.Length; i++)
        {
            _time += 1e-5; // 100k packets/s: a round is 0.4 s, far within every state's timeout
            fw.Test(packets[i], ifs[i], dirs[i], _time, out Verdict v);
            if (v.Action == Rules.RuleAction.Pass) passed++;
        }
        return passed;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FlowTrace.RoundPackets)] public int Reference() => Run();
    [Benchmark(OperationsPerInvoke = FlowTrace.RoundPackets)] public int SkipSteps() => Run();
    [Benchmark(OperationsPerInvoke = FlowTrace.RoundPackets)] public int Compiled() => Run();

    /// <summary>What the trace holds and what one more round's packets get from this (warmed-up) firewall.</summary>
    public string Describe()
    {
        NextRound();
        var verdicts = new List<Verdict>(FlowTrace.RoundPackets);
        for (int i = 0; i < _trace.RoundBytes.Length; i++)
        {
            _time += 1e-5;
            verdicts.Add(_fw.Test(_trace.RoundBytes[i], _trace.RoundIfs[i], _trace.RoundDirs[i], _time));
        }
        return _trace.Describe(verdicts, _fw.States.Count);
    }

    /// <summary>Why candidate flows were dropped, and packets that did otherwise interleaved than alone.</summary>
    public IEnumerable<string> Details() => _trace.Details();
}
