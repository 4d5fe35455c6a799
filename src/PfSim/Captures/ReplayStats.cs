using PfSim.Engine;
using PfSim.Rules;

namespace PfSim.Captures;

/// <summary>What a pflog capture says happened next to what the ruleset now decides, for one group of packets.</summary>
public sealed record Disagreement(
    string LoggedAction, int? LoggedRule, string LoggedAnchor,
    string NowAction, int? NowRule, string NowAnchor, StateUse NowState)
{
    /// <summary>Packets in this group.</summary>
    public long Count { get; internal set; }
    /// <summary>The first such packet: file and record number.</summary>
    public string FirstFile { get; internal init; } = "";
    public long FirstPacket { get; internal init; }
    /// <summary>The rule that decides now, as pfctl prints it (empty for the default rule).</summary>
    public string NowText { get; internal init; } = "";
    /// <summary>Passed where pf blocked, or blocked where pf passed: what an administrator looks for first.</summary>
    public bool ActionChanged => LoggedAction != NowAction;
}

/// <summary>Totals of a replay: packets by outcome, states, and for pflog input the disagreements with the log.</summary>
public sealed class ReplayStats
{
    public long Records;
    public long Packets;
    public long Passed;
    public long Blocked;
    public long StatesCreated;
    public long StateMatches;
    public long Logged;
    /// <summary>Packets on an interface in <c>set skip</c>: pf did nothing.</summary>
    public long SkippedInterface;
    public long NotIp;
    public long Truncated;
    public long BadPflog;
    public long UnsupportedLinkType;
    /// <summary>Packets whose direction nothing said (taken as in).</summary>
    public long DirectionGuessed;
    /// <summary>pflog records compared with the simulation, and how many agreed.</summary>
    public long Compared;
    public long Agreed;
    /// <summary>pflog records by header layout (indexed by <see cref="PflogLayout"/>).</summary>
    public readonly long[] PflogLayouts = new long[5];

    private readonly Dictionary<(byte, uint, uint, string, RuleAction, int, string, StateUse), Disagreement> _disagreements = [];

    /// <summary>Groups of pflog packets the ruleset now decides otherwise: those whose action changed first, then largest first.</summary>
    public IReadOnlyList<Disagreement> Disagreements =>
        [.. _disagreements.Values.OrderByDescending(d => d.ActionChanged).ThenByDescending(d => d.Count).ThenBy(d => d.FirstFile, StringComparer.Ordinal).ThenBy(d => d.FirstPacket)];

    /// <summary>Compared pflog packets that the ruleset now passes where pf blocked them, or the other way round.</summary>
    public long ActionChanged;

    internal void CountSkipped(FrameStatus status)
    {
        switch (status)
        {
            case FrameStatus.NotIp: NotIp++; break;
            case FrameStatus.Truncated: Truncated++; break;
            case FrameStatus.BadPflog: BadPflog++; break;
            default: UnsupportedLinkType++; break;
        }
    }

    /// <summary>pflog records of a packet already replayed (logged by several rules).</summary>
    public long SameAsPrevious;

    internal void Count(in ReplayedPacket p)
    {
        if (p.SameAsPrevious)
        {
            SameAsPrevious++;
            PflogLayouts[(int)p.Logged.Layout]++;
            Compare(p);
            return;
        }
        Packets++;
        ref readonly var v = ref p.Verdict;
        if (v.Skipped) SkippedInterface++;
        if (v.Action == RuleAction.Pass) Passed++; else Blocked++;
        if (v.StateUse == StateUse.New) StatesCreated++;
        else if (v.StateUse == StateUse.Match) StateMatches++;
        if (v.Log) Logged++;
        if (p.DirGuessed) DirectionGuessed++;
        if (p.HasLogged)
        {
            PflogLayouts[(int)p.Logged.Layout]++;
            Compare(p);
        }
    }

    /// <summary>The rule number the verdict reports as pflog would (inside an anchor: the rule's own number there).</summary>
    public static int? RuleOf(in Verdict v) => v.Rule?.Number;

    // Only pass and block records are comparable: match/nat/scrub records log something else than a decision.
    private void Compare(in ReplayedPacket p)
    {
        ref readonly var h = ref p.Logged;
        if (h.Action > 1) return;
        Compared++;
        ref readonly var v = ref p.Verdict;
        int? nowRule = RuleOf(v);
        string nowAnchor = v.Ruleset?.Name ?? "";
        bool sameAnchor = h.InAnchor ? h.AnchorText == nowAnchor : nowAnchor.Length == 0;
        bool same = (h.Action == 0) == (v.Action == RuleAction.Pass) && h.VerdictRule == nowRule && sameAnchor;
        if (same) { Agreed++; return; }
        // Grouped by what was logged and what happens now; the key allocates only for the anchor's name.
        var key = (h.Action, h.RuleNumber, h.SubruleNumber, h.InAnchor ? h.AnchorText : "", v.Action, nowRule ?? -1, nowAnchor, v.StateUse);
        bool actionChanged = (h.Action == 0) != (v.Action == RuleAction.Pass);
        if (actionChanged) ActionChanged++;
        if (_disagreements.TryGetValue(key, out var d)) { d.Count++; return; }
        _disagreements[key] = new Disagreement(h.ActionName, h.VerdictRule, h.InAnchor ? h.AnchorText : "",
                                               v.Action == RuleAction.Pass ? "pass" : "block", nowRule, nowAnchor, v.StateUse)
        { Count = 1, FirstFile = p.File, FirstPacket = p.Index, NowText = v.Rule?.Text ?? "" };
    }
}
