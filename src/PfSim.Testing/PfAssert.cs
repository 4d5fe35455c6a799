using System.Text;
using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Testing;

/// <summary>A ruleset does not do what a test expected; the message holds the witness packet and PfSim's explanation.</summary>
public sealed class RulesetAssertionException(string message) : Exception(message);

/// <summary>
/// Assertions about a ruleset, checked exactly over header space for first packets (every packet of the set,
/// not a sample), with the witness of a failure run through PfSim's engine for its explanation.
/// </summary>
public static class PfAssert
{
    /// <summary>pf passes this packet (a fresh state table).</summary>
    public static PacketOutcome Passes(RulesetUnderTest ruleset, TestPacket packet)
    {
        var o = ruleset.Evaluate(packet);
        if (!o.Passed) throw new RulesetAssertionException($"expected pass, but pf blocks it:\n  {o}");
        return o;
    }

    /// <summary>pf blocks this packet (a fresh state table).</summary>
    public static PacketOutcome Blocks(RulesetUnderTest ruleset, TestPacket packet)
    {
        var o = ruleset.Evaluate(packet);
        if (o.Passed) throw new RulesetAssertionException($"expected block, but pf passes it:\n  {o}");
        return o;
    }

    /// <summary>Every first packet of the set passes (<c>tcp from 10.0.0.0/8 to 192.168.50.1 port 22</c>).</summary>
    public static void Passes(PacketSet set) => All(set, RuleAction.Pass);

    /// <summary>Every first packet of the set is blocked.</summary>
    public static void Blocks(PacketSet set) => All(set, RuleAction.Block);

    /// <summary>Of the packets in <paramref name="domain"/>, pf passes exactly those in <paramref name="allowed"/>.</summary>
    public static void AllowsOnly(PacketSet domain, PacketSet allowed)
    {
        var failures = new List<string>();
        var inside = domain.Intersect(allowed);
        var outside = domain.Except(allowed);
        failures.AddRange(Violations(inside, RuleAction.Pass, "allowed, but blocked"));
        failures.AddRange(Violations(outside, RuleAction.Block, "not allowed, but passed"));
        if (failures.Count > 0)
            throw new RulesetAssertionException($"of '{domain.Text}', pf should pass only '{allowed.Text}':\n{string.Join("\n", failures)}");
    }

    /// <summary>No packet arriving on <paramref name="outsideInterface"/> reaches an address of table <paramref name="table"/>.</summary>
    public static void NothingReaches(RulesetUnderTest ruleset, string table, string outsideInterface)
    {
        var set = ruleset.Packets($"in on {outsideInterface} from any to <{table}>");
        var v = Violations(set, RuleAction.Block, "reaches the table").ToList();
        if (v.Count > 0)
            throw new RulesetAssertionException($"packets from outside ({outsideInterface}) reach <{table}>:\n{string.Join("\n", v)}");
    }

    /// <summary>This flow's every packet passes, both ways, on a fresh state table.</summary>
    public static FlowOutcome PassesBothWays(RulesetUnderTest ruleset, Flow flow)
    {
        var o = ruleset.Run(flow);
        if (!o.PassedBothWays) throw new RulesetAssertionException($"expected every packet to pass both ways:\n{o}");
        return o;
    }

    private static void All(PacketSet set, RuleAction want)
    {
        var v = Violations(set, want, want == RuleAction.Pass ? "blocked" : "passed").ToList();
        if (v.Count > 0)
            throw new RulesetAssertionException($"expected every packet of '{set.Text}' to {(want == RuleAction.Pass ? "pass" : "be blocked")}:\n{string.Join("\n", v)}");
    }

    /// <summary>Regions of the set decided against <paramref name="want"/>, merged per deciding rule, each with a witness and its explanation (at most 5).</summary>
    internal static IEnumerable<string> Violations(PacketSet set, RuleAction want, string what)
    {
        var other = want == RuleAction.Pass ? RuleAction.Block : RuleAction.Pass;
        var groups = set.DecidedAs(other).GroupBy(x => x.Decider).Take(5);
        foreach (var g in groups)
        {
            var boxes = RegionMerge.Merge(g.Select(x => x.Box)).ToList();
            var witness = TestPacket.FromPoint(boxes[0].Witness(), set.Space).WithQuoteIfError();
            var o = set.Ruleset.Evaluate(witness);
            var sb = new StringBuilder();
            sb.Append($"  {what} by {g.Key.Name}: {g.Key.Text}\n");
            foreach (var b in boxes.Take(3)) sb.Append($"    region:  {RegionFormat.Box(b, set.Space)}\n");
            if (boxes.Count > 3) sb.Append($"    … and {boxes.Count - 3} more regions\n");
            sb.Append($"    witness: {witness}\n");
            sb.Append($"    pf:      {o.ActionWord} by {o.RuleName}\n");
            sb.Append($"    why:     {o.Explanation}");
            yield return sb.ToString();
        }
    }
}
