using PfSim.Packets;

namespace PfSim.Engine;

/// <summary>
/// A state key as pf_state_key_cmp holds it: the two addresses and ports in slot order (slot 0 is the far end
/// seen from the interface: the source of an inbound packet, the destination of an outbound one), protocol and family.
/// </summary>
public readonly struct StateKey : IEquatable<StateKey>
{
    public readonly Address Addr0;
    public readonly Address Addr1;
    public readonly ushort Port0;
    public readonly ushort Port1;
    public readonly byte Proto;

    public StateKey(in Address addr0, ushort port0, in Address addr1, ushort port1, byte proto)
    {
        Addr0 = addr0; Addr1 = addr1; Port0 = port0; Port1 = port1; Proto = proto;
    }

    public Af Af => Addr0.Family;

    /// <summary>The key of a packet from <paramref name="src"/> to <paramref name="dst"/> seen in direction <paramref name="dir"/> (pd->sidx/didx).</summary>
    public static StateKey ForPacket(Direction dir, in Address src, ushort sport, in Address dst, ushort dport, byte proto) =>
        dir == Direction.Out ? new StateKey(dst, dport, src, sport, proto) : new StateKey(src, sport, dst, dport, proto);

    public bool Equals(StateKey o) =>
        Port0 == o.Port0 && Port1 == o.Port1 && Proto == o.Proto && Addr0.Equals(o.Addr0) && Addr1.Equals(o.Addr1);

    public override bool Equals(object? obj) => obj is StateKey k && Equals(k);

    public override int GetHashCode()
    {
        ulong h = Addr0.Lo * 0x9E3779B97F4A7C15UL ^ Addr0.Hi;
        h = (h ^ Addr1.Lo) * 0xC2B2AE3D27D4EB4FUL ^ Addr1.Hi;
        h = (h ^ ((ulong)Port0 << 24 | (ulong)Port1 << 8 | Proto)) * 0x165667B19E3779F9UL;
        return (int)(h ^ h >> 32);
    }

    public override string ToString() => $"{Addr0}:{Port0} {Addr1}:{Port1} proto {Proto}";
}
