using PfSim.Explain;
using PfSim.Flows;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Flows;

/// <summary>The shipped labs hold their expectations, and the HTML report carries the table, ladders and stories.</summary>
public class LabReportTests
{
    [Fact]
    public void RoutedLab_PfOnARouter_AllExpectedOutcomesHold()
    {
        var (code, stdout, stderr) = CliRunner.Run("lab", Peer.Captures("labs", "routed", "lab.yaml"));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("All 12 expected outcomes hold.", stdout);
    }

    [Fact]
    public void RoutedLab_BlockReturn_AnswersTheUdpProbeFromTheFirewall()
    {
        var lab = LabFile.Load(Peer.Captures("labs", "routed", "lab.yaml"));
        var o = new LabRunner(lab, new PfFilterFactory()).Run(lab.Rulesets.Single(r => r.Name == "web"), lab.Runs.Single(r => r.Tool == ToolKind.Traceroute));
        Assert.Equal(["10.1.0.1"], o.Hops); // the firewall's own port unreachable ends the trace at hop 1
        Assert.False(o.Reached);
        Assert.Contains(o.Simulation.Packets, p => p.Role == "block return");
    }

    [Fact]
    public void Report_IsOneSelfContainedPage_WithTableLadderAndStory()
    {
        var lab = LabFile.Load(Peer.Captures("labs", "seed", "lab.yaml"));
        var runner = new LabRunner(lab, new PfFilterFactory());
        var c = lab.Rulesets.Single(r => r.Name == "C");
        var outcomes = lab.Runs.Select(r => runner.Run(c, r)).ToList();
        var fixes = outcomes.Where(o => !o.Reached).ToDictionary(o => o, o => FixSuggestions.For(runner, o));
        var html = LabReport.Html(lab, outcomes, fixes);
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("src=\"http", html);
        Assert.Contains("<svg", html);
        Assert.Contains("block @0", html);
        Assert.Contains("default rule, which creates no state", html);
        Assert.Contains("Fix (checked)", html);
    }

    [Fact]
    public void Cli_Report_And_Pcap_AreWritten()
    {
        var dir = Directory.CreateTempSubdirectory("pfsim-report").FullName;
        var (code, _, stderr) = CliRunner.Run("lab", Peer.Captures("labs", "seed", "lab.yaml"), "--ruleset", "C",
            "--report", Path.Combine(dir, "lab.html"), "--write-pcap", Path.Combine(dir, "c.pcap"), "--write-pflog", Path.Combine(dir, "c.pflog"));
        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(dir, "lab.html")), stderr);
        Assert.True(new FileInfo(Path.Combine(dir, "c.pcap")).Length > 24);
        Assert.True(File.Exists(Path.Combine(dir, "c.pflog"))); // C logs nothing: an empty pflog file
    }
}
