using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Tests.Engine;

/// <summary>Builds rule models in code, as the loader would fill them, for engine tests.</summary>
internal static class RuleFactory
{
    public static AddressMatch Net(string cidr)
    {
        var parts = cidr.Split('/');
        var a = Address.Parse(parts[0]);
        return parts.Length == 1 ? AddressMatch.Host(a) : AddressMatch.Net(a, int.Parse(parts[1]));
    }

    public static Rule Block(string? on = null, Af af = Af.Any, byte proto = 0, Direction dir = Direction.InOut, string text = "") =>
        new() { Action = RuleAction.Block, Return = BlockReturn.Drop, Interface = on, Af = af, Proto = proto, Direction = dir, Text = text };

    public static Rule Pass(string? on = null, Af af = Af.Any, byte proto = 0, Direction dir = Direction.InOut, string text = "",
        StateMode state = StateMode.Keep) =>
        new() { Action = RuleAction.Pass, Interface = on, Af = af, Proto = proto, Direction = dir, Text = text, State = state,
                // pfctl adds flags S/SA to stateful TCP pass rules.
                Flags = proto == IpProto.Tcp && state != StateMode.None ? (byte)TcpFlags.Syn : (byte)0,
                FlagsMask = proto == IpProto.Tcp && state != StateMode.None ? (byte)(TcpFlags.Syn | TcpFlags.Ack) : (byte)0 };

    public static PfConfig Config(Dialect dialect, params Rule[] rules)
    {
        var c = new PfConfig(dialect);
        for (int i = 0; i < rules.Length; i++)
        {
            rules[i].Number = i;
            c.Main.Filter.Add(rules[i]);
        }
        return c;
    }

    /// <summary>Seed scenario ruleset C (captures/labs/seed/C.conf) as pfctl loads it.</summary>
    public static PfConfig SeedC(Dialect dialect = Dialect.FreeBsd) => Config(dialect,
        Block("bge0", Af.Inet, IpProto.Icmp, text: "block drop on bge0 inet proto icmp all"),
        Pass("bge0", Af.Inet, IpProto.Icmp, text: "pass on bge0 inet proto icmp from 192.168.40.0/24 to any icmp-type echoreq code 0 keep state")
            with { From = new Endpoint(Net("192.168.40.0/24"), PortMatch.Any), IcmpType = 9, IcmpCode = 1 },
        Pass("bge0", Af.Inet, IpProto.Icmp, text: "pass on bge0 inet proto icmp from 192.168.50.1 to any icmp-type echoreq code 0 keep state")
            with { From = new Endpoint(Net("192.168.50.1"), PortMatch.Any), IcmpType = 9, IcmpCode = 1 });
}
