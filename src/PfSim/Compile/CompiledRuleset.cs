using System.Diagnostics;
using PfSim.Engine;
using PfSim.Rules;

namespace PfSim.Compile;

/// <summary>How a compiled ruleset finds the rules to test for a packet.</summary>
public enum ClassifierKind : byte
{
    /// <summary>pf's own walk with skip steps (pf_calc_skip_steps): the baseline, and the choice for small rulesets.</summary>
    SkipSteps,
    /// <summary>HiCuts-style decision trees per address family and port class, one per EffiCuts rule category, then an ordered walk of the leaves merged.</summary>
    CutTree,
}

/// <summary>pf's skip-step fields (PF_SKIP_*), in pf's order.</summary>
internal enum SkipField : byte { Ifp, Dir, RDomain, Af, Proto, SrcAddr, DstAddr, SrcPort, DstPort, Count }

/// <summary>
/// A configuration's filter rules compiled once: flattened in evaluation order, criteria pre-resolved, skip steps as pf
/// computes them, and (for larger rulesets) decision trees. Immutable; an evaluator walks it per packet.
/// </summary>
public sealed class CompiledRuleset
{
    /// <summary>Rulesets at or below this size use the skip-step walk; above it, the cut trees.</summary>
    public const int TreeThreshold = 24;

    internal readonly FlatRule[] Flat;
    internal readonly CompiledRule[] Rules;
    /// <summary>Skip targets: Skip[i * SkipField.Count + f].</summary>
    internal readonly int[] Skip;
    /// <summary>Trees by class: [IPv4 with ports, IPv4 without, IPv6 with ports, IPv6 without]; null for skip steps.</summary>
    internal readonly CutTree?[] Trees = new CutTree?[4];
    internal readonly string[] InterfaceNames;
    /// <summary>Per family (IPv4, IPv6), each rule's box for the trees' fields, tested before the rule.</summary>
    internal readonly RuleBox[]?[] Boxes = new RuleBox[]?[2];
    /// <summary><see cref="FlatRule.Parent"/> and <see cref="FlatRule.End"/> as dense arrays, for the walk.</summary>
    internal readonly int[] Parent, End;

    public ClassifierKind Kind { get; }
    public int RuleCount => Flat.Length;
    /// <summary>Rules after which the classifier gives way to the skip-step walk, with why (visible in <c>pfsim print --compiled</c>).</summary>
    public IReadOnlyList<(Rule Rule, string Why)> Fallbacks { get; }
    public TimeSpan CompileTime { get; }
    /// <summary>Approximate bytes of the compiled form (rules, skip steps, trees).</summary>
    public long MemoryBytes { get; }

    public CompiledRuleset(PfConfig config, ClassifierKind? kind = null) : this(config, kind, separate: true) { }

    /// <summary>With <paramref name="separate"/> false: one tree per class without EffiCuts' separation (for measuring the difference).</summary>
    internal CompiledRuleset(PfConfig config, ClassifierKind? kind, bool separate)
    {
        var sw = Stopwatch.StartNew();
        Flat = RuleFlattener.Flatten(config.Main).ToArray();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var tables = new Dictionary<Table, PrefixTable>(ReferenceEqualityComparer.Instance);
        PrefixTable CompileTable(Table t)
        {
            if (!tables.TryGetValue(t, out var pt)) tables[t] = pt = new PrefixTable(t);
            return pt;
        }
        Rules = new CompiledRule[Flat.Length];
        var fallbacks = new List<(Rule, string)>();
        for (int i = 0; i < Flat.Length; i++)
        {
            var f = Flat[i];
            int ifIndex = -1;
            if (f.Rule.Interface is string ifn && !names.TryGetValue(ifn, out ifIndex)) names[ifn] = ifIndex = names.Count;
            Rules[i] = new CompiledRule(f, ifIndex, CompileTable);
            if (f.Rule.Anchor is null && f.Rule.Action == RuleAction.Match && ReferenceEvaluator.HasTranslation(f.Rule))
                fallbacks.Add((f.Rule, "match rule translates: the rules after it are walked with skip steps once it applies"));
        }
        InterfaceNames = new string[names.Count];
        foreach (var (n, i) in names) InterfaceNames[i] = n;
        Skip = SkipSteps.Compute(Flat, Rules);
        Kind = kind ?? (Flat.Length <= TreeThreshold ? ClassifierKind.SkipSteps : ClassifierKind.CutTree);
        // Rules: the compiled record and the flattened entry (an object of ~56 bytes with its reference).
        long memory = Flat.Length * (System.Runtime.CompilerServices.Unsafe.SizeOf<CompiledRule>() + 56L) + Skip.Length * 4L;
        Parent = new int[Flat.Length];
        End = new int[Flat.Length];
        for (int i = 0; i < Flat.Length; i++) (Parent[i], End[i]) = (Flat[i].Parent, Flat[i].End);
        memory += Flat.Length * 8L;
        if (Kind == ClassifierKind.CutTree)
        {
            // Per family: the class without ports first, so that the class with ports leaves its port intervals in the boxes.
            foreach (int c in new[] { 1, 0, 3, 2 })
            {
                var boxes = Boxes[c >> 1] ??= new RuleBox[Flat.Length];
                Trees[c] = Categories.Build(Rules, c >= 2 ? Af.Inet6 : Af.Inet, (c & 1) == 0, boxes, separate);
                memory += Trees[c]!.MemoryBytes;
            }
            memory += 2L * Flat.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<RuleBox>();
        }
        Fallbacks = fallbacks;
        MemoryBytes = memory;
        CompileTime = sw.Elapsed;
    }

    private static readonly string[] FieldNames = ["src", "dst", "sport", "dport", "proto"];

    /// <summary>A tree's rule count and the fields that are wildcards (large) for its rules, e.g. "4980 with src,sport wild".</summary>
    private static string Shape((int Rules, int Large) s)
    {
        var wild = Enumerable.Range(0, CutTree.Fields).Where(d => (s.Large & (1 << d)) != 0).Select(d => FieldNames[d]);
        return $"{s.Rules}{(s.Large == 0 ? "" : " " + string.Join(",", wild) + " wild")}";
    }

    /// <summary>A short description: structure, sizes, fallbacks.</summary>
    public string Describe()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append($"compiled: {Flat.Length} rules, {Kind switch { ClassifierKind.CutTree => "cut trees", _ => "skip steps" }}, ");
        sb.Append($"{MemoryBytes / 1024.0:0.#} KiB, compiled in {CompileTime.TotalMilliseconds:0.#} ms\n");
        if (Kind == ClassifierKind.CutTree)
        {
            string[] classes = ["inet tcp/udp", "inet other", "inet6 tcp/udp", "inet6 other"];
            for (int c = 0; c < 4; c++)
            {
                var t = Trees[c]!;
                if (t.TreeCount == 0) continue;
                sb.Append($"  {classes[c]}: {t.TreeCount} trees ({string.Join(", ", t.TreeShapes.Select(Shape))}), {t.NodeCount} nodes, depth {t.Depth}, largest leaf {t.MaxLeaf} rules\n");
            }
        }
        if (Fallbacks.Count == 0) sb.Append("  no fallback: every rule is classified\n");
        foreach (var (r, why) in Fallbacks) sb.Append($"  fallback after @{r.Number} {r.Text}: {why}\n");
        return sb.ToString();
    }
}

/// <summary>pf_calc_skip_steps over the flattened rules: per ruleset, the next rule whose field differs.</summary>
internal static class SkipSteps
{
    public static int[] Compute(FlatRule[] flat, CompiledRule[] rules)
    {
        const int F = (int)SkipField.Count;
        var skip = new int[flat.Length * F];
        // Siblings: entries of the same ruleset called by the same anchor entry, in order.
        var groups = new Dictionary<(int, Ruleset), List<int>>();
        for (int i = 0; i < flat.Length; i++)
        {
            var key = (flat[i].Parent, flat[i].Ruleset);
            if (!groups.TryGetValue(key, out var g)) groups[key] = g = [];
            g.Add(i);
        }
        foreach (var g in groups.Values)
        {
            int end = flat[g[^1]].End;
            for (int f = 0; f < F; f++)
            {
                int target = end;
                for (int k = g.Count - 1; k >= 0; k--)
                {
                    int i = g[k];
                    if (k + 1 < g.Count && !rules[i].SameField((SkipField)f, rules[g[k + 1]])) target = g[k + 1];
                    skip[i * F + f] = target;
                }
            }
        }
        return skip;
    }
}
