using FsCheck;
using FsCheck.Fluent;
using PfSim;
using PfSim.Rules;
using PfSim.Testing;

namespace Examples;

/// <summary>
/// What the seed scenario's administrators promised about their FreeBSD server 192.168.50.1 (ruleset D,
/// loaded as the lab loads it: external interface bge0), written as tests they could run before every change.
/// </summary>
public class SeedServerTests
{
    private static readonly string Seed = Path.Combine(FindRepo(), "captures", "labs", "seed");

    // Ruleset D names bfe0; the server's NIC is bge0 (the lab loads it with -D ext_if=bge0).
    private static readonly RulesetUnderTest D = RulesetUnderTest.FromText(
        File.ReadAllText(Path.Combine(Seed, "D.conf")).Replace("ext_if = \"bfe0\"", "ext_if = \"bge0\""), Dialect.FreeBsd);

    [Fact]
    public void PingsFromTheLaptopsNetwork_AreAnsweredBothWays()
    {
        var flow = new Flow(FlowKind.Ping, Address.Parse("192.168.40.1"), Address.Parse("192.168.50.1"), 0, 0, FlowPath.Host("bge0"));
        PfAssert.PassesBothWays(D, flow);
    }

    [Fact]
    public void OnlyTheTestNetworks_MayPingTheServer()
    {
        // Exact: every echo request arriving on bge0, not a sample.
        PfAssert.AllowsOnly(
            D.Packets("in on bge0 proto icmp to 192.168.50.1 icmp-type echoreq"),
            D.Packets("from $test_nets"));
    }

    [Fact]
    public void PortUnreachablesGoBackToTheTestNetworks_SoUdpTracerouteWorks()
    {
        PfAssert.Passes(D.Packets("out on bge0 proto icmp from 192.168.50.1 to 192.168.40.0/24 icmp-type unreach code port-unr"));
    }

    [Fact]
    public void NoIcmpReachesTheServer_FromTheWindowsNetwork()
    {
        PfAssert.Blocks(D.Packets("in on bge0 proto icmp from 192.168.100.0/24 to any"));
    }

    [Fact]
    public void EveryFlowFromTheTestNetworks_PassesBothWays()
    {
        // Property-based: FsCheck draws laptops from 192.168.40.0/24 (and the network's edges) and pings the server.
        PfProperties.FlowsPassBothWays(D, FlowKind.Ping, D.Packets("from 192.168.40.0/24"), D.Packets("to 192.168.50.1"), FlowPath.Host("bge0"))
            .Check(Config.QuickThrowOnFailure.WithMaxTest(50).WithQuietOnSuccess(true));
    }

    [Fact]
    public void TheRulesetNeverMentionsTcp_SoSshIsLeftToTheDefaultRule()
    {
        var o = PfAssert.Passes(D, new TestPacket
        {
            Interface = "bge0", Source = Address.Parse("203.0.113.9"), Destination = Address.Parse("192.168.50.1"),
            Protocol = 6, SourcePort = 50000, DestinationPort = 22,
        });
        Assert.Null(o.Rule);
    }

    private static string FindRepo()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PfSim.sln"))) return d.FullName;
        throw new InvalidOperationException("PfSim.sln not found");
    }
}
