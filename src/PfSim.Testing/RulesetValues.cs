using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Testing;

/// <summary>
/// The values a ruleset talks about, where behaviour can change: each network's first and last address,
/// one inside and the neighbours just outside; table entries (negated ones too); every port operand and
/// its neighbours; protocols, ICMP types and interfaces. Generators draw from these half of the time.
/// </summary>
public sealed class RulesetValues
{
    public IReadOnlyList<Address> Addresses { get; }
    public IReadOnlyList<int> Ports { get; }
    public IReadOnlyList<int> Protocols { get; }
    public IReadOnlyList<int> IcmpTypes { get; }
    public IReadOnlyList<string> Interfaces { get; }

    public RulesetValues(PfConfig config)
    {
        var addrs = new List<Address>();
        var ports = new List<int> { 22, 25, 53, 80, 123, 443, 1024, 3389, 33434, 49152, 65535 };
        var protos = new List<int> { 6, 17, 1 };
        var types = new List<int> { 8, 0, 3, 11 };
        var ifs = new List<string>();
        foreach (var t in AllTables(config))
            foreach (var e in t.Entries) AddNetwork(addrs, e.Address, e.Prefix);
        foreach (var site in RulesetWalk.AllSites(config.Main))
        {
            var r = site.Rule;
            if (r.Interface is { } n && n != "any") ifs.Add(n);
            if (r.Proto != 0) protos.Add(r.Proto);
            if (r.IcmpType != 0) types.Add(r.IcmpType - 1);
            foreach (var ep in new[] { r.From, r.To })
            {
                AddAddress(addrs, ep.Address, site.Ruleset);
                AddPorts(ports, ep.Port);
            }
        }
        foreach (var itf in config.Host.Interfaces)
            foreach (var a in itf.Addresses) AddNetwork(addrs, a.Address, a.Prefix);
        Addresses = addrs.Distinct().ToList();
        Ports = ports.Where(p => p is >= 0 and <= 65535).Distinct().ToList();
        Protocols = protos.Distinct().ToList();
        IcmpTypes = types.Where(t => t is >= 0 and <= 255).Distinct().ToList();
        Interfaces = ifs.Distinct().ToList();
    }

    private static IEnumerable<Table> AllTables(PfConfig config)
    {
        var seen = new HashSet<Table>(ReferenceEqualityComparer.Instance);
        foreach (var t in config.Main.Tables.Values) if (seen.Add(t)) yield return t;
        foreach (var site in RulesetWalk.AllSites(config.Main))
            foreach (var t in site.Ruleset.Tables.Values) if (seen.Add(t)) yield return t;
    }

    private static void AddAddress(List<Address> addrs, AddressMatch m, Ruleset rs)
    {
        switch (m.Kind)
        {
            case AddressKind.Network: AddNetwork(addrs, m.Address, m.Prefix); break;
            case AddressKind.Range:
                addrs.Add(m.Address); addrs.Add(m.RangeEnd); addrs.Add(m.Address.Decrement()); addrs.Add(m.RangeEnd.Increment());
                break;
            case AddressKind.Table when (m.Table ?? rs.FindTable(m.Name ?? "")) is { } t:
                foreach (var e in t.Entries) AddNetwork(addrs, e.Address, e.Prefix);
                break;
        }
    }

    /// <summary>First, second and last address of the network, and the addresses just outside it.</summary>
    private static void AddNetwork(List<Address> addrs, Address a, int prefix)
    {
        var first = a.Mask(prefix);
        var last = a.Last(prefix);
        addrs.Add(first);
        addrs.Add(last);
        if (first != last) addrs.Add(first.Increment());
        if (prefix > 0) { addrs.Add(first.Decrement()); addrs.Add(last.Increment()); }
    }

    private static void AddPorts(List<int> ports, PortMatch p)
    {
        if (p.IsAny) return;
        foreach (var v in new[] { (int)p.Lo, (int)p.Hi })
        {
            ports.Add(v);
            ports.Add(v - 1);
            ports.Add(v + 1);
        }
    }
}
