using PfSim.Engine;
using PfSim.Rules;

namespace PfSim.Tests.Engine;

/// <summary>Source tracking limits (pf-semantics §4.7; pf_insert_src_node, pf_src_connlimit).</summary>
public class SourceTrackingTests
{
    private static void Expect(Firewall fw, string script)
    {
        foreach (var sp in PfSim.Packets.PacketScript.Parse(script, "t"))
        {
            var v = fw.Test(sp.Bytes, sp.Interface, sp.Direction, sp.Time);
            var state = v.StateUse switch { StateUse.New => "new", StateUse.Match => "match", _ => "none" };
            var diff = sp.Expect?.Check(v.Passed ? "pass" : "block", v.Rule?.Number, state, v.Reason.Name());
            Assert.True(diff is null, $"line {sp.Line}: {diff}");
        }
    }

    [Fact]
    public void MaxSrcStates_RefusesTheThirdStateFromOneSource_WithSrcLimit()
    {
        var fw = new Firewall(NatTests.Load("pass in proto udp keep state (max-src-states 2)\n"));
        Expect(fw, """
            in on em0 proto udp from 10.0.0.1 port 1 to 10.9.9.9 port 53   # expect pass state new
            in on em0 proto udp from 10.0.0.1 port 2 to 10.9.9.9 port 53   # expect pass state new
            in on em0 proto udp from 10.0.0.1 port 3 to 10.9.9.9 port 53   # expect block reason src-limit
            in on em0 proto udp from 10.0.0.2 port 3 to 10.9.9.9 port 53   # expect pass state new
            """);
    }

    [Fact]
    public void MaxSrcNodes_RefusesASecondSource()
    {
        var fw = new Firewall(NatTests.Load("pass in proto udp keep state (max-src-nodes 1)\n"));
        Expect(fw, """
            in on em0 proto udp from 10.0.0.1 port 1 to 10.9.9.9 port 53   # expect pass state new
            in on em0 proto udp from 10.0.0.1 port 2 to 10.9.9.9 port 53   # expect pass state new
            in on em0 proto udp from 10.0.0.2 port 1 to 10.9.9.9 port 53   # expect block reason src-limit
            """);
    }

    [Fact]
    public void MaxSrcConn_SecondCompletedHandshake_IsKilled_AndTheSourceOverloaded()
    {
        var cfg = NatTests.Load("table <bad> persist\nblock in quick from <bad>\npass in proto tcp to port 80 keep state (max-src-conn 1, overload <bad> flush)\n");
        var fw = new Firewall(cfg);
        Expect(fw, """
            in  on em0 proto tcp from 10.0.0.1 port 1000 to 10.9.9.9 port 80 flags S    # expect pass state new
            out on em0 proto tcp from 10.9.9.9 port 80 to 10.0.0.1 port 1000 flags SA   # expect pass state match
            in  on em0 proto tcp from 10.0.0.1 port 1000 to 10.9.9.9 port 80 flags A    # expect pass state match
            in  on em0 proto tcp from 10.0.0.1 port 1001 to 10.9.9.9 port 80 flags S    # expect pass state new
            out on em0 proto tcp from 10.9.9.9 port 80 to 10.0.0.1 port 1001 flags SA   # expect pass state match
            in  on em0 proto tcp from 10.0.0.1 port 1001 to 10.9.9.9 port 80 flags A    # expect block reason src-limit
            in  on em0 proto tcp from 10.0.0.1 port 1002 to 10.9.9.9 port 80 flags S    # expect block rule 0
            """);
        Assert.Contains(cfg.Main.FindTable("bad")!.Entries, e => e.Address == Address.Parse("10.0.0.1"));
        Assert.Equal(0, fw.States.Count); // flush removed the first connection's state too
    }
}
