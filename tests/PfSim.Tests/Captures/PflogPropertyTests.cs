using FsCheck;
using FsCheck.Fluent;
using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>Random pfloghdr values survive writing and reading in every layout, for the fields the layout has.</summary>
public class PflogPropertyTests
{
    private static readonly Gen<uint> AnyUInt = Gen.OneOf(Gen.Choose(0, 100).Select(i => (uint)i), Gen.Choose(int.MinValue, int.MaxValue).Select(i => (uint)i),
                                                         Gen.Constant(PflogHeader.NoRule));
    private static readonly Gen<string> Name = Gen.Elements("", "em0", "bge0", "vlan3", "pflog0", "a-very-long-if15", "ftp-proxy/*", "relayd");

    private static readonly Gen<PflogHeader> Headers =
        from action in Gen.Choose(0, 15)
        from reason in Gen.Choose(0, 16)
        from ifname in Name
        from anchor in Name
        from rule in AnyUInt
        from sub in AnyUInt
        from uid in AnyUInt
        from pid in AnyUInt
        from dir in Gen.Choose(0, 3)
        from rid in AnyUInt
        from addr in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 34)
        select new PflogHeader
        {
            AddressFamily = (byte)(addr[32] % 2 == 0 ? 2 : 24), Action = (byte)action, Reason = (byte)reason,
            IfName = Bytes16.FromText(ifname), Ruleset = Bytes16.FromText(anchor), RuleNumber = rule, SubruleNumber = sub,
            Uid = uid, Pid = (int)pid, RuleUid = uid ^ 1, RulePid = (int)(pid ^ 2), Dir = (Direction)dir, RuleIdentifier = rid,
            Rewritten = (byte)(addr[33] & 1), NewAddressFamily = 24, SourceAddress = Bytes16Of(addr, 0), DestinationAddress = Bytes16Of(addr, 16),
            SourcePort = (ushort)(addr[0] << 8 | addr[1]), DestinationPort = (ushort)(addr[2] << 8 | addr[3]),
        };

    private static Bytes16 Bytes16Of(byte[] a, int at)
    {
        var b = new Bytes16();
        a.AsSpan(at, 16).CopyTo(b);
        return b;
    }

    [Fact]
    public void RandomHeaders_RoundTripInEveryLayout_InBothHostByteOrders()
    {
        var gen = from h in Headers from layout in Gen.Elements(PflogLayout.OpenBsd100, PflogLayout.FreeBsd72, PflogLayout.FreeBsd64, PflogLayout.Old48)
                  from le in Gen.Elements(true, false) select (h, layout, le);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var (h, layout, le) = x;
            var buf = new byte[100];
            int n = h.Write(buf, layout, le);
            Assert.Equal(PflogHeader.SizeOf(layout), n);
            Assert.True(PflogHeader.TryRead(buf.AsSpan(0, n), le, out var r, out _));
            Assert.Equal(layout, r.Layout);
            Assert.Equal((h.AddressFamily, h.Action, h.Reason, h.IfNameText, h.AnchorText, h.RuleNumber, h.SubruleNumber, h.Dir),
                         (r.AddressFamily, r.Action, r.Reason, r.IfNameText, r.AnchorText, r.RuleNumber, r.SubruleNumber, r.Dir));
            if (layout != PflogLayout.Old48) Assert.Equal((h.Uid, h.Pid, h.RuleUid, h.RulePid), (r.Uid, r.Pid, r.RuleUid, r.RulePid));
            if (layout == PflogLayout.FreeBsd72) Assert.Equal(h.RuleIdentifier, r.RuleIdentifier);
            if (layout == PflogLayout.OpenBsd100)
            {
                Assert.Equal((h.Rewritten, h.NewAddressFamily, h.SourcePort, h.DestinationPort), (r.Rewritten, r.NewAddressFamily, r.SourcePort, r.DestinationPort));
                Assert.True(((ReadOnlySpan<byte>)h.SourceAddress).SequenceEqual(r.SourceAddress));
                Assert.True(((ReadOnlySpan<byte>)h.DestinationAddress).SequenceEqual(r.DestinationAddress));
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 20000 : 300));
    }

    [Fact]
    public void AnyBytes_InEveryLinkType_DecodeWithoutThrowing()
    {
        // Bytes of any length up to 300, their first byte often a plausible pflog length, the IP header often where it goes.
        var frames = from len in Gen.Choose(0, 300)
                     from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), len)
                     from first in Gen.OneOf(Gen.Choose(0, 255), Gen.Elements(45, 60, 61, 64, 69, 100))
                     from ipAt in Gen.Elements(0, 4, 14, 16, 20, 24, 48, 64, 72, 100)
                     from version in Gen.Elements(0x45, 0x46, 0x4F, 0x60)
                     select Shape(bytes, first, ipAt, version);
        Prop.ForAll(frames.ToArbitrary(), bytes =>
        {
            foreach (int link in new[] { 0, 1, 9, 12, 50, 101, 108, 113, 117, 226, 228, 229, 276 })
                if (LinkLayer.Decode(link, bytes, true, out var f) == FrameStatus.Ip) PacketText.Describe(f.Ip);
            PacketText.Describe(bytes);
            if (bytes.Length > 0 && bytes[0] < 45) Assert.Equal(FrameStatus.BadPflog, LinkLayer.Decode(117, bytes, true, out _));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Peer.Long ? 50000 : 500));
    }

    private static byte[] Shape(byte[] b, int first, int ipAt, int version)
    {
        if (b.Length > 0) b[0] = (byte)first;
        if (ipAt > 0 && ipAt < b.Length) b[ipAt] = (byte)version;
        return b;
    }
}
