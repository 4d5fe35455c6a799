using PfSim.Compile;
using PfSim.Packets;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Bench;

/// <summary>
/// The machines the stateful traces run on. The realistic ruleset is an edge router's (egress, a LAN on ix0, nat-to on
/// egress): without interfaces its egress rules match nothing, so it is loaded on a router with em0 in egress (public
/// addresses, default route) and ix0 on the LAN. Seed D runs on the seed scenario's server (192.168.50.1/16 on bfe0).
/// PFSIM_FLOW_NAT_EM0=1 loads the realistic ruleset with <c>nat-to (em0:0)</c> for <c>nat-to (egress:0)</c>: the engine
/// does not yet translate to a group's dynamic address (the packet is blocked, reason translate, so those flows are dropped);
/// with the knob the translated flows can be measured meanwhile.
/// </summary>
internal static class FlowHosts
{
    private const string SeedD = """
        interfaces:
          - name: lo0
            addresses: [127.0.0.1/8, ::1/128]
            groups: [lo]
          - name: bfe0
            addresses: [192.168.50.1/16]
        """;

    private const string Router = """
        interfaces:
          - name: lo0
            addresses: [127.0.0.1/8, ::1/128]
            groups: [lo]
          - name: em0
            addresses: [81.2.69.10/24, 2a01:4f8:c0c:1::2/64]
            groups: [egress]
          - name: ix0
            addresses: [10.0.0.1/24, 2a01:4f8:c0c:100::1/64]
        routes:
          - to: default
            interface: em0
            via: 81.2.69.1
          - to: default6
            interface: em0
            via: 2a01:4f8:c0c:1::1
        """;

    /// <summary>The ruleset loaded on its machine.</summary>
    public static PfConfig Load(string ruleset)
    {
        var (host, errors) = HostModelLoader.LoadText(ruleset == "seed-D" ? SeedD : Router, ruleset + "-host.yaml");
        if (host is null || errors.Count > 0) throw new InvalidOperationException(string.Join("; ", errors));
        string path = ruleset == "seed-D" ? Path.Combine(BenchData.Root, "captures", "labs", "seed", "D.conf") : BenchData.Peer(BenchData.Realistic);
        var text = File.ReadAllText(path);
        if (Environment.GetEnvironmentVariable("PFSIM_FLOW_NAT_EM0") == "1") text = text.Replace("nat-to (egress:0)", "nat-to (em0:0)");
        var r = PfConfLoader.LoadText(text, path, new LoadOptions { Host = host });
        if (!r.Success) throw new InvalidOperationException($"{path}: {string.Join("; ", r.Errors)}");
        return r.Config!;
    }
}

/// <summary>
/// Flows a ruleset passes with state, drawn from its pass rules: per rule, direction, family and protocol, a template
/// that makes flows from the rule's addresses, ports and interface. Criteria written as <c>any</c> take what such traffic
/// is on the machine: a LAN client on an inbound interface that is not the default route's, the interface's own address
/// for traffic the firewall sends, public servers beyond the default route. Inbound traffic to a non-local address is
/// forwarded: its packets cross pf twice (in on the interface, out on the route's).
/// </summary>
internal sealed class FlowTemplate
{
    public required Rule Rule { get; init; }
    public required Leg[] Legs { get; init; }
    public required Af Af { get; init; }
    public required byte Proto { get; init; }
    private Func<int, (Address Src, Address Dst)?> _addresses = null!;
    private ushort[] _dstPorts = [];
    private ushort _srcPort;

    public string Origin => $"@{Rule.Number} {Rule.Text}";

    /// <summary>Flow <paramref name="k"/> of this template; <paramref name="unique"/> gives fresh ports and echo ids.</summary>
    public Flow? Make(FlowKind kind, int k, int unique, Random rnd)
    {
        if (_addresses(k) is not var (src, dst)) return null;
        ushort sport = _srcPort != 0 ? _srcPort : (ushort)(10000 + unique % 55000);
        if (Proto is IpProto.Icmp or IpProto.Icmp6)
            return Flow.Echo(Proto, Legs, new Ends(src, (ushort)unique, dst, (ushort)unique), Origin);
        var ends = new Ends(src, sport, dst, _dstPorts[k % _dstPorts.Length]);
        return Proto == IpProto.Tcp ? Flow.Tcp(kind, Legs, ends, Origin, rnd) : Flow.Udp(kind, Legs, ends, Origin, rnd);
    }

    public static List<FlowTemplate> From(PfConfig config)
    {
        var host = new HostView(config.Host);
        var list = new List<FlowTemplate>();
        foreach (var f in RuleFlattener.Flatten(config.Main))
        {
            var r = f.Rule;
            // Flows need a state from a plain keep-state rule: modulate/synproxy rewrite sequence numbers the trace cannot follow.
            if (r.Anchor is not null || r.Action != RuleAction.Pass || r.State != StateMode.Keep) continue;
            if (r.From.Address.Kind is AddressKind.NoRoute or AddressKind.UrpfFailed or AddressKind.RouteLabel
                || r.To.Address.Kind is AddressKind.NoRoute or AddressKind.UrpfFailed or AddressKind.RouteLabel) continue;
            foreach (var dir in r.Direction is Direction.InOut or Direction.Fwd ? [Direction.In, Direction.Out] : new[] { r.Direction })
            {
                string? itf = host.InterfaceFor(r, dir);
                if (itf is null) continue;
                foreach (var af in r.Af != Af.Any ? [r.Af] : new[] { Af.Inet, Af.Inet6 })
                    foreach (byte proto in r.Proto != 0 ? [r.Proto] : new[] { IpProto.Tcp, IpProto.Udp, af == Af.Inet ? IpProto.Icmp : IpProto.Icmp6 })
                        if (Make(host, r, itf, dir, af, proto) is { } t) list.Add(t);
            }
        }
        return list;
    }

    private static FlowTemplate? Make(HostView host, Rule r, string itf, Direction dir, Af af, byte proto)
    {
        if (proto is not (IpProto.Tcp or IpProto.Udp or IpProto.Icmp or IpProto.Icmp6)) return null;
        if ((proto == IpProto.Icmp && af != Af.Inet) || (proto == IpProto.Icmp6 && af != Af.Inet6)) return null;
        // ICMP flows are pings: the rule must pass echo requests (or any type).
        if (proto is IpProto.Icmp or IpProto.Icmp6 && r.IcmpType != 0 && r.IcmpType - 1 != (af == Af.Inet ? 8 : 128)) return null;
        if (r.From.Address.Family is not Af.Any && r.From.Address.Family != af || r.To.Address.Family is not Af.Any && r.To.Address.Family != af) return null;

        bool lan = dir == Direction.In && host.DefaultRoute(af) is { } gw && gw != itf && host.Own(itf, af) is not null;
        Address? Src(int k) => host.Pick(r.From.Address, af, k, dir == Direction.In ? (lan ? host.InNetwork(itf, af, k) : HostView.External(af, k)) : host.Own(itf, af) ?? HostView.External(af, k + 7000));
        Address? Dst(int k) => host.Pick(r.To.Address, af, k, dir == Direction.In && !lan ? host.Own(itf, af) ?? HostView.External(af, k) : HostView.External(af, k + 3000));
        // The legs: inbound traffic to an address of another network is forwarded out of the interface routing it.
        Address? probeDst = Dst(0);
        if (probeDst is null || Src(0) is null || HostView.IsMulticast(probeDst.Value)) return null;
        var legs = new List<Leg> { new(itf, dir) };
        if (dir == Direction.In && !host.IsLocal(probeDst.Value) && host.RouteFor(probeDst.Value) is { } outIf && outIf != itf) legs.Add(new(outIf, Direction.Out));

        ushort[] dports = r.To.Port.IsAny ? proto == IpProto.Tcp ? [443, 80, 443, 22, 993] : [53, 123, 443] : [Port(r.To.Port)];
        ushort sport = r.From.Port.IsAny ? (ushort)0 : Port(r.From.Port);
        if (dports[0] == 0 || (!r.From.Port.IsAny && sport == 0)) return null;
        return new FlowTemplate
        {
            Rule = r, Legs = [.. legs], Af = af, Proto = proto, _dstPorts = dports, _srcPort = sport,
            _addresses = k => Src(k) is { } s && Dst(k) is { } d ? (s, d == s ? HostView.External(af, k + 5000) : d) : null,
        };
    }

    /// <summary>A port the criterion matches: its operand, or next to it for exclusive operators.</summary>
    private static ushort Port(PortMatch p)
    {
        foreach (uint c in new[] { p.Lo, p.Lo + 1, p.Hi, p.Hi - 1, p.Lo - 1, 1024u, 40000u })
            if (c is > 0 and <= 65535 && p.Matches(c)) return (ushort)c;
        return 0;
    }
}

/// <summary>What the trace needs of the host model: own addresses, networks, routes.</summary>
internal sealed class HostView(HostModel host)
{
    private IEnumerable<HostInterface> Real => host.Interfaces.Where(i => !i.Groups.Contains("lo"));

    public static Address External(Af af, int k) => af == Af.Inet
        ? Address.V4(93, 184, (byte)(k / 250 % 250), (byte)(k % 250 + 1))            // public servers and clients
        : new Address(Af.Inet6, 0x2a00_1450_4001_0800UL, (ulong)k + 1);

    public static bool IsMulticast(Address a) => a.IsV4 ? a.V4Value >> 28 == 0xE : a.Hi >> 56 == 0xFF;

    public Address? Own(string itf, Af af) => host.FindInterface(itf)?.Addresses.FirstOrDefault(a => a.Address.Family == af)?.Address;

    public Address InNetwork(string itf, Af af, int k)
    {
        var a = host.FindInterface(itf)!.Addresses.First(x => x.Address.Family == af);
        return HostIn(a.Address, a.Prefix, k, a.Address);
    }

    public bool IsLocal(Address a) => host.Interfaces.Any(i => i.Addresses.Any(x => x.Address == a));

    public string? DefaultRoute(Af af) =>
        host.Routes.FirstOrDefault(r => r.Prefix == 0 && r.Destination.Family == af)?.Interface
        ?? host.InterfacesIn("egress").FirstOrDefault()?.Name;

    public string? RouteFor(Address a) =>
        Real.FirstOrDefault(i => i.Addresses.Any(x => x.Address.Family == a.Family && a.InNetwork(x.Network, x.Prefix)))?.Name ?? DefaultRoute(a.Family);

    /// <summary>The interface a rule's flows cross: the one it names (the first member of a group), or for a rule on any
    /// interface the LAN side inbound and the default route outbound.</summary>
    public string? InterfaceFor(Rule r, Direction dir)
    {
        var real = Real.ToList();
        if (r.Interface is null or "any")
        {
            var gw = DefaultRoute(Af.Inet);
            return dir == Direction.Out ? gw ?? real.FirstOrDefault()?.Name ?? "em0" : real.FirstOrDefault(i => i.Name != gw)?.Name ?? gw ?? "em0";
        }
        if (r.InterfaceNot) return real.FirstOrDefault(i => !host.InterfaceMatches(i.Name, r.Interface))?.Name;
        if (real.FirstOrDefault(i => host.InterfaceMatches(i.Name, r.Interface)) is { } m) return m.Name;
        // An interface the host model does not list is still an interface when it has a unit number; a group is not.
        return char.IsAsciiDigit(r.Interface[^1]) ? r.Interface : null;
    }

    /// <summary>An address the criterion matches, the <paramref name="k"/>-th where it allows many; <paramref name="any"/> for <c>any</c>
    /// and negations (which the flow check then proves or drops); null when it cannot give one.</summary>
    public Address? Pick(AddressMatch m, Af af, int k, Address any)
    {
        if (m.Not) return any;
        switch (m.Kind)
        {
            case AddressKind.Any: return any;
            case AddressKind.Network: return HostIn(m.Address, m.Prefix, k, null);
            case AddressKind.Range:
                return m.Address.IsV4 ? Address.V4(m.Address.V4Value + (uint)Math.Min(k, (long)m.RangeEnd.V4Value - m.Address.V4Value)) : m.Address;
            case AddressKind.Table when m.Table is { } t:
                var entries = t.Entries.Where(e => !e.Not && e.Address.Family == af).ToList();
                return entries.Count == 0 ? null : HostIn(entries[k % entries.Count].Address, entries[k % entries.Count].Prefix, k / entries.Count, null);
            case AddressKind.Dynamic when m.Name is { } name:
                var itf = host.InterfacesIn(name).FirstOrDefault(i => i.Addresses.Any(a => a.Address.Family == af));
                var addr = itf?.Addresses.First(a => a.Address.Family == af);
                if (addr is null) return null;
                return (m.Modifiers & InterfaceModifier.Network) != 0 ? HostIn(addr.Address, addr.Prefix, k, addr.Address) : addr.Address;
            default: return null;
        }
    }

    /// <summary>The <paramref name="k"/>-th host of a network (not its network address, broadcast or <paramref name="avoid"/>).</summary>
    private static Address HostIn(Address net, int prefix, int k, Address? avoid)
    {
        if (prefix >= net.Bits - 1) return net;
        Address a;
        if (net.IsV4)
        {
            uint hosts = (uint)Math.Min(250L, (1L << (32 - prefix)) - 2);
            a = Address.V4(net.Mask(prefix).V4Value + 1 + (uint)(k + 10) % hosts);
        }
        else a = new Address(Af.Inet6, net.Mask(prefix).Hi, net.Mask(prefix).Lo + 0x10 + (ulong)k);
        return a == avoid ? (a.IsV4 ? Address.V4(a.V4Value + 1) : new Address(Af.Inet6, a.Hi, a.Lo + 1)) : a;
    }
}
