using PfSim.Rules;

namespace PfSim.Compile;

/// <summary>An address criterion resolved for fast testing: networks as masks, tables as hashed prefixes, the rest kept as is.</summary>
internal readonly struct CompiledAddress
{
    public readonly AddressKind Kind;
    public readonly bool Not;
    public readonly Af Family;
    /// <summary>Network (masked) and mask halves, or the range ends.</summary>
    public readonly ulong Hi, Lo, MaskHi, MaskLo;
    public readonly Address RangeStart, RangeEnd;
    public readonly PrefixTable? Table;
    /// <summary>The criterion itself, for kinds tested through the shared helpers (dynamic addresses).</summary>
    public readonly AddressMatch Source;

    public CompiledAddress(AddressMatch m, Ruleset rs, Func<Table, PrefixTable> compileTable)
    {
        Source = m;
        Kind = m.Kind;
        Not = m.Not;
        Family = m.Address.Family;
        if (m.Kind == AddressKind.Network)
        {
            if (m.Prefix == 0) Kind = AddressKind.Any; // the reference matches every address (any family) for /0
            else
            {
                var mask = Address.Netmask(m.Address.Family, m.Prefix);
                MaskHi = mask.Hi;
                MaskLo = mask.Lo;
                Hi = m.Address.Hi & MaskHi;
                Lo = m.Address.Lo & MaskLo;
            }
        }
        else if (m.Kind == AddressKind.Range)
        {
            RangeStart = m.Address;
            RangeEnd = m.RangeEnd;
        }
        else if (m.Kind == AddressKind.Table)
        {
            var t = m.Table ?? (m.Name is null ? null : rs.FindTable(m.Name));
            Table = t is null ? null : compileTable(t);
        }
    }

    /// <summary>True for criteria that need nothing but the packet's address (no host model).</summary>
    public bool IsStatic => Kind is AddressKind.Any or AddressKind.Network or AddressKind.Range or AddressKind.Table
        or AddressKind.RouteLabel;
}

/// <summary>
/// pfr_match_addr over a table, by hashing: one set of masked networks per prefix length, probed longest first.
/// The first entry of a given network wins, as in the reference's scan (which keeps the first of equal prefixes).
/// </summary>
public sealed class PrefixTable
{
    private readonly Table _table;
    private (int Prefix, Dictionary<(ulong, ulong), bool> Nets)[] _v4 = [], _v6 = [];
    private int _built = -1;

    public PrefixTable(Table t)
    {
        _table = t;
        Rebuild();
    }

    // Tables change at run time (overload tables gain addresses): rebuild when the entry count moved.
    private void Rebuild()
    {
        _v4 = Build(_table, Af.Inet);
        _v6 = Build(_table, Af.Inet6);
        _built = _table.Entries.Count;
    }

    private static (int, Dictionary<(ulong, ulong), bool>)[] Build(Table t, Af af)
    {
        var byLen = new SortedDictionary<int, Dictionary<(ulong, ulong), bool>>(Comparer<int>.Create((a, b) => b.CompareTo(a)));
        foreach (var e in t.Entries)
        {
            if (e.Address.Family != af) continue;
            // The reference tests prefixes above 0 strictly longer than the best so far; a /0 entry is a network of length 0.
            int len = Math.Clamp(e.Prefix, 0, e.Address.Bits);
            if (!byLen.TryGetValue(len, out var d)) byLen[len] = d = new Dictionary<(ulong, ulong), bool>();
            var net = e.Address.Mask(len);
            d.TryAdd((net.Hi, net.Lo), e.Not);
        }
        return byLen.Select(kv => (kv.Key, kv.Value)).ToArray();
    }

    public bool Contains(in Address a)
    {
        if (_table.Entries.Count != _built) Rebuild();
        var levels = a.Family == Af.Inet ? _v4 : a.Family == Af.Inet6 ? _v6 : [];
        for (int i = 0; i < levels.Length; i++)
        {
            var (len, nets) = levels[i];
            var m = a.Mask(len);
            if (nets.TryGetValue((m.Hi, m.Lo), out bool not)) return !not;
        }
        return false;
    }
}
