using PfSim.Packets;

namespace PfSim.Engine;

/// <summary>
/// A state key as pf_state_key_cmp holds it: the two addresses and ports in slot order (slot 0 is the far end
/// seen from the interface: the source of an inbound packet, the destination of an outbound one), protocol and family.
/// Stored as plain integers (40 bytes) so comparing and hashing are a handful of instructions.
/// </summary>
public readonly struct StateKey : IEquatable<StateKey>
{
    private readonly ulong _a0Hi, _a0Lo, _a1Hi, _a1Lo;
    private readonly uint _ports;
    public readonly byte Proto;
    private readonly Af _af;

    public StateKey(in Address addr0, ushort port0, in Address addr1, ushort port1, byte proto)
    {
        _a0Hi = addr0.Hi; _a0Lo = addr0.Lo; _a1Hi = addr1.Hi; _a1Lo = addr1.Lo;
        _ports = (uint)port0 << 16 | port1;
        Proto = proto;
        _af = addr0.Family;
    }

    internal StateKey(ulong a0Hi, ulong a0Lo, ulong a1Hi, ulong a1Lo, uint ports, byte proto, Af af)
    {
        _a0Hi = a0Hi; _a0Lo = a0Lo; _a1Hi = a1Hi; _a1Lo = a1Lo;
        _ports = ports;
        Proto = proto;
        _af = af;
    }

    internal ulong A0Hi => _a0Hi;
    internal ulong A0Lo => _a0Lo;
    internal ulong A1Hi => _a1Hi;
    internal ulong A1Lo => _a1Lo;
    internal uint Ports => _ports;

    /// <summary>Both addresses fit in 32 bits (every IPv4 key), so a state can hold the key in 8 bytes of addresses.</summary>
    internal bool IsCompact => (_a0Hi | _a1Hi | (_a0Lo | _a1Lo) >> 32) == 0;

    public Address Addr0 => new(_af, _a0Hi, _a0Lo);
    public Address Addr1 => new(_af, _a1Hi, _a1Lo);
    public ushort Port0 => (ushort)(_ports >> 16);
    public ushort Port1 => (ushort)_ports;
    public Af Af => _af;

    /// <summary>The key of a packet from <paramref name="src"/> to <paramref name="dst"/> seen in direction <paramref name="dir"/> (pd->sidx/didx).</summary>
    public static StateKey ForPacket(Direction dir, in Address src, ushort sport, in Address dst, ushort dport, byte proto) =>
        dir == Direction.Out ? new StateKey(dst, dport, src, sport, proto) : new StateKey(src, sport, dst, dport, proto);

    public bool Equals(StateKey o) =>
        _a0Lo == o._a0Lo && _a1Lo == o._a1Lo && _ports == o._ports && _a0Hi == o._a0Hi && _a1Hi == o._a1Hi
        && Proto == o.Proto && _af == o._af;

    public override bool Equals(object? obj) => obj is StateKey k && Equals(k);

    public override int GetHashCode()
    {
        ulong h = (_a0Lo ^ _a0Hi * 0x9E3779B97F4A7C15UL) * 0xC2B2AE3D27D4EB4FUL;
        h = (h ^ _a1Lo ^ _a1Hi * 0x165667B19E3779F9UL) * 0x9E3779B97F4A7C15UL;
        h = (h ^ _ports ^ (ulong)Proto << 32) * 0xC2B2AE3D27D4EB4FUL;
        return (int)(h ^ h >> 29);
    }

    public override string ToString() => $"{Addr0}:{Port0} {Addr1}:{Port1} proto {Proto}";
}
