using System.Buffers.Binary;
using System.Text;

namespace PfSim.Tests.Captures;

/// <summary>Builds pcapng files byte by byte (either byte order, any block), to test the reader on what writers may produce.</summary>
internal sealed class PcapNgBuilder
{
    private readonly MemoryStream _out = new();
    private bool _le = true;

    public byte[] ToArray() => _out.ToArray();

    private byte[] U16(int v) { var b = new byte[2]; if (_le) BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)v); else BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)v); return b; }
    private byte[] U32(uint v) { var b = new byte[4]; if (_le) BinaryPrimitives.WriteUInt32LittleEndian(b, v); else BinaryPrimitives.WriteUInt32BigEndian(b, v); return b; }
    private byte[] U64(ulong v) { var b = new byte[8]; if (_le) BinaryPrimitives.WriteUInt64LittleEndian(b, v); else BinaryPrimitives.WriteUInt64BigEndian(b, v); return b; }

    public byte[] Option(int code, byte[] value)
    {
        var o = new List<byte>();
        o.AddRange(U16(code)); o.AddRange(U16(value.Length)); o.AddRange(value);
        while (o.Count % 4 != 0) o.Add(0);
        return [.. o];
    }

    public byte[] EndOfOptions() => [.. U16(0), .. U16(0)];

    public PcapNgBuilder Block(uint type, params byte[][] body)
    {
        var content = body.SelectMany(b => b).ToList();
        while (content.Count % 4 != 0) content.Add(0);
        uint total = (uint)(12 + content.Count);
        _out.Write(U32(type)); _out.Write(U32(total)); _out.Write(content.ToArray()); _out.Write(U32(total));
        return this;
    }

    public PcapNgBuilder Section(bool littleEndian = true, params byte[][] options)
    {
        _le = littleEndian;
        return Block(0x0A0D0D0A, [.. U32(0x1A2B3C4D), .. U16(1), .. U16(0), .. U64(ulong.MaxValue), .. options.SelectMany(o => o)]);
    }

    public PcapNgBuilder Interface(int linkType, uint snaplen = 0, byte? tsresol = null, long? tsoffset = null, string? name = null, params byte[][] extra)
    {
        var opts = new List<byte>();
        foreach (var e in extra) opts.AddRange(e);
        if (name is not null) opts.AddRange(Option(2, Encoding.UTF8.GetBytes(name)));
        if (tsresol is byte r) opts.AddRange(Option(9, [r]));
        if (tsoffset is long o) opts.AddRange(Option(14, U64((ulong)o)));
        if (opts.Count > 0) opts.AddRange(EndOfOptions());
        return Block(1, [.. U16(linkType), .. U16(0), .. U32(snaplen), .. opts]);
    }

    public PcapNgBuilder Enhanced(int iface, ulong ts, byte[] data, int? origLen = null, params byte[][] options) =>
        Block(6, [.. U32((uint)iface), .. U32((uint)(ts >> 32)), .. U32((uint)ts), .. U32((uint)data.Length),
                  .. U32((uint)(origLen ?? data.Length)), .. Pad(data), .. options.SelectMany(o => o)]);

    public PcapNgBuilder Simple(byte[] data, int? origLen = null) => Block(3, [.. U32((uint)(origLen ?? data.Length)), .. data]);

    public PcapNgBuilder Obsolete(int iface, ulong ts, byte[] data) =>
        Block(2, [.. U16(iface), .. U16(0), .. U32((uint)(ts >> 32)), .. U32((uint)ts), .. U32((uint)data.Length), .. U32((uint)data.Length), .. Pad(data)]);

    private static byte[] Pad(byte[] d) => [.. d, .. new byte[(4 - d.Length % 4) % 4]];
}
