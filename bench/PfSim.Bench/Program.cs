using BenchmarkDotNet.Running;

// Run all benchmarks: dotnet run -c Release --project bench/PfSim.Bench -- --filter '*'
// Bytes per state: dotnet run -c Release --project bench/PfSim.Bench -- state-memory
if (args.Length > 0 && args[0] == "state-memory")
{
    PfSim.Bench.StateMemory.Print();
    return;
}
// Make the replay benchmark's capture: dotnet run -c Release --project bench/PfSim.Bench -- make-capture FILE [PACKETS]
if (args.Length >= 2 && args[0] == "make-capture")
{
    PfSim.Bench.CaptureBenchData.Write(args[1], args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
    return;
}
if (args.Length >= 1 && args[0] == "quick-capture-timing")
{
    PfSim.Bench.CaptureQuickTiming.Run(args.Length > 1 ? args[1] : null);
    return;
}
// A workload in a loop for perf: dotnet run -c Release --project bench/PfSim.Bench -- profile WORKLOAD [SECONDS]
if (args.Length >= 2 && args[0] == "profile")
{
    PfSim.Bench.ProfileLoop.Run(args[1], args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 10);
    return;
}
// The evaluator comparison table: dotnet run -c Release --project bench/PfSim.Bench -- compare [--quick]
if (args.Length > 0 && args[0] == "compare")
{
    PfSim.Bench.CompileCompare.Run(args[1..]);
    return;
}
// What the stateful flow trace of a ruleset holds, and why candidate flows were dropped:
// dotnet run -c Release --project bench/PfSim.Bench -- flows [seed-D|realistic] [--details]
if (args.Length >= 1 && args[0] == "flows")
{
    PfSim.Bench.CompileCompare.DescribeFlows(args.Length > 1 && !args[1].StartsWith("--") ? [args[1]] : ["seed-D", "realistic"], args.Contains("--details"));
    return;
}
// diff and lint on ClassBench rule sets, timed once: dotnet run -c Release --project bench/PfSim.Bench -- analysis-timing [SET…]
if (args.Length >= 1 && args[0] == "analysis-timing")
{
    PfSim.Bench.ClassBenchRulesets.Time(args.Length > 1 ? args[1..] : ["acl1_1K", "fw1_1K", "ipc1_1K"]);
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
