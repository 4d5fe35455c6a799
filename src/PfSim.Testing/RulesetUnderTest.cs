using PfSim.Analysis;
using PfSim.Engine;
using PfSim.Explain;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Testing;

/// <summary>A ruleset that does not load: its errors as pfctl words them.</summary>
public sealed class RulesetLoadException(IReadOnlyList<ParseError> errors)
    : Exception(string.Join(Environment.NewLine, errors.Select(e => e.ToString())))
{
    public IReadOnlyList<ParseError> Errors { get; } = errors;
}

/// <summary>What pf did with one packet, and why in PfSim's words.</summary>
public sealed record PacketOutcome(TestPacket Packet, RuleAction Action, Rule? Rule, Ruleset? Ruleset, string Explanation)
{
    public bool Passed => Action == RuleAction.Pass;
    public string RuleName => Rule is null ? "the default rule" : Ruleset is { Path.Length: > 0 } rs ? $"rule @{Rule.Number} in anchor \"{rs.Path}\"" : $"rule @{Rule.Number}";
    public string ActionWord => Passed ? "pass" : "block";

    public override string ToString() => $"{Packet}\n    {ActionWord} by {RuleName}{(Rule is null ? "" : ": " + Rule.Text)}\n    why: {Explanation}";
}

/// <summary>
/// The ruleset a test speaks about: loaded as pfctl loads it, evaluated by PfSim's engine (a fresh state table
/// for each packet or flow), and analysed over header space for exact checks.
/// </summary>
public sealed class RulesetUnderTest
{
    private HeaderSpace? space;
    private DecisionMap? map;

    public RulesetUnderTest(PfConfig config) => Config = config;

    public PfConfig Config { get; }

    /// <summary>Loads a pf.conf file; throws <see cref="RulesetLoadException"/> with every error when pfctl would refuse it.</summary>
    public static RulesetUnderTest Load(string path, Dialect dialect = Dialect.Auto, HostModel? host = null) =>
        FromResult(PfConfLoader.LoadFile(path, new LoadOptions { Dialect = dialect, Host = host ?? HostModel.Default }));

    /// <summary>Loads pf.conf text (for rulesets written inside a test).</summary>
    public static RulesetUnderTest FromText(string text, Dialect dialect = Dialect.Auto, HostModel? host = null) =>
        FromResult(PfConfLoader.LoadText(text, "pf.conf", new LoadOptions { Dialect = dialect, Host = host ?? HostModel.Default }));

    private static RulesetUnderTest FromResult(LoadResult r) =>
        r.Success && r.Config is not null ? new RulesetUnderTest(r.Config) : throw new RulesetLoadException(r.Errors);

    /// <summary>The header space of this ruleset (its interfaces and one more).</summary>
    public HeaderSpace Space => space ??= HeaderSpace.For(Config);

    /// <summary>The exact stateless first-packet decision over all of header space.</summary>
    public DecisionMap Decisions => map ??= DecisionMap.Build(Config, Space);

    private readonly Dictionary<string, DecisionMap> maps = new(StringComparer.Ordinal);

    /// <summary>The decision map over a header space that may name more interfaces than the ruleset does.</summary>
    public DecisionMap DecisionsIn(HeaderSpace s)
    {
        if (ReferenceEquals(s, Space)) return Decisions;
        var key = string.Join('\0', s.Interfaces);
        if (!maps.TryGetValue(key, out var m)) maps[key] = m = DecisionMap.Build(Config, s);
        return m;
    }

    /// <summary>The set of packets a pf-style selector names, e.g. <c>in on em0 proto tcp from any to &lt;db&gt; port 5432</c>.</summary>
    public PacketSet Packets(string selector) => PacketSet.Parse(this, selector);

    /// <summary>Every packet of header space.</summary>
    public PacketSet AllPackets => new(this, "all", Space.Universe.ToList());

    /// <summary>One packet through a fresh firewall: the verdict and PfSim's explanation.</summary>
    public PacketOutcome Evaluate(TestPacket packet) => Evaluate(new Firewall(Config), packet, 1.0);

    internal static PacketOutcome Evaluate(Firewall fw, TestPacket packet, double time)
    {
        var bytes = packet.Build();
        var (v, why) = Explainer.TestAndExplain(fw, bytes, fw.InterfaceId(packet.Interface), packet.Direction, time);
        return new PacketOutcome(packet, v.Action, v.Rule, v.Ruleset, why);
    }

    /// <summary>A flow through a fresh firewall, packet by packet and hop by hop, with state carried along.</summary>
    public FlowOutcome Run(Flow flow) => flow.RunOn(new Firewall(Config));
}
