using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using static PfSim.Tests.Engine.Pkt;

namespace PfSim.Tests.Engine;

/// <summary>
/// pf_find_state and pf_state_insert as the table keeps them (wire and stack keys, if-bound and floating, collisions,
/// expiry), and the compact state keeping pf's fields exact: keys of both families, 64-bit counters.
/// </summary>
public class StateTableTests
{
    private static StateKey Key(string a0, ushort p0, string a1, ushort p1) =>
        new(Address.Parse(a0), p0, Address.Parse(a1), p1, IpProto.Tcp);

    [Theory]
    [InlineData("10.0.0.1", "198.51.100.1")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    [InlineData("255.255.255.255", "0.0.0.0")]
    public void StateKeys_OfBothFamilies_AreFoundOnTheirWireAndStackSides(string a, string b)
    {
        var wire = Key(a, 1024, b, 443);
        var stack = Key(b, 443, a, 2048);
        var s = new State { Wire = wire, Stack = stack, Direction = Direction.In, CreatedOn = "em0" };
        var t = new StateTable();
        Assert.True(t.Insert(s));
        Assert.Equal(wire, s.Wire);
        Assert.Equal(stack, s.Stack);
        Assert.True(s.IsTranslated);
        Assert.Equal("em0", s.CreatedOn);
        Assert.Same(s, t.Find(wire, Direction.In, 0));
        Assert.Same(s, t.Find(stack, Direction.Out, 0));
        Assert.Null(t.Find(stack, Direction.In, 0)); // pf: inbound packets match the wire key only
        Assert.Null(t.Find(wire, Direction.Out, 0)); // and outbound ones the stack key
        Assert.Null(t.Find(Key(a, 1025, b, 443), Direction.In, 0));
        t.Unlink(s);
        Assert.Null(t.Find(wire, Direction.In, 0));
    }

    [Fact]
    public void StateCounters_PastFourGigabytes_KeepCounting()
    {
        // pf keeps packets[2] and bytes[2] as u_int64.
        var s = new State { BytesOut = uint.MaxValue - 10, PacketsIn = uint.MaxValue };
        s.CountPacket(sameDirection: true, 100);
        s.CountPacket(sameDirection: false, 1500);
        Assert.Equal((ulong)uint.MaxValue + 90, s.BytesOut);
        Assert.Equal(1UL, s.PacketsOut);
        Assert.Equal((ulong)uint.MaxValue + 1, s.PacketsIn);
        Assert.Equal(1500UL, s.BytesIn);
        s.BytesOut = 5;
        Assert.Equal(5UL, s.BytesOut);
    }

    private static State NewState(StateKey wire, Direction dir, int ifId) => new() { Wire = wire, Direction = dir, InterfaceId = ifId };

    [Fact]
    public void StateInsert_SameKeyBindingAndDirection_Collides_AnotherDirectionOrBindingDoesNot()
    {
        // pf_state_key_attach (OpenBSD and FreeBSD): a collision needs the same kif and the same direction.
        var k = Key("10.0.0.1", 1024, "198.51.100.1", 443);
        var t = new StateTable();
        Assert.True(t.Insert(NewState(k, Direction.In, -1)));
        Assert.False(t.Insert(NewState(k, Direction.In, -1)));
        Assert.True(t.Insert(NewState(k, Direction.Out, -1)));
        Assert.True(t.Insert(NewState(k, Direction.In, 0)));
        Assert.False(t.Insert(NewState(k, Direction.In, 0)));
        Assert.True(t.Insert(NewState(k, Direction.In, 1)));
        Assert.Equal(4, t.Count);
    }

    [Fact]
    public void IfBoundState_IsNotFoundOnAnotherInterface_FloatingIs_AndBoundComesFirst()
    {
        var k = Key("10.0.0.1", 1024, "198.51.100.1", 443);
        var t = new StateTable();
        var bound = NewState(k, Direction.In, 0);
        Assert.True(t.Insert(bound));
        Assert.Null(t.Find(k, Direction.In, 1));
        var floating = NewState(k, Direction.Out, -1);
        Assert.True(t.Insert(floating));
        // pf lists if-bound states before floating ones on a key and takes the first usable.
        Assert.Same(bound, t.Find(k, Direction.In, 0));
        Assert.Same(floating, t.Find(k, Direction.In, 1));
        t.Unlink(bound);
        Assert.Same(floating, t.Find(k, Direction.In, 0));
    }

    [Fact]
    public void IfBoundPolicy_ReplyOnAnotherInterface_FindsNoState_FloatingPolicyDoes()
    {
        var a = Address.Parse("10.0.0.5");
        var b = Address.Parse("198.51.100.7");
        foreach (var policy in new[] { "if-bound", "floating" })
        {
            var fw = new Firewall(NatTests.Load($"set state-policy {policy}\nblock all\npass out proto udp\n"));
            Assert.Equal(StateUse.New, fw.Test(Udp(a, 4000, b, 53), "em0", Direction.Out, 0).StateUse);
            var other = fw.Test(Udp(b, 53, a, 4000), "em1", Direction.In, 0.1);
            Assert.Equal(policy == "floating", other.Passed);
            Assert.True(fw.Test(Udp(b, 53, a, 4000), "em0", Direction.In, 0.2).Passed);
        }
    }

    [Fact]
    public void OpenBsd_NewStateOnAnotherStatesStackKey_IsStateInsert_FreeBsdKeepsKeyRolesApart()
    {
        // A SYN straight to the redirect target has the key of the redirected state's stack side, in the same direction
        // on the same (floating) binding. OpenBSD keeps one list per key: collision, state-insert. FreeBSD compares
        // only states holding the key as their wire key: the new state is made.
        var remote = Address.Parse("198.51.100.7");
        var target = Address.Parse("10.0.0.5");
        var open = new Firewall(NatTests.Load(
            "match in on em0 inet proto tcp to 192.0.2.1 port 80 rdr-to 10.0.0.5 port 8080\npass in on em0 inet proto tcp\n", Dialect.OpenBsd));
        var free = new Firewall(NatTests.Load(
            "rdr on em0 inet proto tcp to 192.0.2.1 port 80 -> 10.0.0.5 port 8080\npass in on em0 inet proto tcp\n", Dialect.FreeBsd));
        foreach (var fw in new[] { open, free })
        {
            var v = fw.Test(Tcp(remote, 3333, Address.Parse("192.0.2.1"), 80, TcpFlags.Syn, 1, 0), "em0", Direction.In, 0);
            Assert.True(v.State!.IsTranslated);
        }
        var direct = Tcp(remote, 3333, target, 8080, TcpFlags.Syn, 1, 0);
        var ob = open.Test(direct, "em0", Direction.In, 0.1);
        Assert.Equal((RuleAction.Block, Reason.StateInsert), (ob.Action, ob.Reason));
        var fb = free.Test(direct, "em0", Direction.In, 0.1);
        Assert.Equal((RuleAction.Pass, StateUse.New), (fb.Action, fb.StateUse));
        Assert.Equal((1, 2), (open.States.Count, free.States.Count));
    }

    [Fact]
    public void ExpiredState_IsUnlinkedByThePurge_AndTheReplyIsFilteredAgain()
    {
        // pf_purge_expired_states: a state whose expire + timeout has passed is unlinked.
        var a = Address.Parse("10.0.0.5");
        var b = Address.Parse("198.51.100.7");
        var fw = new Firewall(NatTests.Load("set timeout udp.first 10\nblock all\npass out proto udp\n"));
        Assert.Equal(StateUse.New, fw.Test(Udp(a, 4000, b, 53), "em0", Direction.Out, 0).StateUse);
        fw.Purge(9.5);
        Assert.Equal(1, fw.States.Count);
        fw.Purge(10);
        Assert.Equal(0, fw.States.Count);
        Assert.Null(fw.States.Find(StateKey.ForPacket(Direction.Out, a, 4000, b, 53, IpProto.Udp), Direction.Out, fw.InterfaceId("em0")));
        var reply = fw.Test(Udp(b, 53, a, 4000), "em0", Direction.In, 10.1);
        Assert.Equal((RuleAction.Block, StateUse.None), (reply.Action, reply.StateUse));
    }
}
