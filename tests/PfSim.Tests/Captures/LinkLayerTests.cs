using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>Finding the IP packet in each link type PfSim reads.</summary>
public class LinkLayerTests
{
    private static readonly byte[] Ip4 = PflogTests.EchoRequest;
    private static readonly byte[] Ip6 = PflogTests.Udp6;
    private static readonly byte[] Macs = new byte[12];

    private static (FrameStatus Status, byte Version, Direction Dir, byte[] Ip) Decode(int link, byte[] frame)
    {
        var s = LinkLayer.Decode(link, frame, hostLittleEndian: true, out var f);
        return (s, f.IpVersion, f.LinkDirection, f.Ip.ToArray());
    }

    [Fact]
    public void Ethernet_WithQinQTags_AndMinimumFramePadding()
    {
        byte[] frame = [.. Macs, 0x88, 0xA8, 0x00, 0x64, 0x81, 0x00, 0x00, 0x0A, 0x08, 0x00, .. Ip4, .. new byte[18]];
        var d = Decode(1, frame);
        Assert.Equal(FrameStatus.Ip, d.Status);
        Assert.Equal(4, d.Version);
        Assert.Equal(Ip4, d.Ip);  // the padding is not part of the packet pf sees
    }

    [Fact]
    public void Ethernet_Arp_IsNotIp_AndACutHeaderIsTruncated()
    {
        Assert.Equal(FrameStatus.NotIp, Decode(1, [.. Macs, 0x08, 0x06, .. new byte[28]]).Status);
        Assert.Equal(FrameStatus.Truncated, Decode(1, [.. Macs, 0x81]).Status);
        Assert.Equal(FrameStatus.Truncated, Decode(1, [.. Macs, 0x81, 0x00, 0x00]).Status);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(14)]
    [InlineData(101)]
    public void RawIp_TakesTheVersionFromTheNibble(int link)
    {
        Assert.Equal((FrameStatus.Ip, (byte)4), (Decode(link, Ip4).Status, Decode(link, Ip4).Version));
        Assert.Equal((FrameStatus.Ip, (byte)6), (Decode(link, Ip6).Status, Decode(link, Ip6).Version));
    }

    [Fact]
    public void LinktypeIpv4AndIpv6_AreFixedVersions()
    {
        Assert.Equal(4, Decode(228, Ip4).Version);
        Assert.Equal(6, Decode(229, Ip6).Version);
    }

    [Theory]
    [InlineData(new byte[] { 2, 0, 0, 0 }, 4)]     // AF_INET, little-endian host
    [InlineData(new byte[] { 0, 0, 0, 2 }, 4)]     // AF_INET, big-endian host
    [InlineData(new byte[] { 24, 0, 0, 0 }, 6)]    // OpenBSD/NetBSD AF_INET6
    [InlineData(new byte[] { 28, 0, 0, 0 }, 6)]    // FreeBSD AF_INET6
    [InlineData(new byte[] { 0, 0, 0, 30 }, 6)]    // Darwin AF_INET6, big-endian
    public void BsdNull_AddressFamilyInEitherByteOrder(byte[] af, int version)
    {
        var d = Decode(0, [.. af, .. version == 4 ? Ip4 : Ip6]);
        Assert.Equal((FrameStatus.Ip, (byte)version), (d.Status, d.Version));
    }

    [Fact]
    public void OpenBsdLoop_AddressFamilyInNetworkOrder()
    {
        Assert.Equal(6, Decode(108, [0, 0, 0, 24, .. Ip6]).Version);
        Assert.Equal(FrameStatus.NotIp, Decode(108, [24, 0, 0, 0, .. Ip6]).Status);
    }

    [Fact]
    public void LinuxSll_OutgoingPacketType_GivesDirectionOut()
    {
        byte[] sll = [0, 4, 0, 1, 0, 6, .. new byte[8], 0x86, 0xDD, .. Ip6];
        var d = Decode(113, sll);
        Assert.Equal((FrameStatus.Ip, (byte)6, Direction.Out), (d.Status, d.Version, d.Dir));
        sll[1] = 0;
        Assert.Equal(Direction.In, Decode(113, sll).Dir);
    }

    [Fact]
    public void LinuxSll2_ProtocolFirst_PacketTypeAtTen()
    {
        byte[] sll2 = [0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6, .. new byte[8], .. Ip4];
        var d = Decode(276, sll2);
        Assert.Equal((FrameStatus.Ip, (byte)4, Direction.In), (d.Status, d.Version, d.Dir));
        Assert.Equal(Ip4, d.Ip);
    }

    [Fact]
    public void Pflog_PayloadStartsAtTheRoundedUpLength()
    {
        var h = PflogTests.Sample(3, "em0", Direction.Out, 1);
        foreach (var layout in new[] { PflogLayout.OpenBsd100, PflogLayout.FreeBsd72, PflogLayout.FreeBsd64, PflogLayout.Old48 })
        {
            var buf = new byte[100];
            int n = h.Write(buf, layout);
            var d = LinkLayer.Decode(117, [.. buf.AsSpan(0, n), .. Ip4], true, out var f);
            Assert.Equal(FrameStatus.Ip, d);
            Assert.True(f.HasPflog);
            Assert.Equal(Direction.Out, f.LinkDirection);
            Assert.Equal(n, f.IpOffset);
            Assert.Equal(Ip4, f.Ip.ToArray());
        }
    }

    [PeerFact]
    public void Ppp_WithAnMplsLabel_AndSolarisIpnet_FromTcpdumpsTests()
    {
        using (var r = CaptureReader.Open(Peer.Path_("captures", "tcpdump-tests", "mpls-traceroute.pcap")))
        {
            Assert.True(r.TryRead(out var p));
            Assert.Equal(FrameStatus.Ip, p.Decode(out var f));
            Assert.Equal("IP 12.4.4.4.42315 > 12.1.1.1.33435: UDP, length 12 (ttl 1)", PacketText.Describe(f.Ip));
            Assert.True(r.TryRead(out p));
            Assert.Equal(FrameStatus.Ip, p.Decode(out f));
            Assert.StartsWith("IP 10.5.0.1 > 12.4.4.4: ICMP time exceeded in-transit, length 148", PacketText.Describe(f.Ip));
        }
        using (var r = CaptureReader.Open(Peer.Path_("captures", "tcpdump-tests", "e1000g.pcap")))
        {
            Assert.True(r.TryRead(out var p));
            Assert.Equal(FrameStatus.Ip, p.Decode(out var f));
            Assert.StartsWith("IP 129.146.106.55 > 10.5.233.117: ICMP echo request, id 6901, seq 0, length 64", PacketText.Describe(f.Ip));
        }
    }

    [Fact]
    public void UnsupportedLinkType_IsSaidSo()
    {
        Assert.Equal(FrameStatus.UnsupportedLinkType, Decode(105, Ip4).Status);  // 802.11
        Assert.False(LinkTypes.IsSupported(105));
    }
}
