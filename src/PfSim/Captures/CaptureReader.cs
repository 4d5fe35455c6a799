using System.Buffers;
using System.Buffers.Binary;

namespace PfSim.Captures;

/// <summary>The container format of a capture file.</summary>
public enum CaptureFormat : byte
{
    Pcap,
    PcapNg,
}

/// <summary>
/// A streaming reader of pcap and pcapng files: one pooled buffer (constant memory on any file size), records
/// handed out as spans into it, nothing allocated per packet. Damage is reported as
/// <c>FILE: packet N at byte offset B: message</c>: a <see cref="CaptureFormatException"/> after all the packets
/// before it, or, with <see cref="KeepGoing"/>, an entry in <see cref="Errors"/> and a resynchronisation where
/// the format allows one.
/// </summary>
public sealed partial class CaptureReader : IDisposable
{
    private const int InitialBuffer = 1 << 20;
    private const int MaxBlock = 64 << 20;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _streamLength;
    private byte[] _buf;
    private int _pos;
    private int _len;
    private long _bufStart;
    private bool _eof;
    private long _index;
    private readonly List<CaptureError> _errors = [];

    /// <summary>The name used in error messages (the file's path as the user gave it).</summary>
    public string Name { get; }
    public CaptureFormat Format { get; }
    /// <summary>Skip damaged records where the format allows finding the next good one, instead of stopping.</summary>
    public bool KeepGoing { get; }
    /// <summary>Called for each damaged record skipped under <see cref="KeepGoing"/>, as it happens.</summary>
    public Action<CaptureError>? OnError { get; set; }
    /// <summary>The damaged records skipped under <see cref="KeepGoing"/>.</summary>
    public IReadOnlyList<CaptureError> Errors => _errors;
    /// <summary>Bytes of the file consumed so far (for progress).</summary>
    public long BytePosition => _bufStart + _pos;
    /// <summary>The file's length, or -1 when the stream cannot tell.</summary>
    public long StreamLength => _streamLength;
    /// <summary>Packet records read so far (including skipped damaged ones).</summary>
    public long PacketCount => _index;

    /// <summary>Opens a capture file; throws <see cref="CaptureFormatException"/> when it is not a readable capture.</summary>
    public static CaptureReader Open(string path, bool keepGoing = false)
    {
        var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        // A small file is read before a thread would have started.
        try { return new CaptureReader(fs, path, keepGoing, leaveOpen: false, readAhead: fs.Length > 2 * ReadAheadStream.ChunkSize); }
        catch { fs.Dispose(); throw; }
    }

    /// <summary>A reader over <paramref name="stream"/>; <paramref name="name"/> is what error messages call it. With
    /// <paramref name="readAhead"/> a background thread reads the stream ahead (for large files and pipes).</summary>
    public CaptureReader(Stream stream, string name, bool keepGoing = false, bool leaveOpen = false, bool readAhead = false)
    {
        _streamLength = stream.CanSeek ? stream.Length : -1;
        _stream = readAhead ? new ReadAheadStream(stream, leaveOpen) : stream;
        _leaveOpen = leaveOpen && !readAhead;
        Name = name;
        KeepGoing = keepGoing;
        _buf = ArrayPool<byte>.Shared.Rent(InitialBuffer);
        try
        {
            if (!Ensure(4))
                throw Fatal(0, _len == 0 ? "empty file: no capture header" : "file too short for a capture header");
            uint magic = BinaryPrimitives.ReadUInt32BigEndian(_buf.AsSpan(_pos));
            if (magic == PcapNgSectionHeader)
            {
                Format = CaptureFormat.PcapNg;
                OpenPcapNg();
            }
            else
            {
                Format = CaptureFormat.Pcap;
                OpenPcap(magic);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The link type of the file (pcap) or of its first interface (pcapng; -1 when none yet).</summary>
    public int LinkType => Format == CaptureFormat.Pcap ? _pcapLinkType : (_ifaces.Count > 0 ? _ifaces[0].LinkType : -1);

    /// <summary>The snapshot length of the file (pcap) or of its first interface (pcapng).</summary>
    public int SnapLength => Format == CaptureFormat.Pcap ? _pcapSnaplen : (_ifaces.Count > 0 ? _ifaces[0].SnapLen : 0);

    /// <summary>The name of a pcapng interface (if_name option), or null.</summary>
    public string? InterfaceName(int interfaceId) =>
        Format == CaptureFormat.PcapNg && interfaceId >= 0 && interfaceId < _ifaces.Count ? _ifaces[interfaceId].Name : null;

    /// <summary>Reads the next packet record. False at the end of the file.</summary>
    public bool TryRead(out CapturedPacket packet) =>
        Format == CaptureFormat.Pcap ? ReadPcap(out packet) : ReadPcapNg(out packet);

    /// <summary>Reads every remaining record and returns how many there were (a convenience for counts).</summary>
    public long Count()
    {
        long n = 0;
        while (TryRead(out _)) n++;
        return n;
    }

    public void Dispose()
    {
        if (_buf.Length > 0) ArrayPool<byte>.Shared.Return(_buf);
        _buf = [];
        if (!_leaveOpen) _stream.Dispose();
    }

    private long Position => _bufStart + _pos;
    private int Available => _len - _pos;

    /// <summary>Makes at least <paramref name="n"/> bytes available at <see cref="_pos"/>; false at the end of the file.</summary>
    private bool Ensure(int n) => _len - _pos >= n || Fill(n);

    private bool Fill(int n)
    {
        if (n > _buf.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(n, _buf.Length * 2));
            Buffer.BlockCopy(_buf, _pos, bigger, 0, _len - _pos);
            ArrayPool<byte>.Shared.Return(_buf);
            _buf = bigger;
            _bufStart += _pos;
            _len -= _pos;
            _pos = 0;
        }
        else if (_pos + n > _buf.Length)
        {
            Buffer.BlockCopy(_buf, _pos, _buf, 0, _len - _pos);
            _bufStart += _pos;
            _len -= _pos;
            _pos = 0;
        }
        while (_len - _pos < n && !_eof)
        {
            int r = _stream.Read(_buf, _len, _buf.Length - _len);
            if (r <= 0) _eof = true;
            else _len += r;
        }
        return _len - _pos >= n;
    }

    /// <summary>Advances to absolute file offset <paramref name="offset"/> (at or after the current position).</summary>
    private bool SeekForward(long offset)
    {
        long skip = offset - Position;
        while (skip > 0)
        {
            if (Available == 0 && !Fill(1)) return false;
            int step = (int)Math.Min(skip, Available);
            _pos += step;
            skip -= step;
        }
        return true;
    }

    private CaptureFormatException Fatal(long offset, string message) =>
        new(new CaptureError(Name, _index + 1, offset, message));

    /// <summary>Records a damaged record under --keep-going (or throws without it).</summary>
    private void Damaged(long packet, long offset, string message)
    {
        var e = new CaptureError(Name, packet, offset, message);
        if (!KeepGoing) throw new CaptureFormatException(e);
        _errors.Add(e);
        OnError?.Invoke(e);
    }
}
