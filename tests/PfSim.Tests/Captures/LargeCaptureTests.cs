using System.Buffers.Binary;
using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>Multi-gigabyte captures: offsets past 4 GiB, memory that does not grow with the file.</summary>
public class LargeCaptureTests
{
    /// <summary>A pcap of <paramref name="records"/> identical 1500-byte records, produced on the fly (never stored).</summary>
    private sealed class SyntheticPcap(long records) : Stream
    {
        private const int Record = 16 + 1500;
        private readonly long _length = 24 + records * Record;
        private long _pos;

        private static readonly byte[] Header = MakeHeader(), OneRecord = MakeRecord();

        public override int Read(byte[] buffer, int offset, int count)
        {
            int n = (int)Math.Min(count, _length - _pos);
            for (int done = 0; done < n;)
            {
                long p = _pos + done;
                ReadOnlySpan<byte> src = p < 24 ? Header.AsSpan((int)p) : OneRecord.AsSpan((int)((p - 24) % Record));
                int k = Math.Min(src.Length, n - done);
                src[..k].CopyTo(buffer.AsSpan(offset + done));
                done += k;
            }
            _pos += n;
            return n;
        }

        private static byte[] MakeHeader()
        {
            var h = new byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(h, 0xA1B2C3D4);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(4), 2);
            BinaryPrimitives.WriteUInt16LittleEndian(h.AsSpan(6), 4);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(16), 65535);
            BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(20), 101);
            return h;
        }

        private static byte[] MakeRecord()
        {
            var r = new byte[Record];
            BinaryPrimitives.WriteUInt32LittleEndian(r, 1_300_000_000);
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(8), 1500);
            BinaryPrimitives.WriteUInt32LittleEndian(r.AsSpan(12), 1500);
            r[16] = 0x45;
            return r;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => _length;
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [LongFact]
    public void FiveGigabytes_ReadWithoutAllocating_WithOffsetsPast4GiB()
    {
        const long records = 3_400_000;  // ≈ 5.15 GB
        using var r = new CaptureReader(new SyntheticPcap(records), "big.pcap");
        long n = 0, last = 0;
        long before = 0;
        while (r.TryRead(out var p))
        {
            n++;
            last = p.Offset;
            if (n == 1000) before = GC.GetAllocatedBytesForCurrentThread();
        }
        long after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(records, n);
        Assert.Equal(24 + (records - 1) * 1516, last);
        Assert.True(last > 4L << 30);
        // 3.4 million records read with no allocation at all after the first thousand: memory cannot grow with the file.
        Assert.True(after - before < 64 << 10, $"{after - before} bytes allocated while reading");
    }
}
