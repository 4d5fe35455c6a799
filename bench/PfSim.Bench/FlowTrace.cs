using System.Buffers.Binary;
using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Bench;

/// <summary>
/// Stateful traffic for a ruleset, as a firewall carries it: flows its pass rules keep state for (long TCP connections
/// exchanging data both ways, whole short connections with their FIN/ACK close, UDP request/response, ICMP echo), each
/// packet on its interface and direction (replies reversed, forwarded flows crossing pf twice), interleaved across
/// flows, plus a minority of packets the ruleset decides without state (stray TCP segments, unsolicited packets).
/// The opening (handshakes, first exchanges, short connections) is played once; then one round of the long flows'
/// established traffic repeats, its TCP sequence numbers and echo sequence numbers advanced in place before each round
/// (<see cref="Advance"/>), so pf's window tracking sees a connection moving forward, never a replay. Every flow is first
/// checked alone: only flows whose first packet creates a state on each leg and whose other packets all pass on it are kept.
/// </summary>
internal sealed class FlowTrace
{
    /// <summary>Packets in one round (the benchmark's operations per invocation).</summary>
    public const int RoundPackets = 40_000;
    private const double ProbeShare = 0.1;

    public Recorded[] Opening = [];
    public Recorded[] Round = [];
    private (byte[] Packet, bool Tcp, uint Seq, uint Ack)[] _advance = [];
    private readonly List<Flow> _flows = [];
    private readonly List<string> _dropped = [];
    private readonly List<string> _surprises = [];
    private int _templates, _ruleTemplates;

    /// <summary>One packet of the trace: bytes, crossing, and what the recording firewall did with it.</summary>
    public sealed class Recorded(byte[] packet, Leg leg, StateUse use, bool passed)
    {
        public byte[] Packet = packet;
        public Leg Leg = leg;
        public int If;
        public StateUse Use = use;
        public bool Passed = passed;
    }

    /// <summary>The trace for <paramref name="config"/>; <paramref name="echoRepliesOnly"/> keeps in the round only the
    /// ICMP echo replies (pure state hits), repeated to fill it.</summary>
    public static FlowTrace Build(PfConfig config, bool echoRepliesOnly = false)
    {
        var t = new FlowTrace();
        var rnd = new Random(5);
        var templates = FlowTemplate.From(config);
        t._ruleTemplates = templates.Count;
        // Check each template alone with one flow; keep those the ruleset passes with state all the way.
        var check = new Firewall(config);
        double time = 0;
        int unique = 1;
        var kept = new List<FlowTemplate>();
        foreach (var tpl in templates)
        {
            var kind = tpl.Proto == IpProto.Tcp ? FlowKind.TcpLong : tpl.Proto == IpProto.Udp ? FlowKind.Udp : FlowKind.Echo;
            // k far from the flows' own, so that their tuples stay fresh.
            if (tpl.Make(kind, 100_000, unique++, rnd) is not { } f) { t._dropped.Add($"{tpl.Origin} ({Name(tpl)}): no addresses to draw from"); continue; }
            if (RunAlone(check, f, ref time) is { } why) t._dropped.Add($"{tpl.Origin} ({Name(tpl)}): {why}");
            else kept.Add(tpl);
        }
        t._templates = kept.Count;
        if (kept.Count == 0) throw new InvalidOperationException("the ruleset passes no flow with state: " + string.Join("; ", t._dropped));

        // Flows until the round is full but for the probes: TCP weighs most, as on real links; a short connection per four
        // long ones, a one-shot UDP exchange per two UDP flows.
        int budget = (int)(RoundPackets * (1 - ProbeShare)), used = 0;
        var counts = new int[kept.Count];
        for (int progress = -1; used < budget - 64 && progress != used;)
        {
            progress = used;
            for (int i = 0; i < kept.Count && used < budget - 64; i++)
            {
                var tpl = kept[i];
                int weight = tpl.Proto == IpProto.Tcp ? 6 : tpl.Proto == IpProto.Udp ? 2 : 1;
                for (int w = 0; w < weight && used < budget - 64; w++)
                {
                    int k = counts[i]++;
                    var kind = tpl.Proto == IpProto.Tcp ? (k % 5 == 4 ? FlowKind.TcpShort : FlowKind.TcpLong)
                        : tpl.Proto == IpProto.Udp ? (k % 3 == 2 ? FlowKind.UdpOnce : FlowKind.Udp) : FlowKind.Echo;
                    if (tpl.Make(kind, k, unique++, rnd) is not { } f) continue;
                    if (RunAlone(check, f, ref time) is { } why) { t._dropped.Add($"{f.Origin} flow {k}: {why}"); continue; }
                    t._flows.Add(f);
                    used += f.Round.Length * f.Legs.Length;
                }
            }
        }

        // Probes: per interface crossing the flows use, packets the ruleset decides without state, checked twice.
        var probes = t.Probes(check, ref time, unique);
        return t.Record(config, probes, rnd, echoRepliesOnly);
    }

    private static string ProtoName(byte proto) => proto switch
    {
        IpProto.Tcp => "tcp", IpProto.Udp => "udp", IpProto.Icmp => "icmp", IpProto.Icmp6 => "ipv6-icmp", _ => proto.ToString(),
    };

    private static string Name(FlowTemplate t) =>
        $"{(t.Af == Af.Inet ? "inet" : "inet6")} {ProtoName(t.Proto)} {string.Join(" then ", t.Legs.Select(l => $"{l.Dir.ToString().ToLowerInvariant()} on {l.If}"))}";

    /// <summary>Plays a flow alone (opening, rounds 0 and 1): null when every packet did what it should, else what went wrong.</summary>
    private static string? RunAlone(Firewall fw, Flow f, ref double time)
    {
        f.Reset();
        for (int round = -1; round <= 1; round++)
        {
            var segs = round < 0 ? f.Opening : f.Round;
            for (int i = 0; i < segs.Length; i++)
                for (int step = 0; step < f.Legs.Length; step++)
                {
                    int leg = f.LegAt(segs[i], step);
                    var p = f.Build(segs[i], leg, Math.Max(round, 0));
                    var want = f.Expected(segs[i], leg);
                    time += 1e-4;
                    var v = fw.Test(p, f.Legs[leg].If, f.DirOf(segs[i], leg), time);
                    if (v.StateUse != want || !v.Passed)
                        return $"{(round < 0 ? "opening" : "round " + round)} packet {i} ({(segs[i].FromClient ? "client" : "server")} {segs[i].Flags}) {f.DirOf(segs[i], leg)} on {f.Legs[leg].If}: {(v.Passed ? "pass" : "block")} state {v.StateUse} by @{v.RuleNumber} {v.Reason}, expected pass with state {want}";
                    f.Learn(segs[i], leg, v);
                }
        }
        return null;
    }

    /// <summary>Single packets the ruleset decides without state: a stray TCP ACK on each crossing the flows use (no state
    /// to match, not a SYN), an unsolicited UDP datagram and TCP SYN the other way, an echo request from a stranger.</summary>
    private List<Flow> Probes(Firewall fw, ref double time, int unique)
    {
        var list = new List<Flow>();
        var seen = new HashSet<(Leg, Af)>();
        int n = 0;
        foreach (var f in _flows)
        {
            if (!seen.Add((f.Legs[0], f.Client.Src.Family))) continue;
            var c = f.Client;
            var back = new Leg(f.Legs[0].If, f.Legs[0].Dir == Direction.In ? Direction.Out : Direction.In);
            var stranger = HostView.External(c.Src.Family, 9000 + n);
            byte icmp = c.Src.IsV4 ? IpProto.Icmp : IpProto.Icmp6;
            var candidates = new[]
            {
                Flow.Probe(IpProto.Tcp, f.Legs[0], c with { SrcPort = (ushort)(2000 + n), DstPort = f.Proto is IpProto.Tcp or IpProto.Udp ? c.DstPort : (ushort)443 }, "stray TCP ACK",
                    new Seg(true, TcpFlags.Ack, 0x1000_0000u * (uint)n + 77, 0x2000_0000u + (uint)n, 0, 512)),
                Flow.Probe(IpProto.Udp, back, new Ends(c.Dst, 33434, c.Src, (ushort)(33434 + n)), "unsolicited UDP", new Seg(true, Payload: 24)),
                Flow.Probe(IpProto.Tcp, back, new Ends(c.Dst, (ushort)(40000 + n), c.Src, 23), "unsolicited TCP SYN", new Seg(true, TcpFlags.Syn, 5000u + (uint)n, 0, 0, 1024)),
                Flow.Probe(icmp, f.Legs[0], new Ends(stranger, (ushort)(unique + n), c.Dst, (ushort)(unique + n)), "echo request from a stranger", new Seg(true, IcmpSeq: 1, Payload: 56)),
            };
            n++;
            foreach (var p in candidates)
            {
                p.Reset();
                var bytes = p.Build(p.Round[0], 0, 0);
                bool ok = true;
                for (int i = 0; i < 2 && ok; i++)
                {
                    time += 0.001;
                    ok = fw.Test(bytes, p.Legs[0].If, p.Legs[0].Dir, time).StateUse == StateUse.None;
                }
                if (ok) list.Add(p);
            }
        }
        return list;
    }

    /// <summary>Plays the kept flows interleaved on a fresh firewall and records every packet with its verdict.</summary>
    private FlowTrace Record(PfConfig config, List<Flow> probes, Random rnd, bool echoRepliesOnly)
    {
        var fw = new Firewall(config);
        double time = 0;
        foreach (var f in _flows) f.Reset();
        Opening = [.. Interleave(_flows.Where(f => f.Opening.Length > 0).Select(f => (f, f.Opening)), rnd, fw, ref time)];
        int flowPackets = _flows.Sum(f => f.Round.Length * f.Legs.Length);
        var probeFlows = new List<(Flow, Seg[])>();
        for (int i = 0; flowPackets + probeFlows.Count < RoundPackets && probes.Count > 0; i++) probeFlows.Add((probes[i % probes.Count], probes[i % probes.Count].Round));
        var round = Interleave(_flows.Where(f => f.Round.Length > 0).Select(f => (f, f.Round)).Concat(probeFlows), rnd, fw, ref time);
        if (echoRepliesOnly)
        {
            var replies = round.Where(r => r.Use == StateUse.Match && IsEchoReply(r.Packet)).ToList();
            if (replies.Count == 0) throw new InvalidOperationException("the trace has no ICMP echo flows");
            round = [.. Enumerable.Range(0, RoundPackets).Select(i => replies[i % replies.Count])];
            _advance = []; // the same replies again: an echo state does not look at the sequence number
        }
        Round = [.. round];
        return this;
    }

    private static bool IsEchoReply(byte[] p) =>
        p[0] >> 4 == 4 ? p[9] == IpProto.Icmp && p[(p[0] & 15) * 4] == 0 : p[6] == IpProto.Icmp6 && p[40] == 129;

    private List<Recorded> Interleave(IEnumerable<(Flow Flow, Seg[] Segs)> parts, Random rnd, Firewall fw, ref double time)
    {
        var all = parts.ToList();
        // Random interleaving that keeps each flow's order: one ticket per packet event, shuffled.
        var tickets = all.SelectMany((p, i) => Enumerable.Repeat(i, p.Segs.Length)).ToArray();
        rnd.Shuffle(tickets);
        var next = new int[all.Count];
        var list = new List<Recorded>(tickets.Length * 2);
        var advance = new List<(byte[], bool, uint, uint)>(_advance);
        foreach (int ti in tickets)
        {
            var (f, segs) = all[ti];
            var s = segs[next[ti]++];
            byte[]? last = null;
            for (int step = 0; step < f.Legs.Length; step++)
            {
                int leg = f.LegAt(s, step);
                var p = f.Build(s, leg, 0);
                // A forwarded packet crosses pf twice unchanged (translation happens after the test): one buffer for both.
                if (last is not null && p.AsSpan().SequenceEqual(last)) p = last;
                var want = f.Expected(s, leg);
                time += 1e-5;
                var dir = f.DirOf(s, leg);
                var v = fw.Test(p, f.Legs[leg].If, dir, time);
                if (v.StateUse != want || (f.Kind != FlowKind.Probe && !v.Passed))
                    _surprises.Add($"{f.Origin}: {(s.FromClient ? "client" : "server")} {ProtoName(f.Proto)} {s.Flags} {dir} on {f.Legs[leg].If}: {(v.Passed ? "pass" : "block")} state {v.StateUse} by @{v.RuleNumber}, expected state {want} (it was as expected with the flow alone)");
                f.Learn(s, leg, v);
                list.Add(new Recorded(p, new Leg(f.Legs[leg].If, dir), v.StateUse, v.Passed));
                var (ds, da) = f.StepPerRound(s);
                if (ReferenceEquals(segs, f.Round) && f.Kind != FlowKind.Probe && (ds | da) != 0 && !ReferenceEquals(p, last))
                    advance.Add((p, f.Proto == IpProto.Tcp, ds, da));
                last = p;
            }
        }
        _advance = [.. advance];
        return list;
    }

    /// <summary>The round as the benchmark loop reads it: packets, interface ids, directions.</summary>
    public byte[][] RoundBytes = [];
    public int[] RoundIfs = [];
    public Direction[] RoundDirs = [];

    /// <summary>Resolves the interface names for this firewall (ids are per firewall).</summary>
    public void Bind(Firewall fw)
    {
        foreach (var r in Opening) r.If = fw.InterfaceId(r.Leg.If);
        foreach (var r in Round) r.If = fw.InterfaceId(r.Leg.If);
        RoundBytes = [.. Round.Select(r => r.Packet)];
        RoundIfs = [.. Round.Select(r => r.If)];
        RoundDirs = [.. Round.Select(r => r.Leg.Dir)];
    }

    /// <summary>Plays the opening and round 0 on <paramref name="fw"/>, checking it does what the recording firewall did.</summary>
    public void Open(Firewall fw, ref double time)
    {
        foreach (var part in new[] { Opening, Round })
            for (int i = 0; i < part.Length; i++)
            {
                time += 1e-5;
                var v = fw.Test(part[i].Packet, part[i].If, part[i].Leg.Dir, time);
                if (v.StateUse != part[i].Use || v.Passed != part[i].Passed)
                    throw new InvalidOperationException($"{(part == Opening ? "opening" : "round")} packet {i}: state {v.StateUse}, {(v.Passed ? "pass" : "block")} where the recording firewall had {part[i].Use}, {(part[i].Passed ? "pass" : "block")}");
            }
    }

    /// <summary>Moves the round forward: every TCP segment's sequence and acknowledgment numbers by what each side sends
    /// per round, every echo's sequence number by the echoes per round, checksums fixed (RFC 1624).</summary>
    public void Advance()
    {
        foreach (var (p, tcp, ds, da) in _advance)
        {
            int off = p[0] >> 4 == 4 ? (p[0] & 15) * 4 : 40;
            if (tcp)
            {
                Add32(p, off + 4, ds, off + 16);
                Add32(p, off + 8, da, off + 16);
            }
            else Add16(p, off + 6, (ushort)ds, off + 2);
        }
    }

    private static void Add32(byte[] p, int at, uint delta, int sumAt)
    {
        uint old = BinaryPrimitives.ReadUInt32BigEndian(p.AsSpan(at)), now = old + delta;
        BinaryPrimitives.WriteUInt32BigEndian(p.AsSpan(at), now);
        FixSum(p, sumAt, (ushort)(old >> 16), (ushort)(now >> 16));
        FixSum(p, sumAt, (ushort)old, (ushort)now);
    }

    private static void Add16(byte[] p, int at, ushort delta, int sumAt)
    {
        ushort old = BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(at)), now = (ushort)(old + delta);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(at), now);
        FixSum(p, sumAt, old, now);
    }

    // HC' = ~(~HC + ~m + m'), RFC 1624 eqn. 3.
    private static void FixSum(byte[] p, int sumAt, ushort oldWord, ushort newWord)
    {
        uint sum = (uint)(ushort)~BinaryPrimitives.ReadUInt16BigEndian(p.AsSpan(sumAt)) + (ushort)~oldWord + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(sumAt), (ushort)~sum);
    }

    /// <summary>What the trace holds and, when <paramref name="round"/> is given (a round's verdicts on a warmed-up
    /// firewall), what its packets got.</summary>
    public string Describe(IReadOnlyList<Verdict>? round = null, int states = -1)
    {
        int Count(FlowKind k) => _flows.Count(f => f.Kind == k);
        var s = new System.Text.StringBuilder();
        s.Append($"{_flows.Count} flows from {_templates} of {_ruleTemplates} rule/family/protocol templates ({Count(FlowKind.TcpLong)} long TCP, {Count(FlowKind.TcpShort)} whole short TCP, " +
                 $"{Count(FlowKind.Udp)} UDP request/response, {Count(FlowKind.UdpOnce)} one-shot UDP, {Count(FlowKind.Echo)} ICMP echo; " +
                 $"{_flows.Count(f => f.Legs.Length > 1)} forwarded through two interfaces, {_flows.Count(f => f.Translated)} translated). ");
        s.Append($"Opening {Opening.Length} packets: {Opening.Count(r => r.Use == StateUse.New)} new states, {Opening.Count(r => r.Use == StateUse.Match)} state hits, {Opening.Count(r => r.Use == StateUse.None)} by rules. ");
        if (round is not null)
        {
            int hits = round.Count(v => v.StateUse == StateUse.Match), created = round.Count(v => v.StateUse == StateUse.New), rules = round.Count - hits - created;
            s.Append($"Each round {round.Count} packets: {hits} state hits ({100.0 * hits / round.Count:0.0}%), {rules} by rules ({round.Count(v => v.StateUse == StateUse.None && !v.Passed)} blocked, " +
                     $"{round.Count(v => v.StateUse == StateUse.None && v.Passed)} passed without state), {created} new states; {round.Count(v => v.Passed)} passed; " +
                     $"{RoundBytes.Distinct().Count()} distinct packets, {states} states in the table.");
        }
        if (_dropped.Count > 0) s.Append($" Dropped: {_dropped.Count} candidate flows (their packets did not all pass on state).");
        if (_surprises.Count > 0) s.Append($" NOT AS ALONE: {_surprises.Count} packets did otherwise interleaved than alone, first: {_surprises[0]}");
        return s.ToString();
    }

    /// <summary>Why flows were dropped and what surprised (for <c>flows</c>).</summary>
    public IEnumerable<string> Details() => _dropped.Select(d => "dropped " + d).Concat(_surprises.Select(x => "surprise " + x));
}
