using PfSim.Captures;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Captures;

/// <summary>Replay's clock is the capture's timestamps: pf's state timeouts run on them, never on the wall clock.</summary>
public class ReplayTimeTests
{
    // 192.168.40.1 pings the firewall 192.168.50.1 at 0 s; the reply leaves at 1 s, and again at 30 s.
    private static readonly byte[] EchoReply = Convert.FromHexString("4500001c0001000040010000c0a83201c0a82801" + "0000edca12340001");

    private static TempFile Capture()
    {
        var t = ExternalTool.Temp();
        using var w = PcapWriter.Create(t, 101);
        const long t0 = 1_300_000_000_000_000_000;
        w.Write(t0, PflogTests.EchoRequest);
        w.Write(t0 + 1_000_000_000, EchoReply);
        w.Write(t0 + 30_000_000_000, EchoReply);
        return t;
    }

    private static string[] Verdicts(string conf, string capture)
    {
        using var c = ExternalTool.Temp(".conf");
        File.WriteAllText(c, conf);
        var (code, output, err) = CliRunner.Run("replay", "-f", c, "--local", "192.168.50.1", "--if", "em0", capture);
        Assert.True(code == 0, err);
        return [.. output.Split('\n').Where(l => l.Contains(" => ", StringComparison.Ordinal)).Select(l => l[(l.IndexOf(" => ", StringComparison.Ordinal) + 4)..])];
    }

    // pf.c pf_test_state_icmp(): an answered echo's state times out after icmp.error (10 s by default).
    [Fact]
    public void EchoState_ExpiresAfterIcmpError_CountedInCaptureTime()
    {
        using var cap = Capture();
        var v = Verdicts("block all\npass in inet proto icmp icmp-type echoreq keep state\n", cap);
        Assert.Equal(3, v.Length);
        Assert.StartsWith("pass @1, new state", v[0]);
        Assert.StartsWith("pass @1, state match", v[1]);
        Assert.StartsWith("block @0", v[2]);  // 29 s after the last packet of the state: gone
    }

    [Fact]
    public void EchoState_OutlivesTheGap_WhenIcmpErrorIsLonger()
    {
        using var cap = Capture();
        var v = Verdicts("set timeout icmp.error 60\nblock all\npass in inet proto icmp icmp-type echoreq keep state\n", cap);
        Assert.StartsWith("pass @1, state match", v[2]);
    }
}
