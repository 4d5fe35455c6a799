using System.Text.Json;
using PfSim.Captures;
using PfSim.Tests.Cli;

namespace PfSim.Tests.Captures;

/// <summary><c>pfsim replay</c> as a user runs it: output, JSON contract, pflog comparison and output, damaged input.</summary>
public class ReplayCommandTests
{
    private const string SeedC = """
        ext_if = "s0"
        test_nets = "{ 10.99.1.0/24, 10.99.3.2 }"
        block on $ext_if inet proto icmp all
        pass on $ext_if inet proto icmp from $test_nets icmp-type 8 code 0 keep state

        """;
    private const string SeedD = """
        ext_if = "s0"
        test_nets = "{ 10.99.1.0/24, 10.99.3.2 }"
        block in log on $ext_if inet proto icmp all
        block out log on $ext_if inet proto icmp all
        pass in log on $ext_if inet proto icmp from $test_nets keep state
        pass out log on $ext_if inet proto icmp to $test_nets

        """;

    private static TempFile Conf(string text)
    {
        var t = ExternalTool.Temp(".conf");
        File.WriteAllText(t, text);
        return t;
    }

    private static string Generated(string name) => Peer.Path_("captures", "generated", name);

    [PeerFact]
    public void Text_ShowsEachPacketWithVerdictRuleAndState_ThenPfctlLikeSummary()
    {
        using var conf = Conf(SeedC);
        var (code, output, err) = CliRunner.Run("replay", "-f", conf, "--local", "10.99.3.2", Generated("traceroute-udp-v4.server.pcap"));
        Assert.True(code == 0, err);
        var lines = output.Split('\n');
        Assert.StartsWith("00:00:00.000000 in on s0: IP 10.99.1.2.", lines[0]);
        Assert.EndsWith("UDP, length 32 (ttl 1) => pass (default rule)", lines[0]);
        Assert.Contains("out on s0: IP 10.99.3.2 > 10.99.1.2: ICMP 10.99.3.2 udp port 33440 unreachable, length 68 (ttl 64) => block @0: block drop on s0 inet proto icmp all", lines[1]);
        Assert.Contains("@0 block drop on s0 inet proto icmp all\n  [ Evaluations: 20        Packets: 10", output);
        Assert.Contains("packets: 20 replayed (10 passed, 10 blocked, 0 logged) of 20 records", output);
    }

    [PeerFact]
    public void Summary_PrintsOnlyTheSummaries()
    {
        using var conf = Conf(SeedC);
        var (code, output, _) = CliRunner.Run("replay", "-f", conf, "--local", "10.99.3.2", "--summary", Generated("ping-v4.server.pcap"));
        Assert.Equal(0, code);
        Assert.StartsWith("@0 block drop on s0 inet proto icmp all", output);
        Assert.Contains("  inserts                               1", output);
        Assert.Contains("  packets matching a state              5", output);
    }

    [PeerFact]
    public void Json_HasTheContractsFields_OnePerPacket()
    {
        using var conf = Conf(SeedC);
        var (code, output, _) = CliRunner.Run("replay", "-f", conf, "--local", "10.99.3.2", "--json", Generated("ping-v4.server.pcap"));
        Assert.Equal(0, code);
        var objs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(7, objs.Count);  // 3 requests, 3 replies, a router solicitation; ARP is not IP
        foreach (var name in new[] { "packet", "time", "if", "dir", "action", "rule", "anchor", "state", "reason", "log", "return", "nat", "logged" })
            Assert.True(objs[0].TryGetProperty(name, out _), name);
        Assert.Equal("in", objs[0].GetProperty("dir").GetString());
        Assert.Equal("pass", objs[0].GetProperty("action").GetString());
        Assert.Equal(1, objs[0].GetProperty("rule").GetInt32());
        Assert.Equal("new", objs[0].GetProperty("state").GetString());
        Assert.Equal("match", objs[1].GetProperty("state").GetString());
        Assert.Equal("out", objs[1].GetProperty("dir").GetString());
        Assert.Equal(JsonValueKind.Null, objs[0].GetProperty("logged").ValueKind);
    }

    [PeerFact]
    public void PflogInput_ComparesLoggedWithSimulated_AndSummarisesTheDifferences()
    {
        using var conf = Conf("block in on vio0 proto tcp to port 23\npass in on vio0 proto tcp to port 22\n");
        var scapy = Peer.Path_("captures", "pflog", "scapy");
        var (code, output, _) = CliRunner.Run("replay", "-f", conf, "--json",
            Path.Combine(scapy, "scapy-pflog-tcp.pcap"), Path.Combine(scapy, "scapy-pflog-tcp-ipv6-pass.pcap"));
        Assert.Equal(0, code);
        var objs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, objs.Count);
        var logged = objs[0].GetProperty("logged");
        Assert.Equal("block", logged.GetProperty("action").GetString());
        Assert.Equal(5, logged.GetProperty("rule").GetInt32());
        Assert.Equal("vio0", logged.GetProperty("if").GetString());
        Assert.Equal("in", logged.GetProperty("dir").GetString());
        Assert.Equal("match", logged.GetProperty("reason").GetString());
        // The interface and direction come from the pflog header; the packet is now blocked by @0.
        Assert.Equal(("vio0", "block", 0), (objs[0].GetProperty("if").GetString(), objs[0].GetProperty("action").GetString(), objs[0].GetProperty("rule").GetInt32()));
        Assert.Equal(("vlan3", "pass"), (objs[1].GetProperty("if").GetString(), objs[1].GetProperty("action").GetString()));

        var (_, text, _) = CliRunner.Run("replay", "-f", conf, "--summary", Path.Combine(scapy, "scapy-pflog-tcp.pcap"));
        Assert.Contains("logged vs simulated: 0 of 1 pflog packets decided as logged, 1 otherwise (0 with the other action, 1 by another rule)", text);
        Assert.Contains("  this packet would now be blocked by @0 (block drop in on vio0 proto tcp from any to any port = 23); pf logged it blocked by @5 (scapy-pflog-tcp.pcap packet 1)", text);
        Assert.Contains("pflog headers: 1 OpenBSD (100-byte header)", text);
    }

    [Fact]
    public void TruncatedCapture_ReportsFilePacketAndOffset_KeepsThePacketsBefore_Exits1()
    {
        using var conf = Conf("block in proto icmp\n");
        using var cap = ExternalTool.Temp();
        using (var w = PcapWriter.Create(cap, 101))
            for (int i = 0; i < 3; i++) w.Write(1_300_000_000_000_000_000L + 1_000_000_000L * i, PflogTests.EchoRequest);
        var bytes = File.ReadAllBytes(cap);
        File.WriteAllBytes(cap, bytes[..^5]);
        var (code, output, err) = CliRunner.Run("replay", "-f", conf, "--dir", "in", "--if", "em0", cap);
        Assert.Equal(1, code);
        Assert.Equal($"{cap.Path}: packet 3 at byte offset {24 + 2 * 44}: truncated record: 28 bytes captured, only 23 present", err.Trim());
        Assert.Equal(2, output.Split('\n').Count(l => l.Contains("=> block @0", StringComparison.Ordinal)));
    }

    [Fact]
    public void KeepGoing_SkipsADamagedRecordHeader_AndReplaysTheRest()
    {
        using var conf = Conf("block in proto icmp\n");
        using var cap = ExternalTool.Temp();
        using (var w = PcapWriter.Create(cap, 101))
            for (int i = 0; i < 5; i++) w.Write(1_300_000_000_000_000_000L + 1_000_000_000L * i, PflogTests.EchoRequest);
        var bytes = File.ReadAllBytes(cap);
        bytes[24 + 44 + 8 + 3] = 0x7F;  // packet 2's captured length: 0x7F00001C
        File.WriteAllBytes(cap, bytes);
        var (code, output, err) = CliRunner.Run("replay", "-f", conf, "--dir", "in", "--keep-going", cap);
        Assert.Equal(1, code);
        Assert.Contains($"{cap.Path}: packet 2 at byte offset 68: invalid captured length 2130706460, bigger than the maximum of 262144", err);
        Assert.Equal(4, output.Split('\n').Count(l => l.Contains("=> block @0", StringComparison.Ordinal)));
        var (code2, output2, _) = CliRunner.Run("replay", "-f", conf, "--dir", "in", cap);
        Assert.Equal(1, code2);
        Assert.Equal(1, output2.Split('\n').Count(l => l.Contains("=> block @0", StringComparison.Ordinal)));
    }

    [ToolFact("tcpdump")]
    public void WritePflog_WritesWhatPfWouldLog_ReadableByTcpdump()
    {
        if (Peer.Dir is null) return;
        using var conf = Conf(SeedD);
        foreach (var (layout, tcpdumpLen) in new[] { ("openbsd", 100), ("freebsd", 72), ("freebsd-old", 64) })
        {
            using var outFile = ExternalTool.Temp();
            var (code, _, err) = CliRunner.Run("replay", "-f", conf, "--local", "10.99.3.2", "--summary", "--write-pflog", outFile,
                "--pflog-layout", layout, Generated("traceroute-udp-v4.server.pcap"));
            Assert.True(code == 0, err);
            var (tc, tout, terr) = ExternalTool.Run("tcpdump", "-n", "-e", "-r", outFile.Path);
            Assert.True(tc == 0, terr);
            var lines = tout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            // Only the port unreachables are logged (pass out log, rule @4); the UDP probes pass by the default rule, unlogged.
            Assert.Equal(10, lines.Length);
            Assert.All(lines, l => Assert.Contains("rule 4/0(match): pass out on s0: 10.99.3.2 > 10.99.1.2: ICMP 10.99.3.2 udp port", l));
            using var r = CaptureReader.Open(outFile);
            Assert.True(r.TryRead(out var p));
            Assert.Equal(FrameStatus.Ip, p.Decode(out var f));
            Assert.Equal(tcpdumpLen, f.Pflog.HeaderBytes);
            if (Peer.HasTool("tshark"))
            {
                var (sc, sout, serr) = ExternalTool.Run("tshark", "-r", outFile.Path, "-T", "fields", "-E", "separator=|",
                    "-e", "pflog.rulenr", "-e", "pflog.action", "-e", "pflog.dir", "-e", "pflog.ifname", "-e", "icmp.type");
                Assert.True(sc == 0, serr);
                Assert.All(sout.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => Assert.Equal("4|0|2|s0|3", l));
            }
            // And read back by PfSim as pflog input, every record agrees with the ruleset that wrote it.
            var (rc, rout, _) = CliRunner.Run("replay", "-f", conf, "--summary", outFile);
            Assert.Equal(0, rc);
            Assert.Contains("logged vs simulated: 10 of 10 pflog packets decided as logged, 0 otherwise", rout);
        }
    }

    [Fact]
    public void Verbose_SaysWhatEachFileIs_AndWhichPflogLayoutItsHeadersHave()
    {
        using var conf = Conf("pass\n");
        using var pflog = ExternalTool.Temp();
        using (var w = PflogWriter.Create(pflog, PflogLayout.FreeBsd72))
            w.Write(1_300_000_000_000_000_000, PflogTests.Sample(3, "em0", Direction.In, 0), PflogTests.EchoRequest);
        using var raw = ExternalTool.Temp();
        using (var w = PcapWriter.Create(raw, 101))
            w.Write(1_300_000_001_000_000_000, PflogTests.EchoRequest);
        var (code, _, err) = CliRunner.Run("replay", "-f", conf, "--verbose", "--summary", pflog, raw);
        Assert.Equal(0, code);
        Assert.Contains($"pfsim: {pflog.Path}: pcap, link type PFLOG (117), 1 record; pflog headers: 1 FreeBSD (72-byte header, with ridentifier)\n", err);
        Assert.Contains($"pfsim: {raw.Path}: pcap, link type RAW (101), 1 record\n", err);
    }

    [Fact]
    public void MissingCapture_IsAUsageError_Exit2()
    {
        using var conf = Conf("pass\n");
        var (code, _, err) = CliRunner.Run("replay", "-f", conf, "/no/such.pcap");
        Assert.Equal(2, code);
        Assert.Contains("/no/such.pcap: No such file or directory", err);
    }

    [Fact]
    public void NotACapture_IsReportedAtPacket1Offset0_Exit1()
    {
        using var conf = Conf("pass\n");
        var (code, _, err) = CliRunner.Run("replay", "-f", conf, conf);
        Assert.Equal(1, code);
        Assert.StartsWith($"{conf.Path}: packet 1 at byte offset 0: not a pcap or pcapng file", err);
    }

    [Fact]
    public void Live_OnAnInterfaceThatDoesNotExist_SaysSo_Exit2()
    {
        using var conf = Conf("pass\n");
        var (code, _, err) = CliRunner.Run("replay", "-f", conf, "--live", "nosuchif0");
        Assert.Equal(2, code);
        Assert.True(err.Contains("no interface named 'nosuchif0'", StringComparison.Ordinal) || err.Contains("libpcap", StringComparison.Ordinal), err);
    }

    [Fact]
    public void Help_TeachesTheCommonJobs_WithExamples()
    {
        var (code, output, _) = CliRunner.Run("replay", "--help");
        Assert.Equal(0, code);
        Assert.Contains("pfsim replay -f /etc/pf.conf.new --summary /var/log/pflog", output);   // a new ruleset against a pflog
        Assert.Contains("pfsim replay -f pf.conf --if em0 --local 192.168.50.1 server.pcap", output);  // a pcap with --local
        Assert.Contains("pfsim replay -f pf.conf.new --json --summary /var/log/pflog | jq", output);  // JSON for scripts
        Assert.Contains("| pfsim replay -f pf.conf --if em0 --local 192.168.50.1 --summary -", output);  // stdin
        Assert.Contains("--json --summary prints instead one object, {\"summary\": {…}}", output);
    }
}
