using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Explain;

/// <summary>Short texts for packets, rules, states and addresses, as pfctl and tcpdump write them.</summary>
public static class Describe
{
    public static string Proto(byte p) => p switch
    {
        IpProto.Tcp => "tcp", IpProto.Udp => "udp", IpProto.Icmp => "icmp", IpProto.Icmp6 => "ipv6-icmp",
        IpProto.Esp => "esp", IpProto.Ah => "ah", 47 => "gre", _ => p.ToString(),
    };

    /// <summary>The rule as pfctl -vvsr prints it: <c>@N text</c>, with the anchor path when inside one.</summary>
    public static string Rule(Rule? r, Ruleset? rs = null)
    {
        if (r is null) return "the default rule";
        var text = r.Text.Length > 0 ? r.Text : $"{r.Action.ToString().ToLowerInvariant()} (line {r.Line})";
        var where = rs is not null && rs.Path.Length > 0 ? $"anchor \"{rs.Path}\" " : "";
        return $"{where}@{r.Number} {text}";
    }

    public static string Flags(TcpFlags f)
    {
        var s = "";
        if ((f & TcpFlags.Fin) != 0) s += "F";
        if ((f & TcpFlags.Syn) != 0) s += "S";
        if ((f & TcpFlags.Rst) != 0) s += "R";
        if ((f & TcpFlags.Push) != 0) s += "P";
        if ((f & TcpFlags.Ack) != 0) s += "A";
        if ((f & TcpFlags.Urg) != 0) s += "U";
        if ((f & TcpFlags.Ece) != 0) s += "E";
        if ((f & TcpFlags.Cwr) != 0) s += "W";
        return s.Length == 0 ? "none" : s;
    }

    /// <summary>A packet in tcpdump's words: <c>10.0.0.1.1234 &gt; 10.0.0.2.80: S</c>.</summary>
    public static string Packet(in PacketHeaders h)
    {
        bool v6 = h.Af == Af.Inet6;
        string Host(Address a, ushort port, bool withPort) => withPort ? $"{a}.{port}" : a.ToString();
        string body;
        if (h.IsLaterFragment) body = $"{Proto(h.Proto)} (fragment at offset {h.FragmentOffset})";
        else if (h.Proto == IpProto.Tcp)
            body = $"{Flags(h.TcpFlags)} {h.Seq}:{h.Seq + (uint)h.PayloadLength}({h.PayloadLength}) ack {h.Ack} win {h.Win}";
        else if (h.Proto == IpProto.Udp) body = $"udp {h.PayloadLength}";
        else if (h.IsIcmp)
        {
            string name = IcmpNames.TypeName(h.IcmpType, v6);
            body = h.IsIcmpError
                ? $"icmp {name} {IcmpNames.CodeName(h.IcmpType, h.IcmpCode, v6)}"
                : $"icmp {name} id {h.IcmpId} seq {h.IcmpSeq}";
        }
        else body = $"proto {Proto(h.Proto)} {h.PayloadLength}";
        bool ports = h.HasPorts && !h.IsLaterFragment;
        return $"{Host(h.Src, h.SrcPort, ports)} > {Host(h.Dst, h.DstPort, ports)}: {body}";
    }

    public static string Address(AddressMatch m)
    {
        string core = m.Kind switch
        {
            AddressKind.Any => "any",
            AddressKind.Network => m.Prefix == m.Address.Bits ? m.Address.ToString() : $"{m.Address}/{m.Prefix}",
            AddressKind.Range => $"{m.Address} - {m.RangeEnd}",
            AddressKind.Table => $"<{m.Name}>",
            AddressKind.Dynamic => $"({m.Name})",
            AddressKind.NoRoute => "no-route",
            AddressKind.UrpfFailed => "urpf-failed",
            _ => $"route {m.Name}",
        };
        return m.Not ? "! " + core : core;
    }

    /// <summary>A state as <c>pfctl -ss</c> prints it.</summary>
    public static string State(State s)
    {
        var k = s.Direction == Direction.Out ? s.Stack : s.Wire;
        string Host(Address a, ushort p) => s.Proto is IpProto.Tcp or IpProto.Udp or IpProto.Icmp or IpProto.Icmp6
            ? (a.IsV6 ? $"{a}[{p}]" : $"{a}:{p}") : a.ToString();
        string itf = s.InterfaceId < 0 ? "all" : s.CreatedOn;
        string arrow = s.Direction == Direction.Out ? "->" : "<-";
        string keys = $"{Host(k.Addr1, k.Port1)} {arrow} {Host(k.Addr0, k.Port0)}";
        if (s.IsTranslated)
        {
            var o = s.Direction == Direction.Out ? s.Wire : s.Stack;
            keys = s.Direction == Direction.Out
                ? $"{Host(k.Addr1, k.Port1)} ({Host(o.Addr1, o.Port1)}) -> {Host(k.Addr0, k.Port0)}"
                : $"{Host(k.Addr1, k.Port1)} ({Host(o.Addr1, o.Port1)}) <- {Host(k.Addr0, k.Port0)}";
        }
        string peers = s.Proto switch
        {
            IpProto.Tcp => $"{TcpState.Name(s.Src.State)}:{TcpState.Name(s.Dst.State)}",
            IpProto.Icmp or IpProto.Icmp6 => "0:0",
            _ => $"{PseudoState(s.Src.State)}:{PseudoState(s.Dst.State)}",
        };
        return $"{itf} {Proto(s.Proto)} {keys}       {peers}";
    }

    private static string PseudoState(byte b) => b switch { 0 => "NO_TRAFFIC", 1 => "SINGLE", _ => "MULTIPLE" };
}
