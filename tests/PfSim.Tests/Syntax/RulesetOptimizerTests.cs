using PfSim.Rules;
using PfSim.Syntax;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Syntax;

/// <summary>pfctl's ruleset optimizer (pfctl_optimize.c) as <c>pfsim print --optimize</c> and the loader apply it.</summary>
public class RulesetOptimizerTests
{
    private static PfConfig Load(string text, string? optimization = "basic")
    {
        var r = PfConfLoader.LoadText(text, "stdin", new LoadOptions { Dialect = Dialect.OpenBsd, Optimization = optimization });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return r.Config!;
    }

    private static string[] Rules(PfConfig c) => c.Main.Filter.Select(r => r.Text).ToArray();

    [Fact]
    public void DuplicateRule_IsRemoved()
    {
        var c = Load("pass in all\npass in from any to any\n");
        Assert.Equal(["pass in all flags S/SA"], Rules(c));
    }

    [Fact]
    public void EarlierRuleCoveredByLaterOneOfTheSameSuperblock_IsRemoved()
    {
        // remove_identical_rules: "flags any" covers "flags S/SA"; the covered (earlier) rule goes.
        var c = Load("pass in from any to any flags S/SA no state\npass in from any to any flags any no state\n");
        Assert.Equal(["pass in all no state"], Rules(c));
    }

    [Fact]
    public void SixRulesDifferingInTheSourceAddress_BecomeOneRuleWithAnAutomaticTable()
    {
        var text = string.Concat(Enumerable.Range(1, 6).Select(i => $"pass in on lo0 from 10.0.{i}.0/24\n"));
        var c = Load(text);
        Assert.Equal(["pass in on lo0 inet from <__automatic_0> to any flags S/SA"], Rules(c));
        var t = c.Main.Tables["__automatic_0"];
        Assert.True(t.Const);
        Assert.Equal(6, t.Entries.Count);
        Assert.True(t.Contains(Address.Parse("10.0.4.9")));
        Assert.False(t.Contains(Address.Parse("10.0.7.9")));
    }

    [Fact]
    public void FiveRulesDifferingInOneAddress_StayApart()
    {
        var text = string.Concat(Enumerable.Range(1, 5).Select(i => $"pass in on lo0 from 10.0.{i}.0/24\n"));
        Assert.Equal(5, Load(text).Main.Filter.Count);
    }

    [Fact]
    public void LabelNr_IsExpandedAfterTheOptimizerRenumbers()
    {
        var c = Load("pass in all\npass in all\npass label \"rule $nr\"\n");
        Assert.Equal("pass all flags S/SA label \"rule 1\"", c.Main.Filter[1].Text);
    }

    [Fact]
    public void RulesOfDifferentActions_AreNeverReordered()
    {
        var c = Load("block in on lo0 proto tcp\npass in on lo0 proto udp\nblock in on lo0 proto tcp to port 22\n");
        Assert.Equal(RuleAction.Block, c.Main.Filter[0].Action);
        Assert.Equal(RuleAction.Pass, c.Main.Filter[1].Action);
        Assert.Equal(3, c.Main.Filter.Count);
    }

    [Fact]
    public void SetRulesetOptimizationBasic_InTheFile_TurnsTheOptimizerOn()
    {
        var c = Load("set ruleset-optimization basic\npass in all\npass in all\n", optimization: null);
        Assert.Single(c.Main.Filter);
    }

    [Fact]
    public void OptimizeNoneOnTheCommandLine_WinsOverTheFile()
    {
        var c = Load("set ruleset-optimization basic\npass in all\npass in all\n", optimization: "none");
        Assert.Equal(2, c.Main.Filter.Count);
    }

    [Fact]
    public void PrintOptimizeBasic_PrintsTheAutomaticTableDefinitionBeforeTheRules()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pfsim-opt-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, string.Concat(Enumerable.Range(1, 6).Select(i => $"pass in on lo0 from 10.0.0.{i}\n")));
        try
        {
            var (code, output, err) = CliRunner.Run("print", "--optimize", "basic", path);
            Assert.Equal(0, code);
            Assert.Equal("", err);
            Assert.Equal(
                "table <__automatic_0> const { 10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 10.0.0.6 }\n" +
                "pass in on lo0 inet from <__automatic_0> to any flags S/SA\n", output);
            (code, output, _) = CliRunner.Run("print", "--optimize", "basic", "--loaded", path);
            Assert.Equal(0, code);
            Assert.Equal(
                "@0 pass in on lo0 inet from <__automatic_0:6> to any flags S/SA\n" +
                "  [ Skip steps: i=end d=end r=end f=end p=end sa=end da=end sp=end dp=end ]\n" +
                "  [ queue: qname= qid=0 pqname= pqid=0 ]\n" +
                "  [ Evaluations: 0         Packets: 0         Bytes: 0           States: 0     ]\n", output);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void PrintOptimizeProfile_IsAcceptedAndDoesWhatBasicDoesWithoutKernelCounters()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pfsim-opt-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, "pass in quick all\npass in quick all\n");
        try
        {
            var (code, output, _) = CliRunner.Run("print", "--optimize", "profile", path);
            Assert.Equal(0, code);
            Assert.Equal("pass in quick all flags S/SA\n", output);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void EvalWithOptimizeBasic_DecidesWithTheRuleNumbersPfLoads()
    {
        var conf = Path.Combine(Path.GetTempPath(), $"pfsim-opt-{Guid.NewGuid():N}.conf");
        var pkt = Path.ChangeExtension(conf, ".pkt");
        File.WriteAllText(conf, "pass in on lo0 proto tcp to port 22\npass in on lo0 proto tcp to port 22\nblock in on lo0 proto udp\npass in on lo0 proto tcp to port 80\n");
        File.WriteAllText(pkt, "in on lo0 proto tcp from 10.0.0.1 port 1234 to 127.0.0.1 port 80 flags S\n");
        try
        {
            var (_, plain, _) = CliRunner.Run("eval", "-f", conf, pkt);
            Assert.Contains("=> pass, state new, @3 pass in on lo0", plain);
            var (code, optimized, err) = CliRunner.Run("eval", "-o", "basic", "-f", conf, pkt);
            Assert.Equal(0, code);
            Assert.Equal("", err);
            Assert.Contains("=> pass, state new, @2 pass in on lo0", optimized);
        }
        finally { File.Delete(conf); File.Delete(pkt); }
    }

    [Fact]
    public void UnknownOptimizationLevel_IsAUsageError()
    {
        var (code, _, err) = CliRunner.Run("print", "--optimize", "fast", "/nonexistent.conf");
        Assert.Equal(2, code);
        Assert.Contains("unknown optimization 'fast'", err);
    }
}
