namespace PfSim.Captures;

/// <summary>
/// One record of a capture as read: a view into the reader's buffer, valid until the next read.
/// </summary>
public readonly ref struct CapturedPacket
{
    /// <summary>1-based position of the record among the file's packet records.</summary>
    public readonly long Index;
    /// <summary>Byte offset of the record (its header) in the file.</summary>
    public readonly long Offset;
    /// <summary>Nanoseconds since the Unix epoch (0 for a pcapng simple packet block, which has no time).</summary>
    public readonly long TimestampNs;
    public readonly int LinkType;
    /// <summary>The captured bytes (possibly fewer than <see cref="OriginalLength"/>: snaplen).</summary>
    public readonly ReadOnlySpan<byte> Data;
    /// <summary>The packet's length on the wire.</summary>
    public readonly int OriginalLength;
    /// <summary>pcapng interface (global over sections), 0 for pcap.</summary>
    public readonly int InterfaceId;
    /// <summary>The byte order of the host that wrote the file (pflog uid/pid are in it).</summary>
    public readonly bool HostLittleEndian;
    /// <summary>False for pcapng simple packet blocks.</summary>
    public readonly bool HasTimestamp;

    public CapturedPacket(long index, long offset, long timestampNs, int linkType, ReadOnlySpan<byte> data,
                          int originalLength, int interfaceId, bool hostLittleEndian, bool hasTimestamp)
    {
        Index = index;
        Offset = offset;
        TimestampNs = timestampNs;
        LinkType = linkType;
        Data = data;
        OriginalLength = originalLength;
        InterfaceId = interfaceId;
        HostLittleEndian = hostLittleEndian;
        HasTimestamp = hasTimestamp;
    }

    /// <summary>The timestamp in seconds since the epoch.</summary>
    public double Seconds => TimestampNs / 1e9;

    public bool IsTruncated => Data.Length < OriginalLength;

    /// <summary>Finds the IP packet (and the pflog header) in the frame; see <see cref="LinkLayer.Decode"/>.</summary>
    public FrameStatus Decode(out Frame frame) => LinkLayer.Decode(LinkType, Data, HostLittleEndian, out frame);
}
