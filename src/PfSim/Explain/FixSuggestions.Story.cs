using System.Text;
using PfSim.Engine;
using PfSim.Flows;

namespace PfSim.Explain;

/// <summary>
/// The lab's account of a lost packet in plain words: which packet, dropped where, by which rule and why,
/// with the history that explains it (for an ICMP error: how the packet it answers got through without state).
/// </summary>
public static class LossStory
{
    /// <summary>One paragraph for <paramref name="lost"/> in <paramref name="outcome"/>.</summary>
    public static string Tell(RunOutcome outcome, LostPacket lost)
    {
        var sim = outcome.Simulation;
        var p = lost.Packet;
        var v = lost.Verdict;
        var sb = new StringBuilder();
        sb.Append($"Packet {p.Number} ({p.Role}, {PacketText(p.Bytes)}) was blocked {Dir(lost.Dir)} on {lost.Host.Name} {lost.If} by ")
          .Append(v.RuleText ?? "the default rule").Append('.');
        var ip = new Ip4View(p.Bytes);
        if (ip.IsIcmpError && p.InReplyTo > 0 && v.Quoted == QuotedLookup.NoState)
            sb.Append(' ').Append(IcmpErrorWithoutState(sim, lost, sim.Packets[p.InReplyTo - 1]));
        if (v.Explain is not null) sb.Append(" pf's reasoning: ").Append(v.Explain());
        sb.Append(' ').Append(Consequence(outcome, lost));
        return sb.ToString();
    }

    /// <summary>The case C story: the probe passed without state, so its ICMP answer met the ruleset as a new packet.</summary>
    private static string IcmpErrorWithoutState(Simulation sim, LostPacket lost, FlowPacket quoted)
    {
        var passedHere = sim.Steps.FirstOrDefault(s => s.Packet == quoted.Number && s.Kind == StepKind.Filtered && s.Node == lost.Host);
        var sb = new StringBuilder();
        sb.Append($"It answers packet {quoted.Number} ({quoted.Role}, {PacketText(quoted.Bytes)}). ");
        if (passedHere?.Verdict is { Pass: true } pv)
        {
            string how = pv.Rule is null
                ? "matched no rule, so pf passed it by its default rule, which creates no state"
                : $"was passed by {pv.RuleText}, which keeps no state";
            if (pv.State == StateUse.Match) how = "matched an existing state";
            sb.Append($"That packet came {Dir(passedHere.Dir)} on {passedHere.Node.Name} {passedHere.Interface?.Name} and {how}. ");
        }
        sb.Append($"When {lost.Host.Name} answered it with this ICMP error, pf looked the error up by the packet it quotes, found no state, " +
                  "and so filtered it through the ruleset like any new packet; the last matching rule blocked it. " +
                  "Had a rule passed the quoted packet with keep state, the error would have matched that state and passed " +
                  "(echo replies of ping and traceroute -I pass that way: their echo request created the state).");
        return sb.ToString();
    }

    private static string Consequence(RunOutcome o, LostPacket lost)
    {
        var probe = o.Tool.Probes.FirstOrDefault(pr => pr.Packet == lost.Packet.Number || pr.Packet == lost.Packet.InReplyTo);
        if (probe is null) return "";
        string shown = o.Run.Tool switch
        {
            ToolKind.Tracert => "tracert shows * for it (\"Request timed out.\" when a whole hop is lost)",
            ToolKind.Ping => o.Run.From.Os.Kind == OsKind.Windows ? "ping prints \"Request timed out.\"" : "ping counts it as lost",
            _ => "traceroute prints * for it",
        };
        return $"The {ToolModel.Name(o.Run.Tool)} probe it belongs to (TTL {probe.Ttl}) got no answer: {shown}.";
    }

    public static string Dir(Direction d) => d == Direction.In ? "in" : "out";

    /// <summary>A packet in tcpdump's words.</summary>
    public static string PacketText(byte[] bytes)
    {
        var ip = new Ip4View(bytes);
        string s = ip.Proto switch
        {
            Wire.ProtoUdp => $"{ip.Src}.{ip.SrcPort} > {ip.Dst}.{ip.DstPort}: UDP",
            Wire.ProtoTcp => $"{ip.Src}.{ip.SrcPort} > {ip.Dst}.{ip.DstPort}: Flags [{TcpFlags(ip.TcpFlags)}]",
            Wire.ProtoIcmp => $"{ip.Src} > {ip.Dst}: ICMP {IcmpText(ip)}",
            _ => $"{ip.Src} > {ip.Dst}: proto {ip.Proto}",
        };
        return s + $", ttl {ip.Ttl}, length {ip.TotalLength}";
    }

    internal static string IcmpText(in Ip4View ip) => ip.IcmpType switch
    {
        Wire.IcmpEcho => $"echo request, id {ip.IcmpId}, seq {ip.IcmpSeq}",
        Wire.IcmpEchoReply => $"echo reply, id {ip.IcmpId}, seq {ip.IcmpSeq}",
        Wire.IcmpTimeExceeded => "time exceeded in-transit",
        Wire.IcmpUnreach => ip.IcmpCode switch
        {
            3 when ip.Quoted.Length >= 28 => $"{new Ip4View(ip.Quoted).Dst} {QuotedProto(ip)} port {new Ip4View(ip.Quoted).DstPort} unreachable",
            0 => "net unreachable",
            1 => "host unreachable",
            13 => "administratively prohibited filter",
            _ => $"unreachable code {ip.IcmpCode}",
        },
        _ => $"type {ip.IcmpType} code {ip.IcmpCode}",
    };

    private static string QuotedProto(in Ip4View ip) => new Ip4View(ip.Quoted).Proto == Wire.ProtoTcp ? "tcp" : "udp";

    internal static string TcpFlags(byte f)
    {
        var s = "";
        if ((f & Wire.TcpSyn) != 0) s += "S";
        if ((f & Wire.TcpFin) != 0) s += "F";
        if ((f & Wire.TcpRst) != 0) s += "R";
        if ((f & Wire.TcpPsh) != 0) s += "P";
        if ((f & Wire.TcpAck) != 0) s += ".";
        return s;
    }
}
