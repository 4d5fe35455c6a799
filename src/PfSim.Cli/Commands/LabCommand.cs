using System.CommandLine;
using System.Globalization;
using PfSim.Explain;
using PfSim.Flows;

namespace PfSim.Cli;

/// <summary><c>pfsim lab FILE</c>: run a lab (topology + rulesets + tools) and print what each tool shows and why.</summary>
internal static class LabCommand
{
    public static Command Create(CliContext ctx)
    {
        var file = new Argument<string>("FILE") { Description = "The lab file (YAML): hosts, routers, pf rulesets, tool runs." };
        var tool = new Option<string?>("--tool") { Description = "Only this tool: ping, tracert, traceroute, traceroute-I, traceroute-T." };
        var from = new Option<string?>("--from") { Description = "Only runs from this host." };
        var to = new Option<string?>("--to") { Description = "Only runs to this host." };
        var ruleset = new Option<string?>("--ruleset") { Description = "Only this ruleset of the lab." };
        var json = new Option<bool>("--json") { Description = "One JSON object per run and ruleset (ruleset, tool, from, to, reached, hops, lost)." };
        var explain = new Option<bool>("--explain") { Description = "For every run that fails: which packet pf dropped, where, why, and fixes checked by re-running the lab." };
        var trace = new Option<bool>("--trace") { Description = "Print each tool's output and the per-packet trace (time, host, interface, direction, verdict, rule, state)." };
        var pcap = new Option<string?>("--write-pcap") { Description = "Write the packets pf saw (raw IP pcap, one file per ruleset: OUT, or OUT-RULESET.pcap when several)." };
        var pflog = new Option<string?>("--write-pflog") { Description = "Write what pf logged (rules with 'log') as a pflog capture, as pflogd would." };
        var report = new Option<string?>("--report") { Description = "Write a self-contained HTML teaching report (ladder diagrams, tool output, explanations)." };
        var cmd = new Command("lab",
            "Run a lab: ping, tracert and traceroute through a topology with pf, under each ruleset of the lab;\n" +
            "print the outcome table (exit 1 when an outcome differs from the lab's expect:).\n" +
            "Example: pfsim lab captures/labs/seed/lab.yaml --explain --tool traceroute --ruleset C");
        cmd.Add(file);
        foreach (var o in new Option[] { tool, from, to, ruleset, json, explain, trace, pcap, pflog, report }) cmd.Add(o);
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            if (!File.Exists(path)) throw new CliExit(ExitCodes.Usage, $"pfsim: cannot open '{path}'");
            Lab lab;
            try { lab = LabFile.Load(path); }
            catch (LabFileException e) { foreach (var line in e.Errors) ctx.Err.WriteLine(line); return ExitCodes.Failed; }

            ToolKind? toolKind = null;
            if (parse.GetValue(tool) is string t)
                toolKind = ToolModel.TryParse(t, out var k) ? k : throw new CliExit(ExitCodes.Usage, $"pfsim: unknown tool '{t}' (ping, tracert, traceroute, traceroute-I, traceroute-T)");
            var fromName = parse.GetValue(from);
            var toName = parse.GetValue(to);
            var rsName = parse.GetValue(ruleset);
            if (rsName is not null && lab.Rulesets.All(r => r.Name != rsName))
                throw new CliExit(ExitCodes.Usage, $"pfsim: the lab has no ruleset '{rsName}' ({string.Join(", ", lab.Rulesets.Select(r => r.Name))})");
            var runs = lab.Runs.Where(r => (toolKind is null || r.Tool == toolKind) && (fromName is null || r.From.Name == fromName)
                                           && (toName is null || r.TargetName == toName || r.Target.ToString() == toName)).ToList();
            if (runs.Count == 0) throw new CliExit(ExitCodes.Usage, "pfsim: no run of the lab matches --tool/--from/--to");
            var variants = lab.Rulesets.Where(r => rsName is null || r.Name == rsName).ToList();

            var runner = new LabRunner(lab, new PfFilterFactory());
            List<RunOutcome> outcomes;
            try { outcomes = variants.SelectMany(v => runs.Select(r => runner.Run(v, r))).ToList(); }
            catch (LabFileException e) { foreach (var line in e.Errors) ctx.Err.WriteLine(line); return ExitCodes.Failed; }

            bool wantExplain = parse.GetValue(explain);
            var fixes = new Dictionary<RunOutcome, IReadOnlyList<FixSuggestion>>();
            if (wantExplain || parse.GetValue(report) is not null)
                foreach (var o in outcomes.Where(o => !o.Reached && o.Lost.Count > 0))
                    fixes[o] = FixSuggestions.For(runner, o);

            if (parse.GetValue(json)) WriteJson(ctx, outcomes, wantExplain, fixes);
            else
            {
                WriteTable(ctx, lab, variants, runs, outcomes);
                bool detail = parse.GetValue(trace) || (runs.Count == 1 && variants.Count == 1);
                if (detail) foreach (var o in outcomes) WriteDetail(ctx, o);
                if (wantExplain) foreach (var o in outcomes.Where(o => !o.Reached)) WriteExplanation(ctx, o, fixes.GetValueOrDefault(o));
            }
            if (parse.GetValue(pcap) is string pcapOut) LabCaptures.WritePcap(pcapOut, outcomes, s => ctx.Err.WriteLine($"pfsim: wrote {s}"));
            if (parse.GetValue(pflog) is string pflogOut) LabCaptures.WritePflog(pflogOut, outcomes, s => ctx.Err.WriteLine($"pfsim: wrote {s}"));
            if (parse.GetValue(report) is string reportOut)
            {
                File.WriteAllText(reportOut, LabReport.Html(lab, outcomes, fixes));
                ctx.Err.WriteLine($"pfsim: wrote {reportOut}");
            }
            return outcomes.All(o => o.MatchesExpectation) ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    private static string Cell(RunOutcome? o) => o is null ? "-" : (o.Reached ? "works" : "fails") + (o.MatchesExpectation ? "" : "!");

    private static void WriteTable(CliContext ctx, Lab lab, List<RulesetVariant> variants, List<LabRun> runs, List<RunOutcome> outcomes)
    {
        ctx.Out.WriteLine($"lab {lab.Name}: {runs.Count} run(s) x {variants.Count} ruleset(s)");
        ctx.Out.WriteLine();
        var titles = runs.Select(r => r.Title).ToList();
        int w0 = Math.Max(3, titles.Max(t => t.Length)) + 2;
        var widths = variants.Select(v => Math.Max(7, v.Name.Length + 2)).ToList();
        var header = "run".PadRight(w0) + string.Concat(variants.Select((v, i) => v.Name.PadRight(widths[i])));
        ctx.Out.WriteLine(header.TrimEnd());
        foreach (var r in runs)
        {
            var line = r.Title.PadRight(w0);
            for (int i = 0; i < variants.Count; i++)
                line += Cell(outcomes.FirstOrDefault(o => o.Run == r && o.Ruleset == variants[i])).PadRight(widths[i]);
            ctx.Out.WriteLine(line.TrimEnd());
        }
        ctx.Out.WriteLine();
        int expected = outcomes.Count(o => o.Expected is not null);
        var wrong = outcomes.Where(o => !o.MatchesExpectation).ToList();
        if (wrong.Count == 0)
            ctx.Out.WriteLine(expected == 0 ? "(the lab file states no expectations)" : $"All {expected} expected outcomes hold.");
        else
            foreach (var o in wrong)
                ctx.Out.WriteLine($"! ruleset {o.Ruleset.Name}: {o.Run.Title} {(o.Reached ? "works" : "fails")}, the lab expects it to {(o.Expected == true ? "work" : "fail")}");
    }

    private static void WriteDetail(CliContext ctx, RunOutcome o)
    {
        ctx.Out.WriteLine();
        ctx.Out.WriteLine($"== ruleset {o.Ruleset.Name}: {o.Run.Title}: {(o.Reached ? "works" : "fails")}");
        ctx.Out.WriteLine($"{o.Run.From.Name}$ {o.Tool.CommandLine}");
        foreach (var line in o.Output) ctx.Out.WriteLine("  " + line);
        ctx.Out.WriteLine("packets (time, host, interface, direction, what):");
        foreach (var s in o.Simulation.Steps)
        {
            string where = $"{s.Time,10:0.000000} {s.Node.Name} {s.Interface?.Name ?? "-"}";
            string what = s.Kind switch
            {
                StepKind.Filtered => $"{LossStory.Dir(s.Dir)} {s.Verdict!.Action} {s.Verdict.RuleLabel} state={s.Verdict.State.ToString().ToLowerInvariant()}",
                StepKind.Transmitted => $"sent to {s.Peer?.Name}",
                StepKind.Delivered => "delivered",
                StepKind.Forwarded => "forwarded (ttl-1)",
                StepKind.TtlExceeded => "ttl exceeded",
                StepKind.Dropped => "dropped: " + s.Note,
                _ => null,
            } ?? "";
            if (s.Kind == StepKind.Sent) continue;
            ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  #{s.Packet,-3} {where} {what}: {LossStory.PacketText(s.Bytes)}"));
        }
        foreach (var (node, filter) in o.Simulation.Filters)
        {
            if (filter is not PfFilter pf) continue;
            ctx.Out.WriteLine($"rules on {node.Name} (as pfctl -vsr counts them):");
            foreach (var rule in pf.Firewall.Config.Main.Filter)
            {
                var c = pf.Firewall.Counters[rule];
                ctx.Out.WriteLine($"  {PfSim.Explain.Describe.Rule(rule)}");
                ctx.Out.WriteLine($"    [ Evaluations: {c.Evaluations,-8}  Packets: {c.Packets,-10}  Bytes: {c.Bytes,-10}  States: {c.StatesCurrent,-6}]");
            }
            var d = pf.Firewall.DefaultRuleCounters;
            ctx.Out.WriteLine($"  default rule (pass, no state): Packets: {d.Packets}  Bytes: {d.Bytes}");
        }
    }

    private static void WriteExplanation(CliContext ctx, RunOutcome o, IReadOnlyList<FixSuggestion>? fixes)
    {
        ctx.Out.WriteLine();
        ctx.Out.WriteLine($"== why {o.Run.Title} fails under ruleset {o.Ruleset.Name}");
        if (o.Lost.Count == 0) { ctx.Out.WriteLine("pf dropped nothing: the tool got no answer for another reason (routing, nobody listening)."); return; }
        var shown = o.Lost.GroupBy(l => (l.Host, l.If, l.Dir, l.Verdict.Rule, l.Packet.Role)).ToList();
        foreach (var g in shown)
        {
            var first = g.First();
            ctx.Out.WriteLine(Wrap(LossStory.Tell(o, first)));
            if (g.Count() > 1) ctx.Out.WriteLine($"  (and {g.Count() - 1} more {first.Packet.Role} packet(s) dropped the same way)");
        }
        if (fixes is null) return;
        ctx.Out.WriteLine(fixes.Count == 0 ? "No candidate fix made the tool work when re-run." : "Fixes checked by re-running the lab (each makes the tool work):");
        int i = 0;
        foreach (var f in fixes)
        {
            ctx.Out.WriteLine($"  {++i}. {f.Idea}: add to {f.Node}'s pf.conf");
            foreach (var r in f.Rules) ctx.Out.WriteLine($"       {r}");
            ctx.Out.WriteLine($"     it also opens: {f.Opens}");
            foreach (var c in f.AlsoChanges) ctx.Out.WriteLine($"     other runs: {c}");
        }
    }

    private static string Wrap(string text, int width = 100)
    {
        var lines = new List<string>();
        var line = "";
        foreach (var word in text.Split(' '))
        {
            if (line.Length + word.Length + 1 > width && line.Length > 0) { lines.Add(line); line = "  "; }
            line += (line.Length > 0 && line != "  " ? " " : "") + word;
        }
        lines.Add(line);
        return string.Join(Environment.NewLine, lines);
    }

    private static void WriteJson(CliContext ctx, List<RunOutcome> outcomes, bool explain, Dictionary<RunOutcome, IReadOnlyList<FixSuggestion>> fixes)
    {
        foreach (var o in outcomes)
            JsonLine.Write(ctx.Out, j =>
            {
                j.WriteString("ruleset", o.Ruleset.Name);
                j.WriteString("tool", ToolModel.Name(o.Run.Tool));
                j.WriteString("from", o.Run.From.Name);
                j.WriteString("to", o.Run.TargetName);
                j.WriteBoolean("reached", o.Reached);
                JsonLine.Strings(j, "hops", o.Hops);
                j.WriteStartArray("lost");
                foreach (var l in o.Lost)
                {
                    j.WriteStartObject();
                    j.WriteNumber("packet", l.Packet.Number);
                    j.WriteString("host", l.Host.Name);
                    j.WriteString("if", l.If);
                    j.WriteString("dir", LossStory.Dir(l.Dir));
                    JsonLine.Number(j, "rule", l.Verdict.Rule);
                    j.WriteEndObject();
                }
                j.WriteEndArray();
                JsonLine.Boolean(j, "expected", o.Expected);
                JsonLine.Strings(j, "output", o.Output);
                if (!explain) return;
                j.WriteString("explain", string.Join(" ", o.Lost.GroupBy(l => (l.Host, l.If, l.Dir, l.Verdict.Rule, l.Packet.Role)).Select(g => LossStory.Tell(o, g.First()))));
                j.WriteStartArray("fixes");
                foreach (var f in fixes.GetValueOrDefault(o) ?? [])
                {
                    j.WriteStartObject();
                    j.WriteString("node", f.Node);
                    JsonLine.Strings(j, "rules", f.Rules);
                    j.WriteString("idea", f.Idea);
                    j.WriteString("opens", f.Opens);
                    JsonLine.Strings(j, "also", f.AlsoChanges);
                    j.WriteEndObject();
                }
                j.WriteEndArray();
            });
    }
}
