using System.Globalization;
using System.Text;
using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>
/// FreeBSD ALTQ statements (<c>altq on IF sched(…) bandwidth B queue { … }</c>, <c>queue NAME … { … }</c>): read and
/// printed as pfctl -nv prints them (parse.y expand_altq/expand_queue, pfctl_altq.c print_altq/print_queue). Queueing
/// does not change pass/block, so nothing else keeps them.
/// </summary>
internal sealed partial class Parser
{
    private const uint AltqDefaultPriority = 1, AltqDefaultQLimit = 50;
    private const ulong AssumedLinkSpeed = 100_000_000;
    // The scheduler of the last altq on each interface: its queues print that scheduler's options.
    private readonly Dictionary<string, string> _altqScheduler = new(StringComparer.Ordinal);
    private string? _lastAltqScheduler;

    private static readonly string[] CbqFlagOrder = ["red", "ecn", "rio", "codel", "cleardscp", "flowvalve", "borrow", "wrr", "efficient", "root", "default"];
    private static readonly string[] PriqFlagOrder = ["red", "ecn", "rio", "codel", "default"];

    private void AltqStatement()
    {
        var first = Advance();
        bool root = first.Text == "altq";
        string? name = null;
        var ifnames = new List<string>();
        if (root)
        {
            ExpectWord("on");
            ifnames.AddRange(InterfaceList(false).Select(i => i.Name));
        }
        else
        {
            name = ExpectString();
            if (AcceptWord("on")) ifnames.AddRange(InterfaceList(false).Select(i => i.Name));
        }
        Bandwidth bw = default;
        uint priority = AltqDefaultPriority, qlimit = AltqDefaultQLimit, tbrsize = 0;
        string? scheduler = null;
        var flags = new List<string>();
        var children = new List<string>();
        while (true)
        {
            var t = Peek();
            if (t.IsWord("bandwidth")) { Advance(); bw = BandwidthValue(); continue; }
            if (t.IsWord("priority")) { Advance(); priority = Num32(t); continue; }
            if (t.IsWord("qlimit")) { Advance(); qlimit = Num32(t); continue; }
            if (t.IsWord("tbrsize")) { Advance(); tbrsize = Num32(t); continue; }
            if (t.Kind == TokenKind.Word && t.Text is "cbq" or "priq" or "hfsc" or "fairq" or "codel")
            {
                Advance();
                scheduler = t.Text;
                if (AcceptChar('('))
                {
                    while (!AcceptChar(')'))
                    {
                        // Flags such as "default" are keywords elsewhere: any word is a flag here.
                        var f = Advance();
                        if (f.Kind != TokenKind.Word) throw Syntax(f);
                        flags.Add(f.Text);
                        OptComma();
                    }
                }
                continue;
            }
            if (root && t.IsWord("queue")) { Advance(); QueueAssignment(children); continue; }
            if (!root && t.IsChar('{')) { QueueAssignment(children); continue; }
            break;
        }
        if (root)
        {
            if (scheduler is null) { Error(first.Line, "no scheduler specified!"); return; }
            foreach (var ifname in ifnames) _altqScheduler[ifname] = scheduler;
            _lastAltqScheduler = scheduler;
            // Without an absolute bandwidth pfctl takes a share of the interface's speed (getifspeed). The host model
            // has no link speeds: PfSim assumes 100 Mb/s, which only shows in the printed tbrsize.
            ulong ifBandwidth = bw.BitsPerSecond != 0 ? bw.BitsPerSecond : AssumedLinkSpeed * (bw.Percent == 0 ? 100u : bw.Percent) / 100;
            foreach (var ifname in ifnames)
            {
                var sb = new StringBuilder("altq on ").Append(ifname).Append(' ');
                AppendScheduler(sb, scheduler, flags, always: true);
                if (bw.Percent is > 0 and < 100) sb.Append("bandwidth ").Append(bw.Percent).Append("% ");
                else if (bw.BitsPerSecond != 0) sb.Append("bandwidth ").Append(RateString(ifBandwidth)).Append(' ');
                if (qlimit != AltqDefaultQLimit) sb.Append("qlimit ").Append(qlimit).Append(' ');
                sb.Append("tbrsize ").Append(tbrsize != 0 ? tbrsize : DefaultTokenBucket(ifBandwidth)).Append(' ');
                if (children.Count > 0) sb.Append("queue { ").Append(string.Concat(children.Select(c => c + " "))).Append('}');
                Print(sb.ToString());
            }
            return;
        }
        string sched = scheduler ?? (ifnames.Count > 0 && _altqScheduler.TryGetValue(ifnames[0], out var s) ? s : _lastAltqScheduler ?? "cbq");
        var q = new StringBuilder("queue ").Append(name).Append(' ');
        if (ifnames.Count > 0) q.Append("on ").Append(ifnames[0]).Append(' ');
        if (sched is "cbq" or "hfsc" or "fairq")
        {
            if (bw.Percent is > 0 and < 100) q.Append("bandwidth ").Append(bw.Percent).Append("% ");
            else if (bw.BitsPerSecond != 0) q.Append("bandwidth ").Append(RateString(bw.BitsPerSecond)).Append(' ');
        }
        if (priority != AltqDefaultPriority) q.Append("priority ").Append(priority).Append(' ');
        if (qlimit != AltqDefaultQLimit) q.Append("qlimit ").Append(qlimit).Append(' ');
        AppendScheduler(q, sched, flags, always: false);
        if (children.Count > 0) q.Append("{ ").Append(string.Concat(children.Select(c => c + " "))).Append('}');
        Print(q.ToString());
    }

    /// <summary>qassign: one queue name, or a braced list.</summary>
    private void QueueAssignment(List<string> names)
    {
        if (!AcceptChar('{')) { names.Add(ExpectString()); return; }
        SkipNewlines();
        while (!AcceptChar('}'))
        {
            names.Add(ExpectString());
            OptComma();
            SkipNewlines();
        }
    }

    /// <summary>print_cbq_opts / print_priq_opts: "cbq( red default ) " in pfctl's flag order; a bare scheduler name
    /// only on the altq line (a queue without options prints nothing).</summary>
    private static void AppendScheduler(StringBuilder sb, string scheduler, List<string> flags, bool always)
    {
        if (flags.Count == 0)
        {
            if (always) sb.Append(scheduler).Append(' ');
            return;
        }
        var order = scheduler == "priq" ? PriqFlagOrder : scheduler == "cbq" ? CbqFlagOrder : null;
        var ordered = order is null ? flags : order.Where(flags.Contains).Concat(flags.Where(f => !order.Contains(f))).ToList();
        sb.Append(scheduler).Append('(');
        foreach (var f in ordered) sb.Append(' ').Append(f);
        sb.Append(" ) ");
    }

    /// <summary>rate2str: the rate in b, Kb, Mb or Gb, with two decimals when it is not whole.</summary>
    private static string RateString(double rate)
    {
        const string unit = " KMG";
        int i = 0;
        for (; rate >= 1000 && i <= 3; i++) rate /= 1000;
        return (int)(rate * 100) % 100 != 0
            ? rate.ToString("F2", CultureInfo.InvariantCulture) + unit[i] + "b"
            : ((int)rate).ToString(CultureInfo.InvariantCulture) + unit[i] + "b";
    }

    /// <summary>pfctl_altq.c's tbrsize heuristic: a few MTUs (1500 here), more for faster links.</summary>
    private static uint DefaultTokenBucket(ulong rate)
    {
        uint packets = rate <= 1_000_000 ? 1u : rate <= 10_000_000 ? 4u : rate <= 200_000_000 ? 8u : rate <= 2_500_000_000 ? 24u : 128u;
        return packets * 1500;
    }
}
