using PfSim.Analysis;
using PfSim.Rules;
using PfSim.Syntax;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Analysis;

/// <summary>diff and lint on the seed rulesets A-D and on small rulesets with known findings.</summary>
public class SeedDiffLintTests
{
    private static PfConfig Seed(string name) => Load(File.ReadAllText(Peer.Captures("labs", "seed", name)), name);

    private static PfConfig Load(string text, string name = "test.conf", Dialect dialect = Dialect.Auto)
    {
        var r = PfConfLoader.LoadText(text, name, new LoadOptions { Dialect = dialect });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return r.Config!;
    }

    [Fact]
    public void Diff_BtoC_IsExactlyTheTwoTestNetworksThatChanged()
    {
        var diff = RulesetDiff.Compute(Seed("B.conf"), Seed("C.conf"));
        var regions = diff.Groups.SelectMany(g => g.Regions.Select(r => (g, Text: RegionFormat.Box(r.Box, diff.Space)))).ToList();
        Assert.Equal(2, regions.Count);
        var lost = Assert.Single(regions, r => r.g.Old.Action == RuleAction.Pass);
        Assert.Equal("on bge0 inet proto icmp from 192.168.100.0/24 to any icmp-type 8 code 0", lost.Text);
        Assert.Equal(1, lost.g.Old.Site!.Rule.Number);
        Assert.Equal(0, lost.g.New.Site!.Rule.Number);
        var gained = Assert.Single(regions, r => r.g.New.Action == RuleAction.Pass);
        Assert.Equal("on bge0 inet proto icmp from 192.168.40.0/24 to any icmp-type 8 code 0", gained.Text);
    }

    [Fact]
    public void Diff_AtoB_AddsTheServerItself()
    {
        var diff = RulesetDiff.Compute(Seed("A.conf"), Seed("B.conf"));
        var g = Assert.Single(diff.Groups);
        var r = Assert.Single(g.Regions);
        Assert.Equal("on bge0 inet proto icmp from 192.168.50.1 to any icmp-type 8 code 0", RegionFormat.Box(r.Box, diff.Space));
        Assert.Equal("action", g.Kind);
    }

    [Fact]
    public void Diff_OfARulesetWithItself_IsEmpty_AndExitsZero()
    {
        var f = Peer.Captures("labs", "seed", "D.conf");
        Assert.True(RulesetDiff.Compute(Seed("D.conf"), Seed("D.conf")).Same);
        var (code, o, _) = CliRunner.Run("diff", f, f);
        Assert.Equal(0, code);
        Assert.Contains("no difference", o);
    }

    [Fact]
    public void DiffCommand_PrintsRegionsWitnessesAndBothRules_AndExitsOne()
    {
        var (code, o, e) = CliRunner.Run("diff", Peer.Captures("labs", "seed", "B.conf"), Peer.Captures("labs", "seed", "C.conf"));
        Assert.Equal(1, code);
        Assert.Equal("", e);
        Assert.Contains("witness: in on bge0 inet proto icmp from 192.168.100.1 to", o);
        Assert.Contains("old: @1 pass on bge0", o);
        var (jcode, json, _) = CliRunner.Run("diff", "--json", Peer.Captures("labs", "seed", "B.conf"), Peer.Captures("labs", "seed", "C.conf"));
        Assert.Equal(1, jcode);
        var lines = json.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => System.Text.Json.JsonDocument.Parse(l));
        Assert.Equal(2, lines.Count(l => l.Contains("\"witness\"")));
    }

    [Fact]
    public void DiffD_AgainstC_SeesOutgoingIcmpAndLogging()
    {
        var diff = RulesetDiff.Compute(Seed("C.conf"), Seed("D.conf"));
        // D blocks and passes by direction on bfe0 (its own interface name), so C's bge0 rules are gone.
        Assert.Contains(diff.Groups, g => g.Old.Site?.Rule.Interface == "bge0" && g.New.Kind == DecisionKind.Default);
        Assert.Contains(diff.Groups, g => g.New.Site?.Rule.Direction == Direction.Out && g.New.Action == RuleAction.Pass);
    }

    [Fact]
    public void Lint_FindsShadowedRedundantSkippedAndEmptyRules()
    {
        var config = Load("""
            set skip on lo0
            table <empty> persist
            block in all
            pass in proto tcp from any to any port 22
            block in quick proto tcp from 10.0.0.0/8 to any
            pass in proto tcp from 10.1.0.0/16 to any port 22
            pass in on lo0 all
            pass in from <empty> to any
            block in proto udp all
            pass in proto tcp from any to any port 22
            """, dialect: Dialect.OpenBsd);
        var lint = RulesetLint.Run(config);
        string? KindOf(int n) => lint.Findings.FirstOrDefault(f => f.Site.Rule.Number == n)?.Kind.ToString();
        // @1 is overridden by the identical @7 for every packet it matches.
        Assert.Equal("Shadowed", KindOf(1));
        Assert.Equal("Shadowed", KindOf(3));
        Assert.Contains(lint.Findings.Single(f => f.Site.Rule.Number == 3).By, d => d.Site?.Rule.Number == 2);
        Assert.Equal("SkippedInterface", KindOf(4));
        Assert.Equal("NeverMatches", KindOf(5));
        // @6 blocks UDP that @0 blocks already.
        Assert.Equal("Redundant", KindOf(6));
        // @7 and @1 are twins: each alone is redundant (without it the other decides alike).
        Assert.Equal("Redundant", KindOf(7));
        Assert.Null(KindOf(0));
        Assert.Null(KindOf(2));
    }

    [Fact]
    public void LintCommand_ExitsOneWithFindings_ZeroWithout()
    {
        var dir = Directory.CreateTempSubdirectory("pfsim-lint");
        var bad = Path.Combine(dir.FullName, "bad.conf");
        File.WriteAllText(bad, "pass in all\nblock in quick all\npass in proto tcp to port 22\n");
        var (code, o, _) = CliRunner.Run("lint", bad);
        Assert.Equal(1, code);
        Assert.Contains("bad.conf:3: @2: shadowed", o);
        Assert.Contains("@1: block drop in quick all", o);
        var (jcode, json, _) = CliRunner.Run("lint", "--json", bad);
        Assert.Equal(1, jcode);
        Assert.Contains("\"kind\":\"shadowed\"", json);
        var (ok, _, _) = CliRunner.Run("lint", Peer.Captures("labs", "seed", "D.conf"));
        Assert.Equal(0, ok);
    }
}
