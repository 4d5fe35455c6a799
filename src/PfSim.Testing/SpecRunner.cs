using System.Diagnostics;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using PfSim.Flows;
using PfSim.Rules;

namespace PfSim.Testing;

/// <summary>The result of one expectation.</summary>
public sealed record ExpectationResult(Expectation Expectation, bool Passed, string? Failure, TimeSpan Time);

/// <summary>The results of one spec file; <see cref="Error"/> when the spec or its ruleset could not be read.</summary>
public sealed record SpecResult(string File, string? Ruleset, IReadOnlyList<ExpectationResult> Results, string? Error)
{
    public int Passed => Results.Count(r => r.Passed);
    public int Failed => Results.Count(r => !r.Passed) + (Error is null ? 0 : 1);
}

/// <summary>
/// Runs a spec: plain expectations are checked exactly over header space (every first packet of the set), with a
/// failing witness run through the engine for its explanation; <c>property:</c> expectations sample packets through the
/// engine with FsCheck; <c>flow:</c> expectations generate whole flows; traceroute/ping lines run the lab's tool models.
/// </summary>
public static partial class SpecRunner
{
    public static SpecResult Run(string specPath) => Run(specPath, null);

    /// <summary>Runs the spec; <paramref name="seed"/> fixes the cases that <c>property:</c> and <c>flow:</c> lines draw (a failure replays).</summary>
    public static SpecResult Run(string specPath, ulong? seed)
    {
        Spec spec;
        try { spec = Spec.Load(specPath); }
        catch (SpecException e) { return new SpecResult(specPath, null, [], e.Message); }

        HostModel? host = null;
        if (spec.HostFile is not null)
        {
            if (!System.IO.File.Exists(spec.HostFile)) return new SpecResult(specPath, spec.Ruleset, [], $"{spec.HostFile}: No such file or directory");
            var (model, errors) = HostModelLoader.LoadFile(spec.HostFile);
            if (model is null) return new SpecResult(specPath, spec.Ruleset, [], string.Join("\n", errors));
            host = model;
        }
        if (!System.IO.File.Exists(spec.Ruleset)) return new SpecResult(specPath, spec.Ruleset, [], $"{spec.Ruleset}: No such file or directory");
        RulesetUnderTest ruleset;
        try { ruleset = RulesetUnderTest.Load(spec.Ruleset, spec.Dialect, host); }
        catch (RulesetLoadException e) { return new SpecResult(specPath, spec.Ruleset, [], e.Message); }

        Lab? lab = null;
        if (spec.LabFile is not null)
        {
            try { lab = LabFile.Load(spec.LabFile); }
            catch (LabFileException e) { return new SpecResult(specPath, spec.Ruleset, [], e.Message); }
            catch (IOException e) { return new SpecResult(specPath, spec.Ruleset, [], e.Message); }
        }

        var results = new List<ExpectationResult>();
        foreach (var e in spec.Expectations)
        {
            var sw = Stopwatch.StartNew();
            string? failure;
            try
            {
                failure = e.Kind switch
                {
                    ExpectationKind.Packets => CheckPackets(ruleset, spec, e),
                    ExpectationKind.Property => CheckProperty(ruleset, spec, e, seed),
                    ExpectationKind.Flow => CheckFlow(ruleset, spec, e, seed),
                    _ => CheckTool(lab, spec, e),
                };
            }
            catch (Exception ex) when (ex is ArgumentException or SpecException or RulesetAssertionException)
            {
                failure = $"{e.File}:{e.Line}: {ex.Message}";
            }
            results.Add(new ExpectationResult(e, failure is null, failure, sw.Elapsed));
        }
        return new SpecResult(specPath, spec.Ruleset, results, null);
    }

    /// <summary>
    /// An expectation's packets as a selector: arriving (<c>in</c>) unless it says otherwise, on the spec's interface
    /// when it names none, and for TCP the connection-opening SYN unless it gives flags.
    /// </summary>
    public static string Selector(string subject, string? defaultInterface)
    {
        var s = subject.Trim();
        bool hasDir = DirectionWord().IsMatch(s);
        if (!OnWord().IsMatch(s) && defaultInterface is not null)
            s = hasDir ? DirectionWord().Replace(s, m => $"{m.Value} on {defaultInterface}", 1) : $"on {defaultInterface} {s}";
        if (!hasDir) s = "in " + s;
        if (TcpWord().IsMatch(s) && !s.Contains(" flags ", StringComparison.Ordinal)) s += " flags S/SA";
        return s;
    }

    private static string? CheckPackets(RulesetUnderTest ruleset, Spec spec, Expectation e)
    {
        var set = ruleset.Packets(Selector(e.Subject, spec.Interface));
        if (set.IsEmpty) return $"{e.File}:{e.Line}: '{e.Subject}' names no packet";
        bool pass = e.Outcome == "pass";
        var v = PfAssert.Violations(set, pass ? RuleAction.Pass : RuleAction.Block, pass ? "blocked" : "passed").ToList();
        return v.Count == 0 ? null : string.Join("\n", v);
    }

    private static string? CheckProperty(RulesetUnderTest ruleset, Spec spec, Expectation e, ulong? seed)
    {
        var set = ruleset.Packets(Selector(e.Subject, spec.Interface));
        if (set.IsEmpty) return $"{e.File}:{e.Line}: '{e.Subject}' names no packet";
        var prop = e.Outcome == "pass" ? PfProperties.AllPass(set) : PfProperties.AllBlocked(set);
        return PropertyCheck.Run(prop, spec.Samples, seed);
    }

    private static string? CheckFlow(RulesetUnderTest ruleset, Spec spec, Expectation e, ulong? seed)
    {
        var m = FlowSubject().Match(e.Subject);
        if (!m.Success)
            throw new SpecException("a flow is 'tcp|udp|dns|ping from ADDR to ADDR [port N] [on IF | out on IF | through IF IF]'");
        var kind = m.Groups["kind"].Value switch { "tcp" => FlowKind.Tcp, "udp" => FlowKind.Udp, "dns" => FlowKind.Dns, _ => FlowKind.Ping };
        FlowPath path;
        if (m.Groups["through"].Success) path = FlowPath.Through(m.Groups["a"].Value, m.Groups["b"].Value);
        else if (m.Groups["on"].Success) path = m.Groups["out"].Success ? FlowPath.Outbound(m.Groups["on"].Value) : FlowPath.Host(m.Groups["on"].Value);
        else if (spec.Interface is not null) path = FlowPath.Host(spec.Interface);
        else throw new SpecException("a flow needs an interface: 'on IF', 'through IF IF' or the spec's 'interface:'");
        var clients = ruleset.Packets($"from {m.Groups["from"].Value}");
        var servers = ruleset.Packets($"to {m.Groups["to"].Value}");
        int? port = m.Groups["port"].Success ? int.Parse(m.Groups["port"].Value) : kind switch { FlowKind.Dns => 53, FlowKind.Ping => 0, _ => null };
        if (port is null) throw new SpecException("a tcp or udp flow needs 'port N'");
        var gen = FlowGen.Flows(kind, clients, servers, path, port);
        bool wantPass = e.Outcome == "passes both ways";
        var prop = Prop.ForAll(Arb.From(gen, FlowGen.Shrink), f =>
        {
            var o = ruleset.Run(f);
            if (o.PassedBothWays != wantPass)
                throw new RulesetAssertionException(wantPass ? $"a packet of the flow was blocked:\n{o}" : $"the whole flow passed:\n{o}");
        });
        return PropertyCheck.Run(prop, Math.Min(spec.Samples, 50), seed);
    }

    private static string? CheckTool(Lab? lab, Spec spec, Expectation e)
    {
        if (lab is null || spec.Variant is null)
            throw new SpecException("ping/traceroute expectations run the lab's tool models: give the spec 'lab: FILE' and 'variant: NAME'");
        var m = ToolSubject().Match(e.Subject);
        if (!m.Success || !ToolModel.TryParse(m.Groups["tool"].Value, out var tool))
            throw new SpecException("a tool run is 'traceroute|traceroute -I|traceroute -T|tracert|ping from HOST to HOST'");
        var variant = lab.Rulesets.FirstOrDefault(v => v.Name == spec.Variant)
            ?? throw new SpecException($"the lab has no ruleset variant '{spec.Variant}'");
        var from = FindNode(lab, m.Groups["from"].Value) ?? throw new SpecException($"no host '{m.Groups["from"].Value}' in the lab");
        var toText = m.Groups["to"].Value;
        var target = Address.TryParse(toText, out var a) ? a : (lab.Topology.Find(toText)?.PrimaryAddress ?? throw new SpecException($"no host '{toText}' in the lab"));
        var outcome = new LabRunner(lab, new PfFilterFactory()).Run(variant, new LabRun(tool, from, target, toText, new ToolOptions(), e.Line));
        bool want = e.Outcome == "reaches";
        if (outcome.Reached == want) return null;
        var lines = new List<string> { $"  {ToolModel.Name(tool)} {(outcome.Reached ? "reached" : "did not reach")} {toText} under ruleset {variant.Name}:" };
        var shown = outcome.Output.Where(l => l.Trim().Length > 0).ToList();
        lines.AddRange(shown.Take(6).Select(l => "    | " + l));
        if (shown.Count > 6) lines.Add($"    | … ({shown.Count - 6} more lines)");
        foreach (var g in outcome.Lost.GroupBy(l => (l.Host.Name, l.If, l.Dir, l.Verdict.Rule)).Take(5))
        {
            var lost = g.First();
            lines.Add($"    {g.Count()} packet{(g.Count() == 1 ? "" : "s")} dropped by pf on {lost.Host.Name} {(lost.Dir == Direction.In ? "in" : "out")} on {lost.If}: " +
                      $"{(lost.Verdict.Rule is not null ? lost.Verdict.RuleText : "the default rule")}");
            if (lost.Verdict.Explain is { } why) lines.Add($"      why (first): {why()}");
        }
        return string.Join("\n", lines);
    }

    private static Node? FindNode(Lab lab, string nameOrAddress) =>
        lab.Topology.Find(nameOrAddress) ?? (Address.TryParse(nameOrAddress, out var a) ? lab.Topology.Owner(a) : null);

    [GeneratedRegex(@"(^|\s)(in|out)(?=\s)")]
    private static partial Regex DirectionWord();

    [GeneratedRegex(@"(^|\s)on\s")]
    private static partial Regex OnWord();

    [GeneratedRegex(@"(^|\s)(proto\s+)?tcp(\s|$)")]
    private static partial Regex TcpWord();

    [GeneratedRegex(@"^(?<kind>tcp|udp|dns|ping)\s+from\s+(?<from>.+?)\s+to\s+(?<to>.+?)(\s+port\s+(?<port>\d+))?(\s+(?<out>out\s+)?on\s+(?<on>\S+)|\s+through\s+(?<a>\S+)\s+(?<b>\S+))?$")]
    private static partial Regex FlowSubject();

    [GeneratedRegex(@"^(?<tool>traceroute(\s+-[IT])?|tracert|ping)\s+from\s+(?<from>\S+)\s+to\s+(?<to>\S+)$")]
    private static partial Regex ToolSubject();
}
