using System.Diagnostics;
using PfSim.Captures;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Captures;

/// <summary><c>pfsim replay -f pf.conf -</c>: a capture read from a pipe (<c>tcpdump -w - | pfsim replay …</c>).</summary>
public class ReplayStdinTests
{
    private static TempFile Conf(string text)
    {
        var t = ExternalTool.Temp(".conf");
        File.WriteAllText(t, text);
        return t;
    }

    [Fact]
    public void Dash_ReadsAPcapFromStdin_StateCarriesAsFromAFile()
    {
        using var conf = Conf("block in proto icmp\n");
        var (code, output, err) = CliRunner.Run(ReplayProgressTests.ThreeEchoRequests(), false, false, TimeSpan.Zero,
                                                "replay", "-f", conf, "--if", "em0", "--dir", "in", "-");
        Assert.True(code == 0, err);
        var verdicts = output.Split('\n').Where(l => l.Contains(" => ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, verdicts.Count);
        Assert.All(verdicts, l => Assert.Contains("in on em0: IP 192.168.40.1 > 192.168.50.1: ICMP echo request, id 4660, seq 1", l));
        Assert.All(verdicts, l => Assert.EndsWith("=> block @0: block drop in proto icmp all", l));
        Assert.StartsWith("00:00:01.000000 ", verdicts[1]);  // -ttt: the time since the previous packet
    }

    [Fact]
    public void Dash_ReadsAPcapNgFromStdin()
    {
        var ng = new PcapNgBuilder().Section().Interface(101, name: "em0").Enhanced(0, 1_300_000_000_000_000UL, PflogTests.EchoRequest).ToArray();
        var (code, output, err) = CliRunner.Run(ng, false, false, TimeSpan.Zero, "replay", "-f", "/dev/null", "--json", "--dir", "in", "-");
        Assert.True(code == 0, err);
        Assert.Contains("\"if\":\"em0\"", output.Split('\n')[0]);  // pcapng's interface name, read from the pipe
    }

    [Fact]
    public void TruncatedStdin_IsReportedAsStdin_WithPacketAndOffset_Exits1()
    {
        var bytes = ReplayProgressTests.ThreeEchoRequests();
        var (code, output, err) = CliRunner.Run(bytes[..^5], false, false, TimeSpan.Zero, "replay", "-f", "/dev/null", "--if", "em0", "-");
        Assert.Equal(1, code);
        Assert.Equal($"stdin: packet 3 at byte offset {24 + 2 * 44}: truncated record: 28 bytes captured, only 23 present", err.Trim());
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains(" => ", StringComparison.Ordinal)));
    }

    [Fact]
    public void EmptyStdin_IsNotACapture_Exits1()
    {
        var (code, _, err) = CliRunner.Run([], false, false, TimeSpan.Zero, "replay", "-f", "/dev/null", "-");
        Assert.Equal(1, code);
        Assert.StartsWith("stdin: packet 1 at byte offset 0: ", err);
    }

    /// <summary>The real program, its stdin a pipe and its stderr redirected: the verdicts come, no progress is drawn.</summary>
    [Fact]
    public async Task RealProcess_WithAPipeOnStdin_AndStderrRedirected_ReplaysWithoutProgress()
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "PfSim.Cli.dll");
        using var conf = Conf("block in proto icmp\n");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var a in new[] { dll, "replay", "-f", conf.Path, "--if", "em0", "--dir", "in", "--summary", "-" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.StandardInput.BaseStream.Write(ReplayProgressTests.ThreeEchoRequests());
        p.StandardInput.Close();
        Assert.True(p.WaitForExit(60_000));
        Assert.Equal("", await stderr);
        Assert.Equal(0, p.ExitCode);
        Assert.Contains("packets: 3 replayed (0 passed, 3 blocked, 0 logged) of 3 records", await stdout);
    }
}
