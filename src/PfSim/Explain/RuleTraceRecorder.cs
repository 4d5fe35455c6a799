using PfSim.Engine;
using PfSim.Rules;

namespace PfSim.Explain;

/// <summary>Records every rule the evaluator tested for one packet and how it fared (used only when explaining).</summary>
public sealed class RuleTraceRecorder : IRuleTrace
{
    public List<(Rule Rule, Ruleset Ruleset, Criterion Result)> Steps { get; } = [];

    public void Tested(Rule rule, Ruleset ruleset, Criterion result) => Steps.Add((rule, ruleset, result));

    public void Clear() => Steps.Clear();
}
