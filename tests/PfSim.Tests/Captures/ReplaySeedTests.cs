using PfSim.Captures;
using PfSim.Engine;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Tests.Captures;

/// <summary>
/// The real Linux ping/traceroute captures (../shared/peer/captures/generated, taken on the server s0 = 10.99.3.2)
/// replayed through the seed's rulesets rewritten for their addresses give the outcomes docs/seed-scenario.md predicts.
/// </summary>
public class ReplaySeedTests
{
    // The seed's rulesets with the lab's addresses: the client network 10.99.1.0/24 plays 192.168.40.0/24
    // (Ubuntu), 10.99.100.0/24 plays 192.168.100.0/24 (Windows), the server 10.99.3.2 plays 192.168.50.1.
    private const string RulesetA = """
        ext_if = "s0"
        block on $ext_if inet proto icmp all
        pass on $ext_if inet proto icmp from 10.99.100.0/24 icmp-type 8 code 0 keep state
        """;
    private const string RulesetC = """
        ext_if = "s0"
        test_nets = "{ 10.99.1.0/24, 10.99.3.2 }"
        block on $ext_if inet proto icmp all
        pass on $ext_if inet proto icmp from $test_nets icmp-type 8 code 0 keep state
        """;
    private const string RulesetD = """
        ext_if = "s0"
        allow_nets = "{ 127.0.0.0/8 }"
        test_nets = "{ 10.99.1.0/24, 10.99.3.2 }"
        block in log on $ext_if inet proto icmp all
        block out log on $ext_if inet proto icmp all
        pass in log on $ext_if inet proto icmp from $test_nets keep state
        pass out log on $ext_if inet proto icmp to $test_nets
        """;

    internal sealed record Seen(long Index, string What, RuleAction Action, int Rule, StateUse State, bool Log);

    internal sealed class Collector : IReplayObserver
    {
        public List<Seen> Packets { get; } = [];
        public void OnPacket(in ReplayedPacket p) =>
            Packets.Add(new Seen(p.Index, PacketText.Describe(p.Ip), p.Verdict.Action, p.Verdict.RuleNumber, p.Verdict.StateUse, p.Verdict.Log));
    }

    internal static PfConfig Load(string text)
    {
        var r = PfConfLoader.LoadText(text + "\n", "seed.conf", new LoadOptions { Dialect = Dialect.FreeBsd });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return r.Config!;
    }

    private static (List<Seen> Packets, Replayer Replayer) Replay(string ruleset, string capture)
    {
        var fw = new Firewall(Load(ruleset), new FirewallOptions { Dialect = Dialect.FreeBsd });
        var seen = new Collector();
        var replayer = new Replayer(fw, new ReplayOptions { Interface = "s0", Local = [(Address.Parse("10.99.3.2"), 32)] }, seen);
        using var reader = CaptureReader.Open(Peer.Path_("captures", "generated", capture));
        Assert.True(replayer.Run(reader));
        return (seen.Packets, replayer);
    }

    private static List<Seen> Of(List<Seen> all, string what) => all.Where(s => s.What.Contains(what, StringComparison.Ordinal)).ToList();

    [PeerFact]
    public void RulesetC_Ping_RequestsCreateStateAndRepliesPassByIt()
    {
        var (all, _) = Replay(RulesetC, "ping-v4.server.pcap");
        var requests = Of(all, "echo request");
        var replies = Of(all, "echo reply");
        Assert.Equal(3, requests.Count);
        Assert.Equal(3, replies.Count);
        // The first request creates the state (pf keys ICMP echo states on the id); the others match it.
        Assert.Equal((RuleAction.Pass, 1, StateUse.New), (requests[0].Action, requests[0].Rule, requests[0].State));
        Assert.All(requests.Skip(1), r => Assert.Equal((RuleAction.Pass, 1), (r.Action, r.Rule)));
        Assert.All(replies, r => Assert.Equal((RuleAction.Pass, StateUse.Match, 1), (r.Action, r.State, r.Rule)));
    }

    [PeerFact]
    public void RulesetC_TracerouteI_IsAnsweredThroughTheEchoState()
    {
        var (all, _) = Replay(RulesetC, "traceroute-icmp-v4.server.pcap");
        var replies = Of(all, "echo reply");
        Assert.NotEmpty(replies);
        Assert.All(Of(all, "echo request"), r => Assert.Equal(RuleAction.Pass, r.Action));
        Assert.All(replies, r => Assert.Equal((RuleAction.Pass, StateUse.Match), (r.Action, r.State)));
    }

    [PeerFact]
    public void RulesetC_UdpTraceroute_ProbesPassByDefault_PortUnreachablesBlockedByRule0()
    {
        var (all, replayer) = Replay(RulesetC, "traceroute-udp-v4.server.pcap");
        var probes = Of(all, ": UDP,");
        var unreach = Of(all, "port");
        Assert.NotEmpty(probes);
        Assert.Equal(probes.Count, unreach.Count);
        // No rule names UDP: the default rule passes the probes and creates no state…
        Assert.All(probes, p => Assert.Equal((RuleAction.Pass, -1, StateUse.None), (p.Action, p.Rule, p.State)));
        // …so the ICMP errors quoting them find no state and the ruleset blocks them: traceroute sees * * *.
        Assert.All(unreach, u => Assert.Equal((RuleAction.Block, 0, StateUse.None), (u.Action, u.Rule, u.State)));
        Assert.Equal(0, replayer.Firewall.States.Count);
    }

    [PeerFact]
    public void RulesetD_UdpTraceroute_PortUnreachablesPassOutByRule4()
    {
        var (all, _) = Replay(RulesetD, "traceroute-udp-v4.server.pcap");
        var unreach = Of(all, "port");
        Assert.NotEmpty(unreach);
        // $test_nets expands each pass rule in two: @2/@3 pass in from each net, @4/@5 pass out to each; @4 is 10.99.1.0/24.
        Assert.All(unreach, u => Assert.Equal((RuleAction.Pass, 4, StateUse.None, true), (u.Action, u.Rule, u.State, u.Log)));
        Assert.All(Of(all, ": UDP,"), p => Assert.Equal((RuleAction.Pass, -1), (p.Action, p.Rule)));
    }

    [PeerFact]
    public void RulesetD_TracertLike_EchoFromTheTestNetPassesInWithState()
    {
        var (all, _) = Replay(RulesetD, "tracert-like-v4.server.pcap");
        var requests = Of(all, "echo request");
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.Equal((RuleAction.Pass, 2), (r.Action, r.Rule)));
        Assert.All(Of(all, "echo reply"), r => Assert.Equal((RuleAction.Pass, StateUse.Match), (r.Action, r.State)));
    }

    [PeerFact]
    public void RulesetA_PingFromOutsideTheAllowedNet_IsBlockedByRule0()
    {
        var (all, _) = Replay(RulesetA, "ping-v4.server.pcap");
        Assert.All(Of(all, "echo request"), r => Assert.Equal((RuleAction.Block, 0), (r.Action, r.Rule)));
        Assert.All(Of(all, "echo reply"), r => Assert.Equal((RuleAction.Block, 0, StateUse.None), (r.Action, r.Rule, r.State)));
    }

    [PeerFact]
    public void ArpFrames_AreNotFiltered_AndCountedAsNotIp()
    {
        var (_, replayer) = Replay(RulesetC, "traceroute-icmp-v4.server.pcap");
        Assert.True(replayer.Stats.NotIp >= 4);
        Assert.Equal(replayer.Stats.Records, replayer.Stats.Packets + replayer.Stats.NotIp);
    }
}
