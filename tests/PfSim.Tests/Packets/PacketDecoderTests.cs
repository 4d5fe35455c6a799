using FsCheck;
using FsCheck.Fluent;
using PfSim.Packets;

namespace PfSim.Tests.Packets;

public class PacketDecoderTests
{
    private static readonly Address A = Address.Parse("10.0.0.1");
    private static readonly Address B = Address.Parse("10.0.0.2");

    [Fact]
    public void Tcp_FieldsDecode_AsBuilt()
    {
        var p = PacketBuilder.Build(new PacketSpec { Src = A, Dst = B, Proto = IpProto.Tcp, SrcPort = 1234, DstPort = 80, Flags = TcpFlags.Syn, Seq = 1000, Win = 512, WindowScale = 7, PayloadLength = 10 });
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(p, out var h));
        Assert.Equal((A, B, IpProto.Tcp, (ushort)1234, (ushort)80), (h.Src, h.Dst, h.Proto, h.SrcPort, h.DstPort));
        Assert.Equal(TcpFlags.Syn, h.TcpFlags);
        Assert.Equal(1000u, h.Seq);
        Assert.Equal(7, h.WindowScale);
        Assert.Equal(10, h.PayloadLength);
    }

    [Fact]
    public void BuiltPackets_HaveValidChecksums_AsPacketDotNetChecks()
    {
        var tcp = PacketBuilder.Build(new PacketSpec { Src = A, Dst = B, Proto = IpProto.Tcp, SrcPort = 1, DstPort = 2, Flags = TcpFlags.Syn, PayloadLength = 3 });
        var ip = new PacketDotNet.IPv4Packet(new PacketDotNet.Utils.ByteArraySegment(tcp));
        Assert.True(ip.ValidIPChecksum);
        Assert.True(((PacketDotNet.TcpPacket)ip.PayloadPacket).ValidTcpChecksum);
        var udp6 = PacketBuilder.Build(new PacketSpec { Src = Address.Parse("2001:db8::1"), Dst = Address.Parse("2001:db8::2"), Proto = IpProto.Udp, SrcPort = 5, DstPort = 53 });
        var ip6 = new PacketDotNet.IPv6Packet(new PacketDotNet.Utils.ByteArraySegment(udp6));
        Assert.True(((PacketDotNet.UdpPacket)ip6.PayloadPacket).ValidUdpChecksum);
    }

    [Fact]
    public void IcmpError_QuotedPacket_DecodesWithTheSameCode()
    {
        var probe = new PacketSpec { Src = A, Dst = B, Proto = IpProto.Udp, SrcPort = 40000, DstPort = 33434, PayloadLength = 32 };
        var err = PacketBuilder.IcmpError(B, A, 3, 3, probe);
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(err, out var h));
        Assert.True(h.IsIcmpError);
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.DecodeQuoted(err, h, out var inner));
        Assert.Equal((A, B, (ushort)40000, (ushort)33434), (inner.Src, inner.Dst, inner.SrcPort, inner.DstPort));
        // The quoted header keeps the original total length although only 8 payload bytes are carried.
        Assert.Equal(20 + 8 + 32, inner.TotalLength);
    }

    [Fact]
    public void Ipv6_ExtensionHeaders_AreWalked_AndLaterFragmentsHaveNoPorts()
    {
        var frag = PacketBuilder.Build(new PacketSpec { Src = Address.Parse("2001:db8::1"), Dst = Address.Parse("2001:db8::2"), Proto = IpProto.Udp, FragmentOffset = 1232, IpOptions = true, PayloadLength = 16 });
        Assert.Equal(DecodeStatus.Ok, PacketDecoder.Decode(frag, out var h));
        Assert.Equal(IpProto.Udp, h.Proto);
        Assert.True(h.IsLaterFragment);
        Assert.True(h.HasIpOptions);
        Assert.False(h.HasPorts);
    }

    [Fact]
    public void BadHeaderLength_IsBadOffset()
    {
        var p = PacketBuilder.Build(new PacketSpec { Src = A, Dst = B, Proto = IpProto.Udp });
        p[0] = 0x44; // IHL 16 bytes
        Assert.Equal(DecodeStatus.BadOffset, PacketDecoder.Decode(p, out _));
    }

    // Malformed and truncated packets give short/bad-offset, never an exception.
    [FsCheck.Xunit.Property(MaxTest = 300)]
    public bool TruncatedOrCorrupted_NeverThrows(byte[] noise, PositiveInt cut, byte proto)
    {
        var spec = new PacketSpec { Src = A, Dst = B, Proto = (byte)(proto % 3 == 0 ? IpProto.Tcp : proto % 3 == 1 ? IpProto.Udp : IpProto.Icmp), IcmpType = 3,
            Quoted = proto % 3 == 2 ? new PacketSpec { Src = B, Dst = A, Proto = IpProto.Udp } : null };
        var p = PacketBuilder.Build(spec);
        for (int i = 0; i < noise.Length && i < p.Length; i++) p[(i * 7) % p.Length] ^= noise[i];
        var slice = p.AsSpan(0, cut.Get % (p.Length + 1));
        var st = PacketDecoder.Decode(slice, out var h);
        if (st == DecodeStatus.Ok && h.IsIcmpError) PacketDecoder.DecodeQuoted(slice, h, out _);
        return true;
    }
}
