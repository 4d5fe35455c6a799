using PfSim.Rules;

namespace PfSim.Analysis;

/// <summary>An inclusive interval of addresses of one family, as numbers.</summary>
public readonly record struct AddressInterval(int Af, UInt128 Lo, UInt128 Hi)
{
    public static AddressInterval Network(in Address a, int prefix) =>
        new(a.IsV4 ? 4 : 6, HeaderPoint.ToNumber(a.Mask(prefix)), HeaderPoint.ToNumber(a.Last(prefix)));
}

/// <summary>
/// The addresses an address criterion matches, as intervals per family: networks, ranges, tables
/// (pfr_match_addr: the most specific entry decides, negated entries exclude), dynamic interface
/// addresses resolved against the host model.
/// </summary>
internal static class AddressSets
{
    /// <summary>The positive set of a criterion (before its <c>!</c>), or null when header fields cannot decide it (no-route, urpf-failed, route labels).</summary>
    public static List<AddressInterval>? Positive(AddressMatch m, HostModel host, Ruleset? ruleset)
    {
        switch (m.Kind)
        {
            case AddressKind.Any:
                return [new(4, 0, HeaderSpace.V4Max), new(6, 0, UInt128.MaxValue)];
            case AddressKind.Network:
                // A /0 network matches every address of both families, as PF_MATCHA with an all-zero mask does.
                return m.Prefix == 0 ? [new(4, 0, HeaderSpace.V4Max), new(6, 0, UInt128.MaxValue)] : [AddressInterval.Network(m.Address, m.Prefix)];
            case AddressKind.Range:
                return m.RangeEnd < m.Address ? [] : [new(m.Address.IsV4 ? 4 : 6, HeaderPoint.ToNumber(m.Address), HeaderPoint.ToNumber(m.RangeEnd))];
            case AddressKind.Table:
                var t = m.Table ?? (m.Name is null ? null : ruleset?.FindTable(m.Name));
                return t is null ? [] : Table(t);
            case AddressKind.Dynamic:
                return Dynamic(m, host);
            default:
                return null;
        }
    }

    /// <summary>Addresses a table matches: each entry contributes its network minus the more specific entries inside it, when it is not negated.</summary>
    public static List<AddressInterval> Table(Table t)
    {
        var entries = t.Entries.Select(e => (Net: AddressInterval.Network(e.Address, e.Prefix), e.Prefix, e.Not))
            // One network written twice: pfr_add_addrs keeps the first entry and refuses the other (duplicate or conflict).
            .GroupBy(e => e.Net).Select(g => g.First()).ToList();
        var result = new List<AddressInterval>();
        foreach (var e in entries)
        {
            if (e.Not) continue;
            var parts = new List<AddressInterval> { e.Net };
            foreach (var f in entries)
            {
                if (f.Prefix <= e.Prefix || f.Net.Af != e.Net.Af || f.Net.Lo < e.Net.Lo || f.Net.Hi > e.Net.Hi) continue;
                parts = SubtractOne(parts, f.Net);
            }
            result.AddRange(parts);
        }
        return result;
    }

    private static List<AddressInterval>? Dynamic(AddressMatch m, HostModel host)
    {
        var itfs = m.Name == "self" ? host.Interfaces : host.InterfacesIn(m.Name ?? "").ToList();
        var result = new List<AddressInterval>();
        foreach (var itf in itfs)
        {
            var addrs = itf.Addresses;
            if (m.Modifiers.HasFlag(InterfaceModifier.NoAlias))
                addrs = addrs.GroupBy(a => a.Address.Family).Select(g => g.First()).ToList();
            foreach (var a in addrs)
            {
                if (m.Modifiers.HasFlag(InterfaceModifier.Network)) result.Add(AddressInterval.Network(a.Address, a.Prefix));
                else if (m.Modifiers.HasFlag(InterfaceModifier.Broadcast)) { var b = a.Broadcast ?? a.Address.Last(a.Prefix); result.Add(AddressInterval.Network(b, b.Bits)); }
                else if (m.Modifiers.HasFlag(InterfaceModifier.Peer)) { if (a.Peer is { } p) result.Add(AddressInterval.Network(p, p.Bits)); }
                else result.Add(AddressInterval.Network(a.Address, a.Address.Bits));
            }
        }
        return result;
    }

    /// <summary>Intervals minus one interval (same family only).</summary>
    public static List<AddressInterval> SubtractOne(List<AddressInterval> set, AddressInterval cut)
    {
        var r = new List<AddressInterval>();
        foreach (var x in set)
        {
            if (x.Af != cut.Af || x.Hi < cut.Lo || x.Lo > cut.Hi) { r.Add(x); continue; }
            if (x.Lo < cut.Lo) r.Add(x with { Hi = cut.Lo - 1 });
            if (x.Hi > cut.Hi) r.Add(x with { Lo = cut.Hi + 1 });
        }
        return r;
    }

    /// <summary>Sorted, merged, disjoint.</summary>
    public static List<AddressInterval> Normalize(IEnumerable<AddressInterval> set)
    {
        var r = new List<AddressInterval>();
        foreach (var x in set.OrderBy(i => i.Af).ThenBy(i => i.Lo))
        {
            if (r.Count > 0 && r[^1].Af == x.Af && (r[^1].Hi == UInt128.MaxValue || r[^1].Hi + 1 >= x.Lo))
            {
                if (x.Hi > r[^1].Hi) r[^1] = r[^1] with { Hi = x.Hi };
            }
            else r.Add(x);
        }
        return r;
    }

    /// <summary>Every address of both families not in the set.</summary>
    public static List<AddressInterval> Complement(List<AddressInterval> set)
    {
        var r = new List<AddressInterval> { new(4, 0, HeaderSpace.V4Max), new(6, 0, UInt128.MaxValue) };
        foreach (var x in Normalize(set)) r = SubtractOne(r, x);
        return r;
    }
}
