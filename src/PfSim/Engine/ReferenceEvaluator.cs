using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>
/// The reference ruleset evaluator: rule by rule, criteria in pf_match_rule's order, last match wins, <c>quick</c>,
/// <c>match</c> rules, anchors evaluated in place. Slow on purpose; it is the specification a compiled evaluator must equal.
/// </summary>
public sealed class ReferenceEvaluator : IRulesetEvaluator
{
    private const int MaxAnchorDepth = 64;
    private readonly PfConfig _config;
    private readonly RuleStats _stats;
    private readonly bool _openBsd;
    private readonly DynamicAddresses _dynamic;
    private readonly RouteTable _routes;
    private ulong _rng;

    public ReferenceEvaluator(PfConfig config, RuleStats stats, bool openBsd, ulong seed)
    {
        _config = config;
        _stats = stats;
        _openBsd = openBsd;
        _dynamic = new DynamicAddresses(config.Host);
        _routes = new RouteTable(config.Host);
        _rng = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;
    }

    public RuleMatch Evaluate(ref RuleQuery q, List<Rule> matchRules, IRuleTrace? trace)
    {
        var m = new RuleMatch { Tag = q.Tag };
        EvaluateRuleset(_config.Main, null, ref q, ref m, matchRules, trace, 0, out _);
        return m;
    }

    /// <summary>Evaluates one ruleset in place; true when a <c>quick</c> ends the whole evaluation.</summary>
    private bool EvaluateRuleset(Ruleset rs, Rule? anchorRule, ref RuleQuery q, ref RuleMatch m, List<Rule> matchRules,
        IRuleTrace? trace, int depth, out bool matched)
    {
        matched = false;
        var rules = rs.Filter;
        var counterArray = _stats.ForFilter(rs);
        for (int i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            var counters = counterArray[i];
            if (counters.Expired) continue;
            counters.AddEvaluations(1); // no flush of the compiled evaluator's pending counts per rule
            var c = Test(r, rs, ref q, m.Tag);
            trace?.Tested(r, rs, c);
            if (c != Criterion.Matched) continue;
            // A tag sticks as soon as its rule matches, even if a later rule decides (pf_match_rule).
            if (r.Tag is not null) m.Tag = r.Tag;
            if (r.Anchor is null)
            {
                if (r.Action == RuleAction.Match)
                {
                    matchRules.Add(r);
                    if (r.Log != LogFlags.None) m.LogMatch = true;
                    // Translation on a match rule applies at once: later rules see the new addresses (pf_get_transaddr
                    // runs for ICMP errors too; only the state, which errors never get, rewrites the packet).
                    if (HasTranslation(r) && q.Translator is not null && !q.Translator.Translate(r, ref q))
                    {
                        m.TranslationFailed = true;
                        return true;
                    }
                }
                else
                {
                    m.Rule = r;
                    m.Ruleset = rs;
                    m.AnchorRule = anchorRule;
                    matched = true;
                }
                if (r.Quick) return true;
                continue;
            }
            if (depth + 1 >= MaxAnchorDepth) continue;
            bool stop = false, inner = false;
            if (r.Anchor.Wildcard)
            {
                foreach (var child in r.Anchor.Ruleset.Anchors.Values)
                {
                    stop = EvaluateRuleset(child, r, ref q, ref m, matchRules, trace, depth + 1, out bool mi);
                    inner |= mi;
                    if (stop) break;
                }
            }
            else stop = EvaluateRuleset(r.Anchor.Ruleset, r, ref q, ref m, matchRules, trace, depth + 1, out inner);
            matched |= inner;
            // quick on the anchor rule: leave when a rule inside it matched.
            if (stop || (r.Quick && inner)) return true;
        }
        return false;
    }

    /// <summary>The first criterion of <paramref name="r"/> the packet fails, in pf_match_rule's order, or Matched.</summary>
    public Criterion Test(Rule r, Ruleset rs, ref RuleQuery q, string? tag)
    {
        ref readonly var p = ref q.Packet;
        if (r.Interface is not null && q.Interface.Matches(r.Interface) == r.InterfaceNot) return Criterion.Interface;
        if (r.Direction != Direction.InOut && r.Direction != q.Direction) return Criterion.Direction;
        if (r.RDomain >= 0 && (r.RDomain == 0) == r.RDomainNot) return Criterion.RDomain;
        if (r.Af != Af.Any && r.Af != p.Af) return Criterion.Af;
        if (r.Proto != 0 && r.Proto != p.Proto) return Criterion.Proto;
        if (!AddressMatches(r.From.Address, q.Src, rs, q.Interface)) return Criterion.Src;
        if (!AddressMatches(r.To.Address, q.Dst, rs)) return Criterion.Dst;

        if (q.Fragment)
        {
            // A fragment without transport header cannot match ports, flags, ICMP type/code, user or group.
            if (!r.From.Port.IsAny || !r.To.Port.IsAny) return Criterion.FragmentPorts;
            if (p.Proto == IpProto.Tcp && r.FlagsMask != 0) return Criterion.FragmentPorts;
            if (r.IcmpType != 0 || r.IcmpCode != 0) return Criterion.FragmentPorts;
            if (!r.Uid.IsAny || !r.Gid.IsAny) return Criterion.FragmentPorts;
        }
        else if (p.Proto == IpProto.Tcp || p.Proto == IpProto.Udp)
        {
            if (p.Proto == IpProto.Tcp)
            {
                if (((byte)p.TcpFlags & r.FlagsMask) != r.Flags) return Criterion.Flags;
                // Only a SYN can be fingerprinted; the simulator has no pf.os database, so only "unknown" matches.
                if (r.Os is not null && r.Os != "unknown" && r.Os != "any") return Criterion.Os;
            }
            if (!r.From.Port.IsAny && !r.From.Port.Matches(q.SrcPort)) return Criterion.SrcPort;
            if (!r.To.Port.IsAny && !r.To.Port.Matches(q.DstPort)) return Criterion.DstPort;
            if (!r.Uid.IsAny && !MatchUid(r.Uid, q.Uid)) return Criterion.User;
            if (!r.Gid.IsAny && !MatchUid(r.Gid, q.Gid)) return Criterion.Group;
        }
        else if (p.IsIcmp)
        {
            if (r.IcmpType != 0 && r.IcmpType != p.IcmpType + 1) return Criterion.IcmpType;
            if (r.IcmpCode != 0 && r.IcmpCode != p.IcmpCode + 1) return Criterion.IcmpCode;
            // OpenBSD: a stateful, non-sloppy rule never matches a reply-direction ICMP message (no states from replies).
            if (_openBsd && r.IsStateful && !q.IcmpError && !r.StateOptions.Sloppy && q.IcmpDirection != Direction.In)
                return Criterion.IcmpReplyKeepState;
        }

        if (r.Fragment && !q.Fragment) return Criterion.FragmentKeyword;
        if (r.Tos is byte tos && tos != 0 && tos != p.Tos) return Criterion.Tos;
        if (r.Probability != 0 && r.Probability <= Draw()) return Criterion.Probability;
        if (r.Tagged is not null && (r.Tagged == tag) == r.TaggedNot) return Criterion.Tagged;
        if (r.ReceivedOn is not null && ReceivedOnMatches(r.ReceivedOn, ref q) == r.ReceivedOnNot) return Criterion.ReceivedOn;
        // Packets carry the default priority 3 unless something set another.
        if (r.Prio is byte prio && prio != 3) return Criterion.Prio;
        return Criterion.Matched;
    }

    internal static bool HasTranslation(Rule r) => r.NatTo is not null || r.RdrTo is not null || r.BinatTo is not null;

    private bool ReceivedOnMatches(string name, ref RuleQuery q) =>
        q.ReceivedOn is not null && (name == "any" || q.ReceivedOn == name || _config.Host.InterfaceMatches(q.ReceivedOn, name));

    /// <summary>pf_match_uid/gid: an unknown owner (no socket, e.g. forwarded) satisfies only = and !=.</summary>
    private static bool MatchUid(PortMatch m, uint uid)
    {
        if (uid == PacketContext.UnknownId && m.Op != PortOp.Eq && m.Op != PortOp.Ne) return false;
        return m.Matches(uid);
    }

    /// <summary>
    /// PF_MISMATCHAW negated: the address criterion (with its <c>!</c>) holds for <paramref name="a"/>.
    /// <paramref name="sourceOn"/> is the packet's interface when <paramref name="a"/> is its source (pf passes the kif
    /// for the source only, so urpf-failed is checked there and matches any destination).
    /// </summary>
    internal bool AddressMatches(AddressMatch m, in Address a, Ruleset rs, Interface? sourceOn = null)
    {
        bool hit = m.Kind switch
        {
            AddressKind.Any => true,
            AddressKind.Network => m.Prefix == 0 || a.InNetwork(m.Address, m.Prefix),
            AddressKind.Range => a.Family == m.Address.Family && a >= m.Address && a <= m.RangeEnd,
            AddressKind.Table => (m.Table ?? (m.Name is null ? null : rs.FindTable(m.Name)))?.Contains(a) ?? false,
            AddressKind.Dynamic => _dynamic.Contains(m, a),
            // pf_routable against the host model's routes (its interfaces' networks plus --host routes).
            AddressKind.NoRoute => !_routes.Routable(a),
            AddressKind.UrpfFailed => sourceOn is null || !_routes.ReversePathOk(a, sourceOn),
            _ => false,
        };
        return hit != m.Not;
    }

    /// <summary>A draw as arc4random_uniform(UINT_MAX - 1) + 1, from a seeded xorshift so runs repeat.</summary>
    private uint Draw()
    {
        ulong x = _rng;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        _rng = x;
        return (uint)(x % (uint.MaxValue - 1)) + 1;
    }
}

/// <summary>Addresses of <c>(ifname)</c> criteria, resolved from the host model and cached per name.</summary>
internal sealed class DynamicAddresses
{
    private readonly HostModel _host;
    private readonly Dictionary<string, InterfaceAddress[]> _cache = new(StringComparer.Ordinal);

    public DynamicAddresses(HostModel host) => _host = host;

    public bool Contains(AddressMatch m, in Address a)
    {
        var name = m.Name ?? "";
        if (!_cache.TryGetValue(name, out var addrs))
        {
            var list = new List<InterfaceAddress>();
            foreach (var itf in _host.Interfaces)
                if (name == "self" || itf.Name == name || itf.Groups.Contains(name)) list.AddRange(itf.Addresses);
            addrs = list.ToArray();
            _cache[name] = addrs;
        }
        for (int i = 0; i < addrs.Length; i++)
        {
            var ia = addrs[i];
            if (ia.Address.Family != a.Family) continue;
            if ((m.Modifiers & InterfaceModifier.Network) != 0) { if (a.InNetwork(ia.Network, ia.Prefix)) return true; }
            else if ((m.Modifiers & InterfaceModifier.Broadcast) != 0) { if ((ia.Broadcast ?? ia.Address.Last(ia.Prefix)) == a) return true; }
            else if ((m.Modifiers & InterfaceModifier.Peer) != 0) { if (ia.Peer is Address peer && peer == a) return true; }
            else if (ia.Address == a) return true;
            if ((m.Modifiers & InterfaceModifier.NoAlias) != 0) break;
        }
        return false;
    }
}
