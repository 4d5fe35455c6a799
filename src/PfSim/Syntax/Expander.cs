using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>
/// parse.y's expand_rule: multiplies a rule's lists out in pfctl's order for the dialect, resolves
/// address families, inserts the implicit defaults, checks each result as rule_consistent does, and
/// numbers and appends the rules that pass.
/// </summary>
internal sealed partial class Expander(PfConfig config, LoadOptions options, Action<string, int, string> error)
{
    private bool FreeBsd => config.Dialect == Dialect.FreeBsd;

    private static readonly List<HostSpec> AnyHost = [new HostSpec(AddressMatch.AnyAddress, Af.Any)];
    private static readonly List<PortMatch> AnyPort = [PortMatch.Any];

    private static List<T> OrOne<T>(List<T> list, T one) => list.Count > 0 ? list : [one];

    public void ExpandFilter(RuleSpec r, Ruleset rs, bool inlineAnchor = false)
    {
        if (!FreeBsd && r.BinatTo is not null)
        {
            // OpenBSD's binat-to is two rules: nat-to (static-port) outbound, rdr-to back inbound.
            if (!BinatConsistent(r)) return;
            var outbound = r.Copy();
            outbound.Direction = Direction.Out;
            outbound.NatTo = CopyPool(r.BinatTo, staticPort: true);
            outbound.BinatTo = null;
            int before = ListFor(rs, new Rule { Action = r.Action }).Count;
            _quietEmpty = true;
            ExpandFilter(outbound, rs, inlineAnchor);
            var inbound = r.Copy();
            inbound.Direction = Direction.In;
            inbound.BinatTo = null;
            inbound.FromHosts = r.ToHosts;
            inbound.FromPorts = [];
            inbound.ToHosts = [.. r.BinatTo.Hosts];
            inbound.ToPorts = [];
            var back = new PoolSpec();
            back.Hosts.AddRange(r.FromHosts);
            inbound.RdrTo = back;
            ExpandFilter(inbound, rs, inlineAnchor);
            _quietEmpty = false;
            if (ListFor(rs, new Rule { Action = r.Action }).Count == before) error(r.File, r.Line, "rule expands to no valid combination");
            return;
        }
        string file = r.File;
        int line = r.Line;
        void Err(string m) => error(file, line, m);

        // Defaults the pfrule action inserts before expansion (parse.y).
        StateMode state = r.State ?? StateMode.None;
        bool stateExplicit = r.State is not null;
        if (r.Action == RuleAction.Pass && !r.IsAnchor && r.State is null) state = StateMode.Keep;
        byte flags = r.Flags, flagsMask = r.FlagsMask;
        if (flags != 0 || flagsMask != 0)
        {
            if ((flags & flagsMask) != flags) { Err("flags always false"); return; }
            if (r.Protos.Count > 0 && !r.Protos.Contains(6)) { Err("flags only apply to tcp"); return; }
        }
        if (r.Os.Count > 0 && r.Protos.Count > 0 && !r.Protos.Contains(6)) { Err("OS fingerprinting only apply to tcp"); return; }
        if (r.Action == RuleAction.Pass && !r.IsAnchor && flags == 0 && flagsMask == 0 && !r.Fragment && !r.FlagsSet && state != StateMode.None)
        {
            flags = 0x02;       // S
            flagsMask = 0x12;   // SA
        }

        var ifs = OrOne(r.Interfaces, new IfSpec("", false));
        var protos = OrOne(r.Protos, (byte)0);
        var icmps = OrOne(r.IcmpTypes, new IcmpSpec(0, 0, Af.Any));
        var srcHosts = r.FromHosts.Count > 0 ? r.FromHosts : AnyHost;
        var dstHosts = r.ToHosts.Count > 0 ? r.ToHosts : AnyHost;
        var srcPorts = r.FromPorts.Count > 0 ? r.FromPorts : AnyPort;
        var dstPorts = r.ToPorts.Count > 0 ? r.ToPorts : AnyPort;
        var oses = OrOne(r.Os, (string?)null);
        var uids = OrOne(r.Uids, PortMatch.Any);
        var gids = OrOne(r.Gids, PortMatch.Any);

        int added = 0;
        bool aborted = false;
        // FreeBSD 12's gen_dynnode narrows a shared dynamic-address node to /32 for an inet expansion;
        // later inet6 expansions of the same rule then print that /32 (pf0102).
        var dynMasks = new Dictionary<HostSpec, int>(ReferenceEqualityComparer.Instance);
        HostSpec ClampDynamic(HostSpec h, Af fam)
        {
            if (h.Address.Kind != AddressKind.Dynamic) return h;
            int cur = dynMasks.TryGetValue(h, out var m) ? m : h.Address.Prefix;
            if (fam == Af.Inet)
            {
                // For an inet rule /32 and "no mask" mean the same; keep what was written.
                if (cur < 0 || cur > 32) dynMasks[h] = 32;
                return h;
            }
            return cur == h.Address.Prefix ? h : h with { Address = h.Address with { Prefix = cur } };
        }
        foreach (var itf in ifs)
        foreach (var proto in protos)
        foreach (var icmp in icmps)
        foreach (var src in srcHosts)
        {
            if (FreeBsd)
            {
                foreach (var sp in srcPorts)
                foreach (var dst in dstHosts)
                foreach (var dp in dstPorts)
                foreach (var os in oses)
                foreach (var uid in uids)
                foreach (var gid in gids)
                    One(src, sp, dst, dp, os, uid, gid);
            }
            else
            {
                foreach (var dst in dstHosts)
                foreach (var sp in srcPorts)
                foreach (var dp in dstPorts)
                foreach (var os in oses)
                foreach (var uid in uids)
                foreach (var gid in gids)
                    One(src, sp, dst, dp, os, uid, gid);
            }

            void One(HostSpec s, PortMatch sp, HostSpec d, PortMatch dp, string? os, PortMatch uid, PortMatch gid)
            {
                if (FreeBsd)
                {
                    Af fam = r.Af != Af.Any ? r.Af : s.Af != Af.Any ? s.Af : d.Af;
                    s = ClampDynamic(s, fam);
                    d = ClampDynamic(d, fam);
                }
                // Combinations whose families conflict are dropped silently (expand_rule).
                Af af = r.Af;
                if (s.Af != Af.Any && d.Af != Af.Any && s.Af != d.Af) return;
                if (af != Af.Any && s.Af != Af.Any && s.Af != af) return;
                if (af != Af.Any && d.Af != Af.Any && d.Af != af) return;
                if (af == Af.Any) af = s.Af != Af.Any ? s.Af : d.Af;
                string? divert = null;
                if (r.DivertHosts is { } dh)
                {
                    var pick = dh.FirstOrDefault(h => af == Af.Any || h.Af == af);
                    if (pick is null) { Err("divert-to address family mismatch"); aborted = true; return; }
                    if (af == Af.Any) af = pick.Af;
                    divert = $"divert-to {RulePrinter.FormatAddress(pick.Address, pick.Af)} port {r.DivertPort}";
                }
                var scoped = s.ScopeIf ?? d.ScopeIf;
                var ruleIf = itf.Name.Length == 0 && scoped is not null ? new IfSpec(scoped, false) : itf;
                if (af == Af.Any && icmp.Proto != Af.Any && !r.IcmpTypes.Contains(icmp)) af = icmp.Proto;

                bool problems = false;
                void P(string m) { Err(m); problems = true; }
                foreach (var h in new[] { s, d })
                    if (h.Af == Af.Inet && h.Address.Kind == AddressKind.Network && h.Address.Prefix > 32)
                    {
                        error("", 0, $"netmask {h.Address.Prefix} invalid for IPv4 address");
                        problems = true;
                    }

                // A family that came from the hosts (not written) and that a translation pool cannot serve:
                // pfctl drops the combination silently, as for conflicting hosts (pf27).
                if (r.Af == Af.Any && af != Af.Any)
                    foreach (var pool in new[] { r.NatTo, r.RdrTo })
                        if (pool is not null && pool.Hosts.Count > 0 && pool.Hosts.All(h => h.Af != Af.Any && h.Af != af)) return;

                // pool families
                var nat = Pool(r.NatTo, ref af, "translation", P, out bool natBad);
                var rdr = Pool(r.RdrTo, ref af, "translation", P, out bool rdrBad);
                if (rdr is not null && r.RdrTo!.PortRangeStar)
                    rdr = rdr with { PortHi = (ushort)(dp.Op == PortOp.Range ? rdr.PortLo + (dp.Hi - dp.Lo) : rdr.PortLo) };
                var binat = Pool(r.BinatTo, ref af, "translation", P, out bool binatBad);
                var route = Pool(r.Route, ref af, "routing", P, out bool routeBad);
                if (natBad || rdrBad || binatBad || routeBad) { }

                byte rflags = flags, rmask = flagsMask;
                var rstate = state;
                if (proto != 0 && proto != 6)
                {
                    rflags = 0;
                    rmask = 0;
                    if (rstate is StateMode.Modulate or StateMode.Synproxy) rstate = StateMode.Keep;
                }

                // rule_consistent / filter_consistent
                if (proto != 6 && proto != 17 && (!sp.IsAny || !dp.IsAny)) P("port only applies to tcp/udp");
                if (proto != 1 && proto != 58 && icmp.Type != 0 && proto == 0) P("icmp-type/code only applies to icmp");
                if (icmp.Type != 0 && icmp.Proto != Af.Any && proto != 0 && proto != (icmp.Proto == Af.Inet6 ? 58 : 1)) P("icmp-type mismatch");
                bool icmpFamilyClash = (proto == 1 && af == Af.Inet6) || (proto == 58 && af == Af.Inet);
                // A family taken from the hosts that clashes with icmp/icmp6 drops the combination silently;
                // only a written inet/inet6 is an error.
                if (icmpFamilyClash && r.Af == Af.Any) return;
                if (icmpFamilyClash)
                    P($"proto {(proto == 1 ? "icmp" : "icmp6")} doesn't match address family {(af == Af.Inet ? "inet" : "inet6")}");
                if (icmp.Type != 0 && af == Af.Any) P("must indicate address family with icmp-type/code");
                if (r.AllowOpts && r.Action is not (RuleAction.Pass or RuleAction.Match)) P("allow-opts can only be specified for pass or match rules");
                if (r.Fragment && (!sp.IsAny || !dp.IsAny || rmask != 0 || icmp.Type != 0)) P("fragments can be filtered only on IP header fields");
                if (r.Return == BlockReturn.ReturnRst && proto != 6) P("return-rst can only be applied to TCP rules");
                if (r.Action != RuleAction.Pass && !r.IsAnchor && rstate != StateMode.None && r.Action != RuleAction.Match) P("keep state is great, but only for pass rules");
                if (r.Route is not null && r.RouteKind != "fastroute")
                {
                    if (rstate == StateMode.None) P("route-to, reply-to and dup-to require keep state");
                    if (r.Action == RuleAction.Block) P("route-to, reply-to and dup-to are not supported on block rules");
                }


                if (problems)
                {
                    Err("skipping rule due to errors");
                    return;
                }
                nat = Automatic(nat, rs);
                rdr = Automatic(rdr, rs);
                route = Automatic(route, rs);
                var rule = Build(r, rs, ruleIf, proto, icmp, af, s, sp, d, dp, os, uid, gid, rflags, rmask, rstate, stateExplicit, nat, rdr, binat, route, inlineAnchor);
                if (divert is not null)
                    rule = WithDivert(rule, divert);
                Append(rs, rule);
                added++;
            }
        }
        if (added == 0 && !aborted && !_quietEmpty) Err("rule expands to no valid combination");
    }

    private Rule WithDivert(Rule rule, string divert)
    {
        var keyed = rule.ExtrasKeyed.Select(e => e.Key == "divert" ? (e.Key, divert) : e).ToArray();
        var r2 = rule with { ExtrasKeyed = keyed, Extras = keyed.Select(e => e.Item2).ToArray() };
        r2.Text = RulePrinter.Format(r2, config.Dialect);
        return r2;
    }

    /// <summary>The binat-to checks of parse.y, per source host: an address or network on each side, with the same mask.</summary>
    private bool BinatConsistent(RuleSpec r)
    {
        void Err(string m) => error(r.File, r.Line, m);
        var pool = r.BinatTo!.Hosts;
        // parse.y checks the rule's own family against the redirect address before expanding (no "skipping" line).
        if (r.Af != Af.Any && pool.Any(h => h.Af != Af.Any && h.Af != r.Af)) Err("af mismatch in translation spec");
        var sources = r.FromHosts.Count > 0 ? r.FromHosts : AnyHost;
        var good = new List<HostSpec>();
        foreach (var s in sources)
        {
            bool bad = false;
            void P(string m) { Err(m); bad = true; }
            var src = s.Address;
            var dst = pool.Count == 1 ? pool[0].Address : null;
            if (src.Kind == AddressKind.Table) P($"invalid use of table <{src.Name}> as the source address of a binat-to rule");
            else if (src.Kind == AddressKind.Dynamic)
            {
                P($"invalid use of interface ({src.Name}) as the source address of a binat-to rule");
                if (!src.Modifiers.HasFlag(InterfaceModifier.NoAlias)) P("dynamic interfaces must be used with :0 in a binat-to rule");
            }
            else
            {
                if (src.Kind != AddressKind.Network || dst is null || dst.Kind is not (AddressKind.Network or AddressKind.Dynamic))
                    P("binat-to requires a specified source and redirect address");
                if (dst is not null && s.Af != Af.Any && pool[0].Af != Af.Any && s.Af != pool[0].Af) P("af mismatch in translation spec");
                // A list of redirect addresses becomes a table, as for nat-to.
                bool dstTable = dst?.Kind == AddressKind.Table || pool.Count > 1;
                if (src.Kind == AddressKind.Network && (dstTable || (dst?.Kind == AddressKind.Network && dst.Prefix != src.Prefix)))
                    P("source and redir addresess must have a matching network mask in binat-rule");
                if (dstTable) P("tables cannot be used as the redirect address of a binat-to rule");
            }
            if (bad) Err("skipping rule due to errors");
            else good.Add(s);
        }
        if (good.Count == 0) { Err("rule expands to no valid combination"); return false; }
        r.FromHosts = good;
        return true;
    }

    private static PoolSpec CopyPool(PoolSpec p, bool staticPort)
    {
        var c = new PoolSpec { PortLo = p.PortLo, PortHi = p.PortHi, Type = p.Type, StickyAddress = p.StickyAddress, StaticPort = staticPort || p.StaticPort, HashKey = p.HashKey };
        c.Hosts.AddRange(p.Hosts);
        return c;
    }

    private int _automaticTables;
    // While the two halves of a binat-to expand, "no valid combination" is said once for both.
    private bool _quietEmpty;

    /// <summary>OpenBSD puts a pool of several addresses into a table of its own, printed as pfctl defines it.</summary>
    private AddressPool? Automatic(AddressPool? pool, Ruleset rs)
    {
        if (FreeBsd || pool is null || pool.Addresses.Count < 2) return pool;
        if (pool.Addresses.Any(a => a.Address.Kind != AddressKind.Network || a.Interface is not null)) return pool;
        var t = new Table($"__automatic_{_automaticTables++}") { Const = true };
        var text = new System.Text.StringBuilder($"table <{t.Name}> const {{");
        foreach (var a in pool.Addresses)
        {
            t.Entries.Add(new TableEntry(a.Address.Address, a.Address.Prefix, false));
            text.Append(' ').Append(RulePrinter.FormatNetwork(a.Address.Address, a.Address.Prefix));
        }
        text.Append(" }");
        rs.Tables[t.Name] = t;
        config.Printed.Add(text.ToString());
        var type = pool.Type == PoolType.None ? PoolType.RoundRobin : pool.Type;
        return pool with { Addresses = [new PoolAddress(new AddressMatch { Kind = AddressKind.Table, Name = t.Name, Table = t })], Type = type };
    }

    /// <summary>The pool's addresses of the rule's family; null when the rule has no such pool.</summary>
    private static AddressPool? Pool(PoolSpec? spec, ref Af af, string what, Action<string> problem, out bool bad)
    {
        bad = false;
        if (spec is null) return null;
        var hosts = new List<PoolAddress>();
        Af want = af;
        foreach (var h in spec.Hosts)
        {
            if (want != Af.Any && h.Af != Af.Any && h.Af != want) continue;
            hosts.Add(new PoolAddress(h.Address, h.IfName));
        }
        if (hosts.Count == 0 && spec.Hosts.Count > 0)
        {
            problem($"af mismatch in {what} spec");
            bad = true;
            return null;
        }
        if (af == Af.Any)
            foreach (var h in spec.Hosts)
                if (h.Af != Af.Any) { af = h.Af; break; }
        var type = spec.Type;
        if (type == PoolType.None && (hosts.Count > 1 || hosts.Any(h => h.Address.Kind is AddressKind.Dynamic or AddressKind.Table)))
            type = PoolType.RoundRobin;
        return new AddressPool
        {
            Addresses = hosts,
            PortLo = spec.PortLo,
            PortHi = spec.PortHi,
            Type = type,
            StickyAddress = spec.StickyAddress,
            StaticPort = spec.StaticPort,
            HashKey = spec.HashKey,
        };
    }

    /// <summary>Numbers the rule in its list (pf's @N) and appends it.</summary>
    private void Append(Ruleset rs, Rule rule)
    {
        var list = ListFor(rs, rule);
        rule.Number = list.Count;
        list.Add(rule);
    }

    private List<Rule> ListFor(Ruleset rs, Rule rule)
    {
        if (!FreeBsd) return rs.Filter;
        return rule.Action switch
        {
            RuleAction.Scrub or RuleAction.NoScrub => rs.Scrub,
            RuleAction.Nat or RuleAction.NoNat => rs.Nat,
            RuleAction.Rdr or RuleAction.NoRdr => rs.Rdr,
            RuleAction.Binat or RuleAction.NoBinat => rs.Binat,
            _ => rs.Filter,
        };
    }
}
