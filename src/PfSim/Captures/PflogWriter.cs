namespace PfSim.Captures;

/// <summary>
/// Writes DLT_PFLOG (117) captures as pflogd does: each record a pfloghdr in the chosen layout, then the packet
/// from its IP header. OpenBSD's 100-byte layout by default; FreeBSD's 72-byte (ridentifier) and 64-byte as options.
/// </summary>
public sealed class PflogWriter : IDisposable
{
    private readonly PcapWriter _pcap;
    private readonly byte[] _header = new byte[100];

    public PflogLayout Layout { get; }
    public long PacketCount => _pcap.PacketCount;

    public static PflogWriter Create(string path, PflogLayout layout = PflogLayout.OpenBsd100) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1), layout);

    public PflogWriter(Stream stream, PflogLayout layout = PflogLayout.OpenBsd100, bool leaveOpen = false)
    {
        if (layout is PflogLayout.Other) throw new ArgumentOutOfRangeException(nameof(layout), "choose a concrete pflog layout");
        Layout = layout;
        _pcap = new PcapWriter(stream, (int)LinkType.Pflog, 262144, nanoseconds: false, leaveOpen);
    }

    /// <summary>Appends one logged packet. <paramref name="header"/>'s af is set from the packet when left 0.</summary>
    public void Write(long timestampNs, in PflogHeader header, ReadOnlySpan<byte> ipPacket)
    {
        int n = header.Write(_header, Layout, BitConverter.IsLittleEndian);
        if (header.AddressFamily == 0 && ipPacket.Length > 0)
        {
            byte af = (ipPacket[0] >> 4) == 6 ? PflogHeader.Inet6Of(Layout) : (byte)2;
            _header[1] = af;
            if (Layout == PflogLayout.OpenBsd100 && header.NewAddressFamily == 0) _header[62] = af;
        }
        _pcap.Write(timestampNs, _header.AsSpan(0, n), ipPacket);
    }

    public void Flush() => _pcap.Flush();

    public void Dispose() => _pcap.Dispose();
}
