using System.Runtime.CompilerServices;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>
/// pf on one machine: one call per packet per interface crossing (pf_test), with the state table carried between calls.
/// Time comes from the caller (seconds from the start), so runs are deterministic.
/// </summary>
public sealed partial class Firewall
{
    private readonly List<Interface> _interfaces = [];
    private readonly Dictionary<string, int> _interfaceIds = new(StringComparer.Ordinal);
    private readonly List<Rule> _matchRules = [];
    private readonly uint[] _globalTimeouts;
    private readonly uint _stateLimit;
    private readonly Rule[] _noRules = [];
    private readonly ReferenceEvaluator _addressMatcher;
    private readonly Dictionary<object, StateOrigin> _origins = new(ReferenceEqualityComparer.Instance);
    private const int CounterCacheSize = 16;
    private readonly (Rule? Rule, RuleCounters? Counters)[] _counterCache = new (Rule?, RuleCounters?)[CounterCacheSize];
    private double _nextPurge;
    private ulong _rng;

    public Firewall(PfConfig config, FirewallOptions? options = null)
    {
        Config = config;
        Options = options ?? new FirewallOptions();
        Dialect = Options.Dialect != Dialect.Auto ? Options.Dialect : config.Dialect != Dialect.Auto ? config.Dialect : Dialect.OpenBsd;
        OpenBsd = Dialect == Dialect.OpenBsd;
        _stateLimit = config.Options.Limits.TryGetValue("states", out var lim) ? lim : OpenBsd ? 100_000u : 10_000u;
        _globalTimeouts = new uint[(int)PfTimeout.Purge + 1];
        for (int i = 0; i < PfTimeoutNames.Names.Length; i++) _globalTimeouts[i] = config.Options.Timeout(PfTimeoutNames.Names[i]);
        // FreeBSD keeps fragments 30 s; adaptive scaling starts at 60% and ends at 120% of the state limit unless set.
        if (!OpenBsd && !config.Options.Timeouts.ContainsKey("frag")) _globalTimeouts[(int)PfTimeout.Frag] = 30;
        if (!config.Options.Timeouts.ContainsKey("adaptive.start")) _globalTimeouts[(int)PfTimeout.AdaptiveStart] = (uint)(_stateLimit * 6UL / 10);
        if (!config.Options.Timeouts.ContainsKey("adaptive.end")) _globalTimeouts[(int)PfTimeout.AdaptiveEnd] = (uint)(_stateLimit * 12UL / 10);
        Counters = new RuleStats(config, _globalTimeouts, OpenBsd);
        DefaultRuleCounters = new RuleCounters { Timeouts = _globalTimeouts };
        _rng = Options.Seed == 0 ? 0x2545F4914F6CDD1DUL : Options.Seed * 0x9E3779B97F4A7C15UL;
        _addressMatcher = new ReferenceEvaluator(config, Counters, OpenBsd, Options.Seed);
        Evaluator = Options.EvaluatorFactory?.Invoke(config, Counters, OpenBsd)
            ?? (Options.UseReferenceEvaluator ? new ReferenceEvaluator(config, Counters, OpenBsd, Options.Seed)
                : new PfSim.Compile.CompiledEvaluator(config, Counters, OpenBsd, Options.Seed));
    }

    public PfConfig Config { get; }
    public FirewallOptions Options { get; }
    /// <summary>The dialect being simulated (never Auto).</summary>
    public Dialect Dialect { get; }
    public bool OpenBsd { get; }
    /// <summary>The state table (<c>pfctl -ss</c>).</summary>
    public StateTable States { get; } = new();
    /// <summary>Per-rule counters (<c>pfctl -vsr</c>).</summary>
    public RuleStats Counters { get; }
    public IRulesetEvaluator Evaluator { get; }
    /// <summary>Packets decided by the default rule (pass or block).</summary>
    public RuleCounters DefaultRuleCounters { get; }

    /// <summary>The id of an interface by name, created on first use; resolve once and pass the id on the hot path.</summary>
    public int InterfaceId(string name)
    {
        if (_interfaceIds.TryGetValue(name, out int id)) return id;
        id = _interfaces.Count;
        _interfaces.Add(new Interface(id, name, Config.Host, Config.Options));
        _interfaceIds.Add(name, id);
        return id;
    }

    public Interface GetInterface(int id) => _interfaces[id];

    /// <summary>pf_test: the verdict on one IP packet crossing <paramref name="ifname"/> in <paramref name="dir"/> at <paramref name="time"/> seconds.</summary>
    public Verdict Test(ReadOnlySpan<byte> ipPacket, string ifname, Direction dir, double time)
    {
        Run(ipPacket, default, InterfaceId(ifname), dir, time, default, null, out var v);
        return v;
    }

    /// <summary>pf_test with an interface id from <see cref="InterfaceId"/>, an optional context and an optional rule trace.</summary>
    public Verdict Test(ReadOnlySpan<byte> ipPacket, int ifId, Direction dir, double time, in PacketContext context = default, IRuleTrace? trace = null)
    {
        Run(ipPacket, default, ifId, dir, time, context, trace, out var v);
        return v;
    }

    /// <summary>
    /// pf_test for the hot path (replay, benchmarks): the verdict is written where the caller keeps it rather than
    /// returned, since a returned <see cref="Verdict"/> (about 170 bytes with references) is copied at each level.
    /// </summary>
    public void Test(ReadOnlySpan<byte> ipPacket, int ifId, Direction dir, double time, out Verdict verdict) =>
        Run(ipPacket, default, ifId, dir, time, default, null, out verdict);

    /// <summary>pf_test that also rewrites the packet in place as pf would (translation, modulated sequence numbers).</summary>
    public Verdict TestInPlace(Span<byte> ipPacket, int ifId, Direction dir, double time, in PacketContext context = default, IRuleTrace? trace = null)
    {
        Run(ipPacket, ipPacket, ifId, dir, time, context, trace, out var v);
        return v;
    }

    // Not inlined into callers: it is large, and inlined into a caller's loop it used up that caller's inlining budget,
    // leaving the state's small getters as calls (perf, EngineVerdictBench.StateHits).
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Run(ReadOnlySpan<byte> p, Span<byte> writable, int ifId, Direction dir, double time, in PacketContext ctx, IRuleTrace? trace, out Verdict v)
    {
        v = default;
        v.Action = RuleAction.Pass;
        v.Tag = ctx.Tag;
        _matchRules.Clear();
        var itf = _interfaces[ifId];
        if (itf.Skip) { v.Skipped = true; return; }
        if (time >= _nextPurge) Purge(time);

        var status = PacketDecoder.Decode(p, out var h);
        if (status != DecodeStatus.Ok)
        {
            Malformed(ref v, status, dir, p.Length);
            return;
        }

        // A later fragment that is not reassembled has no transport header: pf's PF_VPROTO_FRAGMENT goes straight to the rules.
        bool fragment = h.IsLaterFragment;
        var outcome = StateOutcome.NoState;
        State? st = null;
        if (!fragment)
        {
            outcome = h.IsIcmp && h.HasTransport
                ? TestStateIcmp(p, ref h, itf, dir, time, ref v, out st)
                : TestState(ref h, writable, itf, dir, time, out st);
        }

        if (outcome == StateOutcome.Pass) PassByState(p, writable, h, st!, dir, ref v);
        else if (outcome != StateOutcome.NoState) BlockByState(outcome, st!, ref v);
        else TestRule(p, writable, ref h, fragment, itf, dir, time, ctx, trace, ref v);

        // IP options (IPv4 options, IPv6 hop-by-hop/routing) pass only with allow-opts on the deciding rule or state.
        if (v.Action == RuleAction.Pass && h.HasIpOptions && !(st is not null && v.StateUse == StateUse.Match ? st.AllowOpts : v.Rule?.AllowOpts ?? false))
        {
            v.Action = RuleAction.Block;
            v.Reason = Reason.IpOption;
            v.Log = true;
        }
        Count(ref v, dir, h.TotalLength);
    }

    /// <summary>A packet that passes on a state: the state's rule, anchor, log and tag decide; a translated state rewrites it.</summary>
    private void PassByState(ReadOnlySpan<byte> p, Span<byte> writable, in PacketHeaders h, State st, Direction dir, ref Verdict v)
    {
        v.Action = RuleAction.Pass;
        v.StateUse = StateUse.Match;
        v.State = st;
        if (st.Origin is { } o)
        {
            v.Rule = o.Rule;
            v.Ruleset = o.Ruleset;
            v.AnchorRule = o.AnchorRule;
        }
        v.Log = st.LogAll;
        v.Tag = st.Tag ?? v.Tag;
        if (st.IsTranslated) TranslateByState(p, writable, h, st, dir, ref v);
    }

    [MethodImpl(MethodImplOptions.NoInlining)] // rare: keeps the state-hit path small
    private void TranslateByState(ReadOnlySpan<byte> p, Span<byte> writable, in PacketHeaders h, State st, Direction dir, ref Verdict v)
    {
        if (h.IsIcmpError)
        {
            TranslateIcmpError(p, writable, h, st, dir, ref v);
            return;
        }
        var nat = TranslatedView(st, dir, h);
        if (h.IsIcmp) nat = nat with { IcmpId = IcmpIdAfter(h, nat.SrcPort, nat.DstPort, onState: true) };
        v.Nat = nat;
        if (writable.Length > 0) PacketRewriter.Translate(writable, h, nat.Src, nat.IcmpId ?? nat.SrcPort, nat.Dst, nat.DstPort);
    }

    /// <summary>A state was found but the packet is dropped: synproxy's own handshake, a source limit, or a packet that does not fit the state.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void BlockByState(StateOutcome outcome, State st, ref Verdict v)
    {
        v.Action = RuleAction.Block;
        v.StateUse = StateUse.Match;
        v.State = st;
        switch (outcome)
        {
            case StateOutcome.Synproxy:
                // pf consumed the packet to run the proxied handshake.
                v.Rule = st.Rule;
                v.Ruleset = st.Ruleset;
                v.Reason = Reason.Synproxy;
                v.Return = _proxySent;
                break;
            case StateOutcome.SynproxyReject:
                // pf_synproxy: a packet that does not continue the proxied handshake is dropped (reason synproxy).
                v.Rule = st.Rule;
                v.Ruleset = st.Ruleset;
                v.Reason = Reason.Synproxy;
                break;
            case StateOutcome.SrcLimit:
                // max-src-conn / max-src-conn-rate exceeded when the handshake completed: pf kills the state and drops.
                v.Reason = Reason.SrcLimit;
                break;
            default:
                // The ruleset is not consulted.
                v.Reason = Reason.StateMismatch;
                break;
        }
    }

    /// <summary>Malformed packets are dropped and force-logged against the default rule.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Malformed(ref Verdict v, DecodeStatus status, Direction dir, int bytes)
    {
        v.Action = RuleAction.Block;
        v.Reason = status switch { DecodeStatus.BadOffset => Reason.BadOffset, DecodeStatus.Fragment => Reason.Fragment, _ => Reason.Short };
        v.Log = true;
        Count(ref v, dir, bytes);
    }

    private void Count(ref Verdict v, Direction dir, int bytes)
    {
        var s = v.State;
        if (v.StateUse == StateUse.Match && s is not null)
        {
            CountOnState(ref v, s, dir, bytes);
            return;
        }
        AddPacket(v.Rule is null ? DefaultRuleCounters : CountersOf(v.Rule), dir, bytes);
        if (v.AnchorRule is not null) AddPacket(CountersOf(v.AnchorRule), dir, bytes);
        // Match rules that applied count the packet too.
        for (int i = 0; i < _matchRules.Count; i++) AddPacket(CountersOf(_matchRules[i]), dir, bytes);
        if (s is not null && v.Action == RuleAction.Pass) s.CountPacket(dir == s.Direction, bytes);
    }

    /// <summary>A packet that used a state counts against the state's rule (its origin holds the counters), and the match rules the state remembers.</summary>
    private void CountOnState(ref Verdict v, State s, Direction dir, int bytes)
    {
        AddPacket(v.Rule is null ? DefaultRuleCounters : s.Origin?.Counters ?? CountersOf(v.Rule), dir, bytes);
        if (v.AnchorRule is not null) AddPacket(CountersOf(v.AnchorRule), dir, bytes);
        if (s.MatchRules is { } remembered)
        {
            foreach (var mr in remembered) AddPacket(CountersOf(mr), dir, bytes);
        }
        else
        {
            for (int i = 0; i < _matchRules.Count; i++) AddPacket(CountersOf(_matchRules[i]), dir, bytes);
        }
        if (v.Action == RuleAction.Pass) s.CountPacket(dir == s.Direction, bytes);
    }

    /// <summary>
    /// A rule's counters through a small cache in front of the dictionary (keyed by rule number, checked by reference):
    /// the packet path counts every verdict against its rule, and a few rules decide most packets.
    /// </summary>
    private RuleCounters CountersOf(Rule r)
    {
        ref var e = ref _counterCache[r.Number & (CounterCacheSize - 1)];
        if (ReferenceEquals(e.Rule, r)) return e.Counters!;
        var c = Counters[r];
        e = (r, c);
        return c;
    }

    private static void AddPacket(RuleCounters c, Direction dir, int bytes)
    {
        if (dir == Direction.Out) { c.PacketsOut++; c.BytesOut += (ulong)bytes; }
        else { c.PacketsIn++; c.BytesIn += (ulong)bytes; }
    }

    private ulong NextRandom()
    {
        ulong x = _rng;
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        _rng = x;
        return x;
    }

    /// <summary>pf_state_expires: last activity plus the timeout, scaled down adaptively when the table fills.</summary>
    public double Expires(State s)
    {
        if (s.Timeout == PfTimeout.Purge) return s.LastActivity;
        var t = s.Timeouts;
        double timeout = t[(int)s.Timeout];
        uint start, end, states;
        if (!ReferenceEquals(t, _globalTimeouts) && t[(int)PfTimeout.AdaptiveStart] != 0)
        {
            start = t[(int)PfTimeout.AdaptiveStart];
            end = t[(int)PfTimeout.AdaptiveEnd];
            var rc = s.Origin?.Counters ?? (s.Rule is null ? DefaultRuleCounters : Counters[s.Rule]);
            states = rc.StatesCurrent;
        }
        else
        {
            start = _globalTimeouts[(int)PfTimeout.AdaptiveStart];
            end = _globalTimeouts[(int)PfTimeout.AdaptiveEnd];
            states = (uint)States.Count;
        }
        if (end != 0 && states > start && start < end)
        {
            if (states >= end) return s.LastActivity;
            timeout = timeout * (end - states) / (end - start);
        }
        return s.LastActivity + timeout;
    }

    /// <summary>True when the state's time is up at <paramref name="now"/> (the purge would have removed it).</summary>
    public bool IsExpired(State s, double now) => Expires(s) <= now;

    /// <summary>The purge task, run every <c>interval</c> seconds of simulated time: removes expired states.</summary>
    public void Purge(double now)
    {
        double interval = Math.Max(1, _globalTimeouts[(int)PfTimeout.Interval]);
        _nextPurge = now + interval;
        States.RemoveWhere(this, now);
    }

    internal void RemoveState(State s)
    {
        if (s.Unlinked) return;
        States.Unlink(s);
        ReleaseSrcNode(s);
        var c = s.Rule is null ? DefaultRuleCounters : Counters[s.Rule];
        if (c.StatesCurrent > 0) c.StatesCurrent--;
        // STATE_DEC_COUNTERS: the anchor rule and the remembered match rules.
        if (s.AnchorRule is not null && Counters[s.AnchorRule] is { StatesCurrent: > 0 } ac) ac.StatesCurrent--;
        if (s.MatchRules is { } mrs)
            foreach (var mr in mrs) { var mc = Counters[mr]; if (mc.StatesCurrent > 0) mc.StatesCurrent--; }
    }

    private static NatResult TranslatedView(State st, Direction dir, in PacketHeaders h)
    {
        // The other key gives the addresses the packet leaves with: stack side for inbound, wire side for outbound.
        var k = dir == Direction.In ? st.Stack : st.Wire;
        return dir == Direction.In
            ? new NatResult(k.Addr0, k.Port0, k.Addr1, k.Port1)
            : new NatResult(k.Addr1, k.Port1, k.Addr0, k.Port0);
    }
}

internal enum StateOutcome : byte { NoState, Pass, Drop, Synproxy, SrcLimit, SynproxyReject }
