using BenchmarkDotNet.Attributes;
using PfSim.Captures;

namespace PfSim.Bench;

/// <summary>
/// Reading the 1M-packet seed-shaped capture: the reader alone, and the reader with the link layer decoded down to
/// the IP packet. Figures are per packet (OperationsPerInvoke); Allocated should read 0 B.
/// Run: dotnet run -c Release --project bench/PfSim.Bench -- --filter '*CaptureBench*' --job short
/// </summary>
[MemoryDiagnoser]
public class CaptureBench
{
    public const int Packets = 1_000_000;
    private string _path = "";

    [GlobalSetup]
    public void Setup() => _path = CaptureBenchData.Ensure(Packets);

    [Benchmark(OperationsPerInvoke = Packets)]
    public long ReaderAlone()
    {
        long bytes = 0;
        using var r = CaptureReader.Open(_path);
        while (r.TryRead(out var p)) bytes += p.Data.Length;
        return bytes;
    }

    [Benchmark(OperationsPerInvoke = Packets)]
    public long ReaderAndDecode()
    {
        long sum = 0;
        using var r = CaptureReader.Open(_path);
        while (r.TryRead(out var p))
        {
            if (p.Decode(out var frame) == FrameStatus.Ip) sum += frame.Ip.Length + frame.Ip[9];
        }
        return sum;
    }
}
