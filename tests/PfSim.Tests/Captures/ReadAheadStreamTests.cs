using PfSim.Captures;
using PfSim.Engine;

namespace PfSim.Tests.Captures;

/// <summary>The background read-ahead used for large captures and pipes: same bytes, same errors, no hang.</summary>
public class ReadAheadStreamTests
{
    private static byte[] Pattern(int n)
    {
        var b = new byte[n];
        var rnd = new Random(7);
        rnd.NextBytes(b);
        return b;
    }

    [Theory]
    [InlineData(0, 100)]
    [InlineData(1, 1)]
    [InlineData(ReadAheadStream.ChunkSize - 1, 4096)]
    [InlineData(ReadAheadStream.ChunkSize * ReadAheadStream.Chunks * 3 + 12345, 777)]
    [InlineData(ReadAheadStream.ChunkSize * 2 + 5, ReadAheadStream.ChunkSize * 3)]
    public void ReadsTheSameBytesInOrder(int length, int readSize)
    {
        var data = Pattern(length);
        using var s = new ReadAheadStream(new MemoryStream(data));
        var got = new MemoryStream();
        var buf = new byte[readSize];
        int r;
        while ((r = s.Read(buf, 0, buf.Length)) > 0) got.Write(buf, 0, r);
        Assert.Equal(data, got.ToArray());
        Assert.Equal(0, s.Read(buf, 0, buf.Length)); // the end stays the end
    }

    /// <summary>A stream that fails after some bytes, as a disk read error would.</summary>
    private sealed class FailingStream(int goodBytes) : Stream
    {
        private int _pos;
        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_pos >= goodBytes) throw new IOException("disk on fire");
            int n = Math.Min(count, goodBytes - _pos);
            Array.Fill(buffer, (byte)1, offset, n);
            _pos += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _pos; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public void AReadError_ComesAfterTheBytesBeforeIt()
    {
        const int good = ReadAheadStream.ChunkSize + 1000;
        using var s = new ReadAheadStream(new FailingStream(good));
        var buf = new byte[65536];
        long total = 0;
        var e = Assert.Throws<IOException>(() =>
        {
            int r;
            while ((r = s.Read(buf, 0, buf.Length)) > 0) total += r;
        });
        Assert.Contains("disk on fire", e.Message);
        Assert.Equal(good, total); // nothing before the error is lost
    }

    [Fact]
    public void DisposeWhileTheReaderIsAhead_DoesNotHang()
    {
        var data = Pattern(ReadAheadStream.ChunkSize * 10);
        var s = new ReadAheadStream(new MemoryStream(data));
        var buf = new byte[100];
        Assert.Equal(100, s.Read(buf, 0, 100));
        var t = Task.Run(s.Dispose);
        Assert.True(t.Wait(TimeSpan.FromSeconds(10)), "Dispose hung");
    }

    [Fact]
    public void ReplayWithReadAhead_GivesTheSameVerdictsAsWithout()
    {
        // A capture of several chunks: records straddle chunk edges.
        var ms = new MemoryStream();
        using (var w = new PcapWriter(ms, 101, 65535, nanoseconds: false, leaveOpen: true))
        {
            var rnd = new Random(3);
            for (int i = 0; i < 60000; i++)
            {
                var pkt = PfSim.Packets.PacketBuilder.Build(new PfSim.Packets.PacketSpec
                {
                    Src = Address.V4(0x0A000001u + (uint)(i % 50)), Dst = Address.V4(0xC0A80101u),
                    Proto = PfSim.Packets.IpProto.Udp, SrcPort = (ushort)(1024 + i % 300), DstPort = (ushort)(33434 + i % 30),
                    PayloadLength = rnd.Next(0, 200),
                });
                w.Write(1_700_000_000L * 1_000_000_000L + i * 1000L, pkt, pkt.Length);
            }
        }
        Assert.True(ms.Length > 3 * ReadAheadStream.ChunkSize);
        var conf = PfSim.Syntax.PfConfLoader.LoadText("block in proto udp from 10.0.0.0/28\npass in proto udp keep state\n", "t.conf", new PfSim.Syntax.LoadOptions()).Config!;
        (long, long, long) Run(bool readAhead)
        {
            var fw = new Firewall(conf);
            var rp = new Replayer(fw, new ReplayOptions { Interface = "em0", Dir = Direction.In });
            using var r = new CaptureReader(new MemoryStream(ms.ToArray()), "t.pcap", readAhead: readAhead);
            Assert.True(rp.Run(r));
            return (rp.Stats.Packets, rp.Stats.Passed, rp.Stats.StatesCreated);
        }
        var plain = Run(false);
        Assert.Equal(60000, plain.Item1);
        Assert.Equal(plain, Run(true));

        // Ctrl-C (the Stop token) ends the replay at the next check, after whole packets, and says so.
        var fw = new Firewall(conf);
        var stopped = new Replayer(fw, new ReplayOptions { Interface = "em0", Dir = Direction.In }) { Stop = new CancellationToken(true) };
        using (var r = new CaptureReader(new MemoryStream(ms.ToArray()), "t.pcap", readAhead: true)) Assert.True(stopped.Run(r));
        Assert.True(stopped.Interrupted);
        Assert.Equal(16384, stopped.Stats.Records);
        Assert.Equal(16384, stopped.Stats.Packets);
    }
}
