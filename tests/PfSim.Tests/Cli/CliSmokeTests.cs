namespace PfSim.Tests.Cli;

public class CliSmokeTests
{
    [Fact]
    public void UnknownOption_IsAUsageError_Exit2()
    {
        var (code, _, err) = CliRunner.Run("version", "--no-such-option");
        Assert.Equal(2, code);
        Assert.Contains("--help", err);
    }

    [Fact]
    public void Help_ListsCommands()
    {
        var (code, output, _) = CliRunner.Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("version", output);
    }

    [Fact]
    public void RulesetWithErrors_PrintsOnlyFileLineMessages_Exit1()
    {
        var dir = Directory.CreateTempSubdirectory("pfsim-cli");
        var bad = Path.Combine(dir.FullName, "bad.conf");
        File.WriteAllText(bad, "pass in on em0 from em0:nosuchmod\n");
        foreach (var args in new[] { new[] { "lint", bad }, ["diff", bad, bad], ["check", bad] })
        {
            var (code, _, err) = CliRunner.Run(args);
            Assert.Equal(1, code);
            Assert.Contains($"{bad}:1: ", err);
            Assert.DoesNotContain("Exception", err);
        }
        dir.Delete(true);
    }
}
