using System.Text.RegularExpressions;
using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>pfloghdr decoding and writing (pf-semantics.md §6), checked against tcpdump's and tshark's decodes.</summary>
public partial class PflogTests
{
    // tcpdump.org print-pflog.c: "rule N[.anchor.M]/R(reason): action dir on ifname: "
    [GeneratedRegex(@"rule (\d+)(?:\.([^.]*)\.(\d+))?/(\d+)\(([^)]+)\): (\S+) (in|out|in/out|fwd) on ([^:]+): ")]
    private static partial Regex TcpdumpPflog();

    private sealed record Logged(uint Rule, string Anchor, uint? Subrule, int Reason, string ReasonName, string Action, string Dir, string If);

    private static Logged ParseTcpdump(string line)
    {
        var m = TcpdumpPflog().Match(line);
        Assert.True(m.Success, $"not a pflog line: {line}");
        return new Logged(uint.Parse(m.Groups[1].Value), m.Groups[2].Value, m.Groups[3].Success ? uint.Parse(m.Groups[3].Value) : null,
                          int.Parse(m.Groups[4].Value), m.Groups[5].Value, m.Groups[6].Value, m.Groups[7].Value, m.Groups[8].Value);
    }

    private static Logged Mine(in PflogHeader h) =>
        new(h.RuleNumber, h.AnchorText, h.InAnchor ? h.SubruleNumber : null, h.Reason, h.ReasonName, h.ActionName,
            PflogNames.Dir(h.Dir), h.IfNameText);

    private static List<PflogHeader> Headers(string path)
    {
        var list = new List<PflogHeader>();
        using var r = CaptureReader.Open(path);
        while (r.TryRead(out var p))
        {
            Assert.Equal(FrameStatus.Ip, p.Decode(out var f));
            Assert.True(f.HasPflog);
            list.Add(f.Pflog);
        }
        return list;
    }

    [PeerFact]
    public void ScapyOpenBsdCaptures_HeaderFieldsEqualTcpdumpsDecodeBesideThem()
    {
        int compared = 0;
        foreach (var txt in Directory.GetFiles(Peer.Path_("captures", "pflog", "scapy"), "*.tcpdump-4.99.3.txt"))
        {
            var pcap = txt.Replace(".tcpdump-4.99.3.txt", ".pcap", StringComparison.Ordinal);
            var lines = File.ReadAllLines(txt).Where(l => l.Contains(" rule ", StringComparison.Ordinal)).ToList();
            if (lines.Count == 0) continue;  // the two whose only record is truncated in the source
            var headers = Headers(pcap);
            Assert.Equal(lines.Count, headers.Count);
            for (int i = 0; i < lines.Count; i++)
            {
                Assert.Equal(ParseTcpdump(lines[i]), Mine(headers[i]));
                Assert.Equal(PflogLayout.OpenBsd100, headers[i].Layout);
                Assert.Equal(PflogHeader.NoUid, headers[i].Uid);
                Assert.Equal(PflogHeader.NoPid, headers[i].Pid);  // host-order a0 86 01 00 in a little-endian file
                compared++;
            }
        }
        Assert.Equal(6, compared);
    }

    [PeerFact]
    public void ScapyIpv6Capture_UsesOpenBsdsInet6AndCarriesTheUntranslatedAddresses()
    {
        var h = Headers(Peer.Path_("captures", "pflog", "scapy", "scapy-pflog-tcp-ipv6-drop.pcap")).Single();
        Assert.Equal(24, h.AddressFamily);
        Assert.Equal(24, h.NewAddressFamily);
        Assert.Equal(0, h.Rewritten);
        Assert.Equal(Address.Parse("1111:1111:1111::1"), h.TranslatedSource);
        Assert.Equal(Address.Parse("1111:1111:1111::fc"), h.TranslatedDestination);
        Assert.Equal(23, h.DestinationPort);
    }

    internal static PflogHeader Sample(uint rule, string ifname, Direction dir, byte action, byte reason = 0, string anchor = "", uint subrule = PflogHeader.NoRule) => new()
    {
        Action = action, Reason = reason, IfName = Bytes16.FromText(ifname), Ruleset = Bytes16.FromText(anchor),
        RuleNumber = rule, SubruleNumber = subrule, Uid = PflogHeader.NoUid, Pid = PflogHeader.NoPid, RuleUid = 0, RulePid = 4242,
        Dir = dir, RuleIdentifier = 77,
    };

    // 192.168.40.1 > 192.168.50.1 ICMP echo request id 0x1234 seq 1, and a UDP probe for the IPv6 case.
    internal static readonly byte[] EchoRequest = Convert.FromHexString(
        "4500001c0001000040010000c0a82801c0a83201" + "0800e5ca12340001");
    internal static readonly byte[] Udp6 = Convert.FromHexString(
        "6000000000081140" + "fd000099000100000000000000000002" + "fd000099000300000000000000000002" + "c35082ae00080000");

    [Theory]
    [InlineData(PflogLayout.OpenBsd100, 100)]
    [InlineData(PflogLayout.FreeBsd72, 72)]
    [InlineData(PflogLayout.FreeBsd64, 64)]
    [InlineData(PflogLayout.Old48, 48)]
    public void WrittenHeader_ReadsBackInItsLayout(PflogLayout layout, int size)
    {
        var h = Sample(14, "bfe0", Direction.Out, action: 1, reason: 10, anchor: "ftp-proxy", subrule: 3);
        var buf = new byte[100];
        Assert.Equal(size, h.Write(buf, layout));
        Assert.True(PflogHeader.TryRead(buf.AsSpan(0, size), hostLittleEndian: true, out var back, out _));
        Assert.Equal(layout, back.Layout);
        Assert.Equal(size, back.HeaderBytes);
        Assert.Equal(Mine(h), Mine(back));
        Assert.Equal(layout is PflogLayout.FreeBsd72 ? 77u : 0u, back.RuleIdentifier);
        Assert.Equal(layout is PflogLayout.Old48 ? 0 : 4242, back.RulePid);
        Assert.Equal(3, back.VerdictRule);
    }

    [Fact]
    public void HeaderShorterThan45_IsRefusedAsTcpdumpDoes()
    {
        var buf = new byte[64];
        buf[0] = 44;
        Assert.False(PflogHeader.TryRead(buf, true, out _, out var error));
        Assert.Contains("below the minimum of 45", error);
        Assert.Equal(FrameStatus.BadPflog, LinkLayer.Decode(117, buf, true, out _));
    }

    [Fact]
    public void DefaultRule_HasNoVerdictRuleNumber()
    {
        var h = Sample(PflogHeader.NoRule, "em0", Direction.In, action: 1, reason: 3);
        Assert.True(h.IsDefaultRule);
        Assert.Null(h.VerdictRule);
        Assert.Equal("rule 4294967295/3(short)", PflogNames.RulePrefix(h));
    }

    private static string WriteSamples(string path, PflogLayout layout)
    {
        using var w = PflogWriter.Create(path, layout);
        w.Write(1_300_000_000_123_456_000, Sample(14, "bfe0", Direction.Out, 1), EchoRequest);
        w.Write(1_300_000_001_000_001_000, Sample(2, "bfe0", Direction.In, 0, anchor: "relayd", subrule: 5), EchoRequest);
        w.Write(1_300_000_002_000_000_000, Sample(PflogHeader.NoRule, "vlan3", Direction.In, 1, reason: 10), Udp6);
        return path;
    }

    [ToolFact("tcpdump")]
    public void WrittenPflog_InEveryLayout_IsDecodedByTcpdumpWithTheSameFields()
    {
        foreach (var layout in new[] { PflogLayout.OpenBsd100, PflogLayout.FreeBsd72, PflogLayout.FreeBsd64 })
        {
            using var tmp = ExternalTool.Temp();
            WriteSamples(tmp, layout);
            var (code, output, err) = ExternalTool.Run("tcpdump", "-n", "-e", "-tt", "-r", tmp.Path);
            Assert.True(code == 0, err);
            var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var headers = Headers(tmp);
            Assert.Equal(3, lines.Length);
            for (int i = 0; i < 3; i++) Assert.Equal(Mine(headers[i]), ParseTcpdump(lines[i]));
            Assert.StartsWith("1300000000.123456 rule 14/0(match): block out on bfe0: 192.168.40.1 > 192.168.50.1: ICMP echo request, id 4660, seq 1", lines[0]);
            Assert.Contains("rule 2.relayd.5/0(match): pass in on bfe0:", lines[1]);
            Assert.Contains("rule 4294967295/10(state-mismatch): block in on vlan3: fd00:99:1::2.50000 > fd00:99:3::2.33454: UDP", lines[2]);
        }
    }

    [ToolFact("tshark")]
    public void WrittenPflog_InEveryLayout_IsDecodedByTsharkWithTheSameFields()
    {
        foreach (var layout in new[] { PflogLayout.OpenBsd100, PflogLayout.FreeBsd72, PflogLayout.FreeBsd64 })
        {
            using var tmp = ExternalTool.Temp();
            WriteSamples(tmp, layout);
            var (code, output, err) = ExternalTool.Run("tshark", "-r", tmp.Path, "-T", "fields", "-E", "separator=|",
                "-e", "pflog.length", "-e", "pflog.rulenr", "-e", "pflog.subrulenr", "-e", "pflog.action", "-e", "pflog.reason",
                "-e", "pflog.dir", "-e", "pflog.ifname", "-e", "pflog.ruleset", "-e", "ip.src", "-e", "ipv6.dst");
            Assert.True(code == 0, err);
            var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(3, rows.Length);
            string len = layout switch { PflogLayout.OpenBsd100 => "100", PflogLayout.FreeBsd72 => "69", _ => "61" };
            Assert.Equal($"{len}|14|-1|1|0|2|bfe0||192.168.40.1|", rows[0]);
            Assert.Equal($"{len}|2|5|0|0|1|bfe0|relayd|192.168.40.1|", rows[1]);
            Assert.Equal($"{len}|-1|-1|1|10|1|vlan3|||fd00:99:3::2", rows[2]);
        }
    }
}
