using PfSim.Captures;
using PfSim.Engine;
using PfSim.Rules;
using PfSim.Syntax;

namespace PfSim.Tests.Captures;

/// <summary>Replaying pflog captures: interface and direction from the header, one packet logged by several rules.</summary>
public class ReplayPflogTests
{
    private static Firewall Firewall(string conf)
    {
        var r = PfConfLoader.LoadText(conf, "t.conf", new LoadOptions { Dialect = Dialect.OpenBsd });
        Assert.True(r.Success, string.Join("\n", r.Errors));
        return new Firewall(r.Config!);
    }

    private static byte[] Pflog(params (long Ns, byte Action, uint Rule, string If, Direction Dir)[] records)
    {
        var ms = new MemoryStream();
        using (var w = new PflogWriter(ms, leaveOpen: true))
            foreach (var x in records) w.Write(x.Ns, PflogTests.Sample(x.Rule, x.If, x.Dir, x.Action), PflogTests.EchoRequest);
        return ms.ToArray();
    }

    private static (List<ReplaySeedTests.Seen> Seen, Replayer Replayer, List<(string If, Direction Dir, bool Same)> Where) Replay(Firewall fw, byte[] file)
    {
        var seen = new WhereCollector();
        var replayer = new Replayer(fw, new ReplayOptions(), seen);
        using var reader = new CaptureReader(new MemoryStream(file), "pflog0.pcap");
        Assert.True(replayer.Run(reader));
        return (seen.Inner.Packets, replayer, seen.Where);
    }

    private sealed class WhereCollector : IReplayObserver
    {
        public ReplaySeedTests.Collector Inner { get; } = new();
        public List<(string, Direction, bool)> Where { get; } = [];
        public void OnPacket(in ReplayedPacket p)
        {
            Inner.OnPacket(p);
            Where.Add((p.Interface, p.Dir, p.SameAsPrevious));
        }
    }

    [Fact]
    public void InterfaceAndDirection_ComeFromEachRecordsHeader()
    {
        var fw = Firewall("block in on em0 proto icmp\npass out on em1 proto icmp\n");
        var file = Pflog((1_000_000_000, 1, 0, "em0", Direction.In), (2_000_000_000, 0, 1, "em1", Direction.Out));
        var (seen, replayer, where) = Replay(fw, file);
        Assert.Equal([("em0", Direction.In, false), ("em1", Direction.Out, false)], where);
        Assert.Equal((RuleAction.Block, 0), (seen[0].Action, seen[0].Rule));
        Assert.Equal((RuleAction.Pass, 1), (seen[1].Action, seen[1].Rule));
        Assert.Equal((2, 2), (replayer.Stats.Compared, replayer.Stats.Agreed));
    }

    [Fact]
    public void OnePacketLoggedByTwoRules_IsEvaluatedOnce()
    {
        // pf logs a packet once per logging rule (a match rule with log, then the deciding rule): two records, one packet.
        var fw = Firewall("pass in log on em0 proto icmp keep state\n");
        var file = Pflog((1_000_000_000, 12, 0, "em0", Direction.In), (1_000_000_004, 0, 0, "em0", Direction.In),
                         (3_000_000_000, 0, 0, "em0", Direction.In));
        var (seen, replayer, where) = Replay(fw, file);
        Assert.Equal([false, true, false], where.Select(w => w.Same));
        // Evaluated twice, the copy would have matched the state the first one made.
        Assert.Equal([StateUse.New, StateUse.New, StateUse.Match], seen.Select(s => s.State));
        Assert.Equal(2, replayer.Stats.Packets);
        Assert.Equal(1, replayer.Stats.SameAsPrevious);
        Assert.Equal(1, replayer.Stats.StatesCreated);
    }
}
