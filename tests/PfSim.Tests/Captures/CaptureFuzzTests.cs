using FsCheck;
using FsCheck.Fluent;
using PfSim.Captures;

namespace PfSim.Tests.Captures;

/// <summary>
/// Properties of the readers and writers: what the writer writes reads back the same; a cut or damaged file
/// raises only <see cref="CaptureFormatException"/>, after every packet before the damage.
/// </summary>
public class CaptureFuzzTests
{
    private static int Runs => Peer.Long ? 5000 : 150;

    private sealed record Written(byte[] File, List<(long Ns, byte[] Data, int Orig)> Packets, List<long> Offsets);

    // A capture of up to 25 packets of 0–400 bytes: pcap (µs or ns) with link type RAW or PFLOG, or pcapng.
    private static Written Make(int seed, int count, int kind)
    {
        var rnd = new Random(seed);
        var packets = new List<(long, byte[], int)>();
        long t = 1_000_000_000L * rnd.Next(0, int.MaxValue);
        for (int i = 0; i < count; i++)
        {
            t += rnd.Next(0, 5_000_000) * 1000L + (kind == 1 ? rnd.Next(1000) : 0);
            var data = new byte[rnd.Next(0, 400)];
            rnd.NextBytes(data);
            packets.Add((t, data, data.Length + (rnd.Next(4) == 0 ? rnd.Next(1, 1000) : 0)));
        }
        var offsets = new List<long>();
        var ms = new MemoryStream();
        if (kind <= 1)
        {
            using var w = new PcapWriter(ms, 101, nanoseconds: kind == 1, leaveOpen: true);
            foreach (var (ns, data, orig) in packets) { w.Flush(); offsets.Add(ms.Length); w.Write(ns, data, orig); }
        }
        else if (kind == 2)
        {
            using var w = new PflogWriter(ms, (PflogLayout)rnd.Next(0, 4), leaveOpen: true);
            for (int i = 0; i < packets.Count; i++)
            {
                var h = PflogTests.Sample((uint)rnd.Next(), "em" + rnd.Next(10), (Direction)rnd.Next(1, 3), (byte)rnd.Next(2), (byte)rnd.Next(17));
                w.Flush(); offsets.Add(ms.Length);
                w.Write(packets[i].Item1, h, packets[i].Item2);
                packets[i] = (packets[i].Item1, [.. new byte[PflogHeader.SizeOf(w.Layout)], .. packets[i].Item2], 0);
            }
        }
        else
        {
            var b = new PcapNgBuilder().Section(littleEndian: rnd.Next(2) == 0).Interface(101, tsresol: 9);
            foreach (var (ns, data, orig) in packets) { offsets.Add(b.ToArray().Length); b.Enhanced(0, (ulong)ns, data, orig); }
            ms.Write(b.ToArray());
        }
        return new Written(ms.ToArray(), packets, offsets);
    }

    private static readonly Gen<(int Seed, int Count, int Kind)> Captures =
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(0, 25)
        from kind in Gen.Choose(0, 3)
        select (seed, count, kind);

    /// <summary>Reads all it can; returns the packets and the error that stopped it (never another exception).</summary>
    private static (List<(long Ns, byte[] Data, int Orig, long Offset)> Got, CaptureError? Error) ReadAll(byte[] file, bool keepGoing = false)
    {
        var got = new List<(long, byte[], int, long)>();
        try
        {
            using var r = new CaptureReader(new MemoryStream(file), "f", keepGoing);
            while (r.TryRead(out var p))
            {
                got.Add((p.TimestampNs, p.Data.ToArray(), p.OriginalLength, p.Offset));
                // Decoding and describing whatever the bytes are must not throw either.
                if (p.Decode(out var frame) == FrameStatus.Ip) PacketText.Describe(frame.Ip);
            }
            return (got, null);
        }
        catch (CaptureFormatException e) { return (got, e.Error); }
    }

    [Fact]
    public void WrittenCaptures_ReadBackPacketForPacket()
    {
        Prop.ForAll(Captures.ToArbitrary(), c =>
        {
            var w = Make(c.Seed, c.Count, c.Kind);
            var (got, error) = ReadAll(w.File);
            Assert.Null(error);
            Assert.Equal(w.Packets.Count, got.Count);
            for (int i = 0; i < got.Count; i++)
            {
                Assert.Equal(c.Kind == 0 || c.Kind == 2 ? w.Packets[i].Ns / 1000 * 1000 : w.Packets[i].Ns, got[i].Ns);
                if (c.Kind == 2) Assert.Equal(w.Packets[i].Data.Length, got[i].Data.Length);  // header + packet
                else { Assert.Equal(w.Packets[i].Data, got[i].Data); Assert.Equal(w.Packets[i].Orig, got[i].Orig); }
                Assert.Equal(w.Offsets[i], got[i].Offset);
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    [Fact]
    public void TruncatedCaptures_ReportEveryWholePacket_ThenTheCut()
    {
        var gen = from c in Captures.Where(c => c.Count > 0) from cut in Gen.Choose(0, 1_000_000) select (c, cut);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var w = Make(x.c.Seed, x.c.Count, x.c.Kind);
            int len = x.cut % (w.File.Length + 1);
            var (got, error) = ReadAll(w.File[..len]);
            if (len == w.File.Length) { Assert.Null(error); Assert.Equal(w.Packets.Count, got.Count); return; }
            // Every packet that ends before the cut is delivered; the error names the first one that does not.
            int complete = 0;
            for (int i = 0; i < w.Offsets.Count; i++)
            {
                long end = i + 1 < w.Offsets.Count ? w.Offsets[i + 1] : w.File.Length;
                if (end <= len) complete++;
            }
            Assert.Equal(complete, got.Count);
            // A cut between records is a clean end; anywhere else (headers included) is reported.
            // (In pcapng the section header block ends at 28: a file cut there is a complete, empty section.)
            bool atBoundary = w.Offsets.Contains(len) || (x.c.Kind == 3 && len == 28);
            if (atBoundary) Assert.Null(error);
            else
            {
                Assert.NotNull(error);
                Assert.Equal(complete + 1, error!.Packet);
                Assert.StartsWith("f: packet ", error.ToString());
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    [Fact]
    public void MutatedCaptures_OnlyEverRaiseTheReportedError_AndKeepThePacketsBeforeTheDamage()
    {
        var gen = from c in Captures.Where(c => c.Count > 0) from seed in Gen.Choose(0, int.MaxValue) from n in Gen.Choose(1, 8) select (c, seed, n);
        Prop.ForAll(gen.ToArbitrary(), x =>
        {
            var w = Make(x.c.Seed, x.c.Count, x.c.Kind);
            var file = (byte[])w.File.Clone();
            var rnd = new Random(x.seed);
            int first = int.MaxValue;
            for (int i = 0; i < x.n; i++)
            {
                int at = rnd.Next(file.Length);
                first = Math.Min(first, at);
                file[at] = (byte)rnd.Next(256);
            }
            foreach (bool keepGoing in new[] { false, true })
            {
                var (got, _) = ReadAll(file, keepGoing);  // throws nothing but CaptureFormatException (caught there)
                // Packets wholly before the first damaged byte come out unchanged.
                for (int i = 0; i < w.Offsets.Count; i++)
                {
                    long end = i + 1 < w.Offsets.Count ? w.Offsets[i + 1] : w.File.Length;
                    if (end > first) break;
                    Assert.True(i < got.Count, $"packet {i + 1} before the damage at {first} was not delivered");
                    Assert.Equal(w.Offsets[i], got[i].Offset);
                }
            }
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(Runs));
    }

    [LongFact]
    public void LongRun_MutatedPeerCaptures_NeverThrowAnythingElse()
    {
        if (Peer.Dir is null) return;
        var files = Directory.GetFiles(Peer.Path_("captures"), "*.pcap", SearchOption.AllDirectories);
        var rnd = new Random(1);
        for (int round = 0; round < 20000; round++)
        {
            var file = File.ReadAllBytes(files[rnd.Next(files.Length)]);
            if (file.Length == 0) continue;
            for (int i = rnd.Next(1, 16); i > 0; i--) file[rnd.Next(file.Length)] = (byte)rnd.Next(256);
            ReadAll(file, keepGoing: rnd.Next(2) == 0);
        }
    }
}
