using PfSim.Flows;

namespace PfSim.Tests.Flows;

/// <summary>The BSD and Windows tool models: the fields their sources and manuals give.</summary>
public class ToolModelTests
{
    private static RunOutcome Run(string os, string tool, string? extra = null)
    {
        var lab = LabFile.Parse($$"""
            hosts:
              a: { os: {{os}}, interfaces: { eth0: 10.0.0.1/24 } }
              b: { os: linux, interfaces: { eth0: 10.0.0.2/24 }{{extra}} }
            runs:
              - { tool: {{tool}}, from: a, to: b }
            """, "t.yaml");
        return new LabRunner(lab).Run(lab.Rulesets[0], lab.Runs[0]);
    }

    private static List<Ip4ViewData> Probes(RunOutcome o) =>
        o.Tool.Probes.Select(p => new Ip4ViewData(o.Simulation.Packets[p.Packet - 1].Bytes)).ToList();

    /// <summary>Plain fields of a packet (Ip4View is a ref struct).</summary>
    internal sealed record Ip4ViewData(byte[] Bytes)
    {
        public int Length => new Ip4View(Bytes).TotalLength;
        public int Ttl => new Ip4View(Bytes).Ttl;
        public ushort Id => new Ip4View(Bytes).Id;
        public ushort SrcPort => new Ip4View(Bytes).SrcPort;
        public ushort DstPort => new Ip4View(Bytes).DstPort;
        public bool Df => new Ip4View(Bytes).DontFragment;
    }

    [Fact]
    public void FreeBsdTraceroute_PortsAreIdentAndThirtyThreeFourThirtyFivePlusSeq()
    {
        // FreeBSD traceroute.c: ident = (getpid() & 0xffff) | 0x8000; udp_prep: sport = ident, dport = port + seq
        // with seq counted from 1; send_probe: ip_id = ident + seq; packlen 40; max_ttl = net.inet.ip.ttl (64).
        var o = Run("freebsd", "traceroute");
        var ps = Probes(o);
        Assert.Equal(33435, ps[0].DstPort);
        Assert.Equal(33436, ps[1].DstPort);
        Assert.Single(ps.Select(p => p.SrcPort).Distinct());
        Assert.True((ps[0].SrcPort & 0x8000) != 0);
        Assert.Equal((ushort)(ps[0].SrcPort + 1), ps[0].Id);
        Assert.All(ps, p => Assert.Equal(40, p.Length));
        Assert.Equal("traceroute to 10.0.0.2 (10.0.0.2), 64 hops max, 40 byte packets", o.Output[0]);
        Assert.Equal(3, ps.Count); // one hop, three probes, one at a time
        Assert.Matches(@"^ 1  10\.0\.0\.2  \d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms$", o.Output[1]);
    }

    [PeerFact]
    public void WindowsTracert_IcmpEcho92Bytes_ThreePerHop_OneAtATime_LikeTheTracertLikeCapture()
    {
        // generated/tracert-like-v4 emulates tracert: traceroute -I -N 1 -q 3 … 92 (92-byte packets, one at a time).
        var real = PcapFile.ReadIpv4(Peer.Path_("captures", "generated", "tracert-like-v4.client.pcap")).Select(p => p.Ip).ToList();
        var realProbes = real.Where(p => p[9] == 1 && p[20] == 8).ToList();
        var o = Run("windows", "tracert");
        var ps = Probes(o);
        Assert.Equal(realProbes[0].Length, ps[0].Bytes.Length); // 92
        Assert.All(ps, p => Assert.Equal(1, p.Ttl));
        Assert.Equal(3, ps.Count);
        // one at a time: each probe leaves after the previous one's answer arrived
        for (int i = 1; i < o.Tool.Probes.Count; i++) Assert.True(o.Tool.Probes[i].SentAt >= o.Tool.Probes[i - 1].ReceivedAt);
        Assert.Equal("  1    <1 ms    <1 ms    <1 ms  10.0.0.2", o.Output[3]);
        Assert.Equal("Trace complete.", o.Output[^1]);
    }

    [Fact]
    public void WindowsPing_ThirtyTwoLetters_Ttl128_FourRequests()
    {
        var o = Run("windows", "ping");
        var ps = Probes(o);
        Assert.Equal(4, ps.Count);
        Assert.All(ps, p => Assert.Equal(128, p.Ttl));
        Assert.Equal(60, ps[0].Length);
        Assert.Equal("abcdefghijklmnopqrstuvwabcdefghi"u8.ToArray(), ps[0].Bytes[28..]);
        Assert.Equal("Pinging 10.0.0.2 with 32 bytes of data:", o.Output[1]);
        Assert.Equal("Reply from 10.0.0.2: bytes=32 time<1ms TTL=64", o.Output[2]);
        Assert.Contains("    Packets: Sent = 4, Received = 4, Lost = 0 (0% loss),", o.Output);
    }

    [Fact]
    public void WindowsTracert_SilentHop_PrintsRequestTimedOut()
    {
        // b is not a router: a packet for another address dies there, so every probe of every hop times out
        var lab = LabFile.Parse("""
            hosts:
              a: { os: windows, interfaces: { eth0: 10.0.0.1/24 }, gateway: 10.0.0.2 }
              b: { os: linux, interfaces: { eth0: 10.0.0.2/24 } }
            runs:
              - { tool: tracert, from: a, to: 10.9.9.9, max-hops: 2 }
            """, "t.yaml");
        var o = new LabRunner(lab).Run(lab.Rulesets[0], lab.Runs[0]);
        Assert.Equal("  1     *        *        *     Request timed out.", o.Output[3]);
        Assert.False(o.Reached);
    }

    [Fact]
    public void LinuxPing_NoAnswer_PrintsTheIputilsLossLine()
    {
        var lab = LabFile.Parse("""
            hosts:
              a: { os: linux, interfaces: { eth0: 10.0.0.1/24 } }
            runs:
              - { tool: ping, from: a, to: 10.0.0.9, count: 2 }
            """, "t.yaml");
        var o = new LabRunner(lab).Run(lab.Rulesets[0], lab.Runs[0]);
        Assert.Contains("2 packets transmitted, 0 received, 100% packet loss, time 1001ms", o.Output);
        Assert.Contains(o.Simulation.Steps, s => s.Kind == StepKind.Dropped && s.Note!.Contains("ARP"));
    }
}
