using PfSim.Rules;

namespace PfSim.Analysis;

/// <summary>Why a region is decided as it is.</summary>
public enum DecisionKind : byte
{
    /// <summary>A pass or block rule decided.</summary>
    Rule,
    /// <summary>No pass/block rule matched: pf's default rule (pass, no state).</summary>
    Default,
    /// <summary>The interface is in <c>set skip</c>: pf does not look at the packet.</summary>
    Skip,
}

/// <summary>Who decides a header: a rule, the default rule, or <c>set skip</c>.</summary>
public sealed record Decider(DecisionKind Kind, RuleSite? Site)
{
    public static readonly Decider Default = new(DecisionKind.Default, null);
    public static readonly Decider Skip = new(DecisionKind.Skip, null);

    public RuleAction Action => Site?.Rule.Action ?? RuleAction.Pass;
    public string Name => Kind switch { DecisionKind.Skip => "set skip", DecisionKind.Default => "default rule", _ => Site!.Name };
    public string Text => Kind switch
    {
        DecisionKind.Skip => "(interface skipped: pass unfiltered)",
        DecisionKind.Default => "(no rule matched: pass, no state)",
        _ => Site!.Rule.Text.Length > 0 ? Site.Rule.Text : $"{Site.Rule.Action.ToString().ToLowerInvariant()} …",
    };

    /// <summary>What a packet gets: action and everything that changes what happens next (state, log, return, translation).</summary>
    public string Effect
    {
        get
        {
            if (Site is null) return "pass";
            var r = Site.Rule;
            return string.Join('|', r.Action, r.Return, r.State, r.Log, r.Tag, r.RTable, r.AllowOpts,
                r.NatTo is null, r.RdrTo is null, r.BinatTo is null, r.RouteTo is null, r.ReplyTo is null, r.DupTo is null, r.AfTo,
                string.Join(',', r.Extras), string.Join(',', r.StateOptions.Written));
        }
    }

    public override string ToString() => Name;
}

/// <summary>One box of header space and who decides it; <see cref="Carry"/> is a label brought along from an earlier map.</summary>
public readonly record struct DecidedBox(Box Box, Decider Decider, object? Carry);

/// <summary>
/// The stateless first-packet decision of a whole configuration over header space, as disjoint boxes each
/// with its deciding rule. Evaluates like pf_test_rule: rules in order, last match wins, quick stops,
/// anchors are entered when their own criteria match, a quick anchor stops when a pass/block rule
/// inside it matched; match rules never decide, but a quick one ends the evaluation.
/// </summary>
public sealed class DecisionMap
{
    private readonly PfConfig config;
    private readonly RuleRegions regions;
    private readonly Func<RuleSite, bool> include;
    private readonly List<DecidedBox> decided = [];
    private readonly HashSet<string> notes = [];

    private DecisionMap(PfConfig config, RuleRegions regions, Func<RuleSite, bool> include)
    {
        this.config = config;
        this.regions = regions;
        this.include = include;
    }

    public IReadOnlyList<DecidedBox> Boxes => decided;
    /// <summary>Where this map is not exact (translation, criteria outside the header), in plain words.</summary>
    public IReadOnlyCollection<string> Notes => notes;
    public RuleRegions Regions => regions;

    /// <summary>The decision over all of header space.</summary>
    public static DecisionMap Build(PfConfig config, HeaderSpace space) => Build(config, new RuleRegions(space, config));

    /// <summary>The decision over <paramref name="start"/> (default: all of header space), leaving out rules <paramref name="include"/> rejects.</summary>
    public static DecisionMap Build(PfConfig config, RuleRegions regions, IEnumerable<(Box Box, object? Carry)>? start = null, Func<RuleSite, bool>? include = null)
    {
        var map = new DecisionMap(config, regions, include ?? (_ => true));
        start ??= regions.Space.Universe.Select(b => (b, (object?)null));
        map.Run(start);
        return map;
    }

    private struct Item(Box box, Decider last, object? carry, ulong matched)
    {
        public Box Box = box;
        public Decider Last = last;
        public object? Carry = carry;
        /// <summary>Bit d: a pass/block rule matched inside the anchor call at depth d.</summary>
        public ulong Matched = matched;
    }

    private void Run(IEnumerable<(Box Box, object? Carry)> start)
    {
        var space = regions.Space;
        var skipped = ByteSet.Empty;
        foreach (var name in config.Options.Skip) skipped = skipped.Union(space.InterfacesMatching(name));
        var items = new List<Item>();
        foreach (var (box, carry) in start)
        {
            if (box.Set(Box.Iface).Overlaps(skipped))
                decided.Add(new DecidedBox(box.WithSet(Box.Iface, box.Set(Box.Iface).Intersect(skipped)), Decider.Skip, carry));
            var rest = box.Set(Box.Iface).Except(skipped);
            if (!rest.IsEmpty) items.Add(new Item(box.WithSet(Box.Iface, rest), Decider.Default, carry, 0));
        }
        if (config.Main.Nat.Count + config.Main.Rdr.Count + config.Main.Binat.Count > 0)
            notes.Add("nat/rdr/binat rules translate addresses before the filter rules see them; filter rules are evaluated here on the untranslated header");
        items = EvalRules(config.Main, config.Main.Filter, items, 0);
        foreach (var it in items) decided.Add(new DecidedBox(it.Box, it.Last, it.Carry));
    }

    private List<Item> EvalRules(Ruleset owner, List<Rule> rules, List<Item> items, int depth)
    {
        var pieces = new List<Box>();
        foreach (var rule in rules)
        {
            if (items.Count == 0) break;
            var site = new RuleSite(rule, owner);
            if (rule.Action is not (RuleAction.Pass or RuleAction.Block or RuleAction.Match) && rule.Anchor is null) continue;
            if (!include(site)) continue;
            var region = regions.Of(rule, owner);
            if (region.Boxes.Count == 0) continue;
            if (!region.IsCertain)
                notes.Add($"rule {site.Name} also tests {string.Join(", ", region.Unmodeled)}, which header fields do not decide: assumed to match");
            if (rule.Action == RuleAction.Match && (rule.NatTo ?? rule.RdrTo ?? rule.BinatTo) is not null)
                notes.Add($"match rule {site.Name} translates addresses; later rules are evaluated here on the untranslated header");

            var next = new List<Item>(items.Count);
            var inside = new List<Item>();
            foreach (var it in items)
            {
                if (!Region.Overlaps(region.Boxes, it.Box)) { next.Add(it); continue; }
                foreach (var m in region.Boxes)
                    if (it.Box.Intersect(m) is { } part) inside.Add(it with { Box = part });
                pieces.Clear();
                pieces.Add(it.Box);
                foreach (var m in region.Boxes)
                {
                    if (!Region.Overlaps(pieces, m)) continue;
                    var cut = new List<Box>();
                    foreach (var p in pieces) p.SubtractInto(m, cut);
                    pieces.Clear();
                    pieces.AddRange(cut);
                }
                foreach (var p in pieces) next.Add(it with { Box = p });
            }
            if (inside.Count == 0) { items = next; continue; }

            if (rule.Anchor is { } call)
            {
                ulong bit = depth + 1 < 64 ? 1UL << (depth + 1) : 0;
                var within = inside.Select(i => i with { Matched = i.Matched & ~bit }).ToList();
                foreach (var child in RulesetWalk.AnchorRulesets(call))
                    within = EvalRules(child, child.Filter, within, depth + 1);
                foreach (var it in within)
                {
                    bool matchedInside = (it.Matched & bit) != 0;
                    if (rule.Quick && matchedInside) decided.Add(new DecidedBox(it.Box, it.Last, it.Carry));
                    else next.Add(it);
                }
            }
            else if (rule.Action == RuleAction.Match)
            {
                // pf_match_rule breaks on quick for match rules too: the decision so far stands.
                if (rule.Quick) foreach (var it in inside) decided.Add(new DecidedBox(it.Box, it.Last, it.Carry));
                else next.AddRange(inside);
            }
            else
            {
                var decider = new Decider(DecisionKind.Rule, site);
                ulong mark = depth >= 63 ? ulong.MaxValue : (2UL << depth) - 1;
                foreach (var it in inside)
                {
                    if (rule.Quick) decided.Add(new DecidedBox(it.Box, decider, it.Carry));
                    else next.Add(new Item(it.Box, decider, it.Carry, it.Matched | mark));
                }
            }
            items = next;
        }
        return items;
    }
}
