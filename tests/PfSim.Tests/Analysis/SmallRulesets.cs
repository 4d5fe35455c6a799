using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Tests.Analysis;

/// <summary>
/// Random small configurations over a tiny field space (two interfaces, 10.0.0.0/30, ports 0-3, a few
/// ICMP types), and every header that can tell their regions apart: each field's values, their
/// neighbours and the ends of the range. Enumerating those covers every box a region can have.
/// </summary>
public static class SmallRulesets
{
    public static readonly string[] Interfaces = ["em0", "em1"];

    public static PfConfig Random(int seed, Dialect dialect = Dialect.OpenBsd)
    {
        var rnd = new Random(seed);
        var config = new PfConfig(dialect);
        var t = new Table("t");
        for (int i = rnd.Next(0, 4); i > 0; i--)
            t.Entries.Add(new TableEntry(Address.V4(0x0A000000u + (uint)rnd.Next(0, 4)), rnd.Next(30, 33), rnd.Next(4) == 0));
        config.Main.Tables["t"] = t;
        if (rnd.Next(6) == 0) config.Options.Skip.Add("em1");
        int n = rnd.Next(1, 9);
        for (int i = 0; i < n; i++)
        {
            if (rnd.Next(10) == 0)
            {
                var anchor = config.Main.GetOrAddAnchor("a" + i);
                for (int k = rnd.Next(1, 4); k > 0; k--) Add(anchor, RandomRule(rnd, t, anchor));
                var call = RandomRule(rnd, t, config.Main) with
                {
                    Action = RuleAction.Pass, State = StateMode.None, Flags = 0, FlagsMask = 0,
                    Anchor = new AnchorCall { Name = "a" + i, Ruleset = anchor },
                };
                Add(config.Main, call);
            }
            else Add(config.Main, RandomRule(rnd, t, config.Main));
        }
        return config;
    }

    private static void Add(Ruleset rs, Rule r)
    {
        r.Number = rs.Filter.Count;
        r.Text = Describe(r);
        rs.Filter.Add(r);
    }

    private static Rule RandomRule(Random rnd, Table t, Ruleset rs)
    {
        byte proto = new byte[] { 0, 6, 17, 1, 6 }[rnd.Next(5)];
        var action = rnd.Next(8) == 0 ? RuleAction.Match : rnd.Next(2) == 0 ? RuleAction.Pass : RuleAction.Block;
        var state = action == RuleAction.Pass && rnd.Next(2) == 0 ? StateMode.Keep : StateMode.None;
        var r = new Rule
        {
            Action = action,
            Quick = rnd.Next(3) == 0,
            Direction = (Direction)rnd.Next(0, 3),
            Interface = rnd.Next(3) switch { 0 => null, 1 => "em0", _ => "em1" },
            Af = rnd.Next(4) == 0 ? Af.Inet : Af.Any,
            Proto = proto,
            State = state,
            StateOptions = rnd.Next(4) == 0 ? new StateOptions { Sloppy = true } : StateOptions.Default,
            From = new Endpoint(RandomAddress(rnd, t), proto is 6 or 17 ? RandomPort(rnd) : PortMatch.Any),
            To = new Endpoint(RandomAddress(rnd, t), proto is 6 or 17 ? RandomPort(rnd) : PortMatch.Any),
        };
        if (r.Interface is not null && rnd.Next(4) == 0) r = r with { InterfaceNot = true };
        if (proto == 6 && rnd.Next(2) == 0) r = r with { Flags = 0x02, FlagsMask = 0x12 };
        if (proto == 1 && rnd.Next(2) == 0)
            r = r with { IcmpType = (byte)(new[] { 0, 3, 8 }[rnd.Next(3)] + 1), IcmpCode = (byte)(rnd.Next(2) == 0 ? 0 : rnd.Next(0, 2) + 1) };
        return r;
    }

    private static AddressMatch RandomAddress(Random rnd, Table t) => rnd.Next(5) switch
    {
        0 or 1 => AddressMatch.AnyAddress,
        2 => AddressMatch.Net(Address.V4(0x0A000000u + (uint)rnd.Next(0, 4)), rnd.Next(30, 33)) with { Not = rnd.Next(4) == 0 },
        3 => new AddressMatch { Kind = AddressKind.Table, Name = "t", Table = t, Not = rnd.Next(3) == 0 },
        _ => new AddressMatch { Kind = AddressKind.Range, Address = Address.V4(0x0A000001), RangeEnd = Address.V4(0x0A000000u + (uint)rnd.Next(1, 4)) },
    };

    private static PortMatch RandomPort(Random rnd)
    {
        if (rnd.Next(2) == 0) return PortMatch.Any;
        var op = (PortOp)rnd.Next(1, 10);
        uint a = (uint)rnd.Next(0, 4), b = (uint)rnd.Next(0, 4);
        if (a > b) (a, b) = (b, a);
        return new PortMatch(op, a, op is PortOp.InsideExclusive or PortOp.Outside or PortOp.Range ? b : a);
    }

    /// <summary>A readable line for failure messages (pf.conf-like, not canonical).</summary>
    public static string Describe(Rule r)
    {
        var parts = new List<string> { r.Anchor is not null ? $"anchor \"{r.Anchor.Name}\"" : r.Action.ToString().ToLowerInvariant() };
        if (r.Direction != Direction.InOut) parts.Add(r.Direction.ToString().ToLowerInvariant());
        if (r.Quick) parts.Add("quick");
        if (r.Interface is not null) parts.Add($"on {(r.InterfaceNot ? "! " : "")}{r.Interface}");
        if (r.Af != Af.Any) parts.Add("inet");
        if (r.Proto != 0) parts.Add($"proto {RegionFormat.ProtoName(r.Proto)}");
        parts.Add($"from {Addr(r.From.Address)}{Port(r.From.Port)} to {Addr(r.To.Address)}{Port(r.To.Port)}");
        if (r.FlagsMask != 0) parts.Add("flags S/SA");
        if (r.IcmpType != 0) parts.Add($"icmp-type {r.IcmpType - 1}" + (r.IcmpCode != 0 ? $" code {r.IcmpCode - 1}" : ""));
        if (r.State != StateMode.None) parts.Add(r.StateOptions.Sloppy ? "keep state (sloppy)" : "keep state");
        else if (r.Action == RuleAction.Pass) parts.Add("no state");
        return string.Join(' ', parts);
    }

    private static string Addr(AddressMatch m) => (m.Not ? "! " : "") + m.Kind switch
    {
        AddressKind.Any => "any",
        AddressKind.Network => $"{m.Address}/{m.Prefix}",
        AddressKind.Range => $"{m.Address} - {m.RangeEnd}",
        _ => $"<{m.Name}>",
    };

    private static string Port(PortMatch p) => p.Op switch
    {
        PortOp.None => "",
        PortOp.Range => $" port {p.Lo}:{p.Hi}",
        PortOp.InsideExclusive => $" port {p.Lo} >< {p.Hi}",
        PortOp.Outside => $" port {p.Lo} <> {p.Hi}",
        _ => $" port {p.Op} {p.Lo}",
    };

    public static string Text(PfConfig c)
    {
        var lines = new List<string>();
        if (c.Options.Skip.Count > 0) lines.Add("set skip on " + string.Join(' ', c.Options.Skip));
        foreach (var t in c.Main.Tables.Values)
            lines.Add($"table <{t.Name}> {{ {string.Join(", ", t.Entries.Select(e => (e.Not ? "!" : "") + e.Address + "/" + e.Prefix))} }}");
        foreach (var s in RulesetWalk.AllSites(c.Main)) lines.Add($"{s.Name}: {s.Rule.Text}");
        return string.Join('\n', lines);
    }

    /// <summary>Every header whose fields are the ones these rulesets can tell apart.</summary>
    public static IEnumerable<HeaderPoint> Points(HeaderSpace space)
    {
        var addrs = new UInt128[] { 0x09FFFFFF, 0x0A000000, 0x0A000001, 0x0A000002, 0x0A000003, 0x0A000004 };
        var ports = new[] { 0, 1, 2, 3, 4 };
        var flags = new[] { 0x00, 0x02, 0x12, 0x10 };
        for (int i = 0; i < space.Interfaces.Count; i++)
            foreach (int dir in new[] { 1, 2 })
            {
                foreach (var s in addrs)
                    foreach (var d in addrs)
                    {
                        foreach (int sp in ports)
                            foreach (int dp in ports)
                            {
                                foreach (int f in flags) yield return new HeaderPoint(i, dir, 4, 6, s, d, sp, dp, f, 0, 0);
                                yield return new HeaderPoint(i, dir, 4, 17, s, d, sp, dp, 0, 0, 0);
                            }
                        foreach (int type in new[] { 0, 3, 8, 9, 13, 129 })
                            foreach (int code in new[] { 0, 1, 2 })
                                yield return new HeaderPoint(i, dir, 4, 1, s, d, 0, 0, 0, type, code);
                        yield return new HeaderPoint(i, dir, 4, 47, s, d, 0, 0, 0, 0, 0);
                        yield return new HeaderPoint(i, dir, 4, 58, s, d, 0, 0, 0, 0, 0);
                    }
                // IPv6: v4-only criteria cannot tell v6 addresses apart, so one address stands for all.
                foreach (int sp in ports)
                    foreach (int dp in ports)
                    {
                        foreach (int f in flags) yield return new HeaderPoint(i, dir, 6, 6, 1, 1, sp, dp, f, 0, 0);
                        yield return new HeaderPoint(i, dir, 6, 17, 1, 1, sp, dp, 0, 0, 0);
                    }
                foreach (int type in new[] { 0, 1, 3, 8, 9, 128, 129 })
                    foreach (int code in new[] { 0, 1, 2 })
                        yield return new HeaderPoint(i, dir, 6, 58, 1, 1, 0, 0, 0, type, code);
                // ICMP of the wrong family: pf decodes no ICMP header, type and code read 0.
                yield return new HeaderPoint(i, dir, 6, 1, 1, 1, 0, 0, 0, 0, 0);
                yield return new HeaderPoint(i, dir, 6, 47, 1, 1, 0, 0, 0, 0, 0);
            }
    }
}
