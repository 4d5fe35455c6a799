using System.Buffers.Binary;

namespace PfSim.Tests.Flows;

/// <summary>Just enough of classic pcap to read the IPv4 packets of the peer's Ethernet captures in tests.</summary>
internal static class PcapFile
{
    public static List<(double Time, byte[] Ip)> ReadIpv4(string path)
    {
        var b = File.ReadAllBytes(path);
        bool le = BinaryPrimitives.ReadUInt32LittleEndian(b) == 0xA1B2C3D4;
        uint linkType = le ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(20)) : BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(20));
        var list = new List<(double, byte[])>();
        for (int off = 24; off + 16 <= b.Length;)
        {
            uint U(int o) => le ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(o)) : BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(o));
            double t = U(off) + U(off + 4) / 1e6;
            int incl = (int)U(off + 8);
            var frame = b.AsSpan(off + 16, incl);
            off += 16 + incl;
            if (linkType == 1 && frame.Length > 14 && frame[12] == 0x08 && frame[13] == 0x00) list.Add((t, frame[14..].ToArray()));
            else if (linkType == 101 && frame.Length > 0 && frame[0] >> 4 == 4) list.Add((t, frame.ToArray()));
        }
        return list;
    }
}
