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
}
