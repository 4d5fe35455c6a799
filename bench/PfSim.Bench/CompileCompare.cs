using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using PfSim.Compile;

namespace PfSim.Bench;

/// <summary>
/// <c>dotnet run -c Release --project bench/PfSim.Bench -- compare [--quick]</c>: runs the evaluator benchmarks as
/// short BenchmarkDotNet jobs and prints one table: ruleset, trace, rules, packets, ns/packet and verdicts/s for the reference walk,
/// pf's skip steps and the compiled evaluator, the speed-up, bytes allocated, then compile time and memory at 10K rules.
/// </summary>
internal static class CompileCompare
{
    /// <summary>One set, in its own frame so that nothing of the previous set is alive while this one is measured.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void MeasureCompile(string set)
    {
        var cfg = ClassBench.LoadRules(BenchData.ClassBench(set));
        new CompiledRuleset(cfg); // warm the JIT
        // Retained memory: the heap after a full collection with the compiled form alive, less the heap without it.
        long before = RetainedHeap();
        var compiled = new CompiledRuleset(cfg);
        long after = RetainedHeap();
        Console.WriteLine($"{set,-10} {compiled.RuleCount,7} rules: compiled in {compiled.CompileTime.TotalMilliseconds,7:0} ms, {(after - before) / 1048576.0,6:0.0} MiB retained ({compiled.MemoryBytes / 1048576.0:0.0} MiB counted by the compiled form)");
        Console.Write(compiled.Describe());
        GC.KeepAlive(compiled);
        GC.KeepAlive(cfg);
    }

    private static long RetainedHeap()
    {
        for (int i = 0; i < 3; i++) GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(true);
    }

    /// <summary>Prints what the stateful flow traces hold (the machines they run on: <see cref="FlowHosts"/>).</summary>
    public static void DescribeFlows(string[] rulesets, bool details)
    {
        foreach (var name in rulesets)
            foreach (var mix in new[] { "flows", "echo-replies" })
            {
                var b = new StatefulFlowTrace { Ruleset = name, Mix = mix };
                b.Setup(EvaluatorKind.Compiled);
                Console.WriteLine($"{name,-10} {(mix == "flows" ? "stateful flows" : "state hits (echo replies only, same flows)")}: {b.Describe()}");
                if (details && mix == "flows")
                    foreach (var line in b.Details()) Console.WriteLine("  " + line);
            }
    }

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        var job = (quick ? Job.Dry.WithIterationCount(3).WithWarmupCount(1) : Job.ShortRun)
            .WithToolchain(InProcessEmitToolchain.Instance);
        var config = ManualConfig.CreateMinimumViable().AddJob(job).WithOptions(ConfigOptions.DisableLogFile);
        var summaries = args.Contains("--compile-only") ? [] : BenchmarkRunner.Run([typeof(RealisticMixedTrace), typeof(StatefulFlowTrace), typeof(ClassBenchFirstPackets)], config);

        Console.WriteLine();
        Console.WriteLine("PfSim evaluators, whole packet path (Firewall.Test), one core; figures from a shared, loaded machine.");
        Console.WriteLine($"{"ruleset",-10} {"trace",-26} {"rules",6} {"packets",8} {"reference ns/pkt",17} {"skip-steps ns/pkt",18} {"compiled ns/pkt",16} {"compiled verdicts/s",20} {"speed-up",9} {"alloc B/pkt",11}");
        foreach (var s in summaries)
            foreach (var group in s.Reports.GroupBy(r => r.BenchmarkCase.Parameters.PrintInfo))
            {
                var first = group.First().BenchmarkCase;
                double Ns(string method) => group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method)?.ResultStatistics?.Mean ?? double.NaN;
                var compiled = group.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == "Compiled");
                string Param(string n) => first.Parameters.Items.FirstOrDefault(p => p.Name == n)?.Value as string ?? "";
                string kind = first.Descriptor.Type.Name;
                string name = Param(kind == nameof(ClassBenchFirstPackets) ? "Set" : "Ruleset");
                string trace = kind switch
                {
                    nameof(ClassBenchFirstPackets) => "first packets, no state",
                    nameof(RealisticMixedTrace) => "first packets/blocked mix",
                    _ => Param("Mix") == "flows" ? "stateful flows" : "state hits (echo replies)",
                };
                var cfg = kind switch
                {
                    nameof(ClassBenchFirstPackets) => ClassBench.LoadRules(BenchData.ClassBench(name)),
                    nameof(RealisticMixedTrace) => BenchData.LoadRuleset(name),
                    _ => FlowHosts.Load(name),
                };
                int rules = RuleFlattener.Flatten(cfg.Main).Count;
                int packets = first.Descriptor.OperationsPerInvoke;
                double r = Ns("Reference"), k = Ns("SkipSteps"), c = Ns("Compiled");
                double alloc = compiled is null ? double.NaN : (compiled.GcStats.GetBytesAllocatedPerOperation(compiled.BenchmarkCase) ?? 0);
                Console.WriteLine($"{name,-10} {trace,-26} {rules,6} {packets,8} {r,17:0.0} {k,18:0.0} {c,16:0.0} {1e9 / c,20:#,0} {r / c,8:0.0}x {alloc,11:0.##}");
            }

        Console.WriteLine();
        Console.WriteLine("What the seed-D/realistic traces are (the compiled firewall after the benchmark's warm-up):");
        foreach (var name in new[] { "seed-D", "realistic" })
        {
            var trace = new RealisticMixedTrace { Ruleset = name };
            trace.Setup();
            trace.Compiled();
            Console.WriteLine($"{name,-10} first packets/blocked mix (one packet per rule-derived flow, repeated): {trace.Describe()}");
        }
        DescribeFlows(["seed-D", "realistic"], details: false);

        Console.WriteLine();
        Console.WriteLine("Compile time and memory of the compiled form (EffiCuts-separated cut trees) at 10K rules:");
        foreach (var set in new[] { "acl1_10K", "fw1_10K", "ipc1_10K", "acl1_100K" }) MeasureCompile(set);
        return 0;
    }
}
