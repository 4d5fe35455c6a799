using PfSim.Engine;

namespace PfSim.Bench;

/// <summary>Measures the managed memory a state costs in the table (object, key entries, list slot).</summary>
public static class StateMemory
{
    public static void Print()
    {
        const int n = StateLookupBench.StateCount;
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        long before = GC.GetTotalMemory(true);
        var table = StateLookupBench.Fill(n, out var keys);
        long after = GC.GetTotalMemory(true);
        long keyArray = (long)keys.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<StateKey>();
        Console.WriteLine($"{n} states: {(after - before - keyArray) / (double)n:0.0} bytes per state (table of {table.Count}; key array of the benchmark excluded)");
        GC.KeepAlive(table);
        GC.KeepAlive(keys);
    }
}
