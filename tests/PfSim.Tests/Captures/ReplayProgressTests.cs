using PfSim.Captures;
using PfSim.Cli;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Captures;

/// <summary>The progress line of <c>pfsim replay</c>: drawn on stderr only for a person watching it, erased when done.</summary>
public class ReplayProgressTests
{
    private const string Erase = "\r\u001b[K";

    internal static byte[] ThreeEchoRequests()
    {
        using var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, 101, leaveOpen: true))
            for (int i = 0; i < 3; i++) w.Write(1_300_000_000_000_000_000L + 1_000_000_000L * i, PflogTests.EchoRequest);
        return ms.ToArray();
    }

    [Fact]
    public void Render_OfAFile_ShowsBarPercentBytesPacketsAndTimeLeft()
    {
        string frame = ReplayProgress.Render("big.pcap", 1L << 30, 4L << 30, 1_234_567, TimeSpan.FromSeconds(10));
        Assert.Equal("big.pcap                  [#####---------------]  25%  1.0 GiB of 4.0 GiB  1.2M packets  0:30 left", frame);
        Assert.Equal("big.pcap                  [--------------------]   0%  0 B of 4.0 GiB  0 packets",
                     ReplayProgress.Render("big.pcap", 0, 4L << 30, 0, TimeSpan.Zero));
        Assert.Contains("[####################] 100%  4.0 GiB of 4.0 GiB  20k packets  0:00 left",
                        ReplayProgress.Render("big.pcap", 4L << 30, 4L << 30, 20_000, TimeSpan.FromMinutes(3)));
    }

    [Fact]
    public void Render_OfStdin_HasNoBar_OnlyWhatWasRead()
    {
        Assert.Equal("stdin                     3.5 MiB read  12k packets",
                     ReplayProgress.Render("stdin", 7L << 19, -1, 12_345, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void Render_KeepsALongFileNameToItsLastCharacters()
    {
        string frame = ReplayProgress.Render("pflog-from-the-main-firewall-2026-11-23.pcap", 0, 100, 0, TimeSpan.Zero);
        Assert.StartsWith("…irewall-2026-11-23.pcap  [", frame);
    }

    [Fact]
    public void Update_WaitsForShowAfter_RedrawsInPlaceAtMostTenTimesASecond_AndFinishErasesIt()
    {
        var now = TimeSpan.Zero;
        var err = new StringWriter();
        var p = new ReplayProgress(err, "big.pcap", 1000, TimeSpan.FromSeconds(1), () => now);
        p.Update(100, 10);
        Assert.Equal("", err.ToString());  // a short run never shows a bar
        now = TimeSpan.FromSeconds(1);
        p.Update(200, 20);
        Assert.StartsWith("\rbig.pcap", err.ToString());
        Assert.EndsWith(" 20%  200 B of 1000 B  20 packets  0:04 left\u001b[K", err.ToString());
        now += TimeSpan.FromMilliseconds(50);
        p.Update(300, 30);
        Assert.DoesNotContain(" 30%", err.ToString());  // too soon after the last frame
        now += TimeSpan.FromMilliseconds(60);
        p.Update(400, 40);
        Assert.Contains(" 40%", err.ToString());
        p.Finish();
        Assert.EndsWith(Erase, err.ToString());
        Assert.False(p.Shown);
    }

    [Fact]
    public void Finish_WithoutAFrame_WritesNothing()
    {
        var err = new StringWriter();
        var p = new ReplayProgress(err, "small.pcap", 1000, TimeSpan.FromSeconds(1), () => TimeSpan.Zero);
        p.Update(1000, 3);
        p.Finish();
        Assert.Equal("", err.ToString());
    }

    [Theory]
    [InlineData(false, false, false, false)]  // stderr redirected: a log file, a CI job: never
    [InlineData(false, true, true, false)]
    [InlineData(true, false, true, true)]     // pfsim replay … > verdicts.txt: the person watches stderr
    [InlineData(true, true, false, true)]     // --summary on a terminal: nothing scrolls meanwhile
    [InlineData(true, true, true, false)]     // packet lines on the same screen would tear the bar
    public void Wanted_OnlyWhenStderrIsATerminal_AndNoPacketLinesScrollBesideIt(bool errTty, bool outTty, bool packetLines, bool wanted)
    {
        var ctx = new CliContext(TextWriter.Null, TextWriter.Null) { ErrIsTerminal = errTty, OutIsTerminal = outTty };
        Assert.Equal(wanted, ReplayProgress.Wanted(ctx, packetLines));
    }

    [Fact]
    public void Replay_OnATerminalStderr_DrawsTheBar_ThenErasesIt_BeforeTheSummary()
    {
        var (code, output, err) = CliRunner.Run(ThreeEchoRequests(), errIsTerminal: true, outIsTerminal: true, progressAfter: TimeSpan.Zero,
                                                "replay", "-f", "/dev/null", "--if", "em0", "--summary", "-");
        Assert.Equal(0, code);
        Assert.StartsWith("\rstdin ", err);
        Assert.Contains("0 B read  0 packets", err);
        Assert.EndsWith(Erase, err);
        Assert.Contains("packets: 3 replayed", output);
    }

    [Fact]
    public void Replay_WhenStderrIsNotATerminal_DrawsNoProgress()
    {
        var (code, output, err) = CliRunner.Run(ThreeEchoRequests(), errIsTerminal: false, outIsTerminal: false, progressAfter: TimeSpan.Zero,
                                                "replay", "-f", "/dev/null", "--if", "em0", "--summary", "-");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Contains("packets: 3 replayed", output);
    }

    [Fact]
    public void Replay_WithPacketLinesOnTheSameTerminal_DrawsNoProgress()
    {
        var (code, output, err) = CliRunner.Run(ThreeEchoRequests(), errIsTerminal: true, outIsTerminal: true, progressAfter: TimeSpan.Zero,
                                                "replay", "-f", "/dev/null", "--if", "em0", "-");
        Assert.Equal(0, code);
        Assert.Equal("", err);
        Assert.Equal(3, output.Split('\n').Count(l => l.Contains("=> pass (default rule)", StringComparison.Ordinal)));
    }
}
