using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;
using static PfSim.Tests.Engine.Pkt;

namespace PfSim.Tests.Engine;

/// <summary>FsCheck properties of translation: whatever flows leave through nat-to, each reply finds its state and goes
/// back to the host, port or echo id it came from; each ICMP error about a flow comes back to that host.</summary>
public class NatProperties
{
    private static readonly Address Public = Address.Parse("192.0.2.1");
    private static readonly Address Router = Address.Parse("203.0.113.1");

    [FsCheck.Xunit.Property(MaxTest = 40)]
    public bool FlowsThroughNat_RepliesAndErrorsGoBackToTheirHost(int seed, bool freeBsd)
    {
        var rng = new Random(seed);
        var d = freeBsd ? Dialect.FreeBsd : Dialect.OpenBsd;
        var conf = freeBsd
            ? "nat on em0 inet from 10.0.0.0/16 to any -> 192.0.2.1\npass out on em0 inet keep state\nblock in on em0\n"
            : "match out on em0 inet from 10.0.0.0/16 nat-to 192.0.2.1\npass out on em0 inet\nblock in on em0\n";
        var fw = new Firewall(NatTests.Load(conf, d), new FirewallOptions { Seed = (ulong)seed + 1 });
        int em0 = fw.InterfaceId("em0");
        var remote = Address.Parse($"198.51.100.{rng.Next(1, 255)}");
        int n = rng.Next(1, 30);
        double t = 0;
        for (int k = 0; k < n; k++)
        {
            // Hosts and source ports/ids repeat on purpose: pf must keep the translated keys apart.
            var host = Address.Parse($"10.0.{rng.Next(0, 2)}.{rng.Next(1, 4)}");
            ushort sport = (ushort)rng.Next(1000, 1004), dport = (ushort)rng.Next(1, 65536);
            int kind = rng.Next(3);
            byte[] p = kind switch
            {
                0 => Udp(host, sport, remote, dport),
                1 => Tcp(host, sport, remote, dport, TcpFlags.Syn, (uint)rng.Next(), 0),
                _ => Icmp(host, remote, 8, 0, sport),
            };
            var v = fw.Test(p, em0, Direction.Out, t += 0.01);
            if (!v.Passed || v.Nat is not NatResult nat || nat.Src != Public) return false;
            byte[] reply = kind switch
            {
                0 => Udp(remote, dport, Public, nat.SrcPort),
                1 => Tcp(remote, dport, Public, nat.SrcPort, TcpFlags.Syn | TcpFlags.Ack, (uint)rng.Next(), 0),
                _ => Icmp(remote, Public, 0, 0, nat.IcmpId!.Value),
            };
            // For TCP the SYN|ACK must acknowledge the SYN: rebuild it from the state's sequence numbers.
            if (kind == 1) reply = Tcp(remote, dport, Public, nat.SrcPort, TcpFlags.Syn | TcpFlags.Ack, (uint)rng.Next(), v.State!.Src.SeqLo + 1);
            var r = fw.TestInPlace(reply, em0, Direction.In, t += 0.01);
            if (!r.Passed || r.StateUse != StateUse.Match) return false;
            PacketDecoder.Decode(reply, out var rh);
            if (rh.Dst != host) return false;
            if (kind < 2 && rh.DstPort != sport) return false;
            if (kind == 2 && rh.IcmpId != sport) return false;
            // An error from a router about the flow as it left comes back to the host, quoting what the host sent.
            var quoted = kind switch
            {
                0 => UdpSpec(Public, nat.SrcPort, remote, dport),
                1 => TcpSpec(Public, nat.SrcPort, remote, dport, TcpFlags.Syn, v.State!.Src.SeqLo, 0),
                _ => IcmpSpec(Public, remote, 8, 0, nat.IcmpId!.Value),
            };
            var e = fw.Test(PacketBuilder.IcmpError(Router, Public, 11, 0, quoted), em0, Direction.In, t += 0.01);
            if (!e.Passed || e.Quoted != QuotedLookup.StateFound || e.Nat?.Dst != host || e.QuotedNat?.Src != host) return false;
        }
        return true;
    }
}
