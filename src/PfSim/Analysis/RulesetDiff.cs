using PfSim.Rules;

namespace PfSim.Analysis;

/// <summary>One region two rulesets decide differently, with a packet of it.</summary>
public sealed record DiffRegion(Box Box, HeaderPoint Witness);

/// <summary>The headers one pair of deciding rules (old, new) decides differently.</summary>
public sealed record DiffGroup(Decider Old, Decider New, IReadOnlyList<DiffRegion> Regions)
{
    /// <summary>"action" when one passes what the other blocks; "effect" when both pass or both block but state, log, return or translation differ.</summary>
    public string Kind => Old.Action == New.Action ? "effect" : "action";
}

/// <summary>The result of comparing two rulesets over all first packets.</summary>
public sealed record DiffResult(HeaderSpace Space, IReadOnlyList<DiffGroup> Groups, IReadOnlyList<string> Notes)
{
    public bool Same => Groups.Count == 0;
}

/// <summary>
/// Which packets two configurations decide differently. The old ruleset's decision map is refined by
/// the new ruleset's evaluation, so every region carries both deciding rules; the comparison is exact over
/// header fields for the stateless decision on a connection's first packet.
/// </summary>
public static class RulesetDiff
{
    public static DiffResult Compute(PfConfig oldConfig, PfConfig newConfig)
    {
        var space = HeaderSpace.For(oldConfig, newConfig);
        var oldMap = DecisionMap.Build(oldConfig, space);
        var newMap = DecisionMap.Build(newConfig, new RuleRegions(space, newConfig),
            oldMap.Boxes.Select(d => (d.Box, (object?)d.Decider)));

        var groups = new Dictionary<(Decider, Decider), List<Box>>();
        foreach (var d in newMap.Boxes)
        {
            var old = (Decider)d.Carry!;
            if (old.Effect == d.Decider.Effect) continue;
            var key = (old, d.Decider);
            if (!groups.TryGetValue(key, out var list)) groups[key] = list = [];
            list.Add(d.Box);
        }
        var result = groups
            .Select(g => new DiffGroup(g.Key.Item1, g.Key.Item2,
                RegionMerge.Merge(g.Value).Select(b => new DiffRegion(b, b.Witness())).ToList()))
            .OrderBy(g => g.Kind == "action" ? 0 : 1)
            .ThenBy(g => g.Old.Site?.Rule.Number ?? int.MaxValue)
            .ThenBy(g => g.New.Site?.Rule.Number ?? int.MaxValue)
            .ToList();

        var notes = new List<string>
        {
            "exact for the first packet of a connection, decided by rules alone; packets that match a state are not compared",
        };
        foreach (var n in oldMap.Notes) notes.Add("old: " + n);
        foreach (var n in newMap.Notes) notes.Add("new: " + n);
        return new DiffResult(space, result, notes);
    }
}
