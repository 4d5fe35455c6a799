using System.Buffers.Binary;
using System.Text;

namespace PfSim.Flows;

/// <summary>The probe protocol of a traceroute.</summary>
public enum TraceMethod : byte { Udp, Icmp, Tcp }

/// <summary>
/// Unix <c>traceroute</c>, three probes per hop with rising TTL, 5 s wait.
/// Linux (Butskoy traceroute 2.1, as in the real captures): 60-byte packets, up to 16 probes in flight,
/// UDP from a fresh ephemeral port to 33434, 33435, … (one port per probe); <c>-I</c> ICMP echo with
/// identifier = pid and sequence 1, 2, …; <c>-T</c> TCP SYN to port 80 with mss/sackOK/timestamp/wscale options;
/// payload bytes 0x40 | (i &amp; 0x3f) counted from the UDP data or from the ICMP header; 30 hops max.
/// The BSDs (LBL traceroute): one probe at a time, 40-byte packets, source port = (pid &amp; 0xffff) | 0x8000,
/// destination port 33434 + seq with seq counted from 1 (the first probe goes to 33435), IP id = ident + seq,
/// max hops = net.inet.ip.ttl (64).
/// </summary>
public sealed class UnixTraceroute : ToolModel
{
    private readonly TraceMethod _method;
    private readonly bool _linux;
    private readonly int _maxHops, _queries;
    private readonly double _wait;
    private readonly ushort _bsdIdent;
    private int _inFlight, _next, _finalHop = int.MaxValue;
    private readonly HashSet<int> _done = [];
    /// <summary>Probe index by (source port, destination port): how UDP and TCP answers are matched to probes.</summary>
    private readonly Dictionary<(ushort, ushort), int> _byPorts = new();

    public UnixTraceroute(Node host, Address target, ToolOptions options, TraceMethod method) : base(host, target, options)
    {
        _method = method;
        _linux = host.Os.Kind == OsKind.Linux;
        _maxHops = options.MaxHops ?? (_linux ? 30 : 64);
        _queries = options.Queries ?? 3;
        _wait = options.WaitSeconds ?? 5.0;
        _bsdIdent = (ushort)(Ident | 0x8000);
    }

    public TraceMethod Method => _method;
    private int PacketLength => _linux ? 60 : 40;
    private ushort BasePort => Options.Port ?? (_method == TraceMethod.Tcp ? (ushort)80 : (ushort)33434);
    private int Window => _linux ? 16 : 1;

    public override string CommandLine => "traceroute -n" + _method switch
    {
        TraceMethod.Icmp => " -I",
        TraceMethod.Tcp => _linux ? " -T" : " -P tcp",
        _ => "",
    } + (Options.Port is ushort p ? $" -p {p}" : "") + $" {Target}";

    protected override void Begin(double now) => Fill(now);

    private int HopOf(int index) => index / _queries + 1;

    /// <summary>Seconds between two probes of one burst (Linux sends a window of probes in one loop).</summary>
    private const double SendSpacing = 0.00002;
    private double _burstEnd = -1;
    private bool _refillPending;

    /// <summary>Sends probes until the window is full. Like Butskoy's main loop, answers that arrive during a
    /// burst are looked at only when it ends, so the final hop is known before the window moves on.</summary>
    private void Fill(double now)
    {
        int k = 0;
        while (_inFlight < Window && _next < _maxHops * _queries && HopOf(_next) <= _finalHop)
        {
            int index = _next++;
            _inFlight++;
            double t = now + SendSpacing * k++;
            _burstEnd = t;
            Sim.Schedule(t, () => SendOne(index));
        }
        if (_inFlight == 0) Sim.Detach(Host);
    }

    private void Refill()
    {
        if (Sim.Now >= _burstEnd) { Fill(Sim.Now); return; }
        if (_refillPending) return;
        _refillPending = true;
        Sim.Schedule(_burstEnd, () => { _refillPending = false; Fill(Sim.Now); });
    }

    private void SendOne(int index)
    {
        int ttl = HopOf(index);
        var pkt = Build(index, ttl);
        var view = new Ip4View(pkt);
        if (_method != TraceMethod.Icmp) _byPorts[(view.SrcPort, view.DstPort)] = index;
        SendProbe(pkt, Sim.Now, _method switch { TraceMethod.Udp => "udp probe", TraceMethod.Icmp => "echo request", _ => "tcp syn probe" }, ttl, index);
        Sim.Schedule(Sim.Now + _wait, () => Finish(index));
    }

    private byte[] Build(int index, int ttl)
    {
        var src = Host.Route(Target)?.Out.Address ?? Host.PrimaryAddress;
        int l4Len = PacketLength - 20;
        int seq = index + 1;
        ushort ipId = _linux ? (ushort)StableHash.Mix(Ident, (uint)index) : (ushort)(_bsdIdent + seq);
        switch (_method)
        {
            case TraceMethod.Udp:
            {
                ushort sport = _linux ? EphemeralPort(index) : _bsdIdent;
                ushort dport = (ushort)(BasePort + (_linux ? index : seq));
                var data = _linux ? Pattern(0, l4Len - 8) : new byte[l4Len - 8];
                return Wire.Ipv4(new Wire.Ip4(src, Target, Wire.ProtoUdp, (byte)ttl, ipId), Wire.Udp(sport, dport, data));
            }
            case TraceMethod.Icmp:
            {
                ushort id = _linux ? Ident : _bsdIdent;
                var data = _linux ? Pattern(8, l4Len - 8) : new byte[l4Len - 8];
                if (_linux) ipId = (ushort)(StableHash.Of(Host.Name, 3) + index);
                return Wire.Ipv4(new Wire.Ip4(src, Target, Wire.ProtoIcmp, (byte)ttl, ipId), Wire.IcmpEchoMessage(Wire.IcmpEcho, id, (ushort)seq, data));
            }
            default:
            {
                if (_linux)
                {
                    // mss 1460, sackOK, TS val/ecr 0, nop, wscale 2: the 20 option bytes of the real captures.
                    var opt = new byte[20];
                    opt[0] = 2; opt[1] = 4; opt[2] = 0x05; opt[3] = 0xB4;
                    opt[4] = 4; opt[5] = 2;
                    opt[6] = 8; opt[7] = 10; BinaryPrimitives.WriteUInt32BigEndian(opt.AsSpan(8), StableHash.Of(Host.Name, 9));
                    opt[16] = 1; opt[17] = 3; opt[18] = 3; opt[19] = 2;
                    uint isn = StableHash.Mix(Ident, (uint)index + 77);
                    ushort id = (ushort)(StableHash.Of(Host.Name, 5) + index);
                    return Wire.Ipv4(new Wire.Ip4(src, Target, Wire.ProtoTcp, (byte)ttl, id), Wire.Tcp(EphemeralPort(index), BasePort, isn, 0, Wire.TcpSyn, 5840, opt));
                }
                ushort dport = (ushort)(BasePort + seq);
                uint bsdSeq = (uint)(_bsdIdent << 16 | dport);
                return Wire.Ipv4(new Wire.Ip4(src, Target, Wire.ProtoTcp, (byte)ttl, ipId), Wire.Tcp(_bsdIdent, dport, bsdSeq, 0, Wire.TcpSyn, 0, default));
            }
        }
    }

    /// <summary>Linux picks a fresh source port per probe socket from the ephemeral range 32768–60999.</summary>
    /// <remarks>A port is not handed out twice while the tool runs, as the kernel would not.</remarks>
    private ushort EphemeralPort(int index)
    {
        uint p = StableHash.Mix(Ident, (uint)index) % 28232;
        while (!_usedPorts.Add((ushort)(32768 + p))) p = (p + 1) % 28232;
        return (ushort)(32768 + p);
    }

    private readonly HashSet<ushort> _usedPorts = [];

    private static byte[] Pattern(int offset, int length)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(0x40 | ((offset + i) & 0x3F));
        return b;
    }

    private void Finish(int index)
    {
        if (!_done.Add(index)) return;
        _inFlight--;
        var p = ProbeAt(index);
        if (p is not null && IsFinal(p)) _finalHop = Math.Min(_finalHop, p.Ttl);
        if (!_linux && p is not null && p.Index % _queries == _queries - 1 && HopUnreachable(p.Ttl))
            _finalHop = Math.Min(_finalHop, p.Ttl);
        Refill();
    }

    private bool HopUnreachable(int hop)
    {
        var ps = Probes.Where(x => x.Ttl == hop).ToList();
        int unreach = ps.Count(x => x.Answer == AnswerKind.Unreachable && x.Code != 3);
        return unreach > 0 && unreach >= _queries - 1;
    }

    private static bool IsFinal(Probe p) => p.Answer is AnswerKind.EchoReply or AnswerKind.TcpReset or AnswerKind.TcpSynAck
        || (p.Answer == AnswerKind.Unreachable && p.Code is 3 or 2);

    public override bool Receive(ReadOnlySpan<byte> packet, int packetNumber, double time)
    {
        var ip = new Ip4View(packet);
        Probe? p = null;
        AnswerKind kind = AnswerKind.None;
        if (ip.Proto == Wire.ProtoIcmp && ip.IcmpType == Wire.IcmpEchoReply && _method == TraceMethod.Icmp && ip.L4.Length >= 8)
        {
            if (ip.IcmpId == (_linux ? Ident : _bsdIdent)) { p = BySeq(ip.IcmpSeq); kind = AnswerKind.EchoReply; }
        }
        else if (ip.IsIcmpError && ip.Quoted.Length >= 28)
        {
            p = ByQuote(new Ip4View(ip.Quoted));
            kind = ip.IcmpType == Wire.IcmpTimeExceeded ? AnswerKind.TimeExceeded : AnswerKind.Unreachable;
        }
        else if (ip.Proto == Wire.ProtoTcp && _method == TraceMethod.Tcp && ip.L4.Length >= 20)
        {
            p = _byPorts.TryGetValue((ip.DstPort, ip.SrcPort), out var i) ? ProbeAt(i) : null;
            kind = (ip.TcpFlags & Wire.TcpRst) != 0 ? AnswerKind.TcpReset : AnswerKind.TcpSynAck;
        }
        if (p is null) return false;
        if (p.Answered || _done.Contains(p.Index)) return true;
        Answer(p, kind, ip.IcmpCode, ip, packetNumber, time);
        Finish(p.Index);
        return true;
    }

    private Probe? BySeq(ushort seq) => ProbeAt(seq - 1);

    private Probe? ByQuote(in Ip4View q)
    {
        if (q.Proto != ProtoOf(_method) || q.Dst != Target) return null;
        if (_method == TraceMethod.Icmp)
            return q.L4.Length >= 8 && q.IcmpId == (_linux ? Ident : _bsdIdent) ? BySeq(q.IcmpSeq) : null;
        return _byPorts.TryGetValue((q.SrcPort, q.DstPort), out var i) ? ProbeAt(i) : null;
    }

    private static byte ProtoOf(TraceMethod m) => m switch { TraceMethod.Udp => Wire.ProtoUdp, TraceMethod.Icmp => Wire.ProtoIcmp, _ => Wire.ProtoTcp };

    private int LastHop => Probes.Count == 0 ? 0 : Math.Min(_finalHop, Probes.Max(p => p.Ttl));

    public override bool Reached => Probes.Any(p => p.From == Target && IsFinal(p));

    public override IReadOnlyList<string> Hops
    {
        get
        {
            var hops = new List<string>();
            for (int h = 1; h <= LastHop; h++)
            {
                var first = Probes.Where(p => p.Ttl == h && p.Answered).OrderBy(p => p.Index).FirstOrDefault();
                hops.Add(first is null ? "*" : first.From.ToString());
            }
            return hops;
        }
    }

    public override IReadOnlyList<string> Render()
    {
        var lines = new List<string> { $"traceroute to {Target} ({Target}), {_maxHops} hops max, {PacketLength} byte packets" };
        for (int h = 1; h <= LastHop; h++)
        {
            var sb = new StringBuilder($"{h,2} ");
            Address? last = null;
            foreach (var p in Probes.Where(p => p.Ttl == h).OrderBy(p => p.Index))
            {
                if (!p.Answered) { sb.Append(" *"); continue; }
                if (last != p.From) { sb.Append(' ').Append(p.From); last = p.From; }
                sb.Append("  ").Append(Ms(p.RttMs)).Append(" ms");
                sb.Append(Annotation(p));
            }
            lines.Add(sb.ToString());
        }
        return lines;
    }

    private static string Annotation(Probe p) => p.Answer != AnswerKind.Unreachable ? "" : p.Code switch
    {
        0 => " !N",
        1 => " !H",
        2 => " !P",
        3 => "",
        9 or 10 or 13 => " !X",
        _ => $" !<{p.Code}>",
    };
}
