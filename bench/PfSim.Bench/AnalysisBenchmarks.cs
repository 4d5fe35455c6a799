using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using PfSim.Analysis;
using PfSim.Rules;

namespace PfSim.Bench;

/// <summary>
/// ClassBench rule sets (../shared/peer/classbench) as pf rulesets: each 5-tuple filter a <c>quick</c> rule, in priority
/// order (ClassBench is first-match), alternating pass and block, on one interface.
/// </summary>
public static class ClassBenchRulesets
{
    public static string? Dir()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            var p = Path.Combine(d.FullName, "..", "shared", "peer", "classbench");
            if (Directory.Exists(p)) return Path.GetFullPath(p);
        }
        return null;
    }

    /// <summary>Reads <paramref name="set"/> (e.g. "acl1_1K"); <paramref name="quick"/> false gives the last-match form (rules reversed, no quick).</summary>
    public static PfConfig Load(string set, bool quick = true)
    {
        var dir = Dir() ?? throw new InvalidOperationException("../shared/peer/classbench is absent");
        var config = new PfConfig(Dialect.OpenBsd);
        var rules = new List<Rule>();
        int n = 0;
        foreach (var line in File.ReadLines(Path.Combine(dir, set)))
        {
            if (line.Length == 0) continue;
            var f = line.TrimStart('@').Split('\t');
            rules.Add(new Rule
            {
                Action = n % 2 == 0 ? RuleAction.Pass : RuleAction.Block,
                Quick = quick,
                Interface = "em0",
                Af = Af.Inet,
                Proto = ParseProto(f[4]),
                From = new Endpoint(Net(f[0]), Ports(f[2])),
                To = new Endpoint(Net(f[1]), Ports(f[3])),
                Line = ++n,
                File = set,
            });
        }
        if (!quick) rules.Reverse();
        for (int i = 0; i < rules.Count; i++)
        {
            rules[i].Number = i;
            rules[i].Text = $"{rules[i].Action.ToString().ToLowerInvariant()}{(quick ? " quick" : "")} (ClassBench line {rules[i].Line})";
            config.Main.Filter.Add(rules[i]);
        }
        return config;
    }

    /// <summary>The same rule set with every 100th rule's action flipped (what a reviewer's diff should find).</summary>
    public static PfConfig Changed(PfConfig c)
    {
        var changed = new PfConfig(c.Dialect);
        foreach (var r in c.Main.Filter)
        {
            var copy = r.Number % 100 == 50 ? r with { Action = r.Action == RuleAction.Pass ? RuleAction.Block : RuleAction.Pass } : r with { };
            copy.Number = r.Number;
            changed.Main.Filter.Add(copy);
        }
        return changed;
    }

    private static AddressMatch Net(string text)
    {
        var parts = text.Split('/');
        int prefix = int.Parse(parts[1], CultureInfo.InvariantCulture);
        return prefix == 0 ? AddressMatch.AnyAddress : AddressMatch.Net(Address.Parse(parts[0]), prefix);
    }

    private static PortMatch Ports(string text)
    {
        var parts = text.Split(':');
        uint lo = uint.Parse(parts[0].Trim(), CultureInfo.InvariantCulture), hi = uint.Parse(parts[1].Trim(), CultureInfo.InvariantCulture);
        if (lo == 0 && hi == 65535) return PortMatch.Any;
        return lo == hi ? PortMatch.Equal(lo) : new PortMatch(PortOp.Range, lo, hi);
    }

    private static byte ParseProto(string text)
    {
        var parts = text.Split('/');
        return parts[1] == "0x00" ? (byte)0 : Convert.ToByte(parts[0], 16);
    }

    /// <summary>One timed run of diff and lint per rule set, for a first figure without BenchmarkDotNet.</summary>
    public static void Time(string[] sets)
    {
        foreach (var set in sets)
        {
            foreach (bool quick in new[] { true, false })
            {
                var a = Load(set, quick);
                var b = Changed(a);
                var sw = Stopwatch.StartNew();
                var diff = RulesetDiff.Compute(a, b);
                var tDiff = sw.Elapsed;
                sw.Restart();
                var lint = RulesetLint.Run(a);
                var tLint = sw.Elapsed;
                Console.WriteLine($"{set} ({a.Main.Filter.Count} rules, {(quick ? "quick/first-match" : "last-match")}): " +
                    $"diff {tDiff.TotalSeconds:0.00} s ({diff.Groups.Sum(g => g.Regions.Count)} regions), " +
                    $"lint {tLint.TotalSeconds:0.00} s ({lint.Findings.Count} findings: " +
                    string.Join(", ", lint.Findings.GroupBy(f => f.Kind).Select(g => $"{g.Count()} {g.Key}")) + ")");
            }
        }
    }
}

/// <summary>diff and lint on a ~1,000-rule ClassBench rule set (acl1_1K).</summary>
[MemoryDiagnoser]
public class AnalysisBenchmarks
{
    private PfConfig rules = null!;
    private PfConfig changed = null!;

    [Params("acl1_1K", "fw1_1K")]
    public string Set { get; set; } = "acl1_1K";

    [GlobalSetup]
    public void Setup()
    {
        rules = ClassBenchRulesets.Load(Set);
        changed = ClassBenchRulesets.Changed(rules);
    }

    [Benchmark]
    public int Diff() => RulesetDiff.Compute(rules, changed).Groups.Count;

    [Benchmark]
    public int Lint() => RulesetLint.Run(rules).Findings.Count;
}
