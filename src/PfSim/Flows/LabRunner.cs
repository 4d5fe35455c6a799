namespace PfSim.Flows;

/// <summary>Makes pf for a node from a ruleset text (the engine behind <see cref="IPacketFilter"/>).</summary>
public interface IFilterFactory
{
    /// <summary>Loads <paramref name="text"/> (the content of <paramref name="source"/>'s file, possibly edited) for <paramref name="node"/>.</summary>
    IPacketFilter Create(Node node, PfSource source, string path, string text);
}

/// <summary>A packet pf dropped during a run.</summary>
public sealed record LostPacket(FlowPacket Packet, TraceStep Step)
{
    public FilterVerdict Verdict => Step.Verdict!;
    public Node Host => Step.Node;
    public string If => Step.Interface?.Name ?? "";
    public Direction Dir => Step.Dir;
}

/// <summary>What one tool run under one ruleset variant did.</summary>
public sealed class RunOutcome
{
    internal RunOutcome(RulesetVariant ruleset, LabRun run, ToolModel tool, Simulation sim, IReadOnlyDictionary<Node, string> texts)
    {
        Ruleset = ruleset;
        Run = run;
        Tool = tool;
        Simulation = sim;
        RulesetTexts = texts;
        var lost = new List<LostPacket>();
        foreach (var s in sim.Steps)
            if (s.Blocked) lost.Add(new LostPacket(sim.Packets[s.Packet - 1], s));
        Lost = lost;
    }

    public RulesetVariant Ruleset { get; }
    public LabRun Run { get; }
    public ToolModel Tool { get; }
    public Simulation Simulation { get; }
    /// <summary>The ruleset text each pf node ran (after edits, for fix suggestions).</summary>
    public IReadOnlyDictionary<Node, string> RulesetTexts { get; }
    public bool Reached => Tool.Reached;
    public IReadOnlyList<string> Hops => Tool.Hops;
    public IReadOnlyList<string> Output => Tool.Render();
    public IReadOnlyList<LostPacket> Lost { get; }
    /// <summary>What the lab file expects (null when it does not say).</summary>
    public bool? Expected => Run.Expect.TryGetValue(Ruleset.Name, out var e) ? e : null;
    public bool MatchesExpectation => Expected is not bool e || e == Reached;
}

/// <summary>Runs a lab: every tool run under every ruleset variant, each in a fresh network (fresh pf state).</summary>
public sealed class LabRunner(Lab lab, IFilterFactory? factory = null)
{
    public Lab Lab { get; } = lab;
    private readonly Dictionary<string, string> _texts = new();

    /// <summary>Runs <paramref name="run"/> under <paramref name="variant"/>; <paramref name="edits"/> replace some nodes' ruleset texts.</summary>
    public RunOutcome Run(RulesetVariant variant, LabRun run, IReadOnlyDictionary<Node, string>? edits = null, bool recordTrace = true)
    {
        var filters = new Dictionary<Node, IPacketFilter>();
        var texts = new Dictionary<Node, string>();
        foreach (var (node, src) in variant.Sources)
        {
            var path = Lab.ResolveFile(src.File);
            string text = edits is not null && edits.TryGetValue(node, out var e) ? e : ReadText(path);
            texts[node] = text;
            if (factory is null) throw new InvalidOperationException($"{node.Name} runs pf: the lab runner needs a filter factory");
            filters[node] = factory.Create(node, src, path, text);
        }
        var sim = new Simulation(Lab.Topology, filters, recordTrace);
        var tool = ToolModel.Create(run.Tool, run.From, run.Target, run.Options);
        tool.Start(sim, 0.0);
        sim.Run();
        return new RunOutcome(variant, run, tool, sim, texts);
    }

    public IEnumerable<RunOutcome> RunAll(Func<LabRun, bool>? select = null)
    {
        foreach (var v in Lab.Rulesets)
            foreach (var r in Lab.Runs)
                if (select is null || select(r))
                    yield return Run(v, r);
    }

    public string ReadText(string path)
    {
        if (!_texts.TryGetValue(path, out var t)) _texts[path] = t = File.ReadAllText(path);
        return t;
    }
}
