using BenchmarkDotNet.Attributes;
using PfSim.Captures;
using PfSim.Engine;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Bench;

/// <summary>
/// The full replay of the 1M-packet seed-shaped capture through ruleset D (captures/labs/seed/D.conf) with state
/// tracking and the summary output, as <c>pfsim replay -f D.conf --if bfe0 --local 192.168.50.1 --summary</c> does.
/// Per packet (OperationsPerInvoke). Compare with bench/replay-vs-tcpdump.sh, which times tcpdump on the same file.
/// Run: dotnet run -c Release --project bench/PfSim.Bench -- --filter '*ReplayBench*' --job short
/// </summary>
[MemoryDiagnoser]
public class ReplayBench
{
    private string _path = "";
    private PfConfig _config = null!;

    [GlobalSetup]
    public void Setup()
    {
        _path = CaptureBenchData.Ensure(CaptureBench.Packets);
        var d = Path.Combine(RepoRoot(), "captures", "labs", "seed", "D.conf");
        var loaded = PfConfLoader.LoadFile(d, new LoadOptions());
        _config = loaded.Config ?? throw new InvalidOperationException(string.Join("\n", loaded.Errors));
    }

    [Benchmark(OperationsPerInvoke = CaptureBench.Packets)]
    public long FullReplayThroughD()
    {
        var fw = new Firewall(_config);
        var replayer = new Replayer(fw, new ReplayOptions
        {
            Interface = "bfe0",
            Local = [(Address.Parse(CaptureBenchData.Server), 32)],
        });
        using (var reader = CaptureReader.Open(_path)) replayer.Run(reader);
        ReplayReport.WriteRuleSummary(TextWriter.Null, fw);
        ReplayReport.WriteTotals(TextWriter.Null, fw, replayer.Stats);
        return replayer.Stats.Passed;
    }

    private static string RepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PfSim.sln"))) return d.FullName;
        return Directory.GetCurrentDirectory();
    }
}

/// <summary>A quick, single-shot timing of the three stages (not BenchmarkDotNet): <c>PfSim.Bench quick-capture-timing [FILE]</c>.</summary>
public static class CaptureQuickTiming
{
    public static void Run(string? file)
    {
        var read = new CaptureBench();
        var replay = new ReplayBench();
        read.Setup();
        replay.Setup();
        Time("reader alone", () => read.ReaderAlone());
        Time("reader + decode", () => read.ReaderAndDecode());
        Time("full replay through D", () => replay.FullReplayThroughD());
    }

    private static void Time(string name, Func<long> f)
    {
        f();  // warm up (tiered JIT)
        long best = long.MaxValue, alloc = 0;
        for (int i = 0; i < 3; i++)
        {
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            f();
            sw.Stop();
            alloc = GC.GetAllocatedBytesForCurrentThread() - a0;
            best = Math.Min(best, sw.ElapsedTicks);
        }
        double ns = best * 1e9 / System.Diagnostics.Stopwatch.Frequency / CaptureBench.Packets;
        Console.WriteLine($"{name,-24} {ns,8:F1} ns/packet  {(double)alloc / CaptureBench.Packets,8:F2} B/packet allocated");
    }
}
