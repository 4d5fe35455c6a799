using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>pcapng: sections, interfaces with their own link type and time resolution, the three packet blocks.</summary>
public class PcapNgTests
{
    private static readonly byte[] Ip4 = PflogTests.EchoRequest;

    private static List<(long Index, long Ns, int Link, int Iface, int Len, bool HasTs)> Read(byte[] file, bool keepGoing = false)
    {
        var list = new List<(long, long, int, int, int, bool)>();
        using var r = new CaptureReader(new MemoryStream(file), "t.pcapng", keepGoing);
        Assert.Equal(CaptureFormat.PcapNg, r.Format);
        while (r.TryRead(out var p)) list.Add((p.Index, p.TimestampNs, p.LinkType, p.InterfaceId, p.Data.Length, p.HasTimestamp));
        return list;
    }

    [Fact]
    public void Sections_InBothByteOrders_EachWithTheirOwnInterfaces()
    {
        var b = new PcapNgBuilder();
        b.Section(littleEndian: true).Interface(101).Enhanced(0, 1_000_000, Ip4);
        b.Section(littleEndian: false).Interface(228, tsresol: 9).Interface(1).Enhanced(0, 5_000_000_123, Ip4)
         .Enhanced(1, 7_000_000, [.. new byte[12], 0x08, 0x00, .. Ip4]);
        var got = Read(b.ToArray());
        Assert.Equal(3, got.Count);
        Assert.Equal((1L, 1_000_000_000L, 101, 0, Ip4.Length, true), got[0]);
        Assert.Equal((2L, 5_000_000_123L, 228, 1, Ip4.Length, true), got[1]);  // interface ids are global: 0 is the first section's
        Assert.Equal((3L, 7_000_000_000L, 1, 2, Ip4.Length + 14, true), got[2]);
    }

    [Theory]
    [InlineData((byte)3, 1234UL, 1_234_000_000L)]              // milliseconds
    [InlineData((byte)6, 1234UL, 1_234_000L)]                  // the default, microseconds
    [InlineData((byte)9, 1234UL, 1234L)]                       // nanoseconds
    [InlineData((byte)12, 1_234_000UL, 1234L)]                 // picoseconds
    [InlineData((byte)0x80 | 10, 1024UL * 3, 3_000_000_000L)]  // 2^-10 seconds
    public void InterfaceTimestampResolution_IsApplied(byte tsresol, ulong ts, long ns)
    {
        var b = new PcapNgBuilder().Section().Interface(101, tsresol: tsresol).Enhanced(0, ts, Ip4);
        Assert.Equal(ns, Read(b.ToArray()).Single().Ns);
    }

    [Fact]
    public void InterfaceTimestampOffset_IsAddedInSeconds()
    {
        var b = new PcapNgBuilder().Section().Interface(101, tsoffset: 1_000_000).Enhanced(0, 2_000_000, Ip4);
        Assert.Equal(1_000_002_000_000_000L, Read(b.ToArray()).Single().Ns);
    }

    [Fact]
    public void SimpleAndObsoletePacketBlocks_AreRead_AndOtherBlocksSkipped()
    {
        var b = new PcapNgBuilder().Section().Interface(101, snaplen: 20, name: "em0");
        b.Block(4, new byte[16]);                       // name resolution block: skipped
        b.Simple(Ip4);                                  // cut to the interface's snaplen
        b.Block(0x00000BAD, new byte[] { 1, 2, 3, 4 }); // custom block: skipped
        b.Obsolete(0, 3_000_000, Ip4);
        b.Block(5, new byte[20]);                       // interface statistics: skipped
        var got = Read(b.ToArray());
        Assert.Equal(2, got.Count);
        Assert.Equal((1L, 0L, 101, 0, 20, false), got[0]);
        Assert.Equal((2L, 3_000_000_000L, 101, 0, Ip4.Length, true), got[1]);
    }

    [Fact]
    public void UnknownAndMalformedOptions_AreSkippedSafely()
    {
        var b = new PcapNgBuilder();
        b.Section(true, b.Option(1, "a comment"u8.ToArray()), b.Option(0x7FFF, new byte[7]));
        b.Interface(1, tsresol: 9, name: "vio0", extra: [b.Option(0xBEEF, new byte[3]), b.Option(4, new byte[8])]);
        b.Enhanced(0, 42, [.. new byte[12], 0x08, 0x00, .. Ip4], null, b.Option(2, new byte[4]), b.Option(1, "x"u8.ToArray()), b.EndOfOptions());
        // An interface whose option claims more bytes than the block holds: the walk stops, the block still counts.
        b.Block(1, [1, 0, 0, 0, 0, 0, 0, 0, 9, 0, 200, 0, 6, 0, 0, 0]);
        b.Enhanced(1, 7, Ip4);
        var file = b.ToArray();
        var got = Read(file);
        Assert.Equal(2, got.Count);
        Assert.Equal(42L, got[0].Ns);
        Assert.Equal(7000L, got[1].Ns);
        using var r = new CaptureReader(new MemoryStream(file), "t");
        while (r.TryRead(out _)) { }
        Assert.Equal("vio0", r.InterfaceName(0));
    }

    [Fact]
    public void PacketOnAnUndescribedInterface_IsReportedWithItsPosition()
    {
        var b = new PcapNgBuilder().Section().Interface(101).Enhanced(0, 1, Ip4).Enhanced(3, 2, Ip4).Enhanced(0, 3, Ip4);
        var file = b.ToArray();
        var e = Assert.Throws<CaptureFormatException>(() => Read(file));
        Assert.Equal("t.pcapng: packet 2 at byte offset 108: packet on interface 3, which the section has not described", e.Message);
        // --keep-going: the block's framing is intact, so the next packet is read.
        Assert.Equal([1L, 3L], Read(file, keepGoing: true).Select(p => p.Index));
    }

    [Fact]
    public void BlockWithAWrongTrailingLength_IsSkippedUnderKeepGoing()
    {
        var b = new PcapNgBuilder().Section().Interface(101).Enhanced(0, 1, Ip4).Enhanced(0, 2, Ip4).Enhanced(0, 3, Ip4);
        var file = b.ToArray();
        int second = 28 + 20 + (32 + Ip4.Length);  // SHB, IDB, first EPB
        file[second + 32 + Ip4.Length - 4] ^= 0x40;  // the second EPB's trailing length
        var e = Assert.Throws<CaptureFormatException>(() => Read(file));
        Assert.Contains($"packet 2 at byte offset {second}: block length", e.Message);
        Assert.Equal([1L, 3L], Read(file, keepGoing: true).Select(p => p.Ns / 1000));
    }

    [ToolFact("editcap")]
    public void PeerCapturesConvertedByEditcap_ReadTheSameAsTheirPcap()
    {
        if (Peer.Dir is null) return;
        foreach (var name in new[] { "generated/traceroute-udp-v4.server.pcap", "zeek-icmp/communityid-icmp6.pcap", "tcpdump-tests/mpls-traceroute.pcap" })
        {
            var pcap = Peer.Path_("captures", name);
            using var ng = ExternalTool.Temp(".pcapng");
            var (code, _, err) = ExternalTool.Run("editcap", "-F", "pcapng", pcap, ng.Path);
            Assert.True(code == 0, err);
            using var a = CaptureReader.Open(pcap);
            using var b = CaptureReader.Open(ng);
            Assert.Equal(CaptureFormat.PcapNg, b.Format);
            while (a.TryRead(out var pa))
            {
                Assert.True(b.TryRead(out var pb));
                Assert.Equal(pa.TimestampNs, pb.TimestampNs);
                Assert.Equal(pa.LinkType, pb.LinkType);
                Assert.True(pa.Data.SequenceEqual(pb.Data));
            }
            Assert.False(b.TryRead(out _));
        }
    }
}
