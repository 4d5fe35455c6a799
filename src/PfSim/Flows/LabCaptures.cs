using PfSim.Captures;
using PfSim.Rules;

namespace PfSim.Flows;

/// <summary>
/// The lab's traffic as captures: what pf saw on a node's interfaces (raw IP pcap, replayable with
/// <c>pfsim replay -f RULESET --local ADDR</c>) and what pf logged (pflog, as pflogd writes it).
/// Runs follow each other an hour apart, so no state of one run survives into the next (as in the lab,
/// where every run starts with an empty state table).
/// </summary>
public static class LabCaptures
{
    /// <summary>Seconds between the starts of two runs in a written capture.</summary>
    public const double RunSpacing = 3600;
    private const long Epoch = 1_300_000_000L * 1_000_000_000L; // March 2011, the seed report's time

    public static void WritePcap(string path, IReadOnlyList<RunOutcome> outcomes, Action<string>? wrote = null)
    {
        foreach (var (file, node, runs) in Files(path, outcomes))
        {
            using var w = PcapWriter.Create(file, (int)LinkType.Raw);
            foreach (var (offset, step) in Steps(node, runs, logOnly: false))
                w.Write(Ns(offset + step.Time), step.Bytes);
            wrote?.Invoke(file);
        }
    }

    public static void WritePflog(string path, IReadOnlyList<RunOutcome> outcomes, Action<string>? wrote = null)
    {
        foreach (var (file, node, runs) in Files(path, outcomes))
        {
            var dialect = runs[0].Ruleset.Sources[node].Dialect;
            var layout = dialect == Dialect.OpenBsd ? PflogLayout.OpenBsd100 : PflogLayout.FreeBsd72;
            using var w = PflogWriter.Create(file, layout);
            foreach (var (offset, step) in Steps(node, runs, logOnly: true))
            {
                var v = step.Verdict!;
                var h = new PflogHeader
                {
                    Action = v.Pass ? (byte)0 : (byte)1,
                    Reason = v.ReasonCode,
                    IfName = Bytes16.FromText(step.Interface?.Name),
                    Ruleset = Bytes16.FromText(v.Anchor.Length == 0 ? "" : v.Anchor[(v.Anchor.LastIndexOf('/') + 1)..]),
                    RuleNumber = v.Anchor.Length > 0 ? 0 : v.Rule is int n ? (uint)n : PflogHeader.NoRule,
                    SubruleNumber = v.Anchor.Length > 0 && v.Rule is int sn ? (uint)sn : PflogHeader.NoRule,
                    Uid = PflogHeader.NoUid,
                    Pid = PflogHeader.NoPid,
                    RuleUid = PflogHeader.NoUid,
                    RulePid = PflogHeader.NoPid,
                    Dir = step.Dir,
                };
                w.Write(Ns(offset + step.Time), h, step.Bytes);
            }
            wrote?.Invoke(file);
        }
    }

    /// <summary>One file per ruleset variant and pf node; names get -RULESET (and -NODE) when there are several.</summary>
    private static IEnumerable<(string File, Node Node, List<RunOutcome> Runs)> Files(string path, IReadOnlyList<RunOutcome> outcomes)
    {
        var groups = outcomes.GroupBy(o => o.Ruleset).ToList();
        foreach (var g in groups)
        {
            var nodes = g.Key.Sources.Keys.ToList();
            foreach (var node in nodes)
            {
                var suffix = (groups.Count > 1 ? "-" + g.Key.Name : "") + (nodes.Count > 1 ? "-" + node.Name : "");
                var file = suffix.Length == 0 ? path : Path.Combine(Path.GetDirectoryName(path) ?? "", Path.GetFileNameWithoutExtension(path) + suffix + Path.GetExtension(path));
                yield return (file, node, g.ToList());
            }
        }
    }

    private static IEnumerable<(double Offset, TraceStep Step)> Steps(Node node, List<RunOutcome> runs, bool logOnly)
    {
        for (int i = 0; i < runs.Count; i++)
            foreach (var s in runs[i].Simulation.Steps)
                if (s.Kind == StepKind.Filtered && s.Node == node && (!logOnly || s.Verdict!.Log))
                    yield return (i * RunSpacing, s);
    }

    private static long Ns(double seconds) => Epoch + (long)Math.Round(seconds * 1e9);
}
