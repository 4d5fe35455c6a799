using FsCheck;
using FsCheck.Fluent;
using PfSim.Rules;
using PfSim.Testing;

namespace PfSim.Tests.Testing;

/// <summary>Each assertion of PfSim.Testing passes on a right ruleset and fails, with the expected witness, on a wrong one.</summary>
public class AssertionTests
{
    private static RulesetUnderTest Seed(string name) =>
        RulesetUnderTest.Load(Peer.Captures("labs", "seed", name), Dialect.FreeBsd);

    private static TestPacket Echo(string from) => new()
    {
        Interface = "bge0", Source = Address.Parse(from), Destination = Address.Parse("192.168.50.1"),
        Protocol = 1, IcmpType = 8, IcmpId = 1, TcpFlags = 0,
    };

    [Fact]
    public void Passes_AndBlocks_OnePacket_ExplainTheVerdictOnFailure()
    {
        var c = Seed("C.conf");
        PfAssert.Passes(c, Echo("192.168.40.1"));
        PfAssert.Blocks(c, Echo("192.168.100.1"));
        var e = Assert.Throws<RulesetAssertionException>(() => PfAssert.Passes(c, Echo("192.168.100.1")));
        Assert.Contains("in on bge0 inet proto icmp from 192.168.100.1 to 192.168.50.1 icmp-type 8", e.Message);
        Assert.Contains("block by rule @0", e.Message);
        Assert.Contains("is not in 192.168.40.0/24", e.Message);
    }

    [Fact]
    public void PassesForASet_IsExact_AndNamesTheWitnessOfTheWrongRuleset()
    {
        const string sel = "in on bge0 proto icmp from 192.168.40.0/24 to 192.168.50.1 icmp-type echoreq code 0";
        PfAssert.Passes(Seed("C.conf").Packets(sel));
        var e = Assert.Throws<RulesetAssertionException>(() => PfAssert.Passes(Seed("B.conf").Packets(sel)));
        Assert.Contains("blocked by @0", e.Message);
        Assert.Contains("region:  in on bge0 inet proto icmp from 192.168.40.0/24 to 192.168.50.1 icmp-type 8 code 0", e.Message);
        Assert.Contains("witness: in on bge0 inet proto icmp from 192.168.40.1 to 192.168.50.1", e.Message);
    }

    [Fact]
    public void AllowsOnly_ReportsBothDirectionsOfError()
    {
        const string domain = "in on bge0 proto icmp from any to 192.168.50.1 icmp-type echoreq code 0";
        const string allowed = "from { 192.168.40.0/24 192.168.50.1 }";
        var c = Seed("C.conf");
        PfAssert.AllowsOnly(c.Packets(domain), c.Packets(allowed));
        var b = Seed("B.conf");
        var e = Assert.Throws<RulesetAssertionException>(() => PfAssert.AllowsOnly(b.Packets(domain), b.Packets(allowed)));
        Assert.Contains("allowed, but blocked by @0", e.Message);
        Assert.Contains("from 192.168.40.1 to 192.168.50.1", e.Message);
        Assert.Contains("not allowed, but passed by @1", e.Message);
        Assert.Contains("from 192.168.100.1 to 192.168.50.1", e.Message);
    }

    private const string Db = "table <db> { 10.0.0.5 }\n";

    [Fact]
    public void NothingReaches_ATable_FromOutside()
    {
        var right = RulesetUnderTest.FromText(Db + "pass all\nblock in quick on em0 from any to <db>\n", Dialect.OpenBsd);
        PfAssert.NothingReaches(right, "db", "em0");
        var wrong = RulesetUnderTest.FromText(Db + "block in on em0 from any to <db>\npass in on em0 proto tcp to port 5432\n", Dialect.OpenBsd);
        var e = Assert.Throws<RulesetAssertionException>(() => PfAssert.NothingReaches(wrong, "db", "em0"));
        Assert.Contains("reach <db>", e.Message);
        Assert.Contains("to 10.0.0.5 port 5432 flags S", e.Message);
        Assert.Contains("by @1", e.Message);
    }

    [Fact]
    public void PassesBothWays_FollowsStateThroughTheWholeConnection()
    {
        var flow = new Flow(FlowKind.Tcp, Address.Parse("192.0.2.7"), Address.Parse("10.0.0.5"), 40000, 22, FlowPath.Host("em0"));
        var right = RulesetUnderTest.FromText("block all\npass in on em0 proto tcp to port 22\n", Dialect.OpenBsd);
        Assert.Equal(8, PfAssert.PassesBothWays(right, flow).Packets.Count);
        var wrong = RulesetUnderTest.FromText("block all\npass in on em0 proto tcp to port 22 no state\n", Dialect.OpenBsd);
        var e = Assert.Throws<RulesetAssertionException>(() => PfAssert.PassesBothWays(wrong, flow));
        // The SYN passes; the SYN-ACK going out finds no state and is blocked by @0.
        Assert.Contains("packet 2 was blocked", e.Message);
        Assert.Contains("out on em0 inet proto tcp from 10.0.0.5 port 22 to 192.0.2.7 port 40000 flags SA", e.Message);
        Assert.Contains("block by rule @0", e.Message);
    }

    [Fact]
    public void Properties_ShrinkToAPlainWitness_AndExplainIt()
    {
        var c = Seed("C.conf");
        PfProperties.AllBlocked(c.Packets("in on bge0 proto icmp from 192.168.100.0/24 to any icmp-type echoreq"))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true));
        var e = Assert.ThrowsAny<Exception>(() => PfProperties.AllBlocked(c.Packets("in on bge0 proto tcp from any to any port 23"))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(100).WithQuietOnSuccess(true)));
        Assert.Contains("Shrunk:", e.Message);
        // The shrinker moves the source port to 49152 and keeps the port that matters.
        Assert.Contains("port 49152 to", e.Message);
        Assert.Contains("port 23 flags S", e.Message);
        Assert.Contains("pass by the default rule", e.Message);
    }

    [Fact]
    public void Generators_DrawFromTheRulesetsValues()
    {
        var c = Seed("C.conf");
        var sample = Gen.Sample(PfGen.Packets(c.Config), 400).ToList();
        Assert.Contains(sample, p => p.Source.InNetwork(Address.Parse("192.168.40.0"), 24));
        Assert.Contains(sample, p => p.Interface == "bge0");
        // …and from everything else: addresses far from the ruleset's, high ports.
        Assert.Contains(sample, p => p.Source.IsV4 && !p.Source.InNetwork(Address.Parse("192.168.0.0"), 16) && p.Source.V4Value > 0x01000000);
        Assert.Contains(sample, p => p.DestinationPort > 1024 && p.DestinationPort != 49152 && p.DestinationPort != 65535 && p.DestinationPort != 33434 && p.DestinationPort != 3389);
    }
}
