using PfSim.Rules;

namespace PfSim.Analysis;

/// <summary>A rule with the ruleset (anchor) it sits in.</summary>
public sealed record RuleSite(Rule Rule, Ruleset Ruleset)
{
    /// <summary>"@3" in the main ruleset, "@3 in anchor \"ftp\"" inside one.</summary>
    public string Name => Ruleset.Path.Length == 0 ? $"@{Rule.Number}" : $"@{Rule.Number} in anchor \"{Ruleset.Path}\"";
    public string Where => Rule.Line > 0 ? $"{Rule.File}:{Rule.Line}" : "";
}

/// <summary>Walks every rule of a configuration, anchors included, in pf's order.</summary>
public static class RulesetWalk
{
    public static IEnumerable<Rule> AllRules(Ruleset rs) => AllSites(rs).Select(s => s.Rule);

    public static IEnumerable<RuleSite> AllSites(Ruleset rs)
    {
        var seen = new HashSet<Ruleset>(ReferenceEqualityComparer.Instance);
        return Walk(rs, seen);
    }

    private static IEnumerable<RuleSite> Walk(Ruleset rs, HashSet<Ruleset> seen)
    {
        if (!seen.Add(rs)) yield break;
        foreach (var r in rs.AllRules)
        {
            yield return new RuleSite(r, rs);
            if (r.Anchor is { } call)
                foreach (var child in AnchorRulesets(call))
                    foreach (var s in Walk(child, seen))
                        yield return s;
        }
    }

    /// <summary>The rulesets an anchor rule evaluates: its anchor, or for "name/*" every child in name order.</summary>
    public static IEnumerable<Ruleset> AnchorRulesets(AnchorCall call) =>
        call.Wildcard ? call.Ruleset.Anchors.Values : [call.Ruleset];
}
