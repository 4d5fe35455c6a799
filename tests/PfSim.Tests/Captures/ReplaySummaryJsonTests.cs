using System.Text.Json;
using PfSim.Captures;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Captures;

/// <summary>
/// The summaries as one JSON object (<c>pfsim replay --json --summary</c>; <c>--json</c> alone keeps every line a verdict),
/// and the logged-vs-simulated summary an administrator reads after changing a ruleset.
/// </summary>
public class ReplaySummaryJsonTests
{
    private const string SeedC = """
        ext_if = "s0"
        test_nets = "{ 10.99.1.0/24, 10.99.3.2 }"
        block on $ext_if inet proto icmp all
        pass on $ext_if inet proto icmp from $test_nets icmp-type 8 code 0 keep state

        """;

    // The ruleset an administrator is about to load: ICMP in on em0 is blocked, except from 10.0.0.0/8.
    private const string NewRuleset = "block in on em0 inet proto icmp\npass in on em0 inet proto icmp from 10.0.0.0/8\n";

    private static TempFile Conf(string text)
    {
        var t = ExternalTool.Temp(".conf");
        File.WriteAllText(t, text);
        return t;
    }

    private static List<JsonElement> Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    /// <summary>
    /// Yesterday's pflog of 192.168.40.1's pings under the old ruleset: 3 passed by @3, 1 blocked by @0, 2 blocked by @5.
    /// Under <see cref="NewRuleset"/> all are blocked by @0.
    /// </summary>
    private static TempFile YesterdaysPflog()
    {
        var t = ExternalTool.Temp();
        using var w = PflogWriter.Create(t, PflogLayout.OpenBsd100);
        long ns = 1_300_000_000_000_000_000;
        (uint Rule, byte Action)[] logged = [(3, 0), (0, 1), (3, 0), (5, 1), (3, 0), (5, 1)];
        foreach (var (rule, action) in logged)
        {
            // One second apart: records within a millisecond of each other would be one packet logged by two rules.
            w.Write(ns, PflogTests.Sample(rule, "em0", Direction.In, action), PflogTests.EchoRequest);
            ns += 1_000_000_000;
        }
        return t;
    }

    [PeerFact]
    public void Json_KeepsEveryLineAVerdict_JsonSummaryIsOneObject()
    {
        using var conf = Conf(SeedC);
        string capture = Peer.Path_("captures", "generated", "ping-v4.server.pcap");
        var (code, output, _) = CliRunner.Run("replay", "-f", conf, "--local", "10.99.3.2", "--json", capture);
        Assert.Equal(0, code);
        var objs = Lines(output);
        Assert.Equal(7, objs.Count);  // 7 IP packets (ARP is not IP), nothing else: scripts read each line as a verdict
        Assert.All(objs, o => Assert.True(o.TryGetProperty("packet", out _) && o.TryGetProperty("action", out _)));

        var (code2, output2, _) = CliRunner.Run("replay", "-f", conf, "--local", "10.99.3.2", "--json", "--summary", capture);
        Assert.Equal(0, code2);
        var only = Assert.Single(Lines(output2));
        Assert.Equal(["summary"], only.EnumerateObject().Select(p => p.Name));
        var s = only.GetProperty("summary");
        Assert.Equal(["rules", "default_rule", "packets", "not_filtered", "pflog_layouts", "states", "logged_vs_simulated", "errors"],
                     s.EnumerateObject().Select(p => p.Name));
        Assert.Equal(7, s.GetProperty("packets").GetProperty("replayed").GetInt32());
        Assert.Equal(9, s.GetProperty("packets").GetProperty("records").GetInt32());
        Assert.Equal(2, s.GetProperty("not_filtered").GetProperty("not_ip").GetInt32());
        Assert.Equal(1, s.GetProperty("states").GetProperty("inserts").GetInt32());
        Assert.Equal(5, s.GetProperty("states").GetProperty("matches").GetInt32());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("logged_vs_simulated").ValueKind);
        Assert.Equal(0, s.GetProperty("errors").GetArrayLength());
    }

    [PeerFact]
    public void JsonSummary_PrintsOnlyTheSummary_WithPfctlVsrCountersPerRule()
    {
        using var conf = Conf(SeedC);
        var (code, output, _) = CliRunner.Run("replay", "-f", conf, "--local", "10.99.3.2", "--json", "--summary",
            Peer.Path_("captures", "generated", "traceroute-udp-v4.server.pcap"));
        Assert.Equal(0, code);
        var s = Assert.Single(Lines(output)).GetProperty("summary");
        var rule0 = s.GetProperty("rules")[0];
        Assert.Equal(0, rule0.GetProperty("rule").GetInt32());
        Assert.Equal("", rule0.GetProperty("anchor").GetString());
        Assert.Equal("block drop on s0 inet proto icmp all", rule0.GetProperty("text").GetString());
        // The text summary's "[ Evaluations: 20  Packets: 10  Bytes: 880  States: 0 ]" for @0.
        Assert.Equal((20, 10, 880, 0), (rule0.GetProperty("evaluations").GetInt32(), rule0.GetProperty("packets").GetInt32(),
                                        rule0.GetProperty("bytes").GetInt32(), rule0.GetProperty("states").GetInt32()));
        Assert.Equal(10, s.GetProperty("default_rule").GetProperty("packets").GetInt32());
        Assert.Equal((10, 10), (s.GetProperty("packets").GetProperty("passed").GetInt32(), s.GetProperty("packets").GetProperty("blocked").GetInt32()));
    }

    [Fact]
    public void LoggedVsSimulated_Text_SaysWhichPacketsWouldNowBeBlockedByWhichRule_ActionChangesFirst()
    {
        using var conf = Conf(NewRuleset);
        using var pflog = YesterdaysPflog();
        var (code, output, err) = CliRunner.Run("replay", "-f", conf, "--summary", pflog);
        Assert.True(code == 0, err);
        string name = Path.GetFileName(pflog.Path);
        var lines = output.Split('\n');
        int at = Array.FindIndex(lines, l => l.StartsWith("logged vs simulated:", StringComparison.Ordinal));
        Assert.Equal("logged vs simulated: 1 of 6 pflog packets decided as logged, 5 otherwise (3 with the other action, 2 by another rule)", lines[at]);
        Assert.Equal($"  these 3 packets would now be blocked by @0 (block drop in on em0 inet proto icmp all); pf logged them passed by @3 (first: {name} packet 1)", lines[at + 1]);
        Assert.Equal($"  these 2 packets would now be blocked by @0 (block drop in on em0 inet proto icmp all); pf logged them blocked by @5 (first: {name} packet 4)", lines[at + 2]);
    }

    [Fact]
    public void LoggedVsSimulated_Json_GroupsTheDisagreements_ForScripts()
    {
        using var conf = Conf(NewRuleset);
        using var pflog = YesterdaysPflog();
        var (code, output, _) = CliRunner.Run("replay", "-f", conf, "--json", "--summary", pflog);
        Assert.Equal(0, code);
        var c = Assert.Single(Lines(output)).GetProperty("summary").GetProperty("logged_vs_simulated");
        Assert.Equal((6, 1, 5, 3), (c.GetProperty("compared").GetInt32(), c.GetProperty("agreed").GetInt32(),
                                    c.GetProperty("disagreed").GetInt32(), c.GetProperty("action_changed").GetInt32()));
        var g = c.GetProperty("groups");
        Assert.Equal(2, g.GetArrayLength());
        Assert.Equal(3, g[0].GetProperty("count").GetInt32());
        Assert.True(g[0].GetProperty("action_changed").GetBoolean());
        Assert.Equal(("pass", 3), (g[0].GetProperty("logged").GetProperty("action").GetString(), g[0].GetProperty("logged").GetProperty("rule").GetInt32()));
        Assert.Equal(("block", 0), (g[0].GetProperty("now").GetProperty("action").GetString(), g[0].GetProperty("now").GetProperty("rule").GetInt32()));
        Assert.Equal("block drop in on em0 inet proto icmp all", g[0].GetProperty("now").GetProperty("text").GetString());
        Assert.Equal((pflog.Path, 1), (g[0].GetProperty("file").GetString(), g[0].GetProperty("packet").GetInt32()));
        Assert.False(g[1].GetProperty("action_changed").GetBoolean());
        Assert.Equal(5, g[1].GetProperty("logged").GetProperty("rule").GetInt32());
        Assert.Equal(6, Assert.Single(Lines(output)).GetProperty("summary").GetProperty("pflog_layouts").GetProperty("openbsd").GetInt32());
    }

    [Fact]
    public void JsonSummary_OfADamagedCapture_ListsTheError_CountsThePacketsBefore_Exits1()
    {
        using var conf = Conf("block in proto icmp\n");
        using var cap = ExternalTool.Temp();
        using (var w = PcapWriter.Create(cap, 101))
            for (int i = 0; i < 3; i++) w.Write(1_300_000_000_000_000_000L + 1_000_000_000L * i, PflogTests.EchoRequest);
        File.WriteAllBytes(cap, File.ReadAllBytes(cap)[..^5]);
        var (code, output, err) = CliRunner.Run("replay", "-f", conf, "--dir", "in", "--json", "--summary", cap);
        Assert.Equal(1, code);
        string message = $"{cap.Path}: packet 3 at byte offset {24 + 2 * 44}: truncated record: 28 bytes captured, only 23 present";
        Assert.Equal(message, err.Trim());
        var s = Assert.Single(Lines(output)).GetProperty("summary");
        Assert.Equal(2, s.GetProperty("packets").GetProperty("replayed").GetInt32());
        Assert.Equal(message, Assert.Single(s.GetProperty("errors").EnumerateArray()).GetString());
    }
}
