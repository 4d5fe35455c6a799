using System.Buffers.Binary;
using System.Text;

namespace PfSim.Captures;

// pcapng (draft-ietf-opsawg-pcapng): sections (each with its byte order), interfaces with their own link type,
// snaplen and timestamp resolution, and packet blocks (enhanced, simple, obsolete). Every other block, and
// every option PfSim does not need, is skipped by its length.
public sealed partial class CaptureReader
{
    private const uint PcapNgSectionHeader = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint BlockInterface = 1, BlockObsoletePacket = 2, BlockSimplePacket = 3, BlockEnhancedPacket = 6;

    private sealed record Interface(int LinkType, int SnapLen, ulong UnitsPerSecond, long OffsetSeconds, string? Name);

    private readonly List<Interface> _ifaces = [];
    private int _sectionFirstIface;
    private bool _ngLe;

    private void OpenPcapNg()
    {
        if (!Ensure(12)) throw Fatal(0, "truncated pcapng section header block");
        uint bom = BinaryPrimitives.ReadUInt32LittleEndian(_buf.AsSpan(_pos + 8));
        if (bom != ByteOrderMagic && BinaryPrimitives.ReverseEndianness(bom) != ByteOrderMagic)
            throw Fatal(0, $"pcapng section header with a bad byte-order magic 0x{bom:x8}");
    }

    private uint Ng32(ReadOnlySpan<byte> s) => _ngLe ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
    private ushort Ng16(ReadOnlySpan<byte> s) => _ngLe ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);

    private bool ReadPcapNg(out CapturedPacket packet)
    {
        while (true)
        {
            long off = Position;
            if (!Ensure(12))
            {
                packet = default;
                if (Available == 0) return false;
                throw Fatal(off, $"truncated block header: {Available} of 12 bytes");
            }
            var head = _buf.AsSpan(_pos, 12);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (type == PcapNgSectionHeader)
            {
                // A new section sets its own byte order: the magic after the length says which.
                uint bom = BinaryPrimitives.ReadUInt32LittleEndian(head[8..]);
                if (bom == ByteOrderMagic) _ngLe = true;
                else if (BinaryPrimitives.ReverseEndianness(bom) == ByteOrderMagic) _ngLe = false;
                else
                {
                    Damaged(_index + 1, off, $"section header with a bad byte-order magic 0x{bom:x8}");
                    if (ResyncPcapNg(off)) continue;
                    throw Fatal(off, "no valid block follows the damaged one");
                }
            }
            else type = Ng32(head);
            uint total = Ng32(head[4..]);
            if (total < 12 || (total & 3) != 0 || total > MaxBlock)
            {
                Damaged(_index + 1, off, $"invalid block length {total} (block type 0x{type:x})");
                if (ResyncPcapNg(off)) continue;
                throw Fatal(off, "no valid block follows the damaged one");
            }
            if (!Ensure((int)total))
                throw Fatal(off, $"truncated block: {total} bytes long, only {Available} present");
            var block = _buf.AsSpan(_pos, (int)total);
            if (Ng32(block[^4..]) != total)
            {
                Damaged(_index + 1, off, $"block length {total} does not match its trailing length {Ng32(block[^4..])}");
                if (ResyncPcapNg(off)) continue;
                throw Fatal(off, "no valid block follows the damaged one");
            }
            switch (type)
            {
                case PcapNgSectionHeader:
                    if (total < 28) { Damaged(_index + 1, off, "section header block too short"); break; }
                    _sectionFirstIface = _ifaces.Count;
                    break;
                case BlockInterface:
                    if (total < 20) { Damaged(_index + 1, off, "interface description block too short"); break; }
                    _ifaces.Add(ParseInterface(block));
                    break;
                case BlockEnhancedPacket or BlockObsoletePacket or BlockSimplePacket:
                    if (PacketBlock(type, block, off, out packet))
                    {
                        _pos += (int)total;
                        return true;
                    }
                    break;
            }
            _pos += (int)total;
        }
    }

    private bool PacketBlock(uint type, ReadOnlySpan<byte> block, long off, out CapturedPacket packet)
    {
        packet = default;
        long index = _index + 1;
        int body = block.Length - 4;
        int ifLocal, dataAt;
        uint caplen, origlen;
        ulong ts = 0;
        if (type == BlockSimplePacket)
        {
            if (body < 12) { _index++; Damaged(index, off, "simple packet block too short"); return false; }
            ifLocal = 0;
            origlen = Ng32(block[8..]);
            dataAt = 12;
            caplen = (uint)Math.Min(origlen, (uint)(body - dataAt));
        }
        else
        {
            if (body < 28) { _index++; Damaged(index, off, "packet block too short"); return false; }
            ifLocal = type == BlockEnhancedPacket ? (int)Math.Min(Ng32(block[8..]), int.MaxValue) : Ng16(block[8..]);
            ts = (ulong)Ng32(block[12..]) << 32 | Ng32(block[16..]);
            caplen = Ng32(block[20..]);
            origlen = Ng32(block[24..]);
            dataAt = 28;
            if (caplen > (uint)(body - dataAt))
            {
                _index++;
                Damaged(index, off, $"captured length {caplen} runs past the end of its {block.Length}-byte block");
                return false;
            }
        }
        int iface = _sectionFirstIface + ifLocal;
        if (ifLocal < 0 || iface >= _ifaces.Count)
        {
            _index++;
            Damaged(index, off, $"packet on interface {ifLocal}, which the section has not described");
            return false;
        }
        var info = _ifaces[iface];
        if (type == BlockSimplePacket && info.SnapLen > 0 && caplen > (uint)info.SnapLen) caplen = (uint)info.SnapLen;
        _index++;
        packet = new CapturedPacket(index, off, ToNanoseconds(ts, info), info.LinkType, block.Slice(dataAt, (int)caplen),
                                    (int)Math.Min(origlen, int.MaxValue), iface, _ngLe, hasTimestamp: type != BlockSimplePacket);
        return true;
    }

    private static long ToNanoseconds(ulong ts, Interface i)
    {
        ulong u = i.UnitsPerSecond;
        long ns;
        if (u == 1_000_000) ns = (long)(ts * 1000);
        else if (u == 1_000_000_000) ns = (long)ts;
        else if (1_000_000_000 % u == 0) ns = (long)(ts * (1_000_000_000 / u));
        else ns = (long)(ulong)((UInt128)ts * 1_000_000_000 / u);
        return ns + i.OffsetSeconds * 1_000_000_000;
    }

    private Interface ParseInterface(ReadOnlySpan<byte> block)
    {
        int linkType = Ng16(block[8..]);
        int snap = (int)Math.Min(Ng32(block[12..]), int.MaxValue);
        ulong units = 1_000_000;
        long offsetSeconds = 0;
        string? name = null;
        var opts = block[16..^4];
        // Options: code, length, value padded to 4. A malformed option ends the walk; the block stays usable.
        while (opts.Length >= 4)
        {
            int code = Ng16(opts);
            int len = Ng16(opts[2..]);
            if (code == 0 || 4 + len > opts.Length) break;
            var value = opts.Slice(4, len);
            if (code == 9 && len >= 1)
            {
                // if_tsresol: high bit clear = 10^-n seconds, set = 2^-n seconds.
                int n = value[0] & 0x7F;
                bool pow2 = (value[0] & 0x80) != 0;
                if (pow2 ? n <= 63 : n <= 19) units = pow2 ? 1UL << n : Pow10(n);
            }
            else if (code == 14 && len >= 8) offsetSeconds = (long)(_ngLe ? BinaryPrimitives.ReadUInt64LittleEndian(value) : BinaryPrimitives.ReadUInt64BigEndian(value));
            else if (code == 2 && len > 0) name = Encoding.UTF8.GetString(value.TrimEnd((byte)0));
            int step = 4 + ((len + 3) & ~3);
            if (step > opts.Length) break;
            opts = opts[step..];
        }
        if (units == 0) units = 1_000_000;
        return new Interface(linkType, snap, units, offsetSeconds, name);
    }

    private static ulong Pow10(int n)
    {
        ulong v = 1;
        for (int i = 0; i < n; i++) v *= 10;
        return v;
    }

    /// <summary>
    /// Finds the next block after damage at <paramref name="badOffset"/>: a 4-aligned position holding a known
    /// block type whose length is sane and repeated at its end. Scans at most 16 MiB.
    /// </summary>
    private bool ResyncPcapNg(long badOffset)
    {
        const int window = 16 << 20;
        for (long cand = badOffset + 4; cand < badOffset + window; cand += 4)
        {
            if (!SeekForward(cand)) return false;
            if (!Ensure(12)) return false;
            var head = _buf.AsSpan(_pos, 12);
            uint type = BinaryPrimitives.ReadUInt32LittleEndian(head) == PcapNgSectionHeader ? PcapNgSectionHeader : Ng32(head);
            if (type is not (PcapNgSectionHeader or BlockInterface or BlockObsoletePacket or BlockSimplePacket
                             or BlockEnhancedPacket or 4 or 5 or 10)) continue;
            uint total = Ng32(head[4..]);
            if (total < 12 || (total & 3) != 0 || total > MaxBlock || !Ensure((int)total)) continue;
            if (Ng32(_buf.AsSpan(_pos + (int)total - 4)) == total) return true;
        }
        return false;
    }
}
