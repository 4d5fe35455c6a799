using System.Text.Json;

namespace PfSim.Tests.Cli;

public class EvalCommandTests
{
    [Theory]
    [InlineData("A")]
    [InlineData("B")]
    [InlineData("C")]
    [InlineData("D")]
    public void SeedScripts_ExpectationsHold_AgainstTheShippedRulesets(string name)
    {
        var (code, _, err) = CliRunner.Run("eval", "-f", Peer.Captures("labs", "seed", name + ".conf"), "--check", Peer.Captures("scripts", $"seed-{name}.pkt"));
        Assert.True(code == 0, err);
        Assert.Contains("expectation(s) hold", err);
    }

    [Theory]
    [InlineData("freebsd")]
    [InlineData("openbsd")]
    public void SeedC_Explain_SaysTheQuotedUdpPacketHadNoState(string dialect)
    {
        var (code, output, _) = CliRunner.Run("eval", "-f", Peer.Captures("labs", "seed", "C.conf"), "--dialect", dialect, "--explain", Peer.Captures("scripts", "seed-C.pkt"));
        Assert.Equal(0, code);
        Assert.Contains("finds no state for it", output);
        Assert.Contains("pf's default rule decides: pass, without creating a state", output);
        Assert.Contains("States (pfctl -ss):", output);
    }

    [Fact]
    public void Json_HasTheContractFields()
    {
        var (code, output, _) = CliRunner.Run("eval", "-f", Peer.Captures("labs", "seed", "C.conf"), "--json", "--explain", Peer.Captures("scripts", "seed-C.pkt"));
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(7, lines.Length);
        using var doc = JsonDocument.Parse(lines[5]);
        var o = doc.RootElement;
        foreach (var f in new[] { "packet", "time", "if", "dir", "action", "rule", "anchor", "state", "reason", "log", "return", "nat", "explain", "logged" })
            Assert.True(o.TryGetProperty(f, out _), f);
        Assert.Equal("block", o.GetProperty("action").GetString());
        Assert.Equal(0, o.GetProperty("rule").GetInt32());
        Assert.Equal("out", o.GetProperty("dir").GetString());
    }

    [Fact]
    public void ScriptError_IsFileLine_Exit1()
    {
        var script = Path.GetTempFileName();
        File.WriteAllText(script, "in on em0 proto udp from 10.0.0.1 to 10.0.0.2\nin on em0 proto bogus from 1.2.3.4 to 1.2.3.5\n");
        var (code, _, err) = CliRunner.Run("eval", "-f", Peer.Captures("labs", "seed", "C.conf"), script);
        Assert.Equal(1, code);
        Assert.Contains($"{script}:2: unknown protocol 'bogus'", err);
    }

    [Fact]
    public void FailedExpectation_Exit1()
    {
        var script = Path.GetTempFileName();
        File.WriteAllText(script, "in on bge0 proto udp from 10.0.0.1 to 10.0.0.2   # expect block\n");
        var (code, _, err) = CliRunner.Run("eval", "-f", Peer.Captures("labs", "seed", "C.conf"), "--check", script);
        Assert.Equal(1, code);
        Assert.Contains("line 1: expected block, got pass", err);
    }

    [Fact]
    public void MissingScript_Exit2()
    {
        var (code, _, _) = CliRunner.Run("eval", "-f", Peer.Captures("labs", "seed", "C.conf"), "/no/such/script");
        Assert.Equal(2, code);
    }
}
