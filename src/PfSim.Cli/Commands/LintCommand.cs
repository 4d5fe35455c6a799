using System.CommandLine;
using PfSim.Analysis;

namespace PfSim.Cli;

/// <summary><c>pfsim lint FILE</c>: rules that can never decide a packet, redundant rules, rules that contradict <c>set skip</c>.</summary>
internal static class LintCommand
{
    public static Command Create(CliContext ctx)
    {
        var file = new Argument<string>("FILE") { Description = "The pf.conf to examine." };
        var json = new Option<bool>("--json") { Description = "One JSON object a line: each finding, then the notes." };
        var common = new RulesetOptions();
        var cmd = new Command("lint",
            "Find rules that can never be the deciding rule (shadowed by later rules or earlier quick rules, or\n" +
            "matching nothing after expansion), redundant rules (removing one alone changes no decision), and rules\n" +
            "on interfaces of 'set skip'; exact over header-space intervals. Exit 1 when it finds some.\n" +
            "Example: pfsim lint captures/labs/seed/D.conf");
        cmd.Add(file);
        cmd.Add(json);
        common.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var config = DiffCommand.LoadOrExit(common, parse, ctx, parse.GetValue(file)!);
            var lint = RulesetLint.Run(config);
            if (parse.GetValue(json)) WriteJson(ctx.Out, lint);
            else WriteText(ctx.Out, lint);
            return lint.Findings.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    internal static string KindName(LintKind k) => k switch
    {
        LintKind.NeverMatches => "never-matches",
        LintKind.SkippedInterface => "skipped-interface",
        LintKind.Shadowed => "shadowed",
        _ => "redundant",
    };

    private static void WriteText(TextWriter o, LintResult lint)
    {
        foreach (var f in lint.Findings)
        {
            var where = f.Site.Where.Length > 0 ? f.Site.Where + ": " : "";
            o.WriteLine($"{where}{f.Site.Name}: {KindName(f.Kind)}: {f.Message}");
            o.WriteLine($"    {f.Site.Rule.Text}");
            foreach (var by in f.By.Where(b => b.Site is not null))
                o.WriteLine($"    {by.Name}: {by.Text}{(by.Site!.Where.Length > 0 ? $"   ({by.Site.Where})" : "")}");
        }
        o.WriteLine(lint.Findings.Count == 0 ? "no findings" : $"{lint.Findings.Count} finding{(lint.Findings.Count == 1 ? "" : "s")}");
        foreach (var n in lint.Notes) o.WriteLine($"note: {n}");
    }

    private static void WriteJson(TextWriter o, LintResult lint)
    {
        foreach (var f in lint.Findings)
            JsonLine.Write(o, j =>
            {
                j.WriteString("kind", KindName(f.Kind));
                j.WriteNumber("rule", f.Site.Rule.Number);
                j.WriteString("anchor", f.Site.Ruleset.Path);
                j.WriteString("file", f.Site.Rule.File);
                j.WriteNumber("line", f.Site.Rule.Line);
                j.WriteString("text", f.Site.Rule.Text);
                j.WriteString("message", f.Message);
                j.WriteStartArray("by");
                foreach (var by in f.By)
                {
                    j.WriteStartObject();
                    DiffCommand.WriteRule(j, by);
                    j.WriteEndObject();
                }
                j.WriteEndArray();
            });
        foreach (var n in lint.Notes) JsonLine.Write(o, j => j.WriteString("note", n));
    }
}
