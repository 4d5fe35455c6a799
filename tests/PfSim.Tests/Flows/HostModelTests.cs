using PfSim.Flows;

namespace PfSim.Tests.Flows;

/// <summary>The host models send what the real tools send: fields compared with the peer's real Linux captures
/// (generated/, traceroute 2.1.2, iputils 20221126) through the same namespace topology.</summary>
public class HostModelTests
{
    private static readonly Lab Lab = LabFile.Parse(LabYaml.PeerTopology, "peer.yaml");

    private static RunOutcome Run(int runIndex) => new LabRunner(Lab).Run(Lab.Rulesets[0], Lab.Runs[runIndex]);

    /// <summary>Packets as the client's interface sees them: what it sent and what was delivered to it.</summary>
    private static List<byte[]> AtClient(RunOutcome o) => o.Simulation.Steps
        .Where(s => s.Node.Name == "client" && s.Kind is StepKind.Transmitted or StepKind.Delivered)
        .Select(s => s.Bytes).ToList();

    private static List<byte[]> Real(string scenario) =>
        PcapFile.ReadIpv4(Peer.Path_("captures", "generated", scenario + ".client.pcap")).Select(p => p.Ip).ToList();

    private static string Summary(byte[] p)
    {
        var v = new Ip4View(p);
        var s = $"len={v.TotalLength} ttl={v.Ttl} tos={v.Tos:x2} df={v.DontFragment} proto={v.Proto} {v.Src}>{v.Dst}";
        if (v.Proto == 1) s += $" icmp={v.IcmpType}/{v.IcmpCode}";
        if (v.Proto is 6 or 17) s += $" dport={(v.Src.ToString() == "10.99.1.2" ? v.DstPort : v.SrcPort)}";
        if (v.IsIcmpError) s += $" quoted={v.Quoted.Length}";
        return s;
    }

    [PeerFact]
    public void LinuxTracerouteUdp_SendsWhatTheRealOneSends()
    {
        var sim = AtClient(Run(1));
        var real = Real("traceroute-udp-v4");
        Assert.Equal(real.Count, sim.Count); // 16 probes in flight (TTL 1..6) and their 16 answers
        var realProbes = real.Where(p => p[9] == 17).ToList();
        var simProbes = sim.Where(p => p[9] == 17).ToList();
        Assert.Equal(realProbes.Select(p => (int)p[8]), simProbes.Select(p => (int)p[8]));
        Assert.Equal(realProbes.Select(p => new Ip4View(p).DstPort), simProbes.Select(p => new Ip4View(p).DstPort));
        Assert.Equal(realProbes[0].AsSpan(28).ToArray(), simProbes[0].AsSpan(28).ToArray()); // payload 0x40 0x41 …
        // answers: time exceeded from router1 (ttl 64) and router2 (ttl 63), port unreachable from the server
        // (ttl 62), Linux style: tos 0xc0, the whole probe quoted.
        var realAnswers = real.Where(p => p[9] == 1).Select(Summary).OrderBy(x => x).ToList();
        var simAnswers = sim.Where(p => p[9] == 1).Select(Summary).OrderBy(x => x).ToList();
        Assert.Equal(realAnswers, simAnswers);
    }

    [PeerFact]
    public void LinuxTracerouteUdp_PrintsTheRealOutput_ExceptTimes()
    {
        var o = Run(1);
        var real = File.ReadAllLines(Peer.Path_("captures", "generated", "traceroute-udp-v4.cmd-output.txt"))
            .Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(MaskTimes(real), MaskTimes(o.Output));
        Assert.Equal(["10.99.1.1", "10.99.2.2", "10.99.3.2"], o.Hops);
        Assert.True(o.Reached);
    }

    private static List<string> MaskTimes(IEnumerable<string> lines) =>
        lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"\d+\.\d+ ms", "T ms")).ToList();

    [PeerFact]
    public void LinuxPing_EchoRequestsAndReplies_MatchTheRealCapture()
    {
        var sim = AtClient(Run(0));
        var real = Real("ping-v4");
        Assert.Equal(real.Select(Summary), sim.Select(Summary));
        var req = new Ip4View(sim[0]);
        Assert.Equal(1, req.IcmpSeq);
        Assert.Equal(real[0].AsSpan(44).ToArray(), sim[0].AsSpan(44).ToArray()); // bytes 0x10.. after the 16-byte timestamp
    }

    [PeerFact]
    public void LinuxPing_PrintsTheRealOutput_ExceptTimes()
    {
        var real = File.ReadAllLines(Peer.Path_("captures", "generated", "ping-v4.cmd-output.txt")).Where(l => !l.StartsWith('#')).ToList();
        var sim = Run(0).Output.ToList();
        Assert.Equal(Mask(real).Take(6), Mask(sim).Take(6));
        static IEnumerable<string> Mask(IEnumerable<string> ls) => ls.Select(l => System.Text.RegularExpressions.Regex.Replace(l, @"time[= ][\d.]+ ?ms|= [\d./]+ ms", "T"));
    }

    [PeerFact]
    public void LinuxTracerouteIcmp_EchoIdsSeqsAndPayload_MatchTheRealCapture()
    {
        var sim = AtClient(Run(2));
        var real = Real("traceroute-icmp-v4");
        // How many probes go beyond the last hop depends on timing (the real run sent 22); the kinds of packets do not.
        Assert.Equal(Kinds(real), Kinds(sim));
        var probes = sim.Where(p => new Ip4View(p).IcmpType == 8).ToList();
        Assert.Equal(Enumerable.Range(1, probes.Count).Select(i => (int)(ushort)i), probes.Select(p => (int)new Ip4View(p).IcmpSeq));
        Assert.Single(probes.Select(p => new Ip4View(p).IcmpId).Distinct());
        Assert.Equal(real[0].AsSpan(28).ToArray(), probes[0].AsSpan(28).ToArray()); // "HIJK…"
    }

    [PeerFact]
    public void LinuxTracerouteTcp_SynToPort80_GetsRstAtTheLastHop()
    {
        var o = Run(3);
        var sim = AtClient(o);
        var real = Real("traceroute-tcp-v4");
        Assert.Equal(Kinds(real), Kinds(sim));
        var syn = new Ip4View(sim[0]);
        Assert.Equal(Wire.TcpSyn, syn.TcpFlags);
        Assert.Equal(real[0].AsSpan(20 + 12, 8).ToArray()[2..4], sim[0].AsSpan(20 + 12, 8).ToArray()[2..4]); // flags byte and window 5840
        Assert.Equal(real[0].AsSpan(40, 6).ToArray(), sim[0].AsSpan(40, 6).ToArray()); // mss 1460, sackOK
        Assert.True(o.Reached);
    }

    /// <summary>Distinct packet kinds, probes beyond the 3-hop path left out (their number depends on timing).</summary>
    private static IEnumerable<string> Kinds(List<byte[]> ps) =>
        ps.Where(p => !(p[12] == 10 && p[13] == 99 && p[14] == 1 && p[8] > 3)).Select(Summary).Distinct().Order();

    [Fact]
    public void LinuxTracerouteTcp_ToAListeningPort_GetsSynAck()
    {
        var o = Run(4);
        Assert.True(o.Reached);
        Assert.Contains(o.Tool.Probes, p => p.Answer == AnswerKind.TcpSynAck);
    }
}
