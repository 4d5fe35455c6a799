using System.Text;
using System.Text.Json;
using PfSim.Engine;
using PfSim.Rules;

namespace PfSim.Captures;

// The summaries as one JSON object, for scripts: what `pfsim replay --json --summary` prints (`--json` alone keeps
// every line a verdict). Names follow the verdict objects' (docs/cli.md): lower case, snake_case when two words.
public static partial class ReplayReport
{
    /// <summary>
    /// <c>{"summary": {"rules": […], "default_rule": {…}, "packets": {…}, "not_filtered": {…}, "pflog_layouts": {…},
    /// "states": {…}, "logged_vs_simulated": {…} or null, "errors": […]}}</c> on one line.
    /// </summary>
    public static string SummaryJson(Firewall fw, ReplayStats s, IReadOnlyList<CaptureError> errors)
    {
        using var ms = new MemoryStream(1024);
        using (var j = new Utf8JsonWriter(ms))
        {
            j.WriteStartObject();
            j.WriteStartObject("summary");

            j.WriteStartArray("rules");
            WriteRulesJson(j, fw, fw.Config.Main, 0);
            j.WriteEndArray();
            var d = fw.DefaultRuleCounters;
            j.WriteStartObject("default_rule");
            j.WriteNumber("packets", d.Packets);
            j.WriteNumber("bytes", d.Bytes);
            j.WriteEndObject();

            j.WriteStartObject("packets");
            j.WriteNumber("records", s.Records);
            j.WriteNumber("replayed", s.Packets);
            j.WriteNumber("passed", s.Passed);
            j.WriteNumber("blocked", s.Blocked);
            j.WriteNumber("logged", s.Logged);
            j.WriteNumber("direction_guessed", s.DirectionGuessed);
            j.WriteEndObject();

            j.WriteStartObject("not_filtered");
            j.WriteNumber("not_ip", s.NotIp);
            j.WriteNumber("truncated", s.Truncated);
            j.WriteNumber("bad_pflog", s.BadPflog);
            j.WriteNumber("unsupported_link_type", s.UnsupportedLinkType);
            j.WriteNumber("pflog_repeats", s.SameAsPrevious);
            j.WriteNumber("skip_interface", s.SkippedInterface);
            j.WriteEndObject();

            j.WriteStartObject("pflog_layouts");
            for (int i = 0; i < s.PflogLayouts.Length; i++) j.WriteNumber(LayoutKey((PflogLayout)i), s.PflogLayouts[i]);
            j.WriteEndObject();

            j.WriteStartObject("states");
            j.WriteNumber("current", fw.States.Count);
            j.WriteNumber("inserts", s.StatesCreated);
            j.WriteNumber("removals", Math.Max(0, s.StatesCreated - fw.States.Count));
            j.WriteNumber("matches", s.StateMatches);
            j.WriteEndObject();

            if (s.Compared == 0) j.WriteNull("logged_vs_simulated");
            else WriteComparisonJson(j, s);

            j.WriteStartArray("errors");
            foreach (var e in errors) j.WriteStringValue(e.ToString());
            j.WriteEndArray();

            j.WriteEndObject();
            j.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.GetBuffer(), 0, (int)ms.Length);
    }

    private static void WriteRulesJson(Utf8JsonWriter j, Firewall fw, Ruleset rs, int depth)
    {
        if (depth > 32) return;
        foreach (var r in rs.Filter)
        {
            var c = fw.Counters[r];
            j.WriteStartObject();
            j.WriteNumber("rule", r.Number);
            j.WriteString("anchor", rs.Path);
            j.WriteString("text", r.Text);
            j.WriteNumber("evaluations", c.Evaluations);
            j.WriteNumber("packets", c.Packets);
            j.WriteNumber("bytes", c.Bytes);
            j.WriteNumber("states", c.StatesCurrent);
            j.WriteNumber("state_creations", c.StatesTotal);
            j.WriteEndObject();
        }
        foreach (var child in rs.Anchors.Values) WriteRulesJson(j, fw, child, depth + 1);
    }

    private static void WriteComparisonJson(Utf8JsonWriter j, ReplayStats s)
    {
        j.WriteStartObject("logged_vs_simulated");
        j.WriteNumber("compared", s.Compared);
        j.WriteNumber("agreed", s.Agreed);
        j.WriteNumber("disagreed", s.Compared - s.Agreed);
        j.WriteNumber("action_changed", s.ActionChanged);
        j.WriteStartArray("groups");
        foreach (var d in s.Disagreements)
        {
            j.WriteStartObject();
            j.WriteNumber("count", d.Count);
            j.WriteBoolean("action_changed", d.ActionChanged);
            j.WriteStartObject("logged");
            j.WriteString("action", d.LoggedAction);
            WriteRule(j, d.LoggedRule);
            j.WriteString("anchor", d.LoggedAnchor);
            j.WriteEndObject();
            j.WriteStartObject("now");
            j.WriteString("action", d.NowAction);
            WriteRule(j, d.NowRule);
            j.WriteString("anchor", d.NowAnchor);
            j.WriteString("state", d.NowState switch { StateUse.New => "new", StateUse.Match => "match", _ => "none" });
            j.WriteString("text", d.NowText);
            j.WriteEndObject();
            j.WriteString("file", d.FirstFile);
            j.WriteNumber("packet", d.FirstPacket);
            j.WriteEndObject();
        }
        j.WriteEndArray();
        j.WriteEndObject();
    }

    private static void WriteRule(Utf8JsonWriter j, int? rule)
    {
        if (rule is int n) j.WriteNumber("rule", n); else j.WriteNull("rule");
    }

    /// <summary>A pflog header layout as <c>--pflog-layout</c> names it (openbsd, freebsd, freebsd-old), or openbsd-old / other.</summary>
    public static string LayoutKey(PflogLayout layout) => layout switch
    {
        PflogLayout.OpenBsd100 => "openbsd",
        PflogLayout.FreeBsd72 => "freebsd",
        PflogLayout.FreeBsd64 => "freebsd-old",
        PflogLayout.Old48 => "openbsd-old",
        _ => "other",
    };
}
