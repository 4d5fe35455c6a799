using PfSim.Tests.Cli;

namespace PfSim.Tests.Compile;

public class PrintCompiledTests
{
    [Fact]
    public void PrintCompiled_DescribesTheClassifierAndItsFallbacks()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "match out on em0 inet from 10.0.0.0/8 nat-to 192.0.2.1\npass out on em0 inet proto tcp to port 80\n");
            var (code, output, err) = CliRunner.Run("print", "--compiled", path);
            Assert.True(code == 0, err);
            Assert.Contains("compiled: 2 rules, skip steps", output);
            Assert.Contains("fallback after @0 match out on em0", output);
        }
        finally { File.Delete(path); }
    }
}
