using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Tests.Analysis;

/// <summary>
/// pf's rule evaluation for one header, written straight from pf_match_rule / pf_step_out_of_anchor and
/// independent of the region code: the oracle the brute-force properties compare against.
/// </summary>
public static class PointEvaluator
{
    public static Decider Decide(PfConfig config, HeaderSpace space, in HeaderPoint p)
    {
        var ifname = space.Interfaces[p.Iface];
        foreach (var s in config.Options.Skip)
            if (config.Host.InterfaceMatches(ifname, s)) return Decider.Skip;
        Decider last = Decider.Default;
        bool quick = Eval(config, config.Main, ifname, p, ref last, out _);
        _ = quick;
        return last;
    }

    /// <summary>Evaluates one ruleset; true when a quick rule ended the whole evaluation.</summary>
    private static bool Eval(PfConfig config, Ruleset rs, string ifname, in HeaderPoint p, ref Decider last, out bool matchedHere)
    {
        matchedHere = false;
        foreach (var r in rs.Filter)
        {
            if (r.Action is not (RuleAction.Pass or RuleAction.Block or RuleAction.Match) && r.Anchor is null) continue;
            if (!Matches(config, rs, r, ifname, p)) continue;
            if (r.Anchor is { } call)
            {
                bool inner = false;
                foreach (var child in RulesetWalk.AnchorRulesets(call))
                {
                    if (Eval(config, child, ifname, p, ref last, out var m)) return true;
                    inner |= m;
                }
                matchedHere |= inner;
                if (r.Quick && inner) return true;
                continue;
            }
            if (r.Action == RuleAction.Match)
            {
                if (r.Quick) return true;
                continue;
            }
            last = new Decider(DecisionKind.Rule, new RuleSite(r, rs));
            matchedHere = true;
            if (r.Quick) return true;
        }
        return false;
    }

    public static bool Matches(PfConfig config, Ruleset rs, Rule r, string ifname, in HeaderPoint p)
    {
        if (r.Interface is { } name)
        {
            bool on = name == "any" || config.Host.InterfaceMatches(ifname, name);
            if (on == r.InterfaceNot) return false;
        }
        if (r.Direction != Direction.InOut && (int)r.Direction != p.Dir) return false;
        if (r.Af != Af.Any && (int)r.Af != p.Af) return false;
        if (r.Proto != 0 && r.Proto != p.Proto) return false;
        if (!AddressMatches(rs, r.From.Address, p.SrcAddress)) return false;
        if (!AddressMatches(rs, r.To.Address, p.DstAddress)) return false;
        if (r.Fragment) return false;
        switch (p.Proto)
        {
            case 6:
                if (r.FlagsMask != 0 && (p.Flags & r.FlagsMask) != r.Flags) return false;
                goto case 17;
            case 17:
                if (!r.From.Port.Matches((uint)p.Sport)) return false;
                if (!r.To.Port.Matches((uint)p.Dport)) return false;
                break;
            case 1:
            case 58:
                if (r.IcmpType != 0 && r.IcmpType != p.IcmpType + 1) return false;
                if (r.IcmpCode != 0 && r.IcmpCode != p.IcmpCode + 1) return false;
                if (config.Dialect != Dialect.FreeBsd && r.IsStateful && !r.StateOptions.Sloppy && p.Proto == (p.Af == 4 ? 1 : 58) &&
                    (p.Af == 4 ? RuleRegions.Icmp4Replies : RuleRegions.Icmp6Replies).Contains(p.IcmpType)) return false;
                break;
        }
        return true;
    }

    private static bool AddressMatches(Ruleset rs, AddressMatch m, Address a)
    {
        bool hit = m.Kind switch
        {
            AddressKind.Any => true,
            AddressKind.Network => m.Prefix == 0 || a.InNetwork(m.Address, m.Prefix),
            AddressKind.Range => a.Family == m.Address.Family && a >= m.Address && a <= m.RangeEnd,
            AddressKind.Table => (m.Table ?? rs.FindTable(m.Name!))?.Contains(a) ?? false,
            _ => throw new NotSupportedException(m.Kind.ToString()),
        };
        return hit != m.Not;
    }
}
