using System.CommandLine;
using System.Text.Json;
using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Cli;

/// <summary><c>pfsim diff OLD NEW</c>: the packets two rulesets decide differently, as header-space regions with witnesses.</summary>
internal static class DiffCommand
{
    public static Command Create(CliContext ctx)
    {
        var oldFile = new Argument<string>("OLD") { Description = "The ruleset as it was." };
        var newFile = new Argument<string>("NEW") { Description = "The ruleset as it is now." };
        var json = new Option<bool>("--json") { Description = "One JSON object a line: each region, then the notes." };
        var common = new RulesetOptions();
        var cmd = new Command("diff",
            "Show the packets two rulesets decide differently: regions of header space (interface, direction, family,\n" +
            "protocol, addresses, ports, TCP flags, ICMP type/code) computed exactly over intervals, each with one\n" +
            "witness packet and the deciding rule on both sides. Exit 0 when none, 1 when some.\n" +
            "Example: pfsim diff captures/labs/seed/B.conf captures/labs/seed/C.conf");
        cmd.Add(oldFile);
        cmd.Add(newFile);
        cmd.Add(json);
        common.AddTo(cmd);
        cmd.SetAction(parse =>
        {
            var a = LoadOrExit(common, parse, ctx, parse.GetValue(oldFile)!);
            var b = LoadOrExit(common, parse, ctx, parse.GetValue(newFile)!);
            var diff = RulesetDiff.Compute(a, b);
            if (parse.GetValue(json)) WriteJson(ctx.Out, diff);
            else WriteText(ctx.Out, diff);
            return diff.Same ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return cmd;
    }

    /// <summary>Loads a ruleset, printing its errors and exiting 1 when it has any.</summary>
    internal static PfConfig LoadOrExit(RulesetOptions common, ParseResult parse, CliContext ctx, string file)
    {
        var result = common.Load(parse, ctx, file);
        foreach (var e in result.Errors) ctx.Err.WriteLine(e);
        if (!result.Success || result.Config is null) throw new CliExit(ExitCodes.Failed);
        return result.Config;
    }

    private static void WriteText(TextWriter o, DiffResult diff)
    {
        int regions = diff.Groups.Sum(g => g.Regions.Count);
        if (diff.Same) o.WriteLine("no difference: both rulesets decide every first packet the same way");
        else o.WriteLine($"{regions} region{(regions == 1 ? "" : "s")} decided differently:");
        foreach (var g in diff.Groups)
        {
            o.WriteLine();
            o.WriteLine(g.Kind == "action"
                ? $"{Action(g.Old)} -> {Action(g.New)}"
                : $"{Action(g.Old)} -> {Action(g.New)} (same action, different state/log/return/translation)");
            o.WriteLine($"  old: {RuleLine(g.Old)}");
            o.WriteLine($"  new: {RuleLine(g.New)}");
            foreach (var r in g.Regions)
            {
                o.WriteLine($"  region:  {RegionFormat.Box(r.Box, diff.Space)}");
                o.WriteLine($"  witness: {RegionFormat.Packet(r.Witness, diff.Space)}");
            }
        }
        o.WriteLine();
        foreach (var n in diff.Notes) o.WriteLine($"note: {n}");
    }

    internal static string Action(Decider d) => d.Action == RuleAction.Block ? "block" : "pass";

    /// <summary>"@1 pass in on em0 … (file:line)" or "default rule (no rule matched: pass, no state)".</summary>
    internal static string RuleLine(Decider d) =>
        d.Site is null ? $"{d.Name} {d.Text}" : $"{d.Name} {d.Text}{(d.Site.Where.Length > 0 ? $"   ({d.Site.Where})" : "")}";

    /// <summary>The deciding rule's members: action, rule, anchor, decided_by, file, line, text.</summary>
    internal static void WriteRule(Utf8JsonWriter j, Decider d)
    {
        j.WriteString("action", Action(d));
        JsonLine.Number(j, "rule", d.Site?.Rule.Number);
        j.WriteString("anchor", d.Site?.Ruleset.Path ?? "");
        j.WriteString("decided_by", d.Kind.ToString().ToLowerInvariant());
        j.WriteString("file", d.Site?.Rule.File);
        JsonLine.Number(j, "line", d.Site?.Rule.Line);
        j.WriteString("text", d.Site?.Rule.Text);
    }

    private static void WriteJson(TextWriter o, DiffResult diff)
    {
        foreach (var g in diff.Groups)
            foreach (var r in g.Regions)
                JsonLine.Write(o, j =>
                {
                    var w = r.Witness;
                    j.WriteString("kind", g.Kind);
                    j.WriteStartObject("old");
                    WriteRule(j, g.Old);
                    j.WriteEndObject();
                    j.WriteStartObject("new");
                    WriteRule(j, g.New);
                    j.WriteEndObject();
                    j.WriteString("region", RegionFormat.Box(r.Box, diff.Space));
                    j.WriteString("witness", RegionFormat.Packet(w, diff.Space));
                    j.WriteStartObject("packet");
                    j.WriteString("if", diff.Space.Interfaces[w.Iface]);
                    j.WriteString("dir", w.Dir == 1 ? "in" : "out");
                    j.WriteString("af", w.Af == 4 ? "inet" : "inet6");
                    j.WriteNumber("proto", w.Proto);
                    j.WriteString("src", w.SrcAddress.ToString());
                    j.WriteString("dst", w.DstAddress.ToString());
                    j.WriteNumber("sport", w.Sport);
                    j.WriteNumber("dport", w.Dport);
                    j.WriteString("flags", w.Proto == 6 ? RegionFormat.Flags(w.Flags) : null);
                    JsonLine.Number(j, "icmp_type", w.Proto is 1 or 58 ? w.IcmpType : null);
                    JsonLine.Number(j, "icmp_code", w.Proto is 1 or 58 ? w.IcmpCode : null);
                    j.WriteEndObject();
                });
        foreach (var n in diff.Notes) JsonLine.Write(o, j => j.WriteString("note", n));
    }
}
