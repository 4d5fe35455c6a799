using System.CommandLine;
using System.Globalization;
using System.Text;
using PfSim.Engine;
using PfSim.Explain;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Cli;

/// <summary><c>pfsim eval -f pf.conf SCRIPT</c>: runs a packet script through the ruleset with state carried from line to line.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext ctx)
    {
        var rulesOpts = new RulesetOptions();
        var file = new Option<string>("-f", "--file") { Description = "The pf.conf to load.", Required = true };
        var json = new Option<bool>("--json") { Description = "One JSON object per packet (fields of docs/cli.md)." };
        var explain = new Option<bool>("--explain") { Description = "Say why each packet was passed or blocked." };
        var check = new Option<bool>("--check") { Description = "Check '# expect …' comments of the script; exit 1 when one fails." };
        var seed = new Option<ulong>("--seed") { Description = "Seed for probability draws and modulated sequence numbers.", DefaultValueFactory = _ => 1 };
        var script = new Argument<string>("SCRIPT") { Description = "Packet script file, or - for stdin." };
        var cmd = new Command("eval",
            "Run a packet script through a ruleset, with state carried from line to line, like a pf box on a bench.\n" +
            "Script lines: [@SECONDS] in|out on IF [inet|inet6] proto P from ADDR [port N] to ADDR [port N]\n" +
            "  [flags S|SA|A|FA|R…] [seq N] [ack N] [win N] [wscale N] [icmp-type T [code C]] [icmp6-type T [code C]] [id N]\n" +
            "  [ttl N] [len N (payload bytes)] [frag] [ip-options] [quoting ( PACKET )]   [# expect pass|block [rule N|default] [state new|match|none]]\n" +
            "TCP seq/ack left out are filled in as the endpoints would send them.\n\n" +
            "Example:\n  pfsim eval -f captures/labs/seed/C.conf --explain captures/scripts/seed-C.pkt");
        cmd.Add(file);
        rulesOpts.AddTo(cmd);
        cmd.Add(json);
        cmd.Add(explain);
        cmd.Add(check);
        cmd.Add(seed);
        cmd.Add(script);
        cmd.SetAction(parse =>
        {
            var path = parse.GetValue(file)!;
            var load = rulesOpts.Load(parse, ctx, path);
            if (!load.Success)
            {
                foreach (var e in load.Errors) ctx.Err.WriteLine(e);
                return ExitCodes.Failed;
            }
            var scriptPath = parse.GetValue(script)!;
            string text;
            if (scriptPath == "-") text = Console.In.ReadToEnd();
            else if (!File.Exists(scriptPath)) throw new CliExit(ExitCodes.Usage, $"pfsim: {scriptPath}: No such file or directory");
            else text = File.ReadAllText(scriptPath);
            List<ScriptPacket> packets;
            try { packets = PacketScript.Parse(text, scriptPath == "-" ? "stdin" : scriptPath); }
            catch (PacketScriptException e)
            {
                ctx.Err.WriteLine(e.Message);
                return ExitCodes.Failed;
            }
            var fw = new Firewall(load.Config!, new FirewallOptions { Seed = parse.GetValue(seed) });
            return Run(ctx, fw, packets, parse.GetValue(json), parse.GetValue(explain), parse.GetValue(check));
        });
        return cmd;
    }

    internal static int Run(CliContext ctx, Firewall fw, List<ScriptPacket> packets, bool json, bool explain, bool check)
    {
        int failures = 0;
        int n = 0;
        foreach (var sp in packets)
        {
            n++;
            int ifId = fw.InterfaceId(sp.Interface);
            Verdict v;
            string? why = null;
            if (explain) (v, why) = Explainer.TestAndExplain(fw, sp.Bytes, ifId, sp.Direction, sp.Time);
            else v = fw.Test(sp.Bytes, ifId, sp.Direction, sp.Time);
            string action = v.Passed ? "pass" : "block";
            string state = v.StateUse switch { StateUse.New => "new", StateUse.Match => "match", _ => "none" };
            string? mismatch = sp.Expect?.Check(action, v.Rule?.Number, state, v.Reason.Name());
            if (json) WriteJson(ctx.Out, n, sp, v, why);
            else
            {
                PacketDecoder.Decode(sp.Bytes, out var h);
                var line = new StringBuilder();
                line.Append(CultureInfo.InvariantCulture, $"{n} @{sp.Time:0.000} {(sp.Direction == Direction.In ? "in" : "out")} on {sp.Interface}: {Describe.Packet(h)}");
                line.Append($" => {action}");
                if (v.Skipped) line.Append(" (set skip)");
                else
                {
                    if (v.StateUse != StateUse.None) line.Append($", state {state}");
                    if (v.Reason != Reason.Match) line.Append($", reason {v.Reason.Name()}");
                    line.Append(", ").Append(Describe.Rule(v.Rule, v.Ruleset));
                    if (v.Return != ReturnKind.None) line.Append($", returns {Explainer.ReturnText(v)}");
                    if (v.Log) line.Append(", logged");
                }
                ctx.Out.WriteLine(line.ToString());
                if (why is not null) ctx.Out.WriteLine("    why: " + why);
            }
            if (check && mismatch is not null)
            {
                failures++;
                ctx.Err.WriteLine($"line {sp.Line}: {mismatch}");
            }
        }
        if (!json)
        {
            ctx.Out.WriteLine();
            ctx.Out.WriteLine("States (pfctl -ss):");
            foreach (var s in fw.States.States) ctx.Out.WriteLine(Describe.State(s));
            ctx.Out.WriteLine();
            ctx.Out.WriteLine("Rules (pfctl -vsr):");
            WriteRuleCounters(ctx.Out, fw, fw.Config.Main, "");
            var d = fw.DefaultRuleCounters;
            ctx.Out.WriteLine($"default rule (pass, no state): Packets: {d.Packets}  Bytes: {d.Bytes}");
        }
        if (check)
        {
            int expected = packets.Count(p => p.Expect is not null);
            ctx.Err.WriteLine(failures == 0 ? $"check: {expected} expectation(s) hold" : $"check: {failures} of {expected} expectation(s) failed");
        }
        return failures == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static void WriteRuleCounters(TextWriter o, Firewall fw, Ruleset rs, string indent)
    {
        foreach (var r in rs.AllRules)
        {
            var c = fw.Counters[r];
            o.WriteLine($"{indent}{Describe.Rule(r)}");
            o.WriteLine($"{indent}  [ Evaluations: {c.Evaluations,-8}  Packets: {c.Packets,-8}  Bytes: {c.Bytes,-10}  States: {c.StatesCurrent,-6}]");
            if (r.Anchor is not null && !r.Anchor.Wildcard) WriteRuleCounters(o, fw, r.Anchor.Ruleset, indent + "  ");
        }
    }

    private static void WriteJson(TextWriter o, int n, ScriptPacket sp, in Verdict v, string? why)
    {
        var verdict = v;
        JsonLine.Write(o, w =>
        {
            w.WriteNumber("packet", n);
            w.WriteNumber("time", sp.Time);
            w.WriteString("if", sp.Interface);
            w.WriteString("dir", sp.Direction == Direction.In ? "in" : "out");
            VerdictJson.WriteFields(w, verdict);
            if (why is not null) w.WriteString("explain", why);
            w.WriteNull("logged");
        });
    }
}
