using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>Per-rule counters as <c>pfctl -vsr</c> shows them.</summary>
public sealed class RuleCounters
{
    private ulong _evaluations;
    /// <summary>The stats this belongs to: a compiled evaluator counts evaluations in bulk and adds them when they are read.</summary>
    internal RuleStats? Owner;

    /// <summary>Times the rule was tested (pfctl -vsr's Evaluations).</summary>
    public ulong Evaluations
    {
        get { Owner?.FlushPending?.Invoke(); return _evaluations; }
        set => _evaluations = value;
    }

    /// <summary>Adds evaluations counted elsewhere (without flushing again).</summary>
    internal void AddEvaluations(ulong n) => _evaluations += n;

    public ulong PacketsIn, PacketsOut, BytesIn, BytesOut;
    public uint StatesCurrent;
    public ulong StatesTotal;
    /// <summary>Source nodes of this rule (max-src-nodes).</summary>
    public uint SrcNodes;
    /// <summary>A <c>once</c> rule that has fired and is gone.</summary>
    public bool Expired;
    /// <summary>Per-rule timeouts over the global ones, indexed by <see cref="PfTimeout"/>.</summary>
    internal uint[] Timeouts = [];

    public ulong Packets => PacketsIn + PacketsOut;
    public ulong Bytes => BytesIn + BytesOut;
}

/// <summary>Counters for every rule of a configuration, found by reference.</summary>
public sealed class RuleStats
{
    private readonly Dictionary<Rule, RuleCounters> _counters = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Ruleset, RuleCounters[]> _byRuleset = new(ReferenceEqualityComparer.Instance);

    internal RuleStats(PfConfig config, uint[] globalTimeouts, bool openBsd)
    {
        Visit(config.Main, globalTimeouts, openBsd, 0);
    }

    private void Visit(Ruleset rs, uint[] global, bool openBsd, int depth)
    {
        if (depth > 64) return;
        foreach (var r in rs.AllRules)
        {
            if (_counters.ContainsKey(r)) continue;
            var c = new RuleCounters { Timeouts = RuleTimeouts(r, global, openBsd), Owner = this };
            _counters.Add(r, c);
            if (r.Anchor is not null) Visit(r.Anchor.Ruleset, global, openBsd, depth + 1);
        }
        foreach (var child in rs.Anchors.Values) Visit(child, global, openBsd, depth + 1);
        var filter = new RuleCounters[rs.Filter.Count];
        for (int i = 0; i < filter.Length; i++) filter[i] = _counters[rs.Filter[i]];
        _byRuleset[rs] = filter;
    }

    /// <summary>The counters of a ruleset's filter rules, in rule order (one lookup per ruleset on the packet path).</summary>
    internal RuleCounters[] ForFilter(Ruleset rs)
    {
        if (_byRuleset.TryGetValue(rs, out var a) && a.Length == rs.Filter.Count) return a;
        a = new RuleCounters[rs.Filter.Count];
        for (int i = 0; i < a.Length; i++) a[i] = this[rs.Filter[i]];
        _byRuleset[rs] = a;
        return a;
    }

    /// <summary>The rule's timeouts: <c>keep state (name N)</c> over the global values; OpenBSD's <c>max N</c> sets adaptive 60%/120% of N.</summary>
    private static uint[] RuleTimeouts(Rule r, uint[] global, bool openBsd)
    {
        var so = r.StateOptions;
        bool adaptiveFromMax = openBsd && so.MaxStates > 0;
        if (so.Timeouts.Count == 0 && !adaptiveFromMax) return global;
        var t = (uint[])global.Clone();
        // A rule's own adaptive range applies only with max (pf_state_expires); otherwise the global one.
        t[(int)PfTimeout.AdaptiveStart] = 0;
        t[(int)PfTimeout.AdaptiveEnd] = 0;
        if (adaptiveFromMax)
        {
            t[(int)PfTimeout.AdaptiveStart] = (uint)(so.MaxStates * 6UL / 10);
            t[(int)PfTimeout.AdaptiveEnd] = (uint)(so.MaxStates * 12UL / 10);
        }
        foreach (var (name, v) in so.Timeouts)
        {
            int i = Array.IndexOf(PfTimeoutNames.Names, name);
            if (i >= 0) t[i] = v;
        }
        return t;
    }

    /// <summary>Evaluators that count in bulk (the compiled one) add their pending counts here before anyone reads them.</summary>
    internal Action? FlushPending;

    /// <summary>The counters of a rule of this configuration.</summary>
    public RuleCounters this[Rule rule]
    {
        get
        {
            if (_counters.TryGetValue(rule, out var c)) return c;
            c = new RuleCounters { Owner = this };
            _counters[rule] = c;
            return c;
        }
    }

    public bool TryGet(Rule rule, out RuleCounters counters) => _counters.TryGetValue(rule, out counters!);
}
