using PfSim.Engine;
using PfSim.Packets;

namespace PfSim.Tests.Engine;

/// <summary>The compact state representation keeps pf's state fields exact: keys of both families, 64-bit counters.</summary>
public class StateTableTests
{
    private static StateKey Key(string a0, ushort p0, string a1, ushort p1) =>
        new(Address.Parse(a0), p0, Address.Parse(a1), p1, IpProto.Tcp);

    [Theory]
    [InlineData("10.0.0.1", "198.51.100.1")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    [InlineData("255.255.255.255", "0.0.0.0")]
    public void StateKeys_OfBothFamilies_AreFoundOnTheirWireAndStackSides(string a, string b)
    {
        var wire = Key(a, 1024, b, 443);
        var stack = Key(b, 443, a, 2048);
        var s = new State { Wire = wire, Stack = stack, Direction = Direction.In, CreatedOn = "em0" };
        var t = new StateTable();
        Assert.True(t.Insert(s));
        Assert.Equal(wire, s.Wire);
        Assert.Equal(stack, s.Stack);
        Assert.True(s.IsTranslated);
        Assert.Equal("em0", s.CreatedOn);
        Assert.Same(s, t.Find(wire, Direction.In, 0));
        Assert.Same(s, t.Find(stack, Direction.Out, 0));
        Assert.Null(t.Find(stack, Direction.In, 0)); // pf: inbound packets match the wire key only
        Assert.Null(t.Find(Key(a, 1025, b, 443), Direction.In, 0));
        t.Unlink(s);
        Assert.Null(t.Find(wire, Direction.In, 0));
    }

    [Fact]
    public void StateCounters_PastFourGigabytes_KeepCounting()
    {
        // pf keeps packets[2] and bytes[2] as u_int64.
        var s = new State { BytesOut = uint.MaxValue - 10, PacketsIn = uint.MaxValue };
        s.CountPacket(sameDirection: true, 100);
        s.CountPacket(sameDirection: false, 1500);
        Assert.Equal((ulong)uint.MaxValue + 90, s.BytesOut);
        Assert.Equal(1UL, s.PacketsOut);
        Assert.Equal((ulong)uint.MaxValue + 1, s.PacketsIn);
        Assert.Equal(1500UL, s.BytesIn);
        s.BytesOut = 5;
        Assert.Equal(5UL, s.BytesOut);
    }
}
