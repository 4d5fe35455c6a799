using System.Globalization;
using System.Text;
using System.Text.Json;
using PfSim.Engine;
using PfSim.Explain;
using PfSim.Rules;

namespace PfSim.Captures;

/// <summary>
/// How <c>pfsim replay</c> shows a replay: one tcpdump-like line (or JSON object) per packet, then a per-rule summary
/// like <c>pfctl -vsr</c>, the state table's totals, and for pflog input the packets now decided otherwise.
/// </summary>
public static partial class ReplayReport
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// <c>tcpdump -n -e -ttt</c> style: time since the previous packet, pflog's own prefix when the capture has one,
    /// the packet, then what pf decides now.
    /// </summary>
    public static string Line(in ReplayedPacket p, long previousNs)
    {
        var sb = new StringBuilder(160);
        long delta = previousNs == long.MinValue ? 0 : Math.Max(0, p.TimestampNs - previousNs);
        long us = delta / 1000;
        sb.Append(Inv, $"{us / 3_600_000_000:D2}:{us / 60_000_000 % 60:D2}:{us / 1_000_000 % 60:D2}.{us % 1_000_000:D6} ");
        if (p.HasLogged)
        {
            sb.Append(PflogNames.RulePrefix(p.Logged)).Append(": ").Append(p.Logged.ActionName).Append(' ')
              .Append(PflogNames.Dir(p.Logged.Dir)).Append(" on ").Append(p.Logged.IfNameText).Append(": ");
        }
        else sb.Append(PflogNames.Dir(p.Dir)).Append(" on ").Append(p.Interface).Append(": ");
        PacketText.Append(sb, p.Ip);
        sb.Append(" => ").Append(VerdictText(p.Verdict));
        if (p.SameAsPrevious) sb.Append(" (the packet of the previous record, logged again by another rule)");
        if (p.HasLogged && p.Logged.Action <= 1) sb.Append(Agrees(p) ? " [as logged]" : " [logged otherwise]");
        if (p.Explanation is not null) sb.Append("\n    ").Append(p.Explanation.Replace("\n", "\n    ", StringComparison.Ordinal));
        return sb.ToString();
    }

    /// <summary>"pass @2 new state: pass in log on bfe0 …", "block @0: block drop …", "pass (default rule)".</summary>
    public static string VerdictText(in Verdict v)
    {
        if (v.Skipped) return "pass (set skip on this interface: pf does nothing)";
        var sb = new StringBuilder(96);
        sb.Append(v.Action == RuleAction.Pass ? "pass" : "block");
        if (v.Rule is null) sb.Append(" (default rule)");
        else
        {
            if (v.Ruleset is { Path.Length: > 0 } rs) sb.Append(" anchor \"").Append(rs.Path).Append('"');
            sb.Append(Inv, $" @{v.Rule.Number}");
        }
        sb.Append(v.StateUse switch { StateUse.New => ", new state", StateUse.Match => ", state match", _ => "" });
        if (v.Reason != Reason.Match) sb.Append(", reason ").Append(v.Reason.Name());
        if (v.Log) sb.Append(", log");
        if (VerdictJson.Return(v) is string ret) sb.Append(", return ").Append(ret);
        if (v.Nat is NatResult n) sb.Append(Inv, $", nat {n.Src}.{n.SrcPort} > {n.Dst}.{n.DstPort}");
        if (v.Rule is { Text.Length: > 0 } r) sb.Append(": ").Append(r.Text);
        return sb.ToString();
    }

    public static bool Agrees(in ReplayedPacket p) =>
        (p.Logged.Action == 0) == (p.Verdict.Action == RuleAction.Pass) && p.Logged.VerdictRule == ReplayStats.RuleOf(p.Verdict)
        && (p.Logged.InAnchor ? p.Logged.AnchorText == (p.Verdict.Ruleset?.Name ?? "") : p.Verdict.Ruleset is not { Path.Length: > 0 });

    /// <summary>One JSON object with the contract's fields (docs/cli.md), plus <c>file</c> when several captures are replayed.</summary>
    public static string Json(in ReplayedPacket p, bool withFile)
    {
        using var ms = new MemoryStream(256);
        using (var j = new Utf8JsonWriter(ms))
        {
            j.WriteStartObject();
            if (withFile) j.WriteString("file", p.File);
            j.WriteNumber("packet", p.Index);
            j.WriteNumber("time", Math.Round(p.TimestampNs / 1e9, 6));
            j.WriteString("if", p.Interface);
            j.WriteString("dir", p.Dir == Direction.Out ? "out" : "in");
            ref readonly var v = ref p.Verdict;
            VerdictJson.WriteFields(j, v);
            if (p.Explanation is not null) j.WriteString("explain", p.Explanation);
            if (p.HasLogged)
            {
                ref readonly var h = ref p.Logged;
                j.WriteStartObject("logged");
                j.WriteString("action", h.ActionName);
                if (h.VerdictRule is int lr) j.WriteNumber("rule", lr); else j.WriteNull("rule");
                j.WriteString("reason", h.ReasonName);
                j.WriteString("if", h.IfNameText);
                j.WriteString("dir", PflogNames.Dir(h.Dir));
                j.WriteString("anchor", h.AnchorText);
                j.WriteString("layout", LayoutKey(h.Layout));
                j.WriteEndObject();
            }
            else j.WriteNull("logged");
            j.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    /// <summary>Every rule with its counters, as <c>pfctl -vvsr</c> prints them.</summary>
    public static void WriteRuleSummary(TextWriter w, Firewall fw)
    {
        WriteRules(w, fw, fw.Config.Main, 0);
        var d = fw.DefaultRuleCounters;
        w.WriteLine("default rule (pass all, no state)");
        w.WriteLine(string.Create(Inv, $"  [ Evaluations: {"-",-8}  Packets: {d.Packets,-8}  Bytes: {d.Bytes,-10}  States: {0,-6}]"));
    }

    private static void WriteRules(TextWriter w, Firewall fw, Ruleset rs, int depth)
    {
        if (depth > 32) return;
        foreach (var r in rs.Filter)
        {
            w.WriteLine(Describe.Rule(r, rs));
            var c = fw.Counters[r];
            w.WriteLine(string.Create(Inv, $"  [ Evaluations: {c.Evaluations,-8}  Packets: {c.Packets,-8}  Bytes: {c.Bytes,-10}  States: {c.StatesCurrent,-6}]"));
            w.WriteLine(string.Create(Inv, $"  [ State Creations: {c.StatesTotal,-6}]"));
        }
        foreach (var child in rs.Anchors.Values) WriteRules(w, fw, child, depth + 1);
    }

    /// <summary>Totals of the replay and of the state table (<c>pfctl -si</c>'s "State Table" part).</summary>
    public static void WriteTotals(TextWriter w, Firewall fw, ReplayStats s)
    {
        w.WriteLine(string.Create(Inv, $"packets: {s.Packets} replayed ({s.Passed} passed, {s.Blocked} blocked, {s.Logged} logged) of {s.Records} records"));
        var skipped = new List<string>();
        if (s.NotIp > 0) skipped.Add($"{s.NotIp} not IP");
        if (s.Truncated > 0) skipped.Add($"{s.Truncated} cut before the IP header");
        if (s.BadPflog > 0) skipped.Add($"{s.BadPflog} with a bad pflog header");
        if (s.UnsupportedLinkType > 0) skipped.Add($"{s.UnsupportedLinkType} of an unsupported link type");
        if (s.SameAsPrevious > 0) skipped.Add($"{s.SameAsPrevious} pflog records repeating the previous record's packet (logged by several rules; evaluated once)");
        if (s.SkippedInterface > 0) skipped.Add($"{s.SkippedInterface} on a 'set skip' interface (passed untouched)");
        if (skipped.Count > 0) w.WriteLine("not filtered: " + string.Join(", ", skipped));
        var layouts = new List<string>();
        for (int i = 0; i < s.PflogLayouts.Length; i++)
            if (s.PflogLayouts[i] > 0) layouts.Add(string.Create(Inv, $"{s.PflogLayouts[i]} {LayoutName((PflogLayout)i)}"));
        if (layouts.Count > 0) w.WriteLine("pflog headers: " + string.Join(", ", layouts));
        w.WriteLine("State Table");
        w.WriteLine(string.Create(Inv, $"  {"current entries",-25}{fw.States.Count,14}"));
        w.WriteLine(string.Create(Inv, $"  {"inserts",-25}{s.StatesCreated,14}"));
        w.WriteLine(string.Create(Inv, $"  {"removals",-25}{Math.Max(0, s.StatesCreated - fw.States.Count),14}"));
        w.WriteLine(string.Create(Inv, $"  {"packets matching a state",-25}{s.StateMatches,14}"));
        if (s.DirectionGuessed > 0)
            w.WriteLine(string.Create(Inv, $"note: {s.DirectionGuessed} packets had no direction (no pflog header, --dir or --local): taken as 'in'"));
    }

    /// <summary>
    /// For pflog input: how many logged decisions the ruleset repeats, then the ones it changes, grouped, those whose
    /// action changed first: "these 312 packets would now be blocked by @14 …; pf logged them passed by @3".
    /// </summary>
    public static void WriteDisagreements(TextWriter w, ReplayStats s)
    {
        if (s.Compared == 0) return;
        long otherwise = s.Compared - s.Agreed;
        w.Write(string.Create(Inv, $"logged vs simulated: {s.Agreed} of {s.Compared} pflog packets decided as logged, {otherwise} otherwise"));
        w.WriteLine(otherwise == 0 ? "" : string.Create(Inv, $" ({s.ActionChanged} with the other action, {otherwise - s.ActionChanged} by another rule)"));
        foreach (var d in s.Disagreements)
        {
            string now = $"{Participle(d.NowAction)} by {RuleName(d.NowRule, d.NowAnchor)}";
            if (d.NowText.Length > 0) now += $" ({d.NowText})";
            string state = d.NowState switch { StateUse.New => ", creating state", StateUse.Match => ", by its state", _ => "" };
            string was = $"{Participle(d.LoggedAction)} by {RuleName(d.LoggedRule, d.LoggedAnchor)}";
            string them = d.Count == 1 ? "it" : "them";
            string which = d.Count == 1 ? "this packet" : string.Create(Inv, $"these {d.Count} packets");
            string first = d.Count == 1 ? "" : "first: ";
            w.WriteLine(string.Create(Inv,
                $"  {which} would now be {now}{state}; pf logged {them} {was} ({first}{Path.GetFileName(d.FirstFile)} packet {d.FirstPacket})"));
        }
    }

    private static string Participle(string action) => action == "pass" ? "passed" : "blocked";

    /// <summary>Which system writes a pflog header layout, and its size.</summary>
    public static string LayoutName(PflogLayout layout) => layout switch
    {
        PflogLayout.OpenBsd100 => "OpenBSD (100-byte header)",
        PflogLayout.FreeBsd72 => "FreeBSD (72-byte header, with ridentifier)",
        PflogLayout.FreeBsd64 => "FreeBSD before ridentifier / NetBSD / macOS (64-byte header)",
        PflogLayout.Old48 => "OpenBSD 3.4-3.7 (48-byte header)",
        _ => "unknown layout (fields decoded as far as the length byte allows)",
    };

    private static string RuleName(int? rule, string anchor) =>
        rule is int n ? (anchor.Length > 0 ? $"anchor \"{anchor}\" @{n}" : $"@{n}") : "the default rule";
}
