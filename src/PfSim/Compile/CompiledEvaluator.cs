using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Compile;

/// <summary>
/// The compiled evaluator: the rules a packet can match come from the cut tree of its class (or pf's skip steps on small
/// rulesets), and are then tested exactly, in evaluation order, with the reference's criteria, last-match, <c>quick</c>,
/// <c>match</c> rules, tags, anchors, <c>once</c> and <c>probability</c>: same deciding rule, anchor, tag and match rules.
/// A match rule that translates hands the rest of the walk to skip steps, since later rules see the new addresses.
/// </summary>
public sealed class CompiledEvaluator : IRulesetEvaluator
{
    private const int F = (int)SkipField.Count;
    private readonly CompiledRuleset _rs;
    private readonly PfConfig _config;
    private readonly RuleStats _stats;
    private readonly bool _openBsd;
    private readonly DynamicAddresses _dynamic;
    private readonly RouteTable _routes;
    private readonly RuleCounters?[] _onceCounters;
    private readonly bool _hasOnce;
    private readonly int[] _openAnchors = new int[RuleFlattener.MaxAnchorDepth + 1];
    private readonly bool[] _anchorInner = new bool[RuleFlattener.MaxAnchorDepth + 1];
    // Evaluation counts as the reference keeps them (every rule reached), as a difference array flushed on demand.
    private readonly long[] _evalDiff;
    private readonly int[] _opened;
    private readonly int[] _anchorEntries;
    private readonly int[] _onceEntries;
    private int _stamp;
    private bool _pending;
    private bool[][] _ifMatch = [];
    private Interface?[] _ifSeen = [];
    private ulong _rng;
    // The merge of the trees' leaves: per leaf, the next position in LeafRules and its end; _active leaves left.
    private readonly int[] _cursor, _cursorEnd;
    private int _active;
    // The packet's key for the rule boxes, during a walk of leaves.
    private RuleBox[] _boxes = [];
    private uint _keySrc, _keyDst, _keySport, _keyDport, _keyProto;
    private bool _keyPorts;

    public CompiledEvaluator(PfConfig config, RuleStats stats, bool openBsd, ulong seed, ClassifierKind? kind = null)
        : this(new CompiledRuleset(config, kind), config, stats, openBsd, seed) { }

    public CompiledEvaluator(CompiledRuleset compiled, PfConfig config, RuleStats stats, bool openBsd, ulong seed)
    {
        _rs = compiled;
        _config = config;
        _stats = stats;
        _openBsd = openBsd;
        _dynamic = new DynamicAddresses(config.Host);
        _routes = new RouteTable(config.Host);
        // The same draws as the reference: its seeding and its generator.
        _rng = seed == 0 ? 0x9E3779B97F4A7C15UL : seed;
        _evalDiff = new long[compiled.Rules.Length + 1];
        _opened = new int[compiled.Rules.Length];
        _anchorEntries = [.. Enumerable.Range(0, compiled.Flat.Length).Where(i => compiled.Flat[i].End > i + 1)];
        _onceEntries = [.. Enumerable.Range(0, compiled.Flat.Length).Where(i => compiled.Rules[i].Once)];
        _onceCounters = new RuleCounters?[compiled.Rules.Length];
        int maxTrees = compiled.Trees.Max(t => t?.TreeCount ?? 0);
        _cursor = new int[maxTrees];
        _cursorEnd = new int[maxTrees];
        stats.FlushPending += FlushEvaluations;
        for (int i = 0; i < compiled.Rules.Length; i++)
            if (compiled.Rules[i].Once) { _onceCounters[i] = stats[compiled.Rules[i].Rule]; _hasOnce = true; }
    }

    public CompiledRuleset Compiled => _rs;

    public RuleMatch Evaluate(ref RuleQuery q, List<Rule> matchRules, IRuleTrace? trace)
    {
        var m = new RuleMatch { Tag = q.Tag };
        var ifm = InterfaceMatches(q.Interface);
        var trees = trace is null ? PickTrees(ref q) : null;
        if (++_stamp == 0) { Array.Clear(_opened); _stamp = 1; }
        if (trees is null)
        {
            Count(Walk(ref q, ref m, matchRules, trace, ifm, null));
            return m;
        }
        ref readonly var p = ref q.Packet;
        uint proto = p.Proto;
        bool ports = !q.Fragment && (proto == IpProto.Tcp || proto == IpProto.Udp);
        uint src = Categories.Key(q.Src.Hi, q.Src.Lo, p.Af), dst = Categories.Key(q.Dst.Hi, q.Dst.Lo, p.Af);
        uint sport = ports ? q.SrcPort : 0u, dport = ports ? q.DstPort : 0u;
        Span<uint> key = [src, dst, sport, dport, proto];
        // One leaf per tree; the walk merges them in index order.
        int active = 0;
        for (int t = 0; t < trees.TreeCount; t++)
        {
            int count = trees.Lookup(t, key, out int first);
            if (count == 0) continue;
            _cursor[active] = first;
            _cursorEnd[active] = first + count;
            active++;
        }
        _active = active;
        _boxes = _rs.Boxes[p.Af == Af.Inet6 ? 1 : 0]!;
        (_keySrc, _keyDst, _keySport, _keyDport, _keyProto, _keyPorts) = (src, dst, sport, dport, proto, ports);
        Count(Walk(ref q, ref m, matchRules, null, ifm, trees.LeafRules));
        return m;
    }

    /// <summary>The next candidate of the merged leaves (the smallest head), or -1 when all are used up.</summary>
    private int NextCandidate(int[] leafRules)
    {
        int active = _active;
        if (active == 0) return -1;
        var cur = _cursor;
        int best = 0, bestRule = leafRules[cur[0]];
        for (int k = 1; k < active; k++)
        {
            int r = leafRules[cur[k]];
            if (r < bestRule) { bestRule = r; best = k; }
        }
        if (++cur[best] == _cursorEnd[best])
        {
            // This leaf is used up: the last cursor takes its place.
            active--;
            cur[best] = cur[active];
            _cursorEnd[best] = _cursorEnd[active];
            _active = active;
        }
        return bestRule;
    }

    /// <summary>Records which rules the reference would have tested: all up to <paramref name="stop"/>, less unmatched anchors' rules and expired once rules.</summary>
    private void Count(int stop)
    {
        var diff = _evalDiff;
        _pending = true;
        diff[0]++;
        diff[stop]--;
        var flat = _rs.Flat;
        foreach (int a in _anchorEntries)
        {
            if (a >= stop) break;
            int parent = flat[a].Parent;
            if (_opened[a] == _stamp || (parent >= 0 && _opened[parent] != _stamp)) continue;
            int end = Math.Min(flat[a].End, stop);
            diff[a + 1]--;
            diff[end]++;
        }
        if (!_hasOnce) return;
        foreach (int i in _onceEntries)
        {
            if (i >= stop) break;
            int parent = flat[i].Parent;
            if (!_onceCounters[i]!.Expired || (parent >= 0 && _opened[parent] != _stamp)) continue;
            diff[i]--;
            diff[i + 1]++;
        }
    }

    /// <summary>Adds the evaluations counted since the last flush to the rules' counters (<c>pfctl -vsr</c>'s Evaluations).</summary>
    public void FlushEvaluations()
    {
        if (!_pending) return;
        _pending = false;
        long run = 0;
        var flat = _rs.Flat;
        for (int i = 0; i < flat.Length; i++)
        {
            run += _evalDiff[i];
            _evalDiff[i] = 0;
            if (run > 0) _stats[flat[i].Rule].AddEvaluations((ulong)run);
        }
        _evalDiff[flat.Length] = 0;
    }

    private CutTree? PickTrees(ref RuleQuery q)
    {
        if (_rs.Kind != ClassifierKind.CutTree) return null;
        var af = q.Packet.Af;
        // Keys come from the (possibly translated) addresses; a packet whose addresses left its family walks.
        if (q.Src.Family != af || q.Dst.Family != af) return null;
        bool ports = !q.Fragment && (q.Packet.Proto == IpProto.Tcp || q.Packet.Proto == IpProto.Udp);
        int c = (af == Af.Inet6 ? 2 : af == Af.Inet ? 0 : -1);
        if (c < 0) return null;
        return _rs.Trees[c + (ports ? 0 : 1)];
    }

    /// <summary>
    /// The ordered walk. With <paramref name="leafRules"/>, positions come from the merged leaves (ascending); otherwise
    /// every position in turn, jumping by skip steps. Anchors: an entry counts only when its anchor entry matched (is open).
    /// </summary>
    /// <returns>The position evaluation stopped before (the reference reached every position below it).</returns>
    private int Walk(ref RuleQuery q, ref RuleMatch m, List<Rule> matchRules, IRuleTrace? trace, bool[] ifm, int[]? leafRules)
    {
        var flat = _rs.Flat;
        var rules = _rs.Rules;
        var skip = _rs.Skip;
        var parent = _rs.Parent;
        var end = _rs.End;
        var boxes = _boxes;
        int n = flat.Length;
        int depth = 0; // open anchors on _openAnchors[0..depth)
        bool useLeaf = leafRules is not null;
        int pos = 0;
        while (true)
        {
            int i;
            if (useLeaf)
            {
                i = NextCandidate(leafRules!);
                if (i < 0) break;
                // Outside the rule's box: pf's test would fail on an address, port or protocol; nothing else happens.
                if (!boxes[i].Contains(_keySrc, _keyDst, _keySport, _keyDport, _keyProto, _keyPorts)) continue;
            }
            else { if (pos >= n) break; i = pos; }
            // Close the anchors this position is past: quick on an anchor rule ends everything when a rule inside matched.
            while (depth > 0 && end[_openAnchors[depth - 1]] <= i)
            {
                depth--;
                bool inner = _anchorInner[depth];
                if (inner && depth > 0) _anchorInner[depth - 1] = true;
                if (inner && rules[_openAnchors[depth]].Quick) return end[_openAnchors[depth]];
            }
            if (parent[i] != (depth == 0 ? -1 : _openAnchors[depth - 1]))
            {
                // Inside an anchor that did not match (only leaf positions get here).
                pos = end[i];
                continue;
            }
            ref readonly var r = ref rules[i];
            if (_hasOnce && r.Once && _onceCounters[i]!.Expired) { pos = end[i]; continue; }
            var c = Test(in r, ref q, m.Tag, ifm);
            trace?.Tested(r.Rule, flat[i].Ruleset, c);
            if (c != Criterion.Matched)
            {
                if (!useLeaf)
                {
                    // With a trace every rule is reported, as the reference does: no skipping then.
                    var field = trace is null ? CompiledRule.FieldOf(c) : SkipField.Count;
                    pos = field == SkipField.Count ? end[i] : skip[i * F + (int)field];
                }
                continue;
            }
            if (r.HasTag) m.Tag = r.Rule.Tag;
            if (r.IsAnchor)
            {
                pos = i + 1;
                if (end[i] > i + 1)
                {
                    _openAnchors[depth] = i;
                    _opened[i] = _stamp;
                    _anchorInner[depth] = false;
                    depth++;
                }
                continue;
            }
            pos = i + 1;
            if (r.IsMatch)
            {
                matchRules.Add(r.Rule);
                if (r.Rule.Log != LogFlags.None) m.LogMatch = true;
                if (r.Translates && q.Translator is not null)
                {
                    if (!q.Translator.Translate(r.Rule, ref q)) { m.TranslationFailed = true; return i + 1; }
                    // Later rules see the new addresses: the leaf no longer applies, walk on with skip steps.
                    useLeaf = false;
                }
            }
            else
            {
                var fr = flat[i];
                m.Rule = r.Rule;
                m.Ruleset = fr.Ruleset;
                m.AnchorRule = fr.AnchorRule;
                if (depth > 0) _anchorInner[depth - 1] = true;
            }
            if (r.Quick) return i + 1;
        }
        // Anchors still open end here; a quick one with a match inside stops the reference right after it.
        while (depth > 0)
        {
            depth--;
            bool inner = _anchorInner[depth];
            if (inner && depth > 0) _anchorInner[depth - 1] = true;
            if (inner && rules[_openAnchors[depth]].Quick) return flat[_openAnchors[depth]].End;
        }
        return n;
    }

    /// <summary>The reference's Test on a compiled rule: the first failing criterion in pf_match_rule's order, or Matched.</summary>
    private Criterion Test(in CompiledRule r, ref RuleQuery q, string? tag, bool[] ifm)
    {
        ref readonly var p = ref q.Packet;
        if (r.InterfaceIndex >= 0 && ifm[r.InterfaceIndex] == r.InterfaceNot) return Criterion.Interface;
        if (r.Direction != Direction.InOut && r.Direction != q.Direction) return Criterion.Direction;
        if (r.RDomain >= 0 && (r.RDomain == 0) == r.RDomainNot) return Criterion.RDomain;
        if (r.Af != Af.Any && r.Af != p.Af) return Criterion.Af;
        if (r.Proto != 0 && r.Proto != p.Proto) return Criterion.Proto;
        if (!AddressMatches(in r.Src, in q.Src, q.Interface)) return Criterion.Src;
        if (!AddressMatches(in r.Dst, in q.Dst, null)) return Criterion.Dst;

        if (q.Fragment)
        {
            if (!r.SrcPort.IsAny || !r.DstPort.IsAny) return Criterion.FragmentPorts;
            if (p.Proto == IpProto.Tcp && r.FlagsMask != 0) return Criterion.FragmentPorts;
            if (r.IcmpType != 0 || r.IcmpCode != 0) return Criterion.FragmentPorts;
            if (!r.Uid.IsAny || !r.Gid.IsAny) return Criterion.FragmentPorts;
        }
        else if (p.Proto == IpProto.Tcp || p.Proto == IpProto.Udp)
        {
            if (p.Proto == IpProto.Tcp)
            {
                if (((byte)p.TcpFlags & r.FlagsMask) != r.Flags) return Criterion.Flags;
                if (r.OsNeverMatches) return Criterion.Os;
            }
            if (!r.SrcPort.IsAny && !r.SrcPort.Matches(q.SrcPort)) return Criterion.SrcPort;
            if (!r.DstPort.IsAny && !r.DstPort.Matches(q.DstPort)) return Criterion.DstPort;
            if (!r.Uid.IsAny && !MatchUid(r.Uid, q.Uid)) return Criterion.User;
            if (!r.Gid.IsAny && !MatchUid(r.Gid, q.Gid)) return Criterion.Group;
        }
        else if (p.IsIcmp)
        {
            if (r.IcmpType != 0 && r.IcmpType != p.IcmpType + 1) return Criterion.IcmpType;
            if (r.IcmpCode != 0 && r.IcmpCode != p.IcmpCode + 1) return Criterion.IcmpCode;
            if (_openBsd && r.StatefulNotSloppy && !q.IcmpError && q.IcmpDirection != Direction.In) return Criterion.IcmpReplyKeepState;
        }

        if (r.FragmentKeyword && !q.Fragment) return Criterion.FragmentKeyword;
        if (r.Tos != 0 && r.Tos != p.Tos) return Criterion.Tos;
        if (r.Probability != 0 && r.Probability <= Draw()) return Criterion.Probability;
        if (r.Tagged is not null && (r.Tagged == tag) == r.TaggedNot) return Criterion.Tagged;
        if (r.ReceivedOn is not null && ReceivedOnMatches(r.ReceivedOn, ref q) == r.ReceivedOnNot) return Criterion.ReceivedOn;
        if (r.PrioNeverMatches) return Criterion.Prio;
        return Criterion.Matched;
    }

    private bool AddressMatches(in CompiledAddress m, in Address a, Interface? sourceOn)
    {
        bool hit;
        switch (m.Kind)
        {
            case AddressKind.Any: hit = true; break;
            case AddressKind.Network: hit = a.Family == m.Family && (a.Hi & m.MaskHi) == m.Hi && (a.Lo & m.MaskLo) == m.Lo; break;
            case AddressKind.Range: hit = a.Family == m.RangeStart.Family && a >= m.RangeStart && a <= m.RangeEnd; break;
            case AddressKind.Table: hit = m.Table is not null && m.Table.Contains(a); break;
            case AddressKind.Dynamic: hit = _dynamic.Contains(m.Source, a); break;
            // As the reference: pf_routable on the host model's routes; urpf-failed is checked for sources only.
            case AddressKind.NoRoute: hit = !_routes.Routable(a); break;
            case AddressKind.UrpfFailed: hit = sourceOn is null || !_routes.ReversePathOk(a, sourceOn); break;
            default: hit = false; break;
        }
        return hit != m.Not;
    }

    private static bool MatchUid(PortMatch m, uint uid)
    {
        if (uid == PacketContext.UnknownId && m.Op != PortOp.Eq && m.Op != PortOp.Ne) return false;
        return m.Matches(uid);
    }

    private bool ReceivedOnMatches(string name, ref RuleQuery q) =>
        q.ReceivedOn is not null && (name == "any" || q.ReceivedOn == name || _config.Host.InterfaceMatches(q.ReceivedOn, name));

    /// <summary>Which of the rules' interface names cover this interface, computed once per interface.</summary>
    private bool[] InterfaceMatches(Interface itf)
    {
        int id = itf.Id;
        if (id < _ifMatch.Length && _ifMatch[id] is { } known && ReferenceEquals(_ifSeen[id], itf)) return known;
        if (id >= _ifMatch.Length)
        {
            Array.Resize(ref _ifMatch, Math.Max(id + 1, _ifMatch.Length * 2));
            Array.Resize(ref _ifSeen, _ifMatch.Length);
        }
        _ifSeen[id] = itf;
        var names = _rs.InterfaceNames;
        var row = new bool[names.Length];
        for (int i = 0; i < names.Length; i++) row[i] = itf.Matches(names[i]);
        _ifMatch[id] = row;
        return row;
    }

    private uint Draw()
    {
        ulong x = _rng;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        _rng = x;
        return (uint)(x % (uint.MaxValue - 1)) + 1;
    }
}
