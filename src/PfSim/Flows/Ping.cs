using System.Buffers.Binary;
using System.Globalization;

namespace PfSim.Flows;

/// <summary>
/// <c>ping</c> of Linux (iputils) and of the BSDs: one echo request a second, 56 data bytes (a timestamp,
/// then the bytes 0x10, 0x11, … on Linux; 0x08… after an 8-byte timestamp on the BSDs), TTL 64. Linux sets DF
/// and counts icmp_seq from 1; the BSDs count from 0. Waits up to 10 s after the last request (iputils' linger).
/// </summary>
public sealed class UnixPing : ToolModel
{
    private const double Interval = 1.0, Linger = 10.0;
    private readonly bool _linux;
    private int _errors;

    public UnixPing(Node host, Address target, ToolOptions options) : base(host, target, options) => _linux = host.Os.Kind == OsKind.Linux;

    private int Count => Options.Count ?? 4;
    private int FirstSeq => _linux ? 1 : 0;
    public override string CommandLine => $"ping -n -c {Count} {Target}";

    protected override void Begin(double now)
    {
        for (int i = 0; i < Count; i++)
        {
            int index = i;
            Sim.Schedule(now + i * Interval, () => SendEcho(index));
        }
        Sim.Schedule(now + (Count - 1) * Interval + Linger, () => Sim.Detach(Host));
    }

    private void SendEcho(int i)
    {
        double t = Sim.Now;
        var data = new byte[56];
        int stamp = _linux ? 16 : 8;
        long usec = (long)Math.Round(t * 1e6);
        BinaryPrimitives.WriteInt64LittleEndian(data, 1_700_000_000 + usec / 1_000_000);
        if (_linux) BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8), usec % 1_000_000);
        else BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4), (int)(usec % 1_000_000));
        for (int k = stamp; k < data.Length; k++) data[k] = (byte)k;
        var icmp = Wire.IcmpEchoMessage(Wire.IcmpEcho, Ident, (ushort)(FirstSeq + i), data);
        var pkt = Wire.Ipv4(new Wire.Ip4(Host.PrimaryAddress, Target, Wire.ProtoIcmp, Host.Os.DefaultTtl, Sim.NextIpId(Host), DontFragment: _linux), icmp);
        SendProbe(pkt, t, "echo request", Host.Os.DefaultTtl, i);
    }

    public override bool Receive(ReadOnlySpan<byte> packet, int packetNumber, double time)
    {
        var ip = new Ip4View(packet);
        if (ip.Proto != Wire.ProtoIcmp) return false;
        if (ip.IcmpType == Wire.IcmpEchoReply && ip.IcmpId == Ident)
        {
            var p = Find(ip.IcmpSeq);
            if (p is not null) Answer(p, AnswerKind.EchoReply, 0, ip, packetNumber, time);
            return p is not null;
        }
        if (ip.IsIcmpError && ip.Quoted.Length >= 28)
        {
            var q = new Ip4View(ip.Quoted);
            if (q.Proto != Wire.ProtoIcmp || q.L4.Length < 8 || q.IcmpId != Ident) return false;
            var p = Find(q.IcmpSeq);
            if (p is null) return false;
            Answer(p, ip.IcmpType == Wire.IcmpTimeExceeded ? AnswerKind.TimeExceeded : AnswerKind.Unreachable, ip.IcmpCode, ip, packetNumber, time);
            _errors++;
            return true;
        }
        return false;
    }

    private Probe? Find(ushort seq) => ProbeAt(seq - FirstSeq);

    public override bool Reached => Probes.Any(p => p.Answer == AnswerKind.EchoReply);
    public override IReadOnlyList<string> Hops => Probes.Select(p => p.Answered ? p.From.ToString() : "*").ToList();

    public override IReadOnlyList<string> Render()
    {
        var lines = new List<string>();
        var replies = Probes.Where(p => p.Answer == AnswerKind.EchoReply).ToList();
        lines.Add(_linux ? $"PING {Target} ({Target}) 56(84) bytes of data." : $"PING {Target} ({Target}): 56 data bytes");
        foreach (var p in Probes.OrderBy(p => p.Answered ? p.ReceivedAt : p.SentAt + 1.0))
        {
            int seq = p.Index + FirstSeq;
            if (p.Answer == AnswerKind.EchoReply)
                lines.Add($"{p.ReplyLength - 20} bytes from {p.From}: icmp_seq={seq} ttl={p.ReplyTtl} time={Ms(p.RttMs)} ms");
            else if (p.Answered)
                lines.Add(_linux ? $"From {p.From} icmp_seq={seq} {ErrorText(p)}" : $"{p.ReplyLength - 20} bytes from {p.From}: {ErrorText(p)}");
            else if (!_linux && p.Index < Count - 1)
                lines.Add($"Request timeout for icmp_seq {seq}");
        }
        lines.Add("");
        lines.Add($"--- {Target} ping statistics ---");
        int sent = Probes.Count, got = replies.Count;
        int loss = sent == 0 ? 0 : (sent - got) * 100 / sent;
        if (_linux)
        {
            int ms = (int)Math.Round((Count - 1) * Interval * 1000 + (Count - 1) * 1.1);
            string errors = _errors > 0 ? $", +{_errors} errors" : "";
            lines.Add($"{sent} packets transmitted, {got} received{errors}, {loss}% packet loss, time {ms}ms");
        }
        else
        {
            double lossF = sent == 0 ? 0 : (sent - got) * 100.0 / sent;
            lines.Add($"{sent} packets transmitted, {got} packets received, {lossF.ToString("0.0", CultureInfo.InvariantCulture)}% packet loss");
        }
        if (got > 0)
        {
            var rtts = replies.Select(p => p.RttMs).ToList();
            double avg = rtts.Average();
            double dev = Math.Sqrt(Math.Max(0, rtts.Select(r => r * r).Average() - avg * avg));
            lines.Add(_linux
                ? $"rtt min/avg/max/mdev = {Ms(rtts.Min())}/{Ms(avg)}/{Ms(rtts.Max())}/{Ms(dev)} ms"
                : $"round-trip min/avg/max/stddev = {Ms(rtts.Min())}/{Ms(avg)}/{Ms(rtts.Max())}/{Ms(dev)} ms");
        }
        else if (_linux) lines.Add("");
        return lines;
    }

    private static string ErrorText(Probe p) => p.Answer == AnswerKind.TimeExceeded ? "Time to live exceeded" : p.Code switch
    {
        0 => "Destination Net Unreachable",
        1 => "Destination Host Unreachable",
        2 => "Destination Protocol Unreachable",
        3 => "Destination Port Unreachable",
        13 => "Packet filtered",
        _ => $"Dest Unreachable, Bad Code: {p.Code}",
    };
}

/// <summary>
/// Windows <c>ping</c>: four echo requests with the 32 data bytes "abcdefghijklmnopqrstuvwabcdefghi", TTL 128,
/// identifier 1; each waits up to 4 s ("Request timed out."), the next goes 1 s after a reply.
/// Windows counts an ICMP error answer as "received" (a famous quirk), so loss is computed the same way.
/// </summary>
public sealed class WindowsPing : ToolModel
{
    private const double Timeout = 4.0, Interval = 1.0;
    private static readonly byte[] Payload = "abcdefghijklmnopqrstuvwabcdefghi"u8.ToArray();

    public WindowsPing(Node host, Address target, ToolOptions options) : base(host, target, options) { }

    private int Count => Options.Count ?? 4;
    public override string CommandLine => $"ping {(Count != 4 ? $"-n {Count} " : "")}{Target}";

    protected override void Begin(double now) => SendEcho(0);

    private void SendEcho(int i)
    {
        if (i >= Count) { Sim.Detach(Host); return; }
        var icmp = Wire.IcmpEchoMessage(Wire.IcmpEcho, 1, (ushort)(i + 1), Payload);
        var pkt = Wire.Ipv4(new Wire.Ip4(Host.PrimaryAddress, Target, Wire.ProtoIcmp, Host.Os.DefaultTtl, Sim.NextIpId(Host)), icmp);
        SendProbe(pkt, Sim.Now, "echo request", Host.Os.DefaultTtl, i);
        double sent = Sim.Now;
        Sim.Schedule(sent + Timeout, () =>
        {
            if (!Probes[i].Answered) SendEcho(i + 1);
        });
    }

    public override bool Receive(ReadOnlySpan<byte> packet, int packetNumber, double time)
    {
        var ip = new Ip4View(packet);
        if (!TryEchoAnswer(ip, 1, out ushort seq, out var kind)) return false;
        Probe? p = Find(seq);
        if (p is null || p.Answered || time > p.SentAt + Timeout) return p is not null;
        Answer(p, kind, ip.IcmpCode, ip, packetNumber, time);
        int next = p.Index + 1;
        Sim.Schedule(time + Interval, () => SendEcho(next));
        return true;
    }

    private Probe? Find(ushort seq) => ProbeAt(seq - 1);

    public override bool Reached => Probes.Any(p => p.Answer == AnswerKind.EchoReply);
    public override IReadOnlyList<string> Hops => Probes.Select(p => p.Answered ? p.From.ToString() : "*").ToList();

    public override IReadOnlyList<string> Render()
    {
        var lines = new List<string> { "", $"Pinging {Target} with 32 bytes of data:" };
        foreach (var p in Probes)
        {
            lines.Add(p.Answer switch
            {
                AnswerKind.EchoReply => $"Reply from {p.From}: bytes=32 {WinTime(p.RttMs, "time")} TTL={p.ReplyTtl}",
                AnswerKind.TimeExceeded => $"Reply from {p.From}: TTL expired in transit.",
                AnswerKind.Unreachable => $"Reply from {p.From}: Destination {(p.Code switch { 0 => "net", 1 => "host", 3 => "port", 2 => "protocol", _ => "host" })} unreachable.",
                _ => "Request timed out.",
            });
        }
        int sent = Probes.Count, got = Probes.Count(p => p.Answered);
        lines.Add("");
        lines.Add($"Ping statistics for {Target}:");
        lines.Add($"    Packets: Sent = {sent}, Received = {got}, Lost = {sent - got} ({(sent == 0 ? 0 : (sent - got) * 100 / sent)}% loss),");
        var replies = Probes.Where(p => p.Answer == AnswerKind.EchoReply).Select(p => (int)Math.Round(p.RttMs)).ToList();
        if (replies.Count > 0)
        {
            lines.Add("Approximate round trip times in milli-seconds:");
            lines.Add($"    Minimum = {replies.Min()}ms, Maximum = {replies.Max()}ms, Average = {(int)Math.Round(replies.Average())}ms");
        }
        return lines;
    }

    internal static string WinTime(double ms, string label) => ms < 1 ? $"{label}<1ms" : $"{label}={(int)Math.Round(ms)}ms";
}
