namespace PfSim.Rules;

/// <summary>
/// pfctl's ruleset optimizer (pfctl_optimize.c, <c>pfctl -o basic</c>, <c>set ruleset-optimization basic</c>): per
/// ruleset, it cuts the filter rules into superblocks (runs of rules that may be re-ordered without changing what pf
/// decides), then in each superblock removes duplicates and rules another rule covers, folds rules that differ in one
/// address into a table once there are <see cref="TableThreshold"/> of them, and re-orders the rules to lengthen
/// skip steps. Rules are renumbered and <c>$nr</c> in labels is expanded afterwards, as pfctl does when it loads them.
/// </summary>
/// <remarks>
/// It lives in Rules/ because it is a model-to-model step between parsing and loading (as in pfctl, where it runs on
/// parsed rules before they reach the kernel); it knows no text and no packets.
/// <c>profile</c> re-orders quick superblocks by the packet counters of the ruleset running in the kernel. PfSim
/// simulates a box with no ruleset loaded, where pfctl finds no counters to line up and does what <c>basic</c> does.
/// </remarks>
public static class RulesetOptimizer
{
    /// <summary>pfctl's TABLE_THRESHOLD: from this many rules on, one rule with a table replaces them.</summary>
    public const int TableThreshold = 6;

    /// <summary>Optimizes every ruleset of <paramref name="config"/> in pfctl's load order (the main ruleset, then each anchor as its anchor rule is reached).</summary>
    public static void Optimize(PfConfig config)
    {
        int automatic = CountAutomaticTables(config.Main);
        var run = new Run(config.Dialect, automatic);
        var done = new HashSet<Ruleset>(ReferenceEqualityComparer.Instance);
        OptimizeTree(config.Main, run, done);
        foreach (var rs in AllRulesets(config.Main))
            if (!done.Contains(rs)) OptimizeTree(rs, run, done);
    }

    private sealed class Run(Dialect dialect, int firstTable)
    {
        public readonly Dialect Dialect = dialect;
        // pfctl numbers temporary tables (what -n prints) and created tables (what the kernel holds) separately,
        // both after the tables the parser made for address pools.
        public int TempTables = firstTable;
        public int KernelTables = firstTable;
    }

    private static void OptimizeTree(Ruleset rs, Run run, HashSet<Ruleset> done)
    {
        if (!done.Add(rs)) return;
        OptimizeRuleset(rs, run);
        foreach (var r in rs.Filter)
            if (r.Anchor is { Wildcard: false } a) OptimizeTree(a.Ruleset, run, done);
    }

    private static IEnumerable<Ruleset> AllRulesets(Ruleset rs)
    {
        yield return rs;
        foreach (var child in rs.Anchors.Values)
            foreach (var d in AllRulesets(child)) yield return d;
    }

    private static int CountAutomaticTables(Ruleset rs)
    {
        int n = 0;
        foreach (var r in AllRulesets(rs))
            foreach (var name in r.Tables.Keys)
                if (name.StartsWith("__automatic_", StringComparison.Ordinal)) n++;
        return n;
    }

    /// <summary>One ruleset's filter rules through pfctl_optimize_ruleset.</summary>
    private static void OptimizeRuleset(Ruleset rs, Run run)
    {
        if (rs.Filter.Count < 2) { Renumber(rs, run); return; }
        var blocks = new LinkedList<Superblock>();
        Superblock? block = null;
        foreach (var r in rs.Filter)
        {
            var por = new OptRule(r, run.Dialect);
            if (block is null || !Inclusive(block, por))
            {
                block = new Superblock();
                blocks.AddLast(block);
            }
            block.Rules.Add(por);
        }
        for (var node = blocks.First; node is not null; node = node.Next)
        {
            var b = node.Value;
            if (b.Rules.Count < 2) continue;
            RemoveIdentical(b);
            CombineRules(b, rs, run);
            SkipReorder.Reorder(blocks, node);
        }
        rs.Filter.Clear();
        foreach (var b in blocks)
            foreach (var por in b.Rules) rs.Filter.Add(por.Rule);
        Renumber(rs, run);
    }

    /// <summary>pfctl_load_ruleset: numbers from 0 in the new order, then <c>$nr</c> in labels, then the printed text.</summary>
    private static void Renumber(Ruleset rs, Run run)
    {
        for (int i = 0; i < rs.Filter.Count; i++)
        {
            var r = rs.Filter[i];
            bool changed = r.Number != i;
            if (r.LabelTemplate is not null && changed)
                rs.Filter[i] = r = r with { Label = r.LabelTemplate.Replace("$nr", i.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            r.Number = i;
            r.Text = RulePrinter.Format(r, run.Dialect);
        }
    }

    /// <summary>superblock_inclusive: a rule joins the current superblock when it carries no barrier field and
    /// agrees with the block's first rule on every field that must not differ (interface groups must match by name).</summary>
    private static bool Inclusive(Superblock block, OptRule por)
    {
        if (por.Barrier) return false;
        var first = block.Rules[0];
        if (InterfaceGroup(por.Rule.Interface) || InterfaceGroup(first.Rule.Interface))
            if (!string.Equals(por.Rule.Interface ?? "", first.Rule.Interface ?? "", StringComparison.OrdinalIgnoreCase)) return false;
        return por.Key.Break == first.Key.Break;
    }

    /// <summary>interface_group: a name that does not end in a digit is a group, whose members may change at run time.</summary>
    private static bool InterfaceGroup(string? ifname) => !string.IsNullOrEmpty(ifname) && !char.IsAsciiDigit(ifname[^1]);

    /// <summary>remove_identical_rules: drops a rule equal to another once the other's wider fields are taken as covering it.</summary>
    private static void RemoveIdentical(Superblock block)
    {
        var rules = block.Rules;
        for (int i = 0; i < rules.Count; i++)
        {
            for (int j = i + 1; j < rules.Count;)
            {
                ref readonly var a = ref rules[i].KeyRef;
                ref readonly var b = ref rules[j].KeyRef;
                if (OptKey.Covered(a, b)) { rules.RemoveAt(j); continue; }
                if (OptKey.Covered(b, a)) { rules.RemoveAt(i); i--; break; }
                j++;
            }
        }
    }

    /// <summary>combine_rules: rules equal but for one address share a table; at the threshold the first keeps the
    /// table and the others go.</summary>
    private static void CombineRules(Superblock block, Ruleset rs, Run run)
    {
        var rules = block.Rules;
        for (int i = 0; i < rules.Count; i++)
        {
            var p1 = rules[i];
            for (int j = i + 1; j < rules.Count;)
            {
                var p2 = rules[j];
                // Cheap tests first: most pairs of a large superblock differ in more than one address.
                if (!p1.KeyRef.Combinable(p2.KeyRef)) { j++; continue; }
                bool srcEq = p1.Key.SrcAddr == p2.Key.SrcAddr && p1.Key.SrcNeg == p2.Key.SrcNeg;
                bool dstEq = p1.Key.DstAddr == p2.Key.DstAddr && p1.Key.DstNeg == p2.Key.DstNeg;
                bool removed = false;
                if (srcEq && !dstEq && p1.SrcTable is null && p2.DstTable is null && p2.SrcTable is null &&
                    OptKey.AddressesCombinable(p1.Key, p2.Key, source: false))
                {
                    p1.DstTable ??= NewTable(run, p1.Rule.To.Address, p1.Rule.Af);
                    p1.DstTable.Add(p2.Rule.To.Address, p1.Rule.Af);
                    p2.DstTable = p1.DstTable;
                    removed = p1.DstTable.RuleCount >= TableThreshold;
                }
                else if (!srcEq && dstEq && p1.DstTable is null && p2.SrcTable is null && p2.DstTable is null &&
                         OptKey.AddressesCombinable(p1.Key, p2.Key, source: true))
                {
                    p1.SrcTable ??= NewTable(run, p1.Rule.From.Address, p1.Rule.Af);
                    p1.SrcTable.Add(p2.Rule.From.Address, p1.Rule.Af);
                    p2.SrcTable = p1.SrcTable;
                    removed = p1.SrcTable.RuleCount >= TableThreshold;
                }
                if (removed) rules.RemoveAt(j);
                else j++;
            }
        }
        // The final pass: the first rule of a table that reached the threshold takes it; the rest are in it.
        for (int i = 0; i < rules.Count; i++)
        {
            var p = rules[i];
            bool drop = false;
            foreach (bool source in new[] { true, false })
            {
                var t = source ? p.SrcTable : p.DstTable;
                if (t is null || t.RuleCount < TableThreshold) continue;
                if (t.Generated) { drop = true; break; }
                t.Generated = true;
                var table = t.Create(run.KernelTables++);
                rs.Tables[table.Name] = table;
                rs.OptimizerTables.Add(table);
                var address = new AddressMatch { Kind = AddressKind.Table, Name = table.Name, Table = table };
                var r = p.Rule;
                p.Rule = source
                    ? r with { From = r.From with { Address = address with { Not = r.From.Address.Not } } }
                    : r with { To = r.To with { Address = address with { Not = r.To.Address.Not } } };
            }
            if (drop) { rules.RemoveAt(i); i--; }
        }
    }

    private static OptTable NewTable(Run run, AddressMatch first, Af af)
    {
        var t = new OptTable($"__automatic_{run.TempTables++}");
        t.Add(first, af);
        return t;
    }

    /// <summary>A run of rules pf may re-order among themselves.</summary>
    internal sealed class Superblock
    {
        public readonly List<OptRule> Rules = [];
    }

    /// <summary>A rule while it is optimized, with the table it is being folded into (pf_opt_rule).</summary>
    internal sealed class OptRule(Rule rule, Dialect dialect)
    {
        public Rule Rule = rule;
        public readonly OptKey Key = OptKey.Of(rule, dialect);
        public ref readonly OptKey KeyRef => ref Key;
        public OptTable? SrcTable;
        public OptTable? DstTable;
        public bool Barrier => Key.Barrier;
    }

    /// <summary>pf_opt_tbl: the addresses gathered for one table and how many rules they came from.</summary>
    internal sealed class OptTable(string tempName)
    {
        public readonly string TempName = tempName;
        public readonly List<TableEntry> Entries = [];
        public int RuleCount;
        public bool Generated;

        public void Add(AddressMatch a, Af af)
        {
            var address = a.Kind == AddressKind.Any ? new Address(af, 0, 0) : a.Address;
            Entries.Add(new TableEntry(address, a.Kind == AddressKind.Any ? 0 : a.Prefix, false));
            RuleCount++;
        }

        /// <summary>The table pf loads: const, named as pfctl -n prints it, with the name the kernel shows.</summary>
        public Table Create(int kernelNumber)
        {
            var t = new Table(TempName) { Const = true, LoadedName = $"__automatic_{kernelNumber}" };
            foreach (var e in Entries)
                if (!t.Entries.Contains(e)) t.Entries.Add(e);
            return t;
        }
    }
}
