using PfSim.Engine;
using PfSim.Packets;

namespace PfSim.Bench;

/// <summary>
/// Measures the managed memory a state costs in the table: the heap's growth while the benchmark's 1M IPv4 TCP states
/// (not translated, floating) are made and inserted, minus the benchmark's own key array. That counts every state
/// object, the table's buckets and anything else the states hold; it is then split into the state object and the buckets.
/// </summary>
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
        double perState = (after - before - keyArray) / (double)n;
        Console.WriteLine($"{n} states: {perState:0.0} bytes per state (table of {table.Count}; heap growth minus the benchmark's key array)");
        var (used, capacity) = table.Entries;
        Console.WriteLine($"  state object: {ObjectSize():0} bytes; table buckets: {table.BucketBytes / (double)n:0.0} bytes per state " +
                          $"({table.BucketBytes / 1048576.0:0.0} MiB, {used} of {capacity} entries used, {100.0 * used / capacity:0.0}%)");
        Console.WriteLine("  buckets are 64 bytes for 7 entries, at most 7/8 used and grown by half: 10.4 to 15.7 bytes per untranslated state at any size");
        GC.KeepAlive(table);
        GC.KeepAlive(keys);
    }

    /// <summary>Bytes one IPv4 state allocates, keys set as <see cref="StateLookupBench.Fill"/> sets them.</summary>
    private static double ObjectSize()
    {
        const int count = 10_000;
        var key = StateKey.ForPacket(Direction.In, Address.V4(0x0A000001), 1024, Address.V4(0xC6336401), 443, IpProto.Tcp);
        var keep = new State[count];
        long start = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < count; i++) keep[i] = new State { Wire = key, Stack = key, Direction = Direction.In, CreatedOn = "em0" };
        long end = GC.GetAllocatedBytesForCurrentThread();
        GC.KeepAlive(keep);
        return (end - start) / (double)count;
    }
}
