using System.Globalization;
using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>Every capture of ../shared/peer/captures read as INDEX.tsv (capinfos) and tcpdump say.</summary>
public class PeerCaptureTests
{
    private static IEnumerable<(string File, string Count)> Index()
    {
        foreach (var line in File.ReadLines(Peer.Path_("captures", "INDEX.tsv")).Skip(1))
        {
            var f = line.Split('\t');
            if (f.Length > 2 && f[0].EndsWith(".pcap", StringComparison.Ordinal)) yield return (f[0], f[2]);
        }
    }

    private static List<(long Ns, int Length)> ReadAll(string path, out CaptureError? error)
    {
        var list = new List<(long, int)>();
        error = null;
        try
        {
            using var r = CaptureReader.Open(path);
            while (r.TryRead(out var p)) list.Add((p.TimestampNs, p.Data.Length));
        }
        catch (CaptureFormatException e) { error = e.Error; }
        return list;
    }

    [PeerFact]
    public void EveryPeerCapture_HasThePacketCountOfTheIndex()
    {
        var failures = new List<string>();
        int files = 0;
        foreach (var (file, count) in Index())
        {
            files++;
            var got = ReadAll(Peer.Path_("captures", file), out var error);
            if (count.Contains("truncated", StringComparison.Ordinal))
            {
                // The source itself cut the record short: nothing before it, the damage at the first record.
                if (error is null || error.Packet != 1 || error.ByteOffset != 24 || got.Count != 0)
                    failures.Add($"{file}: expected the truncated-record error at packet 1, byte 24; got {got.Count} packets, {error}");
                continue;
            }
            if (error is not null) failures.Add($"{file}: {error}");
            else if (got.Count != int.Parse(count, CultureInfo.InvariantCulture)) failures.Add($"{file}: {got.Count} packets, INDEX says {count}");
        }
        Assert.True(files > 90, $"only {files} captures listed");
        Assert.Empty(failures);
    }

    [PeerFact]
    public void TruncatedScapyRecord_IsReportedWithFileRecordAndOffset()
    {
        var path = Peer.Path_("captures", "pflog", "scapy", "scapy-pflog-udp.pcap");
        ReadAll(path, out var error);
        Assert.NotNull(error);
        Assert.Equal($"{path}: packet 1 at byte offset 24: truncated record: 130 bytes captured, only 128 present", error!.ToString());
    }

    [ToolFact("tcpdump")]
    public void EveryPeerCapture_HasTcpdumpsTimestamps()
    {
        if (Peer.Dir is null) return;  // the captures come from ../shared/peer
        var failures = new List<string>();
        foreach (var (file, _) in Index())
        {
            var path = Peer.Path_("captures", file);
            var got = ReadAll(path, out _);
            var (_, output, _) = ExternalTool.Run("tcpdump", "-tt", "-nn", "-r", path);
            var times = output.Split('\n').Where(l => l.Length > 0 && char.IsDigit(l[0]))
                              .Select(l => l[..l.IndexOf(' ')]).ToList();
            if (times.Count != got.Count) { failures.Add($"{file}: {got.Count} packets, tcpdump {times.Count}"); continue; }
            for (int i = 0; i < times.Count; i++)
            {
                string mine = $"{got[i].Ns / 1_000_000_000}.{got[i].Ns % 1_000_000_000 / 1000:D6}";
                if (mine != times[i]) { failures.Add($"{file} packet {i + 1}: {mine}, tcpdump {times[i]}"); break; }
            }
        }
        Assert.Empty(failures);
    }

    [PeerFact]
    public void GeneratedCaptures_AllCarryIpPackets()
    {
        foreach (var path in Directory.GetFiles(Peer.Path_("captures", "generated"), "*.pcap"))
        {
            using var r = CaptureReader.Open(path);
            Assert.Equal((int)LinkType.Ethernet, r.LinkType);
            while (r.TryRead(out var p))
            {
                var status = p.Decode(out var frame);
                if (status == FrameStatus.NotIp) continue;  // ARP and the like
                Assert.Equal(FrameStatus.Ip, status);
                Assert.True(frame.IpVersion is 4 or 6);
                Assert.Equal(frame.IpVersion, frame.Ip[0] >> 4);
            }
        }
    }
}
