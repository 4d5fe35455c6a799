using PfSim.Packets;

namespace PfSim.Engine;

/// <summary>pf_icmp_mapping: an ICMP message's direction role, virtual id and virtual type.</summary>
internal static class IcmpMapping
{
    /// <summary>
    /// Returns true for error messages (they belong to the state of the packet they quote).
    /// <paramref name="icmpDir"/> is In for requests and unpaired types, Out for replies.
    /// </summary>
    public static bool Map(Af af, byte type, ushort id, ushort ndId, out Direction icmpDir, out ushort virtualId, out ushort virtualType)
    {
        icmpDir = Direction.Out;
        virtualId = id;
        if (af == Af.Inet)
        {
            switch (type)
            {
                case 8: icmpDir = Direction.In; virtualType = 8; return false;
                case 0: virtualType = 8; return false;
                case 13: icmpDir = Direction.In; virtualType = 13; return false;
                case 14: virtualType = 13; return false;
                case 15: icmpDir = Direction.In; virtualType = 15; return false;
                case 16: virtualType = 15; return false;
                case 17: icmpDir = Direction.In; virtualType = 17; return false;
                case 18: virtualType = 17; return false;
                // Pairs without an identifier: "nothing sane to match on", id 0.
                case 33: icmpDir = Direction.In; virtualId = 0; virtualType = 33; return false;
                case 34: virtualId = 0; virtualType = 33; return false;
                case 35: icmpDir = Direction.In; virtualId = 0; virtualType = 35; return false;
                case 36: virtualId = 0; virtualType = 35; return false;
                case 10: icmpDir = Direction.In; virtualId = 0; virtualType = 10; return false;
                case 9: virtualId = 0; virtualType = 10; return false;
                case 3: case 4: case 5: case 11: case 12:
                    icmpDir = Direction.In; virtualId = 0; virtualType = type; return true;
                default: icmpDir = Direction.In; virtualId = 0; virtualType = type; return false;
            }
        }
        switch (type)
        {
            case 128: icmpDir = Direction.In; virtualType = 128; return false;
            case 129: virtualType = 128; return false;
            case 139: icmpDir = Direction.In; virtualId = 0; virtualType = 139; return false;
            case 140: virtualId = 0; virtualType = 139; return false;
            case 200: icmpDir = Direction.In; virtualId = 0; virtualType = 200; return false;
            case 201: virtualId = 0; virtualType = 200; return false;
            // MLD query/report and neighbour solicitation/advertisement key on an id folded from the target address.
            case 130: case 131: icmpDir = Direction.In; virtualId = ndId; virtualType = 130; return false;
            case 135: icmpDir = Direction.In; virtualId = ndId; virtualType = 135; return false;
            // Neighbour advertisements never create state (pf returns 1 for them).
            case 136: virtualId = ndId; virtualType = 135; return true;
            case 1: case 2: case 3: case 4:
                icmpDir = Direction.In; virtualId = 0; virtualType = type; return true;
            default: icmpDir = Direction.In; virtualId = 0; virtualType = type; return false;
        }
    }

    /// <summary>The fake id pf derives for MLD and neighbour discovery: the 128-bit address after the ICMPv6 header folded to 16 bits.</summary>
    public static ushort NdId(ReadOnlySpan<byte> packet, int icmpOffset)
    {
        if (packet.Length < icmpOffset + 24) return 0;
        uint h = 0;
        for (int i = 0; i < 4; i++) h ^= System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(packet[(icmpOffset + 8 + 4 * i)..]);
        return (ushort)((h >> 16) ^ (h & 0xFFFF));
    }

    /// <summary>ICMP_INFOTYPE: the informational (query/reply) IPv4 types.</summary>
    public static bool IsInfoType(byte type) => type is 0 or 8 or 9 or 10 or 13 or 14 or 15 or 16 or 17 or 18;
}
