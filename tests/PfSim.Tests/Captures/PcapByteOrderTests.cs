using System.Buffers.Binary;
using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>
/// Classic pcap written on a big-endian machine (libpcap's sf-pcap.c: every header field in the writer's order, the magic
/// telling which), in micro- and nanoseconds: read as its little-endian twin, and as tcpdump reads it.
/// </summary>
public class PcapByteOrderTests
{
    private static readonly long[] Times = [1_300_000_000_123_456_789, 1_300_000_001_000_000_001, 1_300_000_062_999_999_999];

    private static byte[] LittleEndian(bool nano)
    {
        using var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, 101, nanoseconds: nano, leaveOpen: true))
        {
            w.Write(Times[0], PflogTests.EchoRequest);
            w.Write(Times[1], PflogTests.Udp6);
            w.Write(Times[2], PflogTests.EchoRequest.AsSpan(0, 20), 28);  // cut by the snaplen: 20 of 28 bytes
        }
        return ms.ToArray();
    }

    // The same file as a big-endian writer makes it: each 16- and 32-bit header field reversed, packet bytes untouched.
    private static byte[] Swapped(byte[] le)
    {
        var be = (byte[])le.Clone();
        void Swap32(int at) => BinaryPrimitives.WriteUInt32BigEndian(be.AsSpan(at), BinaryPrimitives.ReadUInt32LittleEndian(le.AsSpan(at)));
        void Swap16(int at) => BinaryPrimitives.WriteUInt16BigEndian(be.AsSpan(at), BinaryPrimitives.ReadUInt16LittleEndian(le.AsSpan(at)));
        Swap32(0); Swap16(4); Swap16(6); Swap32(8); Swap32(12); Swap32(16); Swap32(20);
        for (int at = 24; at < le.Length;)
        {
            int caplen = (int)BinaryPrimitives.ReadUInt32LittleEndian(le.AsSpan(at + 8));
            for (int f = 0; f < 16; f += 4) Swap32(at + f);
            at += 16 + caplen;
        }
        return be;
    }

    private static List<(long Ns, string Bytes, int Original)> Read(byte[] file)
    {
        var list = new List<(long, string, int)>();
        using var r = new CaptureReader(new MemoryStream(file), "be.pcap");
        Assert.Equal(101, r.LinkType);
        while (r.TryRead(out var p)) list.Add((p.TimestampNs, Convert.ToHexString(p.Data), p.OriginalLength));
        return list;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BigEndianPcap_ReadsAsItsLittleEndianTwin(bool nano)
    {
        var le = LittleEndian(nano);
        var be = Swapped(le);
        Assert.Equal(nano ? "A1B23C4D" : "A1B2C3D4", Convert.ToHexString(be, 0, 4));
        var fromBe = Read(be);
        Assert.Equal(Read(le), fromBe);
        Assert.Equal(3, fromBe.Count);
        Assert.Equal(nano ? Times[0] : Times[0] / 1000 * 1000, fromBe[0].Ns);
        Assert.Equal(28, fromBe[2].Original);
        Assert.Equal(40, fromBe[2].Bytes.Length);  // 20 bytes in hex
    }

    [ToolFact("tcpdump")]
    public void BigEndianNanosecondPcap_HasTcpdumpsTimestamps()
    {
        using var tmp = ExternalTool.Temp();
        File.WriteAllBytes(tmp, Swapped(LittleEndian(nano: true)));
        var (code, output, err) = ExternalTool.Run("tcpdump", "--time-stamp-precision=nano", "-tt", "-n", "-r", tmp.Path);
        Assert.True(code == 0, err);
        var theirs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[..l.IndexOf(' ')]).ToList();
        var mine = Read(File.ReadAllBytes(tmp)).Select(p => $"{p.Ns / 1_000_000_000}.{p.Ns % 1_000_000_000:D9}").ToList();
        Assert.Equal(theirs, mine);
    }
}
