using PfSim.Rules;

namespace PfSim.Compile;

/// <summary>
/// One rule in the flattened evaluation order: anchors are laid out in place (pf evaluates them in place), so the whole
/// tree of rulesets becomes one array walked from left to right. An anchor rule's children follow it up to <see cref="End"/>.
/// </summary>
public sealed class FlatRule
{
    public required Rule Rule { get; init; }
    /// <summary>The ruleset the rule belongs to (what a verdict reports as its ruleset).</summary>
    public required Ruleset Ruleset { get; init; }
    /// <summary>The anchor rule that called <see cref="Ruleset"/> (null in the main ruleset).</summary>
    public Rule? AnchorRule { get; init; }
    /// <summary>Index of the enclosing anchor rule's entry, or -1.</summary>
    public int Parent { get; init; }
    /// <summary>Index just past this entry's children (this index + 1 for a plain rule).</summary>
    public int End { get; set; }
    /// <summary>Anchor nesting depth (0 in the main ruleset).</summary>
    public int Depth { get; init; }
    public bool IsAnchor => Rule.Anchor is not null;
}

/// <summary>Flattens a configuration's filter rules in pf's evaluation order, with the reference's anchor depth limit.</summary>
public static class RuleFlattener
{
    /// <summary>The reference evaluator's anchor depth limit (pf's PF_ANCHOR_STACK_MAX).</summary>
    public const int MaxAnchorDepth = 64;

    public static List<FlatRule> Flatten(Ruleset main)
    {
        var list = new List<FlatRule>();
        Add(list, main, null, -1, 0);
        return list;
    }

    private static void Add(List<FlatRule> list, Ruleset rs, Rule? anchorRule, int parent, int depth)
    {
        foreach (var r in rs.Filter)
        {
            int at = list.Count;
            var e = new FlatRule { Rule = r, Ruleset = rs, AnchorRule = anchorRule, Parent = parent, Depth = depth };
            list.Add(e);
            // The reference skips the call (but still tests the anchor rule) once the stack would overflow.
            if (r.Anchor is not null && depth + 1 < MaxAnchorDepth)
            {
                if (r.Anchor.Wildcard)
                    foreach (var child in r.Anchor.Ruleset.Anchors.Values) Add(list, child, r, at, depth + 1);
                else Add(list, r.Anchor.Ruleset, r, at, depth + 1);
            }
            e.End = list.Count;
        }
    }
}
