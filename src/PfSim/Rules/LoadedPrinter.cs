using System.Globalization;
using System.Text;

namespace PfSim.Rules;

/// <summary>
/// Prints a loaded ruleset as <c>pfctl -gvvsr</c> shows it (pfctl.c pfctl_show_rules, pfctl_print_rule_counters):
/// each rule with its <c>@N</c>, tables and interface addresses with their address counts, the skip steps the kernel
/// computes (pf_calc_skip_steps), the queue line, and counters, which are zero on a ruleset nothing has crossed yet.
/// </summary>
public static class LoadedPrinter
{
    private static readonly string[] OpenBsdSkipNames = ["i", "d", "r", "f", "p", "sa", "da", "sp", "dp"];
    // FreeBSD has no rdomain step and orders the source port before the destination address.
    private static readonly string[] FreeBsdSkipNames = ["i", "d", "f", "p", "sa", "sp", "da", "dp"];

    /// <summary>The main ruleset of <paramref name="config"/> (FreeBSD: its scrub rules, then its filter rules).</summary>
    public static string Print(PfConfig config) => Print(config, config.Main);

    /// <summary>One ruleset; anchors are listed, not entered, except unnamed inline anchors (as pfctl does without -a 'x/*').</summary>
    public static string Print(PfConfig config, Ruleset rs)
    {
        var sb = new StringBuilder();
        PrintRules(sb, config, rs, 0);
        return sb.ToString();
    }

    private static void PrintRules(StringBuilder sb, PfConfig config, Ruleset rs, int depth)
    {
        bool fb = config.Dialect == Dialect.FreeBsd;
        RulePrinter.AddressCount counts = (a, af) => Count(config, rs, a, af);
        foreach (var list in fb ? new[] { rs.Scrub, rs.Filter } : new[] { rs.Filter })
        {
            var skips = SkipSteps(list, fb);
            for (int i = 0; i < list.Count; i++)
            {
                var r = list[i];
                // pfctl indents nested anchors only without -v (INDENT(depth, !(opts & PF_OPT_VERBOSE))).
                const string indent = "";
                var text = RulePrinter.FormatLoaded(LoadedView(r), config.Dialect, counts);
                sb.Append(indent).Append('@').Append(r.Number.ToString(CultureInfo.InvariantCulture)).Append(' ').Append(text);
                bool inline = r.Anchor is { } a && (a.Name.Length == 0 || a.Name[(a.Name.LastIndexOf('/') + 1)..].StartsWith('_'));
                sb.Append(inline ? " {\n" : "\n");
                sb.Append(indent).Append("  [ Skip steps: ");
                var names = fb ? FreeBsdSkipNames : OpenBsdSkipNames;
                for (int f = 0; f < names.Length; f++)
                {
                    int target = skips[i * names.Length + f];
                    if (target == i + 1 && target < list.Count) continue;
                    sb.Append(names[f]).Append('=').Append(target >= list.Count ? "end" : target.ToString(CultureInfo.InvariantCulture)).Append(' ');
                }
                sb.Append("]\n");
                string queue = "", pqueue = "";
                foreach (var (k, t) in r.ExtrasKeyed)
                {
                    if (k != "set:queue") continue;
                    var q = t.Replace("queue", "").Trim().Trim('(', ')').Split(',', StringSplitOptions.TrimEntries);
                    queue = q[0];
                    pqueue = q.Length > 1 ? q[1] : "";
                }
                sb.Append(indent).Append($"  [ queue: qname={queue} qid=0 pqname={pqueue} pqid=0 ]\n");
                sb.Append(indent).Append($"  [ Evaluations: {0,-8}  Packets: {0,-8}  Bytes: {0,-10}  States: {0,-6}]\n");
                if (inline)
                {
                    PrintRules(sb, config, r.Anchor!.Ruleset, depth + 1);
                    sb.Append(indent).Append("}\n");
                }
            }
        }
    }

    /// <summary>The rule as the kernel hands it back: tables under the name they were loaded with.</summary>
    private static Rule LoadedView(Rule r)
    {
        static AddressMatch Loaded(AddressMatch a) =>
            a.Kind == AddressKind.Table && a.Table?.LoadedName is { } n ? a with { Name = n } : a;
        var from = Loaded(r.From.Address);
        var to = Loaded(r.To.Address);
        if (ReferenceEquals(from, r.From.Address) && ReferenceEquals(to, r.To.Address)) return r;
        return r with { From = r.From with { Address = from }, To = r.To with { Address = to } };
    }

    /// <summary>pfr_ktable's count (-1 when the table is not active: only referenced, never defined), or how many
    /// addresses of the rule's family the interface has (pfi_dynaddr).</summary>
    private static int Count(PfConfig config, Ruleset rs, AddressMatch a, Af af)
    {
        if (a.Kind == AddressKind.Table)
        {
            var t = a.Table ?? rs.FindTable(a.Name!);
            if (t is null || (t.Referenced && t.Entries.Count == 0)) return -1;
            return t.Entries.Distinct().Count();
        }
        if (a.Kind != AddressKind.Dynamic || a.Name is null) return -1;
        int n = 0;
        foreach (var itf in config.Host.InterfacesIn(a.Name))
        {
            int v4 = 0, v6 = 0;
            foreach (var ia in itf.Addresses)
            {
                if (a.Modifiers.HasFlag(InterfaceModifier.Peer) && ia.Peer is null) continue;
                if (a.Modifiers.HasFlag(InterfaceModifier.Broadcast) && ia.Broadcast is null) continue;
                if (ia.Address.IsV4) v4++;
                else v6++;
            }
            if (a.Modifiers.HasFlag(InterfaceModifier.NoAlias)) { v4 = Math.Min(v4, 1); v6 = Math.Min(v6, 1); }
            n += af switch { Af.Inet => v4, Af.Inet6 => v6, _ => v4 + v6 };
        }
        return n;
    }

    /// <summary>pf_calc_skip_steps: for each rule and field, the next rule whose field differs (list.Count = end).</summary>
    public static int[] SkipSteps(IReadOnlyList<Rule> rules, bool freeBsd)
    {
        int fields = freeBsd ? 8 : 9;
        var skip = new int[rules.Count * fields];
        for (int f = 0; f < fields; f++)
        {
            int target = rules.Count;
            for (int i = rules.Count - 1; i >= 0; i--)
            {
                if (i + 1 < rules.Count && Differs(rules[i], rules[i + 1], FieldOf(f, freeBsd))) target = i + 1;
                skip[i * fields + f] = target;
            }
        }
        return skip;
    }

    private enum Field { Ifp, Dir, RDomain, Af, Proto, SrcAddr, DstAddr, SrcPort, DstPort }

    private static Field FieldOf(int f, bool freeBsd) => freeBsd
        ? f switch { 0 => Field.Ifp, 1 => Field.Dir, 2 => Field.Af, 3 => Field.Proto, 4 => Field.SrcAddr, 5 => Field.SrcPort, 6 => Field.DstAddr, _ => Field.DstPort }
        : (Field)f;

    private static bool Differs(Rule a, Rule b, Field f) => f switch
    {
        Field.Ifp => Kif(a) != Kif(b) || a.InterfaceNot != b.InterfaceNot,
        Field.Dir => a.Direction != b.Direction,
        Field.RDomain => a.RDomain != b.RDomain || a.InterfaceNot != b.InterfaceNot,
        Field.Af => a.Af != b.Af,
        Field.Proto => a.Proto != b.Proto,
        Field.SrcAddr => a.From.Address.Not != b.From.Address.Not || AddressDiffers(a.From.Address, b.From.Address),
        Field.DstAddr => a.To.Address.Not != b.To.Address.Not || AddressDiffers(a.To.Address, b.To.Address),
        Field.SrcPort => a.From.Port != b.From.Port,
        _ => a.To.Port != b.To.Port,
    };

    private static string Kif(Rule r) => r.Interface is null or "any" ? "" : r.Interface;

    /// <summary>pf_addr_wrap_neq.</summary>
    private static bool AddressDiffers(AddressMatch a, AddressMatch b)
    {
        bool az = OptKey.IsZero(a), bz = OptKey.IsZero(b);
        if (az || bz) return az != bz;
        if (a.Kind != b.Kind) return true;
        return a.Kind switch
        {
            AddressKind.Network => a.Address != b.Address || a.Prefix != b.Prefix,
            AddressKind.Range => a.Address != b.Address || a.RangeEnd != b.RangeEnd,
            AddressKind.Dynamic => a.Name != b.Name || a.Modifiers != b.Modifiers || a.Prefix != b.Prefix,
            AddressKind.Table => a.Name != b.Name,
            AddressKind.RouteLabel => a.Name != b.Name,
            _ => false,
        };
    }
}
