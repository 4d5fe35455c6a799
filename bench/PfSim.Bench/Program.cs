using BenchmarkDotNet.Running;

// Run all benchmarks: dotnet run -c Release --project bench/PfSim.Bench -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

public partial class Program;
