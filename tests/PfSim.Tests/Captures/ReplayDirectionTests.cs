using System.Text.Json;
using PfSim.Captures;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Captures;

/// <summary>
/// Which way a packet crosses the interface when the capture does not say: <c>--local</c> (the firewall's own addresses
/// and networks) decides; <c>--dir</c> overrides it; a pflog header's direction is the truth for its packet.
/// </summary>
public class ReplayDirectionTests
{
    private static readonly byte[] Reply = Convert.FromHexString("4500001c0001000040010000c0a83201c0a82801" + "0000edca12340001");
    private static readonly byte[] Forwarded = Convert.FromHexString("4500001c0001000040010000" + "0a000001" + "0a000002" + "0800e5ca12340001");

    private static TempFile Capture()
    {
        var t = ExternalTool.Temp();
        using var w = PcapWriter.Create(t, 101);
        w.Write(1_300_000_000_000_000_000, PflogTests.EchoRequest);  // 192.168.40.1 > 192.168.50.1
        w.Write(1_300_000_001_000_000_000, Reply);                   // 192.168.50.1 > 192.168.40.1
        w.Write(1_300_000_002_000_000_000, Forwarded);               // 10.0.0.1 > 10.0.0.2
        return t;
    }

    private static (string[] Dirs, string Out, string Err) Dirs(params string[] args)
    {
        using var conf = ExternalTool.Temp(".conf");
        File.WriteAllText(conf, "pass\n");
        var (code, output, err) = CliRunner.Run(["replay", "-f", conf, "--json", .. args]);
        Assert.True(code == 0, err);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return ([.. lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("dir").GetString()!)], output, err);
    }

    [Fact]
    public void Local_FromItIsOut_ToItIsIn_NeitherIsForwardedSoIn()
    {
        using var cap = Capture();
        Assert.Equal(["in", "out", "in"], Dirs("--local", "192.168.50.1", cap).Dirs);
        Assert.Equal(["in", "out", "in"], Dirs("--local", "192.168.50.0/24", cap).Dirs);  // a network works as well
        Assert.Equal(["out", "in", "in"], Dirs("--local", "192.168.40.1", cap).Dirs);     // the other end as the firewall
        Assert.Equal(["in", "out", "out"], Dirs("--local", "192.168.50.1", "--local", "10.0.0.1", cap).Dirs);  // repeatable
    }

    [Fact]
    public void Dir_OverridesLocal()
    {
        using var cap = Capture();
        Assert.Equal(["out", "out", "out"], Dirs("--local", "192.168.50.1", "--dir", "out", cap).Dirs);
    }

    [Fact]
    public void NothingSaysTheDirection_TakenAsIn_AndTheSummarySaysSo()
    {
        using var cap = Capture();
        Assert.Equal(["in", "in", "in"], Dirs(cap).Dirs);
        using var conf = ExternalTool.Temp(".conf");
        File.WriteAllText(conf, "pass\n");
        var summary = JsonDocument.Parse(CliRunner.Run("replay", "-f", conf, "--json", "--summary", cap).Out).RootElement.GetProperty("summary");
        Assert.Equal(3, summary.GetProperty("packets").GetProperty("direction_guessed").GetInt32());
        Assert.Contains("note: 3 packets had no direction (no pflog header, --dir or --local): taken as 'in'", CliRunner.Run("replay", "-f", conf, "--summary", cap).Out);
    }

    [Fact]
    public void PflogHeadersDirection_BeatsLocal()
    {
        using var pflog = ExternalTool.Temp();
        using (var w = PflogWriter.Create(pflog, PflogLayout.OpenBsd100))
            w.Write(1_300_000_000_000_000_000, PflogTests.Sample(0, "em0", Direction.Out, 0), PflogTests.EchoRequest);
        Assert.Equal(["out"], Dirs("--local", "192.168.50.1", pflog).Dirs);
    }

    [Theory]
    [InlineData("192.168.50.300", "--local: not an address: '192.168.50.300'")]
    [InlineData("192.168.50.0/33", "--local: bad prefix length in '192.168.50.0/33'")]
    public void Local_NotAnAddress_IsAUsageError(string local, string message)
    {
        using var cap = Capture();
        var (code, _, err) = CliRunner.Run("replay", "-f", "/dev/null", "--local", local, cap);
        Assert.Equal(2, code);
        Assert.Equal($"pfsim: {message}", err.Trim());
    }
}
