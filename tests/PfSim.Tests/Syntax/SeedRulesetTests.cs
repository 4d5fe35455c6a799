using PfSim.Rules;
using PfSim.Syntax;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Syntax;

/// <summary>The seed scenario's rulesets A–D load into the model the engine evaluates, in both dialects.</summary>
public class SeedRulesetTests
{
    private static LoadResult Load(string name, Dialect d) =>
        PfConfLoader.LoadFile(Peer.Captures("labs", "seed", name + ".conf"), new LoadOptions { Dialect = d });

    [Theory]
    [InlineData("A", Dialect.OpenBsd)]
    [InlineData("A", Dialect.FreeBsd)]
    [InlineData("B", Dialect.OpenBsd)]
    [InlineData("C", Dialect.FreeBsd)]
    [InlineData("D", Dialect.OpenBsd)]
    [InlineData("D", Dialect.FreeBsd)]
    public void SeedRuleset_LoadsWithoutErrors(string name, Dialect d)
    {
        var r = Load(name, d);
        Assert.True(r.Success, string.Join("\n", r.Errors));
        Assert.Equal(d, r.Dialect);
    }

    [Fact]
    public void RulesetA_IcmpType8Code0_IsStoredPlusOne_AndKeepStateOnPass()
    {
        var cfg = Load("A", Dialect.FreeBsd).Config!;
        Assert.Equal(2, cfg.Main.Filter.Count);
        var block = cfg.Main.Filter[0];
        Assert.Equal(RuleAction.Block, block.Action);
        Assert.Equal(BlockReturn.Drop, block.Return);
        Assert.Equal("bge0", block.Interface);
        Assert.Equal(Af.Inet, block.Af);
        Assert.Equal(1, block.Proto);
        Assert.Equal(StateMode.None, block.State);
        var pass = cfg.Main.Filter[1];
        Assert.Equal(1, pass.Number);
        Assert.Equal(9, pass.IcmpType);   // echo request (8) + 1, as pf stores it
        Assert.Equal(1, pass.IcmpCode);   // code 0 + 1
        Assert.Equal(StateMode.Keep, pass.State);
        Assert.Equal(AddressKind.Network, pass.From.Address.Kind);
        Assert.Equal("192.168.100.0", pass.From.Address.Address.ToString());
        Assert.Equal(24, pass.From.Address.Prefix);
        Assert.Equal(5, pass.Line);
        Assert.Equal("pass on bge0 inet proto icmp from 192.168.100.0/24 to any icmp-type echoreq code 0 keep state", pass.Text);
    }

    [Fact]
    public void RulesetB_MacroList_ExpandsIntoOneRulePerElement_NumberedInOrder()
    {
        var cfg = Load("B", Dialect.OpenBsd).Config!;
        Assert.Equal(3, cfg.Main.Filter.Count);
        Assert.Equal([0, 1, 2], cfg.Main.Filter.Select(r => r.Number));
        Assert.Equal("192.168.50.1", cfg.Main.Filter[2].From.Address.Address.ToString());
        Assert.Equal(32, cfg.Main.Filter[2].From.Address.Prefix);
        // OpenBSD prints the implicit keep state of a pass rule as nothing.
        Assert.Equal("pass on bge0 inet proto icmp from 192.168.50.1 to any icmp-type echoreq code 0", cfg.Main.Filter[2].Text);
    }

    [Fact]
    public void RulesetD_LogAndDirection_AreKept_AndPassOutToList_Expands()
    {
        var cfg = Load("D", Dialect.FreeBsd).Config!;
        var rules = cfg.Main.Filter;
        Assert.Equal(6, rules.Count);
        Assert.All(rules, r => Assert.Equal(LogFlags.Log, r.Log));
        Assert.Equal(Direction.In, rules[0].Direction);
        Assert.Equal(Direction.Out, rules[1].Direction);
        Assert.Equal(Direction.Out, rules[5].Direction);
        Assert.Equal("192.168.50.1", rules[5].To.Address.Address.ToString());
        Assert.All(rules.Skip(2), r => Assert.Equal(StateMode.Keep, r.State));
        Assert.All(rules.Skip(2), r => Assert.False(r.StateExplicit && r.Line == 10));
    }

    [Fact]
    public void PrintCommand_SeedD_FreeBsd_PrintsMacrosThenNumberedRules()
    {
        var (code, output, err) = CliRunner.Run("print", "--dialect", "freebsd", "--numbers", Peer.Captures("labs", "seed", "D.conf"));
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal(
            "ext_if = \"bfe0\"\n" +
            "allow_nets = \"{ 127.0.0.0/8 }\"\n" +
            "test_nets = \"{ 192.168.40.0/24, 192.168.50.1 }\"\n" +
            "@0 block drop in log on bfe0 inet proto icmp all\n" +
            "@1 block drop out log on bfe0 inet proto icmp all\n" +
            "@2 pass in log on bfe0 inet proto icmp from 192.168.40.0/24 to any keep state\n" +
            "@3 pass in log on bfe0 inet proto icmp from 192.168.50.1 to any keep state\n" +
            "@4 pass out log on bfe0 inet proto icmp from any to 192.168.40.0/24 keep state\n" +
            "@5 pass out log on bfe0 inet proto icmp from any to 192.168.50.1 keep state\n", output);
    }

    [Fact]
    public void CheckCommand_SeedRulesets_PrintNothingAndExit0()
    {
        foreach (var n in new[] { "A", "B", "C", "D" })
        {
            var (code, output, err) = CliRunner.Run("check", Peer.Captures("labs", "seed", n + ".conf"));
            Assert.Equal(0, code);
            Assert.Equal("", output);
            Assert.Equal("", err);
        }
    }

    [Fact]
    public void CheckCommand_UndefinedMacro_IsReportedAtItsLine_Exit1()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pfsim-{Guid.NewGuid():N}.conf");
        File.WriteAllText(path, "ext_if = \"em0\"\npass in on $ext_if\nblock on $nope all\n");
        try
        {
            var (code, _, err) = CliRunner.Run("check", path);
            Assert.Equal(1, code);
            // pfctl's lexer reports the macro, then yacc reports the ERROR token as a syntax error.
            Assert.Equal($"{path}:3: macro 'nope' not defined\n{path}:3: syntax error\n", err.Replace("\r", ""));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void CheckCommand_DefineOnCommandLine_WinsOverTheFile()
    {
        var r = PfConfLoader.LoadText("ext_if = \"em0\"\npass in on $ext_if\n", "t.conf",
            new LoadOptions { Defines = new Dictionary<string, string> { ["ext_if"] = "em1" } });
        Assert.True(r.Success);
        Assert.Equal("em1", r.Config!.Main.Filter[0].Interface);
    }
}
