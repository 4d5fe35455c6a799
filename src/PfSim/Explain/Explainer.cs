using System.Text;
using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Explain;

/// <summary>
/// Says in plain words why pf decided as it did: the deciding rule, the rules that matched before it and were overridden,
/// the first failing criterion of the others, the state used and the rule that made it, the default-rule note, and for an
/// ICMP error whether the packet it quotes had a state. Runs only when asked: the verdict path does no string work.
/// </summary>
public static class Explainer
{
    /// <summary>Evaluates <paramref name="ipPacket"/> on <paramref name="firewall"/> with a trace and explains the verdict.</summary>
    public static (Verdict Verdict, string Explanation) TestAndExplain(Firewall firewall, ReadOnlySpan<byte> ipPacket, int ifId, Direction dir, double time, in PacketContext context = default)
    {
        var trace = new RuleTraceRecorder();
        var v = firewall.Test(ipPacket, ifId, dir, time, context, trace);
        return (v, Explain(firewall, ipPacket, v, trace, ifId, dir));
    }

    public static string Explain(Firewall fw, ReadOnlySpan<byte> ipPacket, in Verdict v, RuleTraceRecorder trace, int ifId, Direction dir)
    {
        var itf = fw.GetInterface(ifId);
        var sb = new StringBuilder();
        if (v.Skipped)
            return $"Interface {itf.Name} is in 'set skip': pf does nothing with packets on it (no rules, no state, no log).";
        if (PacketDecoder.Decode(ipPacket, out var h) != DecodeStatus.Ok)
            return $"The packet is malformed ({v.Reason.Name()}): pf drops it before any state or rule and logs it against the default rule.";
        string act = v.Passed ? "passes" : "is blocked";

        if (h.IsIcmpError) DescribeQuoted(fw, ipPacket, h, v, sb);

        if (v.StateUse == StateUse.Match && v.State is not null)
        {
            var s = v.State;
            var created = $"created by {Describe.Rule(s.Rule, s.Ruleset)} at {s.Creation:0.###} s, {(s.Direction == Direction.In ? "in" : "out")} on {s.CreatedOn}";
            if (v.Reason == Reason.StateMismatch)
                sb.Append($"A state exists ({Describe.State(s)}, {created}) but this packet does not fit it ({DescribeMismatch(h, v)}): pf drops it with reason state-mismatch and does not consult the ruleset.");
            else if (v.Reason == Reason.Synproxy && v.Return == ReturnKind.None)
                sb.Append($"The packet belongs to a synproxy state ({created}) but does not continue the handshake pf is running (wrong direction, flags, or sequence/acknowledgement numbers): pf drops it with reason synproxy.");
            else if (v.Reason == Reason.Synproxy)
                sb.Append($"The packet belongs to a synproxy state ({created}): pf runs the handshakes with the client and then the server itself and consumes this packet.");
            else
                sb.Append($"The packet matches state {Describe.State(s)} ({created}), so it {act} without the ruleset being evaluated; pf reports it under the rule that created the state.");
            AppendAfter(v, sb);
            return sb.ToString();
        }

        // The ruleset decided.
        var steps = trace.Steps;
        var overridden = new List<string>();
        var failed = new List<string>();
        foreach (var (rule, rs, result) in steps)
        {
            if (rule.Anchor is not null && result == Criterion.Matched) continue;
            if (result == Criterion.Matched)
            {
                if (ReferenceEquals(rule, v.Rule)) continue;
                if (rule.Action == RuleAction.Match) overridden.Add($"{Describe.Rule(rule, rs)} (a match rule: it applies its options but never decides)");
                else overridden.Add(Describe.Rule(rule, rs));
            }
            else failed.Add($"{Describe.Rule(rule, rs)}: {Why(rule, result, h, itf, dir, fw)}");
        }

        if (v.Rule is null)
        {
            sb.Append("No pass or block rule matched, so pf's default rule decides: pass, without creating a state and without logging.");
            if (!h.IsIcmpError)
                sb.Append(" Since no state exists for this packet, its replies and any ICMP error about it are filtered by the ruleset like new packets.");
        }
        else
        {
            string anchorNote = v.AnchorRule is not null ? $" (inside anchor \"{v.Ruleset?.Path}\")" : "";
            sb.Append($"The last matching rule is {Describe.Rule(v.Rule, v.Ruleset)}{anchorNote}: the packet {act}");
            if (v.Rule.Quick) sb.Append(" (quick: evaluation stopped there)");
            sb.Append('.');
            AppendRouteMatch(v.Rule.From.Address, "from", h.Src, itf, fw, sb);
            AppendRouteMatch(v.Rule.To.Address, "to", h.Dst, null, fw, sb);
        }
        if (overridden.Count > 0) sb.Append(" Rules that matched earlier and were overridden (last match wins): ").Append(string.Join("; ", overridden)).Append('.');
        if (failed.Count > 0) sb.Append(" Rules that did not match: ").Append(string.Join("; ", failed)).Append('.');

        if (v.StateUse == StateUse.New && v.State is not null)
            sb.Append($" The rule keeps state, so pf created state {Describe.State(v.State)}; replies and later packets of this flow will match it without the ruleset.");
        else if (v.Passed && v.Rule is not null && v.Rule.IsStateful && h.IsIcmpError)
            sb.Append(" ICMP errors never create state, even through a keep-state rule.");
        else if (v.Passed && v.Rule is not null && !v.Rule.IsStateful)
            sb.Append(" The rule keeps no state: replies will be filtered by the ruleset again.");

        if (h.IsIcmpError && v.Quoted == QuotedLookup.NoState && !v.Passed)
            sb.Append(" To let such errors through, pass the quoted traffic with keep state (its errors then match that state), or pass these ICMP errors by a rule, e.g. 'pass out inet proto icmp icmp-type { unreach timex }'.");
        AppendAfter(v, sb);
        return sb.ToString();
    }

    private static void AppendAfter(in Verdict v, StringBuilder sb)
    {
        if (v.Reason == Reason.IpOption) sb.Append(" The packet carries IP options and the deciding rule has no allow-opts: pf drops it (reason ip-option).");
        if (v.Reason is Reason.StateLimit or Reason.Memory or Reason.StateInsert)
            sb.Append($" The state could not be created ({v.Reason.Name()}), so pf drops the packet.");
        if (v.Nat is NatResult nat && v.QuotedNat is null)
        {
            string leaves = nat.IcmpId is ushort id ? $"{nat.Src} > {nat.Dst} with icmp id {id}" : $"{nat.Src}:{nat.SrcPort} > {nat.Dst}:{nat.DstPort}";
            sb.Append($" pf translates the packet: it leaves as {leaves}; the state keeps both the wire and the stack side, so replies are translated back.");
        }
        if (v.Rule is { Action: RuleAction.Nat or RuleAction.Rdr or RuleAction.Binat, PassTranslation: true })
            sb.Append(" The translation rule says 'pass': the filter rules are not evaluated for this packet.");
        if (v.Return != ReturnKind.None) sb.Append($" pf answers with {ReturnText(v)}.");
        if (v.Log) sb.Append(" The packet is logged to pflog.");
    }

    public static string ReturnText(in Verdict v) => v.Return switch
    {
        ReturnKind.TcpRst => "a TCP RST",
        ReturnKind.Icmp => $"ICMP {IcmpNames.TypeName(v.ReturnType, false)} {IcmpNames.CodeName(v.ReturnType, v.ReturnCode, false)}",
        ReturnKind.Icmp6 => $"ICMPv6 {IcmpNames.TypeName(v.ReturnType, true)} {IcmpNames.CodeName(v.ReturnType, v.ReturnCode, true)}",
        ReturnKind.SynAck => "its own SYN|ACK (synproxy)",
        ReturnKind.ProxySyn => "its own SYN to the server (synproxy: the client completed the handshake with pf)",
        ReturnKind.ProxyAcks => "ACKs to both the server and the client (synproxy: the connection is now spliced)",
        _ => "nothing",
    };

    private static void DescribeQuoted(Firewall fw, ReadOnlySpan<byte> p, in PacketHeaders h, in Verdict v, StringBuilder sb)
    {
        string quoted = PacketDecoder.DecodeQuoted(p, h, out var inner) == DecodeStatus.Ok ? Describe.Packet(inner) : "(unreadable)";
        switch (v.Quoted)
        {
            case QuotedLookup.StateFound:
                sb.Append($"This ICMP error quotes the packet {quoted}, which belongs to an existing state: pf passes the error with that state. ");
                if (v.QuotedNat is NatResult qn && v.Nat is NatResult on)
                    sb.Append($"The state translates addresses, so pf translates the error back: it leaves as {on.Src} > {on.Dst}, quoting {Endpoint(inner, qn.Src, qn.SrcPort, qn.IcmpId)} > {Endpoint(inner, qn.Dst, qn.DstPort, null)}. ");
                break;
            case QuotedLookup.NoState:
                sb.Append($"This ICMP error quotes the packet {quoted}. pf looks the error up by that packet (directions reversed) and finds no state for it — that packet passed without creating one (by the default rule or a rule with no state), or never passed here. So pf filters the error through the ruleset like any new packet. ");
                break;
            case QuotedLookup.Unreadable:
                sb.Append("This ICMP error's quoted packet cannot be read (too short or a later fragment), so no state can be found: the ruleset decides. ");
                break;
            case QuotedLookup.WrongDestination:
                sb.Append($"This ICMP error quotes {quoted}, but it is addressed to {h.Dst}, not to that packet's source {inner.Src}: an error must go back to the sender of the packet it quotes, so pf looks up no state for it and filters the error through the ruleset. ");
                break;
            case QuotedLookup.Mismatch:
                sb.Append($"This ICMP error quotes {quoted}, whose state exists but does not fit (sequence outside the window or wrong direction). ");
                break;
        }
    }

    private static string Endpoint(in PacketHeaders inner, Address a, ushort port, ushort? id) =>
        inner.HasPorts ? $"{a}:{port}" : id is ushort i ? $"{a} (icmp id {i})" : a.ToString();

    private static string DescribeMismatch(in PacketHeaders h, in Verdict v) =>
        h.Proto == IpProto.Tcp ? "its sequence or acknowledgement number lies outside the windows pf tracks" :
        v.Quoted == QuotedLookup.Mismatch ? "the quoted packet does not fit the state" :
        h.IsIcmp ? "an ICMP message flowing in the wrong direction for its request/reply role" : "it does not fit";

    private static void AppendRouteMatch(AddressMatch m, string side, Address a, Interface? sourceOn, Firewall fw, StringBuilder sb)
    {
        if (m.Kind is not (AddressKind.NoRoute or AddressKind.UrpfFailed)) return;
        string route = RouteText(a, fw);
        string what = (m.Not ? "! " : "") + (m.Kind == AddressKind.NoRoute ? "no-route" : "urpf-failed");
        if (m.Kind == AddressKind.UrpfFailed && sourceOn is null) sb.Append($" Its '{side} {what}' holds: pf checks uRPF on sources only, so it matches any destination.");
        else if (m.Kind == AddressKind.UrpfFailed) sb.Append($" Its '{side} {what}' holds: {route}{(m.Not ? "" : $", not via {sourceOn!.Name} where the packet arrived")}.");
        else sb.Append($" Its '{side} {what}' holds: {route}.");
    }

    private static string RouteText(Address a, Firewall fw) =>
        RouteTable.ScopeEmbedded(a) ? $"{a} has an embedded scope (link-local), which pf always counts as routable"
        : fw.Routes.Lookup(a) is string via ? $"{a} is routed via {via}"
        : $"{a} has no route in the host model (its interfaces' networks and the routes given with --host)";

    /// <summary>Why a no-route/urpf-failed criterion failed, from the host model's routes (pf_routable); null for other kinds.</summary>
    private static string? RouteWords(AddressMatch m, Address a, Interface? sourceOn, Firewall fw)
    {
        string route = RouteText(a, fw);
        if (RouteTable.ScopeEmbedded(a) && m.Kind == AddressKind.UrpfFailed && sourceOn is not null)
            return $"{route}, so it is not 'urpf-failed'";
        return m.Kind switch
        {
            AddressKind.NoRoute => m.Not ? $"{route}, so '! no-route' does not hold" : $"{route}, so it is not 'no-route'",
            AddressKind.UrpfFailed when sourceOn is not null => m.Not
                ? $"{route}, not via {sourceOn.Name} where the packet arrived: it fails uRPF, so '! urpf-failed' does not hold"
                : $"{route}, the interface the packet arrived on: it passes uRPF, so it is not 'urpf-failed'",
            AddressKind.UrpfFailed => "is not checked by uRPF (pf checks sources only): '! urpf-failed' never holds for a destination",
            _ => null,
        };
    }

    /// <summary>The first failing criterion in words.</summary>
    private static string Why(Rule r, Criterion c, in PacketHeaders h, Interface itf, Direction dir, Firewall fw)
    {
        bool v6 = h.Af == Af.Inet6;
        return c switch
        {
            Criterion.Interface => $"the rule is {(r.InterfaceNot ? "not " : "")}on {r.Interface}, the packet is on {itf.Name}",
            Criterion.Direction => $"the rule is for '{(r.Direction == Direction.In ? "in" : "out")}', the packet goes {(dir == Direction.In ? "in" : "out")}",
            Criterion.RDomain => $"the rule is for rdomain {r.RDomain}",
            Criterion.Af => $"the rule is {(r.Af == Af.Inet ? "inet" : "inet6")}, the packet is {(v6 ? "inet6" : "inet")}",
            Criterion.Proto => $"the rule is for proto {Describe.Proto(r.Proto)}, the packet is {Describe.Proto(h.Proto)}",
            Criterion.Src when RouteWords(r.From.Address, h.Src, itf, fw) is string w => $"the source {w}",
            Criterion.Dst when RouteWords(r.To.Address, h.Dst, null, fw) is string w => $"the destination {w}",
            Criterion.Src => $"the source {h.Src} is not in {Describe.Address(r.From.Address)}",
            Criterion.Dst => $"the destination {h.Dst} is not in {Describe.Address(r.To.Address)}",
            Criterion.FragmentPorts => "a fragment has no ports, flags or ICMP type to match",
            Criterion.Flags => $"flags {Describe.Flags((TcpFlags)r.Flags)}/{Describe.Flags((TcpFlags)r.FlagsMask)} wanted, the packet has {Describe.Flags(h.TcpFlags)}",
            Criterion.Os => $"os \"{r.Os}\" cannot be fingerprinted here",
            Criterion.SrcPort => $"source port {h.SrcPort} does not satisfy the rule's port test",
            Criterion.DstPort => $"destination port {h.DstPort} does not satisfy the rule's port test",
            Criterion.User => "the packet's socket owner does not satisfy 'user' (forwarded packets have none)",
            Criterion.Group => "the packet's socket group does not satisfy 'group'",
            Criterion.IcmpType => $"icmp-type {IcmpNames.TypeName((byte)(r.IcmpType - 1), v6)} wanted, the packet is {IcmpNames.TypeName(h.IcmpType, v6)}",
            Criterion.IcmpCode => $"code {r.IcmpCode - 1} wanted, the packet has code {h.IcmpCode}",
            Criterion.IcmpReplyKeepState => "the rule keeps state and this ICMP message is a reply; OpenBSD lets no stateful (non-sloppy) rule match a reply, so replies pass only by an existing state",
            Criterion.FragmentKeyword => "the rule is for fragments",
            Criterion.Tos => $"tos {r.Tos} wanted",
            Criterion.Probability => "the probability draw failed",
            Criterion.Tagged => $"the packet is {(r.TaggedNot ? "" : "not ")}tagged {r.Tagged}",
            Criterion.ReceivedOn => $"the packet was not received on {r.ReceivedOn}",
            Criterion.Prio => $"prio {r.Prio} wanted",
            _ => c.ToString(),
        };
    }
}
