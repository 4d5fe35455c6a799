using BenchmarkDotNet.Running;

// Run all benchmarks: dotnet run -c Release --project bench/PfSim.Bench -- --filter '*'
// Bytes per state: dotnet run -c Release --project bench/PfSim.Bench -- state-memory
if (args.Length > 0 && args[0] == "state-memory")
{
    PfSim.Bench.StateMemory.Print();
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
