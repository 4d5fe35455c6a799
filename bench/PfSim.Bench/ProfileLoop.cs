using System.Diagnostics;

namespace PfSim.Bench;

/// <summary>
/// Runs one benchmark body in a loop for a while, for a sampling profiler (not a measurement):
/// <c>DOTNET_PerfMapEnabled=1 perf record -g dotnet PfSim.Bench.dll profile WORKLOAD [SECONDS]</c>, then <c>perf report</c>.
/// Workloads: state-hits, rule-decided, mixed-D, mixed-realistic, flows-D, flows-realistic (the round's sequence advance
/// runs inside the loop), replay.
/// </summary>
internal static class ProfileLoop
{
    public static void Run(string workload, double seconds)
    {
        (Func<long> body, int packets) = workload switch
        {
            "state-hits" => (Engine(b => b.StateHits()), 512),
            "rule-decided" => (Engine(b => b.RulesetDecided()), 512),
            "mixed-D" => (Mixed("seed-D"), 2000),
            "mixed-realistic" => (Mixed("realistic"), 2000),
            "replay" => (Replay(), CaptureBench.Packets),
            "flows-D" => (Flows("seed-D"), FlowTrace.RoundPackets),
            "flows-realistic" => (Flows("realistic"), FlowTrace.RoundPackets),
            _ => throw new ArgumentException($"unknown workload {workload}: state-hits, rule-decided, mixed-D, mixed-realistic, flows-D, flows-realistic, replay"),
        };
        body(); // warm up
        var sw = Stopwatch.StartNew();
        long calls = 0, sink = 0, cpu0 = ThreadCpuNs();
        while (sw.Elapsed.TotalSeconds < seconds) { sink += Call(body); calls++; }
        long cpu = ThreadCpuNs() - cpu0;
        // On a shared, loaded machine the thread's CPU time is the steadier figure: wall time includes waiting for a core.
        Console.WriteLine($"{workload}: {calls} calls in {sw.Elapsed.TotalSeconds:F1} s, {sw.Elapsed.TotalNanoseconds / calls / packets:F1} ns/packet wall, " +
                          $"{(double)cpu / calls / packets:F1} ns/packet cpu ({sink})");
    }

    // Not inlined, so the profile shows the workload under its own name rather than inside this loop.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long Call(Func<long> body) => body();

    private static long ThreadCpuNs()
    {
        if (!OperatingSystem.IsLinux()) return 0;
        ClockGetTime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var ts);
        return ts.Sec * 1_000_000_000L + ts.Nsec;
    }

    private struct TimeSpec { public long Sec, Nsec; }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec ts);

    private static Func<long> Engine(Func<EngineVerdictBench, int> f)
    {
        var b = new EngineVerdictBench();
        b.Setup();
        return () => f(b);
    }

    private static Func<long> Mixed(string ruleset)
    {
        var b = new RealisticMixedTrace { Ruleset = ruleset };
        b.Setup();
        b.Compiled();
        Console.WriteLine($"{ruleset}: {b.Describe()}");
        return () => b.Compiled();
    }

    private static Func<long> Flows(string ruleset)
    {
        var b = new StatefulFlowTrace { Ruleset = ruleset };
        b.Setup(EvaluatorKind.Compiled);
        Console.WriteLine($"{ruleset}: {b.Describe()}");
        return () => { b.NextRound(); return b.Compiled(); };
    }

    private static Func<long> Replay()
    {
        var b = new ReplayBench();
        b.Setup();
        return b.FullReplayThroughD;
    }
}
