using System.Buffers.Binary;

namespace PfSim.Captures;

// Classic pcap (libpcap's savefile.c / sf-pcap.c format): a 24-byte file header, then records of
// ts_sec, ts_usec|ts_nsec, caplen, len and the captured bytes, all in the writer's byte order.
public sealed partial class CaptureReader
{
    private const uint MagicMicro = 0xA1B2C3D4, MagicNano = 0xA1B23C4D, MagicKuznetzov = 0xA1B2CD34;
    private const uint MagicMicroSwapped = 0xD4C3B2A1, MagicNanoSwapped = 0x4D3CB2A1, MagicKuznetzovSwapped = 0x34CDB2A1;
    // libpcap's largest caplen for ordinary link types (MAXIMUM_SNAPLEN).
    private const int PcapMaxCaplen = 262144;

    private bool _pcapLe;
    private bool _pcapNano;
    private int _pcapExtra;
    private int _pcapLinkType;
    private int _pcapSnaplen;
    private int _pcapMaxCaplen;
    private uint _pcapLastSec;
    private bool _pcapHaveSec;

    private void OpenPcap(uint magicBe)
    {
        switch (magicBe)
        {
            case MagicMicro: _pcapLe = false; break;
            case MagicNano: _pcapLe = false; _pcapNano = true; break;
            case MagicKuznetzov: _pcapLe = false; _pcapExtra = 8; break;
            case MagicMicroSwapped: _pcapLe = true; break;
            case MagicNanoSwapped: _pcapLe = true; _pcapNano = true; break;
            case MagicKuznetzovSwapped: _pcapLe = true; _pcapExtra = 8; break;
            default: throw Fatal(0, $"not a pcap or pcapng file (magic 0x{magicBe:x8})");
        }
        if (!Ensure(24)) throw Fatal(0, $"truncated pcap file header: {Available} of 24 bytes");
        var h = _buf.AsSpan(_pos, 24);
        int major = Read16(h[4..]);
        if (major != 2) throw Fatal(0, $"unsupported pcap version {major}.{Read16(h[6..])}");
        _pcapSnaplen = (int)Math.Min(Read32(h[16..]), int.MaxValue);
        // Low 16 bits are the LINKTYPE_; the high bits may hold the FCS length (pcap format draft).
        _pcapLinkType = (int)(Read32(h[20..]) & 0xFFFF);
        _pcapMaxCaplen = Math.Max(PcapMaxCaplen, _pcapSnaplen > MaxBlock ? MaxBlock : _pcapSnaplen);
        _pos += 24;
    }

    private ushort Read16(ReadOnlySpan<byte> s) => _pcapLe ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);
    private uint Read32(ReadOnlySpan<byte> s) => _pcapLe ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);

    private bool ReadPcap(out CapturedPacket packet)
    {
        int hdr = 16 + _pcapExtra;
        while (true)
        {
            long off = Position;
            if (_len - _pos < hdr && !Fill(hdr))
            {
                packet = default;
                if (Available == 0) return false;
                throw TruncatedHeader(off, hdr);
            }
            // The four header words in one bounds check; a file written on a big-endian host is swapped.
            var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, uint>(_buf.AsSpan(_pos, 16));
            uint sec = words[0], frac = words[1], caplen = words[2], origlen = words[3];
            if (_pcapLe != BitConverter.IsLittleEndian)
            {
                sec = BinaryPrimitives.ReverseEndianness(sec);
                frac = BinaryPrimitives.ReverseEndianness(frac);
                caplen = BinaryPrimitives.ReverseEndianness(caplen);
                origlen = BinaryPrimitives.ReverseEndianness(origlen);
            }
            if (caplen > (uint)_pcapMaxCaplen)
            {
                if (SkipDamaged(off, caplen)) continue;
                throw Fatal(off, "no valid record follows the damaged one");
            }
            int total = hdr + (int)caplen;
            if (_len - _pos < total && !Fill(total)) throw TruncatedRecord(off, hdr, caplen);
            _index++;
            _pcapLastSec = sec;
            _pcapHaveSec = true;
            long ns = sec * 1_000_000_000L + (_pcapNano ? frac : frac * 1000L);
            packet = new CapturedPacket(_index, off, ns, _pcapLinkType, _buf.AsSpan(_pos + hdr, (int)caplen),
                                        (int)Math.Min(origlen, int.MaxValue), 0, _pcapLe, hasTimestamp: true);
            _pos += total;
            return true;
        }
    }

    // The error paths, out of ReadPcap: their message building would otherwise cost the packet path a zeroed frame.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private CaptureFormatException TruncatedHeader(long off, int hdr) => Fatal(off, $"truncated record header: {Available} of {hdr} bytes");

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private CaptureFormatException TruncatedRecord(long off, int hdr, uint caplen) =>
        Fatal(off, $"truncated record: {caplen} bytes captured, only {Available - hdr} present");

    /// <summary>A record header with an impossible length: reported (or thrown without keep-going), then resynchronised.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private bool SkipDamaged(long off, uint caplen)
    {
        Damaged(_index + 1, off, $"invalid captured length {caplen}, bigger than the maximum of {_pcapMaxCaplen}");
        _index++;
        return ResyncPcap(off);
    }

    /// <summary>
    /// Finds the next plausible record after a damaged header at <paramref name="badOffset"/>: a header with a sane
    /// length and a time close to the last good one, followed by two more such headers in a row (or the end of the
    /// file). Scans at most 16 MiB.
    /// </summary>
    private bool ResyncPcap(long badOffset)
    {
        int hdr = 16 + _pcapExtra;
        const int window = 16 << 20;
        for (long cand = badOffset + 1; cand < badOffset + window; cand++)
        {
            if (!SeekForward(cand)) return false;
            if (!Ensure(hdr)) return false;
            if (ChainIsPlausible(hdr)) return true;
        }
        return false;
    }

    // Three records in a row (fewer when the file ends exactly after them), each in time order within a day.
    private bool ChainIsPlausible(int hdr)
    {
        int at = 0;
        uint previous = _pcapLastSec;
        bool havePrevious = _pcapHaveSec;
        for (int k = 0; k < 3; k++)
        {
            if (!Ensure(at + hdr)) return k > 0 && Available == at;
            if (!PlausiblePcapHeader(_buf.AsSpan(_pos + at, hdr), previous, havePrevious, out int caplen, out uint sec)) return false;
            at += hdr + caplen;
            if (!Ensure(at)) return false;
            previous = sec;
            havePrevious = true;
        }
        return true;
    }

    private bool PlausiblePcapHeader(ReadOnlySpan<byte> h, uint previousSec, bool havePrevious, out int caplen, out uint sec)
    {
        sec = Read32(h);
        uint frac = Read32(h[4..]);
        uint cap = Read32(h[8..]);
        uint orig = Read32(h[12..]);
        caplen = (int)Math.Min(cap, int.MaxValue);
        if (cap > (uint)_pcapMaxCaplen || orig < cap || orig > 0x10000000) return false;
        if (frac >= (_pcapNano ? 1_000_000_000u : 1_000_000u)) return false;
        if (havePrevious && (sec + 3600L < previousSec || sec > previousSec + 86400L)) return false;
        return true;
    }
}
