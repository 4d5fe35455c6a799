using PfSim.Explain;
using PfSim.Flows;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Flows;

/// <summary>The seed scenario (docs/seed-scenario.md) reproduced cell for cell, and explained.</summary>
public class SeedLabTests
{
    private static readonly string LabPath = Peer.Captures("labs", "seed", "lab.yaml");
    private static readonly Lab Lab = LabFile.Load(LabPath);
    private static readonly LabRunner Runner = new(Lab, new PfFilterFactory());

    /// <summary>The report's table: (tool, from) → works under A, B, C, D and D with the Windows net in test_nets.</summary>
    public static readonly TheoryData<string, string, string, bool> Table = Build();

    private static TheoryData<string, string, string, bool> Build()
    {
        var d = new TheoryData<string, string, string, bool>();
        void Row(string tool, string from, bool a, bool b, bool c, bool dd, bool dw)
        {
            d.Add("A", tool, from, a); d.Add("B", tool, from, b); d.Add("C", tool, from, c); d.Add("D", tool, from, dd); d.Add("D-windows", tool, from, dw);
        }
        Row("ping", "windows", true, true, false, false, true);
        Row("tracert", "windows", true, true, false, false, true);
        Row("ping", "ubuntu", false, false, true, true, false);
        Row("traceroute", "ubuntu", false, false, false, true, false);
        Row("traceroute-I", "ubuntu", false, false, true, true, false);
        return d;
    }

    private static RunOutcome Run(string ruleset, string tool, string from)
    {
        ToolModel.TryParse(tool, out var kind);
        return Runner.Run(Lab.Rulesets.Single(r => r.Name == ruleset), Lab.Runs.Single(r => r.Tool == kind && r.From.Name == from));
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void SeedTable_EveryCell_AsTheReportSaw(string ruleset, string tool, string from, bool works)
    {
        var o = Run(ruleset, tool, from);
        Assert.Equal(works, o.Reached);
        Assert.Equal(works, o.Expected); // the lab file states the same table
        if (!works) Assert.NotEmpty(o.Lost); // every failure is a drop by pf, not an accident of the topology
    }

    [Fact]
    public void CaseC_UdpTraceroute_PortUnreachableBlockedOut_BecauseTheProbePassedWithoutState()
    {
        var o = Run("C", "traceroute", "ubuntu");
        var lost = o.Lost[0];
        Assert.Equal("server", lost.Host.Name);
        Assert.Equal(Direction.Out, lost.Dir);
        Assert.Equal(0, lost.Verdict.Rule); // @0 block drop on bge0 inet proto icmp all
        Assert.Equal(PfSim.Engine.QuotedLookup.NoState, lost.Verdict.Quoted);
        Assert.All(o.Lost, l => Assert.Equal("port unreachable", l.Packet.Role));
        // the probe itself passed by the default rule, creating no state
        var probe = o.Simulation.Steps.First(s => s.Packet == lost.Packet.InReplyTo && s.Kind == StepKind.Filtered);
        Assert.True(probe.Verdict!.Pass);
        Assert.Null(probe.Verdict.Rule);
        Assert.Equal(PfSim.Engine.StateUse.None, probe.Verdict.State);
        var story = LossStory.Tell(o, lost);
        Assert.Contains("default rule, which creates no state", story);
        Assert.Contains("found no state", story);
        Assert.All(o.Hops, h => Assert.Equal("*", h));
    }

    [Fact]
    public void CaseC_TracerouteI_EchoReplyPasses_ByTheStateTheRequestCreated()
    {
        var o = Run("C", "traceroute-I", "ubuntu");
        var reply = o.Simulation.Steps.First(s => s.Kind == StepKind.Filtered && s.Dir == Direction.Out && s.Node.Name == "server");
        Assert.Equal(PfSim.Engine.StateUse.Match, reply.Verdict!.State);
        Assert.Equal(["192.168.50.1"], o.Hops);
    }

    [Fact]
    public void CaseC_FixSuggestions_EachMakesTracerouteWork_WhenAppliedAgain()
    {
        var o = Run("C", "traceroute", "ubuntu");
        var fixes = FixSuggestions.For(Runner, o);
        Assert.Contains(fixes, f => f.Rules.Any(r => r.Contains("proto udp") && r.Contains("keep state")));
        Assert.Contains(fixes, f => f.Rules.Any(r => r == "pass out on bge0 inet proto icmp to 192.168.40.0/24")); // the report's D
        var server = Lab.Topology.Find("server")!;
        foreach (var f in fixes)
        {
            var text = o.RulesetTexts[server] + "\n" + string.Join("\n", f.Rules) + "\n";
            Assert.True(Runner.Run(o.Ruleset, o.Run, new Dictionary<Node, string> { [server] = text }).Reached, string.Join("; ", f.Rules));
        }
    }

    [Fact]
    public void CaseC_ABroadIcmpFix_SaysWhatElseItChanges()
    {
        // Under A, ubuntu fails everything; passing all ICMP out to its net also fixes nothing for windows but is listed with its breadth.
        var o = Run("A", "traceroute", "ubuntu");
        var fixes = FixSuggestions.For(Runner, o);
        Assert.NotEmpty(fixes);
        Assert.All(fixes, f => Assert.False(string.IsNullOrEmpty(f.Opens)));
    }

    [Fact]
    public void Cli_Lab_PrintsTheSeedTable_AndExitsZero()
    {
        var (code, stdout, _) = CliRunner.Run("lab", LabPath);
        Assert.Equal(0, code);
        Assert.Contains("traceroute from ubuntu to server    fails  fails  fails  works  fails", stdout);
        Assert.Contains("All 25 expected outcomes hold.", stdout);
    }

    [Fact]
    public void Cli_LabJson_HasTheContractFields()
    {
        var (code, stdout, _) = CliRunner.Run("lab", LabPath, "--json", "--tool", "traceroute", "--ruleset", "C");
        Assert.Equal(0, code);
        using var doc = System.Text.Json.JsonDocument.Parse(stdout.Trim());
        var r = doc.RootElement;
        Assert.Equal("C", r.GetProperty("ruleset").GetString());
        Assert.Equal("traceroute", r.GetProperty("tool").GetString());
        Assert.Equal("ubuntu", r.GetProperty("from").GetString());
        Assert.Equal("server", r.GetProperty("to").GetString());
        Assert.False(r.GetProperty("reached").GetBoolean());
        Assert.Equal("*", r.GetProperty("hops")[0].GetString());
        var lost = r.GetProperty("lost")[0];
        Assert.Equal("server", lost.GetProperty("host").GetString());
        Assert.Equal("bge0", lost.GetProperty("if").GetString());
        Assert.Equal("out", lost.GetProperty("dir").GetString());
        Assert.Equal(0, lost.GetProperty("rule").GetInt32());
    }

    [Fact]
    public void Cli_LabExplain_TellsTheCaseCStory_WithCheckedFixes()
    {
        var (code, wrapped, _) = CliRunner.Run("lab", LabPath, "--explain", "--tool", "traceroute", "--ruleset", "C");
        Assert.Equal(0, code);
        var stdout = System.Text.RegularExpressions.Regex.Replace(wrapped, @"\s+", " ");
        Assert.Contains("matched no rule, so pf passed it by its default rule, which creates no state", stdout);
        Assert.Contains("Fixes checked by re-running the lab", stdout);
        Assert.Contains("pass out on bge0 inet proto icmp to 192.168.40.0/24", stdout);
    }

    [Fact]
    public void Cli_Lab_UnexpectedOutcome_ExitsOne()
    {
        var dir = Directory.CreateTempSubdirectory("pfsim-lab").FullName;
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(LabPath)!)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        var yaml = File.ReadAllText(LabPath).Replace("expect: { A: fails, B: fails, C: fails, D: works, D-windows: fails }", "expect: { C: works }");
        File.WriteAllText(Path.Combine(dir, "lab.yaml"), yaml);
        var (code, stdout, _) = CliRunner.Run("lab", Path.Combine(dir, "lab.yaml"), "--ruleset", "C");
        Assert.Equal(1, code);
        Assert.Contains("! ruleset C: traceroute from ubuntu to server fails, the lab expects it to work", stdout);
    }
}
