using PfSim.Rules;

namespace PfSim.Analysis;

public enum LintKind : byte
{
    /// <summary>The rule matches no header at all (conflicting criteria, empty table, …).</summary>
    NeverMatches,
    /// <summary>Every packet the rule could match is on an interface of <c>set skip</c>.</summary>
    SkippedInterface,
    /// <summary>The rule matches packets, but other rules always decide them.</summary>
    Shadowed,
    /// <summary>The rule decides packets, but without it they would be decided the same way.</summary>
    Redundant,
}

/// <summary>One finding of <c>pfsim lint</c>.</summary>
public sealed record LintFinding(LintKind Kind, RuleSite Site, IReadOnlyList<Decider> By, string Message);

public sealed record LintResult(HeaderSpace Space, IReadOnlyList<LintFinding> Findings, IReadOnlyList<string> Notes);

/// <summary>
/// Rules that can never be the deciding rule, and rules whose removal changes nothing, found by the same
/// exact region evaluation as <see cref="RulesetDiff"/>. Rules with criteria outside the header (user,
/// tagged, …) are never counted on to shadow another rule, because they may not match.
/// </summary>
public static class RulesetLint
{
    public static LintResult Run(PfConfig config)
    {
        var space = HeaderSpace.For(config);
        var regions = new RuleRegions(space, config);
        var findings = new List<LintFinding>();
        var notes = new List<string> { "exact for the first packet of a connection, decided by rules alone" };

        var sites = RulesetWalk.AllSites(config.Main).Where(s => s.Ruleset.Filter.Contains(s.Rule)).ToList();
        bool Certain(RuleSite s) => regions.Of(s.Rule, s.Ruleset).IsCertain;
        var map = DecisionMap.Build(config, regions, include: Certain);
        foreach (var n in map.Notes) notes.Add(n);
        var entry = EntryRegions(config, regions, space);

        var skipped = ByteSet.Empty;
        foreach (var name in config.Options.Skip) skipped = skipped.Union(space.InterfacesMatching(name));

        foreach (var site in sites)
        {
            var rule = site.Rule;
            var region = regions.Of(rule, site.Ruleset).Boxes;
            var reach = entry.TryGetValue(site.Ruleset, out var e) ? e : [];
            if (region.Count == 0)
            {
                findings.Add(new LintFinding(LintKind.NeverMatches, site, [], EmptyReason(rule)));
                continue;
            }
            var effective = Region.Intersect(region, reach);
            if (effective.Count == 0)
            {
                findings.Add(new LintFinding(LintKind.NeverMatches, site, [],
                    "never evaluated: the anchor rule that calls it matches none of the packets it matches"));
                continue;
            }
            var live = effective.Select(b => b.WithSet(Box.Iface, b.Set(Box.Iface).Except(skipped))).Where(b => !b.IsEmpty).ToList();
            if (live.Count == 0)
            {
                var names = config.Options.Skip.Where(n => effective.Any(b => b.Set(Box.Iface).Overlaps(space.InterfacesMatching(n))));
                findings.Add(new LintFinding(LintKind.SkippedInterface, site, [],
                    $"contradicts 'set skip on {string.Join(' ', names)}': pf never filters packets on that interface"));
                continue;
            }
            if (rule.Action is not (RuleAction.Pass or RuleAction.Block) || rule.Anchor is not null) continue;

            var own = Certain(site) ? map : DecisionMap.Build(config, regions, include: s => Certain(s) || ReferenceEquals(s.Rule, rule));
            var decidedByIt = own.Boxes.Where(d => d.Decider.Site is { } ds && ReferenceEquals(ds.Rule, rule)).ToList();
            if (decidedByIt.Count == 0)
            {
                var by = own.Boxes.Where(d => Region.Overlaps(live, d.Box)).Select(d => d.Decider).Distinct().OrderBy(Order).ToList();
                findings.Add(new LintFinding(LintKind.Shadowed, site, by, ShadowMessage(site, by)));
                continue;
            }
            if (!Certain(site)) continue;
            var without = DecisionMap.Build(config, regions, decidedByIt.Select(d => (d.Box, (object?)null)),
                s => Certain(s) && !ReferenceEquals(s.Rule, rule));
            var self = decidedByIt[0].Decider;
            if (without.Boxes.All(d => d.Decider.Effect == self.Effect))
            {
                var by = without.Boxes.Select(d => d.Decider).Distinct().OrderBy(Order).ToList();
                findings.Add(new LintFinding(LintKind.Redundant, site, by,
                    $"without it, {string.Join(", ", by.Select(b => b.Name))} decide{(by.Count == 1 ? "s" : "")} the same packets the same way"));
            }
        }
        return new LintResult(space, findings, notes);
    }

    private static int Order(Decider d) => d.Site?.Rule.Number ?? int.MaxValue;

    private static string ShadowMessage(RuleSite site, List<Decider> by)
    {
        var earlier = by.Where(d => d.Site is { } s && s.Rule.Quick && s.Rule.Number < site.Rule.Number && s.Ruleset == site.Ruleset).ToList();
        var later = by.Except(earlier).ToList();
        var parts = new List<string>();
        if (earlier.Count > 0) parts.Add($"earlier quick rule{(earlier.Count > 1 ? "s" : "")} {string.Join(", ", earlier.Select(d => d.Name))}");
        if (later.Count > 0) parts.Add($"{(later.Count > 1 ? "rules" : "rule")} {string.Join(", ", later.Select(d => d.Name))}");
        return $"never decides a packet: every packet it matches is decided by {string.Join(" and ", parts)}";
    }

    private static string EmptyReason(Rule r)
    {
        if (r.Fragment) return "matches no first packet: 'fragment' rules match only fragments pf did not reassemble";
        if (r.From.Address.Family != Af.Any && r.To.Address.Family != Af.Any && r.From.Address.Family != r.To.Address.Family)
            return "matches no packet: source and destination are of different address families";
        if (r.Af != Af.Any && (r.From.Address.Family is var f && f != Af.Any && f != r.Af || r.To.Address.Family is var t && t != Af.Any && t != r.Af))
            return "matches no packet: an address does not belong to the rule's address family";
        if (r.From.Address.Kind == AddressKind.Table || r.To.Address.Kind == AddressKind.Table)
            return "matches no packet: a table it uses matches no address";
        return "matches no packet: its criteria exclude each other";
    }

    /// <summary>For each ruleset, the headers for which pf enters it (the main ruleset: all; an anchor: where its anchor rule matches).</summary>
    private static Dictionary<Ruleset, List<Box>> EntryRegions(PfConfig config, RuleRegions regions, HeaderSpace space)
    {
        var result = new Dictionary<Ruleset, List<Box>>(ReferenceEqualityComparer.Instance) { [config.Main] = space.Universe.ToList() };
        void Visit(Ruleset rs)
        {
            foreach (var r in rs.Filter)
            {
                if (r.Anchor is not { } call) continue;
                var reach = Region.Intersect(result[rs], regions.Of(r, rs).Boxes);
                foreach (var child in RulesetWalk.AnchorRulesets(call))
                {
                    result[child] = result.TryGetValue(child, out var prev) ? Region.Union(prev, reach) : reach;
                    if (!ReferenceEquals(child, rs)) Visit(child);
                }
            }
        }
        Visit(config.Main);
        return result;
    }
}
