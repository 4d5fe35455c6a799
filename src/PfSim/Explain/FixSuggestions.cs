using PfSim.Engine;
using PfSim.Flows;

namespace PfSim.Explain;

/// <summary>A rule change that was re-run through the lab and made the tool work.</summary>
public sealed record FixSuggestion(string Node, IReadOnlyList<string> Rules, string Idea, string Opens)
{
    /// <summary>Other runs of the lab whose outcome the change flips (e.g. "tracert from windows: fails → works").</summary>
    public List<string> AlsoChanges { get; } = [];
}

/// <summary>
/// Fix suggestions that are checked, not guessed: from the packet pf dropped, candidate rules are written
/// (keep state for the probes, pass the ICMP answers by rule, the report's broad "pass out … icmp to the
/// test nets"), appended to the node's pf.conf, and the run is repeated; only candidates after which the tool
/// gets its answer are kept, each with what else it opens.
/// </summary>
public static class FixSuggestions
{
    private const int MaxRounds = 3;

    public static IReadOnlyList<FixSuggestion> For(LabRunner runner, RunOutcome failed)
    {
        var result = new List<FixSuggestion>();
        if (failed.Reached || failed.Lost.Count == 0) return result;
        var seen = new HashSet<string>();
        Dictionary<LabRun, bool>? before = null;
        foreach (var first in Candidates(failed, failed.Lost[0]))
        {
            // A candidate may uncover the next drop (a router filtering both ways): follow up to three rounds.
            var rules = new List<string> { first.Rule };
            var edits = Edit(failed, first.Node, rules);
            var outcome = runner.Run(failed.Ruleset, failed.Run, edits);
            for (int round = 1; !outcome.Reached && round < MaxRounds && outcome.Lost.Count > 0; round++)
            {
                var next = Candidates(outcome, outcome.Lost[0]).FirstOrDefault(c => c.Node == first.Node && !rules.Contains(c.Rule));
                if (next is null) break;
                rules.Add(next.Rule);
                edits = Edit(failed, first.Node, rules);
                outcome = runner.Run(failed.Ruleset, failed.Run, edits);
            }
            if (!outcome.Reached || !seen.Add(string.Join("\n", rules))) continue;
            var fix = new FixSuggestion(first.Node.Name, rules, first.Idea, first.Opens);
            before ??= runner.Lab.Runs.Where(r => r != failed.Run).ToDictionary(r => r, r => runner.Run(failed.Ruleset, r, recordTrace: false).Reached);
            foreach (var (other, was) in before)
            {
                bool after = runner.Run(failed.Ruleset, other, edits, recordTrace: false).Reached;
                if (was != after) fix.AlsoChanges.Add($"{other.Title}: {Word(was)} → {Word(after)}");
            }
            result.Add(fix);
        }
        return result;
    }

    private static string Word(bool works) => works ? "works" : "fails";

    private static Dictionary<Node, string> Edit(RunOutcome o, Node node, List<string> rules)
    {
        var text = o.RulesetTexts[node].TrimEnd('\n') + "\n# suggested by pfsim lab --explain\n" + string.Join("\n", rules) + "\n";
        return new Dictionary<Node, string> { [node] = text };
    }

    private sealed record Candidate(Node Node, string Rule, string Idea, string Opens);

    /// <summary>Candidate rules for the drop of <paramref name="lost"/>, most specific first.</summary>
    private static List<Candidate> Candidates(RunOutcome o, LostPacket lost)
    {
        var list = new List<Candidate>();
        var node = lost.Host;
        var itf = lost.If;
        var ip = new Ip4View(lost.Packet.Bytes);
        var sim = o.Simulation;
        var dir = LossStory.Dir(lost.Dir);
        if (ip.IsIcmpError && lost.Packet.InReplyTo > 0)
        {
            var quoted = sim.Packets[lost.Packet.InReplyTo - 1];
            var q = new Ip4View(quoted.Bytes);
            var qStep = sim.Steps.FirstOrDefault(s => s.Packet == quoted.Number && s.Kind == StepKind.Filtered && s.Node == node);
            if (qStep is not null && lost.Verdict.Quoted == QuotedLookup.NoState)
            {
                var keep = ProbeRule(o, LossStory.Dir(qStep.Dir), qStep.Interface?.Name ?? itf, q);
                if (keep is not null)
                    list.Add(new Candidate(node, keep, $"keep state for the {quoted.Role}s, so their ICMP answers match that state",
                        $"{Describe(q)} from {q.Src} to {q.Dst} now creates states; related ICMP errors pass with them"));
            }
            string type = ip.IcmpType == Wire.IcmpTimeExceeded ? "timex" : ip.IcmpCode == 3 ? "unreach code port-unr" : "unreach";
            list.Add(new Candidate(node, $"pass {dir} on {itf} inet proto icmp from {ip.Src} to {ip.Dst} icmp-type {type}",
                "pass these ICMP errors by a rule",
                $"every ICMP {type} from {ip.Src} to {ip.Dst}, whatever packet it answers (errors never create state)"));
            var net = ip.Dst.Mask(24);
            list.Add(new Candidate(node, $"pass {dir} on {itf} inet proto icmp to {net}/24",
                "pass all ICMP towards the tool's network, as the report's ruleset D does",
                $"every ICMP message {dir} on {itf} to {net}/24: echo requests, redirects, every unreachable and time exceeded, not only traceroute's answers"));
            return list;
        }
        bool fromTool = ip.Src == o.Run.From.PrimaryAddress;
        if (fromTool)
        {
            var rule = ProbeRule(o, dir, itf, ip);
            if (rule is not null)
                list.Add(new Candidate(node, rule, $"pass the {lost.Packet.Role}s with keep state, so their answers match the state",
                    $"{Describe(ip)} from {ip.Src} to {ip.Dst}, and the replies of those flows"));
            return list;
        }
        string what = ip.Proto switch
        {
            Wire.ProtoIcmp => $"inet proto icmp from {ip.Src} to {ip.Dst} icmp-type {IcmpName(ip.IcmpType)}",
            Wire.ProtoTcp => $"inet proto tcp from {ip.Src} port {ip.SrcPort} to {ip.Dst}",
            _ => $"inet proto udp from {ip.Src} port {ip.SrcPort} to {ip.Dst}",
        };
        list.Add(new Candidate(node, $"pass {dir} on {itf} {what}", $"pass the {lost.Packet.Role}s by a rule",
            $"these packets from {ip.Src} to {ip.Dst} without state, whatever request they answer"));
        return list;
    }

    /// <summary>A keep-state rule for the tool's probes like <paramref name="probe"/>, covering every port the tool used.</summary>
    private static string? ProbeRule(RunOutcome o, string dir, string itf, in Ip4View probe)
    {
        switch (probe.Proto)
        {
            case Wire.ProtoIcmp when probe.IcmpType == Wire.IcmpEcho:
                return $"pass {dir} on {itf} inet proto icmp from {probe.Src} to {probe.Dst} icmp-type echoreq keep state";
            case Wire.ProtoUdp:
            {
                var (lo, hi) = PortSpan(o, Wire.ProtoUdp);
                string ports = lo == hi ? $"{lo}" : $"{lo}:{hi}";
                return $"pass {dir} on {itf} inet proto udp from {probe.Src} to {probe.Dst} port {ports} keep state";
            }
            case Wire.ProtoTcp:
            {
                var (lo, hi) = PortSpan(o, Wire.ProtoTcp);
                string ports = lo == hi ? $"{lo}" : $"{lo}:{hi}";
                return $"pass {dir} on {itf} inet proto tcp from {probe.Src} to {probe.Dst} port {ports} flags S/SA keep state";
            }
            default:
                return null;
        }
    }

    /// <summary>The lowest and highest destination port of the tool's probes (a traceroute walks 33434 and up).</summary>
    private static (ushort Lo, ushort Hi) PortSpan(RunOutcome o, byte proto)
    {
        ushort lo = ushort.MaxValue, hi = 0;
        foreach (var pr in o.Tool.Probes)
        {
            var v = new Ip4View(o.Simulation.Packets[pr.Packet - 1].Bytes);
            if (v.Proto != proto) continue;
            lo = Math.Min(lo, v.DstPort);
            hi = Math.Max(hi, v.DstPort);
        }
        return lo > hi ? ((ushort)0, (ushort)0) : (lo, hi);
    }

    private static string Describe(in Ip4View ip) => ip.Proto switch
    {
        Wire.ProtoUdp => "UDP",
        Wire.ProtoTcp => "TCP",
        _ => "ICMP echo",
    };

    private static string IcmpName(byte type) => type switch
    {
        0 => "echorep",
        8 => "echoreq",
        3 => "unreach",
        11 => "timex",
        _ => type.ToString(),
    };
}
