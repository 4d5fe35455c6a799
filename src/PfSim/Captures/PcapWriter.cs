using System.Buffers;
using System.Buffers.Binary;

namespace PfSim.Captures;

/// <summary>
/// Writes a classic pcap file (little-endian, microsecond or nanosecond timestamps) through one pooled
/// buffer: what tcpdump, tshark and libpcap read.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    private const int BufferSize = 1 << 20;
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly bool _nano;
    private byte[] _buf;
    private int _len;

    public int LinkType { get; }
    public int SnapLength { get; }
    public long PacketCount { get; private set; }

    public static PcapWriter Create(string path, int linkType, int snapLength = 262144, bool nanoseconds = false) =>
        new(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1), linkType, snapLength, nanoseconds);

    public PcapWriter(Stream stream, int linkType, int snapLength = 262144, bool nanoseconds = false, bool leaveOpen = false)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _nano = nanoseconds;
        LinkType = linkType;
        SnapLength = snapLength;
        _buf = ArrayPool<byte>.Shared.Rent(BufferSize);
        var h = _buf.AsSpan(0, 24);
        BinaryPrimitives.WriteUInt32LittleEndian(h, nanoseconds ? 0xA1B23C4Du : 0xA1B2C3D4u);
        BinaryPrimitives.WriteUInt16LittleEndian(h[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[6..], 4);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], 0);   // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(h[12..], 0);  // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(h[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], (uint)linkType);
        _len = 24;
    }

    /// <summary>Appends a record; the frame is cut to the snap length, <paramref name="originalLength"/> (default: the frame's length) is kept.</summary>
    public void Write(long timestampNs, ReadOnlySpan<byte> frame, int originalLength = -1)
    {
        var record = Reserve(16 + Math.Min(frame.Length, SnapLength));
        WriteRecordHeader(record, timestampNs, Math.Min(frame.Length, SnapLength), originalLength < 0 ? frame.Length : originalLength);
        frame[..(record.Length - 16)].CopyTo(record[16..]);
        PacketCount++;
    }

    /// <summary>Appends a record made of two parts (a link header and the packet), without joining them first.</summary>
    public void Write(long timestampNs, ReadOnlySpan<byte> head, ReadOnlySpan<byte> body, int originalBodyLength = -1)
    {
        int full = head.Length + (originalBodyLength < 0 ? body.Length : originalBodyLength);
        int cap = Math.Min(head.Length + body.Length, SnapLength);
        var record = Reserve(16 + cap);
        WriteRecordHeader(record, timestampNs, cap, full);
        var dest = record[16..];
        int h = Math.Min(head.Length, cap);
        head[..h].CopyTo(dest);
        body[..(cap - h)].CopyTo(dest[h..]);
        PacketCount++;
    }

    private void WriteRecordHeader(Span<byte> r, long ns, int caplen, int origlen)
    {
        long sec = Math.DivRem(ns, 1_000_000_000L, out long rem);
        if (rem < 0) { sec--; rem += 1_000_000_000L; }
        BinaryPrimitives.WriteUInt32LittleEndian(r, (uint)sec);
        BinaryPrimitives.WriteUInt32LittleEndian(r[4..], (uint)(_nano ? rem : rem / 1000));
        BinaryPrimitives.WriteUInt32LittleEndian(r[8..], (uint)caplen);
        BinaryPrimitives.WriteUInt32LittleEndian(r[12..], (uint)origlen);
    }

    private Span<byte> Reserve(int n)
    {
        if (_len + n > _buf.Length)
        {
            Flush();
            if (n > _buf.Length)
            {
                ArrayPool<byte>.Shared.Return(_buf);
                _buf = ArrayPool<byte>.Shared.Rent(n);
            }
        }
        var s = _buf.AsSpan(_len, n);
        _len += n;
        return s;
    }

    public void Flush()
    {
        if (_len > 0) _stream.Write(_buf, 0, _len);
        _len = 0;
        _stream.Flush();
    }

    public void Dispose()
    {
        if (_buf.Length == 0) return;
        Flush();
        ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
        if (!_leaveOpen) _stream.Dispose();
    }
}
