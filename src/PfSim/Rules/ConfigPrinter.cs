using System.Text;

namespace PfSim.Rules;

/// <summary>Prints a loaded configuration as <c>pfctl -nv</c> (or <c>-nvv</c> with rule numbers) prints it.</summary>
public static class ConfigPrinter
{
    /// <summary>What pfctl prints while parsing (macros, options, tables), then every rule as loaded.</summary>
    public static string Print(PfConfig config, bool numbers = false)
    {
        var sb = new StringBuilder();
        foreach (var line in config.Printed) sb.Append(line).Append('\n');
        foreach (var q in config.Queues) sb.Append(q).Append('\n');
        PrintRuleset(sb, config.Main, config.Dialect, 0, numbers);
        // pfctl loads (and with -v prints) each "load anchor" file after the main ruleset.
        foreach (var (anchor, _) in config.LoadAnchors)
            if (config.Main.FindAnchor(anchor) is { } rs) PrintRuleset(sb, rs, config.Dialect, 0, numbers);
        return sb.ToString();
    }

    /// <summary>The rules of one ruleset in pf's load order (FreeBSD: scrub, nat, rdr, binat, filter), inline anchors in braces.</summary>
    public static void PrintRuleset(StringBuilder sb, Ruleset rs, Dialect dialect, int depth, bool numbers)
    {
        // The optimizer prints each table it makes (print_tabledef) as it optimizes the ruleset, before its rules load.
        foreach (var t in rs.OptimizerTables)
        {
            sb.Append("table <").Append(t.Name).Append("> const {");
            foreach (var e in t.Entries) sb.Append(' ').Append(RulePrinter.FormatNetwork(e.Address, e.Prefix));
            sb.Append(" }\n");
        }
        foreach (var list in new[] { rs.Scrub, rs.Nat, rs.Rdr, rs.Binat, rs.Filter })
        {
            foreach (var r in list)
            {
                sb.Append(' ', depth * 2);
                if (numbers) sb.Append('@').Append(r.Number).Append(' ');
                sb.Append(r.Text);
                if (r.Anchor is { } a && r.InlineAnchor)
                {
                    sb.Append(" {\n");
                    PrintRuleset(sb, a.Ruleset, dialect, depth + 1, numbers);
                    sb.Append(' ', depth * 2).Append('}');
                }
                sb.Append('\n');
            }
        }
    }
}
