using System.Globalization;
using System.Text;
using PfSim.Syntax;

namespace PfSim.Rules;

/// <summary>
/// Prints rules as <c>pfctl -nv</c> does (pfctl_parser.c print_rule, pf_print_state.c print_addr):
/// OpenBSD's current order and FreeBSD 12's, which prints <c>keep state</c>, service names and
/// route-to before the address family.
/// </summary>
public static class RulePrinter
{
    private const string TcpFlags = "FSRPAUEW";

    /// <summary>How many addresses a table or dynamic interface address holds once loaded; -1 when pf has none to count (printed <c>*</c>).</summary>
    public delegate int AddressCount(AddressMatch address, Af af);

    // Set while Format prints a rule as the kernel reports it (pfctl -vvsr): tables and (if) carry their counts.
    [ThreadStatic] private static AddressCount? _counts;

    /// <summary>One rule as <c>pfctl -vvsr</c> prints it once loaded: <c>&lt;table:N&gt;</c> and <c>(if:N)</c> with their address counts.</summary>
    public static string FormatLoaded(Rule r, Dialect dialect, AddressCount counts)
    {
        _counts = counts;
        try { return Format(r, dialect); }
        finally { _counts = null; }
    }

    /// <summary>One rule on one line, without @N and without an inline anchor's body.</summary>
    public static string Format(Rule r, Dialect dialect)
    {
        var sb = new StringBuilder(96);
        bool fb = dialect == Dialect.FreeBsd;
        bool anchor = r.Anchor is not null;
        if (anchor)
        {
            var a = r.Anchor!;
            string kind = a.Kind;
            string last = a.Name.Contains('/') ? a.Name[(a.Name.LastIndexOf('/') + 1)..] : a.Name;
            if (a.Name.Length == 0 || last.StartsWith('_')) sb.Append(kind);
            else if (fb && a.Name.Contains('/')) sb.Append(kind).Append(" \"").Append(a.Name[a.Name.LastIndexOf('/')..]).Append('"');
            else sb.Append(kind).Append(" \"").Append(a.Name).Append('"');
        }
        else
        {
            sb.Append(r.Action switch
            {
                RuleAction.Pass => "pass",
                RuleAction.Block => "block",
                RuleAction.Scrub => "scrub",
                RuleAction.NoScrub => "no scrub",
                RuleAction.Nat => "nat",
                RuleAction.NoNat => "no nat",
                RuleAction.Binat => "binat",
                RuleAction.NoBinat => "no binat",
                RuleAction.Rdr => "rdr",
                RuleAction.NoRdr => "no rdr",
                RuleAction.Match => "match",
                _ => $"action({(int)r.Action})",
            });
            if (r.PassTranslation) sb.Append(" pass");
        }
        if (r.Action == RuleAction.Block) AppendReturn(sb, r, fb);
        if (r.Direction == Direction.In) sb.Append(" in");
        else if (r.Direction == Direction.Out) sb.Append(" out");
        if (r.Log != LogFlags.None)
        {
            sb.Append(" log");
            if ((r.Log & ~LogFlags.Log) != 0 || r.LogInterface != 0)
            {
                var parts = new List<string>();
                if (r.Log.HasFlag(LogFlags.All)) parts.Add("all");
                if (r.Log.HasFlag(LogFlags.Matches) && !fb) parts.Add("matches");
                if (r.Log.HasFlag(LogFlags.User)) parts.Add("user");
                if (r.LogInterface != 0) parts.Add($"to pflog{r.LogInterface}");
                sb.Append(" (").Append(string.Join(", ", parts)).Append(')');
            }
        }
        if (r.Quick) sb.Append(" quick");
        if (r.Interface is not null) sb.Append(r.InterfaceNot ? " on ! " : " on ").Append(r.Interface);
        if (r.RDomain >= 0) sb.Append(r.InterfaceNot ? " on ! rdomain " : " on rdomain ").Append(r.RDomain);
        if (fb && RoutePool(r) is { } fpool)
        {
            sb.Append(' ').Append(r.RouteKind ?? "route-to").Append(' ');
            AppendPoolFreeBsd(sb, fpool, r.Af, route: true, r.Action);
        }
        if (r.Af == Af.Inet) sb.Append(" inet");
        else if (r.Af == Af.Inet6) sb.Append(" inet6");
        if (r.Proto != 0)
        {
            var name = Names.ProtocolName(r.Proto);
            sb.Append(" proto ").Append(name ?? r.Proto.ToString(CultureInfo.InvariantCulture));
        }
        AppendFromTo(sb, r, fb);
        if (!fb && r.ReceivedOn is not null) sb.Append(' ').Append(r.ReceivedOnNot ? "!" : "").Append("received-on ").Append(r.ReceivedOn);
        if (r.Uid.Op != PortOp.None) AppendUgid(sb, r.Uid, "user");
        if (r.Gid.Op != PortOp.None) AppendUgid(sb, r.Gid, "group");
        bool pf = r.Action == RuleAction.Pass || (!fb && r.Action == RuleAction.Match);
        if (r.Flags != 0 || r.FlagsMask != 0)
        {
            sb.Append(" flags ");
            AppendFlags(sb, r.Flags);
            sb.Append('/');
            AppendFlags(sb, r.FlagsMask);
        }
        else if (pf && (r.Proto == 0 || r.Proto == 6) && !r.Fragment && !anchor && r.State != StateMode.None)
            sb.Append(" flags any");
        if (r.IcmpType != 0)
        {
            bool v6 = r.Af == Af.Inet6;
            sb.Append(v6 ? " icmp6-type " : " icmp-type ");
            byte type = (byte)(r.IcmpType - 1);
            sb.Append(Names.IcmpTypeName(type, v6) ?? type.ToString(CultureInfo.InvariantCulture));
            if (r.IcmpCode != 0)
            {
                byte code = (byte)(r.IcmpCode - 1);
                sb.Append(" code ").Append(Names.IcmpCodeName(type, code, v6, fb) ?? code.ToString(CultureInfo.InvariantCulture));
            }
        }
        if (r.Tos is { } tos && tos != 0) sb.Append(" tos 0x").Append(tos.ToString("x2", CultureInfo.InvariantCulture));
        if (r.Prio is { } prio) sb.Append(" prio ").Append(prio);
        if (fb) FreeBsdTail(sb, r, anchor);
        else OpenBsdTail(sb, r, anchor);
        return sb.ToString();
    }

    private static AddressPool? RoutePool(Rule r) => r.RouteTo ?? r.ReplyTo ?? r.DupTo;

    private static void AppendReturn(StringBuilder sb, Rule r, bool fb)
    {
        switch (r.Return)
        {
            case BlockReturn.Return: sb.Append(" return"); break;
            case BlockReturn.ReturnRst:
                sb.Append(r.ReturnTtl == 0 ? " return-rst" : $" return-rst(ttl {r.ReturnTtl})");
                break;
            case BlockReturn.ReturnIcmp:
            case BlockReturn.ReturnIcmp6:
            {
                byte c4 = r.ReturnIcmpCode ?? 3, c6 = r.ReturnIcmp6Code ?? 4;
                string n4 = Names.IcmpCodeName(3, c4, false) ?? c4.ToString(CultureInfo.InvariantCulture);
                string n6 = Names.IcmpCodeName(1, c6, true, fb) ?? c6.ToString(CultureInfo.InvariantCulture);
                if (r.Af == Af.Inet) sb.Append(" return-icmp(").Append(n4).Append(')');
                else if (r.Af == Af.Inet6) sb.Append(" return-icmp6(").Append(n6).Append(')');
                else sb.Append(" return-icmp(").Append(n4).Append(", ").Append(n6).Append(')');
                break;
            }
            default: sb.Append(" drop"); break;
        }
    }

    private static bool IsAnyAddress(AddressMatch a) =>
        a.Kind == AddressKind.Any || (a.Kind == AddressKind.Network && a.Prefix == 0 && a.Address.Hi == 0 && a.Address.Lo == 0);

    private static void AppendFromTo(StringBuilder sb, Rule r, bool fb)
    {
        var s = r.From; var d = r.To;
        if (IsAnyAddress(s.Address) && IsAnyAddress(d.Address) && !s.Address.Not && !d.Address.Not && s.Port.IsAny && d.Port.IsAny && r.Os is null)
        {
            sb.Append(" all");
            return;
        }
        sb.Append(" from ");
        if (s.Address.Not) sb.Append("! ");
        sb.Append(FormatAddress(s.Address, r.Af));
        if (!s.Port.IsAny) AppendPort(sb, s.Port, r.Proto, fb);
        if (r.Os is not null) sb.Append(" os \"").Append(r.Os).Append('"');
        sb.Append(" to ");
        if (d.Address.Not) sb.Append("! ");
        sb.Append(FormatAddress(d.Address, r.Af));
        if (!d.Port.IsAny) AppendPort(sb, d.Port, r.Proto, fb);
    }

    private static void AppendPort(StringBuilder sb, PortMatch p, byte proto, bool names)
    {
        sb.Append(" port");
        string a1 = p.Lo.ToString(CultureInfo.InvariantCulture);
        if (names && p.Op is PortOp.Eq or PortOp.Ne && Names.ServiceName((ushort)p.Lo, udp: proto != 6) is { } n) a1 = n;
        AppendOp(sb, p.Op, a1, p.Hi.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendOp(StringBuilder sb, PortOp op, string a1, string a2)
    {
        switch (op)
        {
            case PortOp.InsideExclusive: sb.Append(' ').Append(a1).Append(" >< ").Append(a2); break;
            case PortOp.Outside: sb.Append(' ').Append(a1).Append(" <> ").Append(a2); break;
            case PortOp.Eq: sb.Append(" = ").Append(a1); break;
            case PortOp.Ne: sb.Append(" != ").Append(a1); break;
            case PortOp.Lt: sb.Append(" < ").Append(a1); break;
            case PortOp.Le: sb.Append(" <= ").Append(a1); break;
            case PortOp.Gt: sb.Append(" > ").Append(a1); break;
            case PortOp.Ge: sb.Append(" >= ").Append(a1); break;
            case PortOp.Range: sb.Append(' ').Append(a1).Append(':').Append(a2); break;
        }
    }

    private static void AppendUgid(StringBuilder sb, PortMatch p, string what)
    {
        sb.Append(' ').Append(what);
        string a1 = p.Lo == uint.MaxValue && p.Op is PortOp.Eq or PortOp.Ne ? "unknown" : p.Lo.ToString(CultureInfo.InvariantCulture);
        AppendOp(sb, p.Op, a1, p.Hi.ToString(CultureInfo.InvariantCulture));
    }

    private static void AppendFlags(StringBuilder sb, byte f)
    {
        for (int i = 0; i < 8; i++)
            if ((f & (1 << i)) != 0) sb.Append(TcpFlags[i]);
    }

    /// <summary>print_addr: any, a.b.c.d[/len], (if[:mod])[/len], &lt;table&gt;, a - b, no-route, urpf-failed, route "x".</summary>
    public static string FormatAddress(AddressMatch a, Af af)
    {
        switch (a.Kind)
        {
            case AddressKind.Any: return "any";
            case AddressKind.Table:
                if (_counts is null) return $"<{a.Name}>";
                int n = _counts(a, af);
                return n < 0 ? $"<{a.Name}:*>" : $"<{a.Name}:{n}>";
            case AddressKind.NoRoute: return "no-route";
            case AddressKind.UrpfFailed: return "urpf-failed";
            case AddressKind.RouteLabel: return $"route \"{a.Name}\"";
            case AddressKind.Range: return $"{a.Address} - {a.RangeEnd}";
            case AddressKind.Dynamic:
            {
                var sb = new StringBuilder("(").Append(a.Name);
                if (a.Modifiers.HasFlag(InterfaceModifier.Network)) sb.Append(":network");
                if (a.Modifiers.HasFlag(InterfaceModifier.Broadcast)) sb.Append(":broadcast");
                if (a.Modifiers.HasFlag(InterfaceModifier.Peer)) sb.Append(":peer");
                if (a.Modifiers.HasFlag(InterfaceModifier.NoAlias)) sb.Append(":0");
                if (_counts is not null)
                {
                    int count = _counts(a, af);
                    sb.Append(count <= 0 ? ":*" : $":{count}");
                }
                sb.Append(')');
                if (a.Prefix >= 0 && a.Prefix < (af == Af.Inet ? 32 : 128)) sb.Append('/').Append(a.Prefix);
                return sb.ToString();
            }
            default:
                if (IsAnyAddress(a)) return "any";
                return FormatNetwork(a.Address, a.Prefix);
        }
    }

    /// <summary>An address with /len unless it is a host address.</summary>
    public static string FormatNetwork(Address address, int prefix) =>
        prefix < address.Bits ? $"{address}/{prefix}" : address.ToString();

    private static void OpenBsdTail(StringBuilder sb, Rule r, bool anchor)
    {
        Extra(sb, r, "max-pkt-rate");
        var set = new List<string>();
        foreach (var key in new[] { "set:prio", "set:queue", "set:tos", "set:delay" })
            foreach (var (k, t) in r.ExtrasKeyed)
                if (k == key) set.Add(t);
        if (set.Count > 0) sb.Append(" set (").Append(string.Join(", ", set)).Append(')');

        var so = r.StateOptions;
        bool ropts = so.MaxStates != 0 || so.MaxSrcNodes != 0 || so.MaxSrcStates != 0 || so.NoSync || HasSourceTrack(so) ||
                     so.IfBound == true || so.Sloppy || so.Pflow || so.Timeouts.Count > 0;
        if (r.State == StateMode.None && r.Action == RuleAction.Pass && !anchor) sb.Append(" no state");
        else if (r.State == StateMode.Keep && ropts) sb.Append(" keep state");
        else if (r.State == StateMode.Modulate) sb.Append(" modulate state");
        else if (r.State == StateMode.Synproxy) sb.Append(" synproxy state");
        AppendProbability(sb, r);
        if (ropts) AppendStateOptions(sb, so, openBsd: true);
        if (r.Fragment) sb.Append(" fragment");
        Extra(sb, r, "scrub");
        if (r.AllowOpts) sb.Append(" allow-opts");
        if (r.Label is not null) sb.Append(" label \"").Append(r.Label).Append('"');
        if (r.Once) sb.Append(" once");
        if (r.Tag is not null) sb.Append(" tag ").Append(r.Tag);
        if (r.Tagged is not null) sb.Append(r.TaggedNot ? " ! tagged " : " tagged ").Append(r.Tagged);
        if (r.RTable >= 0) sb.Append(" rtable ").Append(r.RTable);
        Extra(sb, r, "divert");
        if (!anchor)
        {
            if (r.AfTo != Af.Any && r.AfToFrom is not null)
            {
                sb.Append(" af-to ").Append(r.AfTo == Af.Inet ? "inet" : "inet6").Append(" from ");
                AppendPoolOpenBsd(sb, r.AfToFrom, r.AfTo, nat: true);
                if (r.AfToTo is not null) { sb.Append(" to "); AppendPoolOpenBsd(sb, r.AfToTo, r.AfTo, nat: false); }
            }
            else if (r.NatTo is not null) { sb.Append(" nat-to "); AppendPoolOpenBsd(sb, r.NatTo, r.Af, nat: true); }
            else if (r.RdrTo is not null) { sb.Append(" rdr-to "); AppendPoolOpenBsd(sb, r.RdrTo, r.Af, nat: false); }
            else if (r.BinatTo is not null) { sb.Append(" binat-to "); AppendPoolOpenBsd(sb, r.BinatTo, r.Af, nat: true); }
        }
        if (RoutePool(r) is { } pool)
        {
            sb.Append(' ').Append(r.RouteKind ?? "route-to").Append(' ');
            AppendPoolOpenBsd(sb, pool, r.Af, nat: false, route: true);
        }
    }

    private static bool HasSourceTrack(StateOptions so) => so.SourceTrack != SourceTrack.None;

    private static void Extra(StringBuilder sb, Rule r, string key)
    {
        foreach (var (k, t) in r.ExtrasKeyed)
            if (k == key) sb.Append(' ').Append(t);
    }

    private static void AppendProbability(StringBuilder sb, Rule r)
    {
        if (r.Probability == 0) return;
        string s = (r.Probability * 100.0 / (uint.MaxValue + 1.0)).ToString("F6", CultureInfo.InvariantCulture);
        s = s.TrimEnd('0').TrimEnd('.');
        sb.Append(" probability ").Append(s).Append('%');
    }

    private static readonly string[] TimeoutOrder =
    [
        "tcp.first", "tcp.opening", "tcp.established", "tcp.closing", "tcp.finwait", "tcp.closed", "tcp.tsdiff",
        "udp.first", "udp.single", "udp.multiple", "icmp.first", "icmp.error", "other.first", "other.single",
        "other.multiple", "frag", "interval", "adaptive.start", "adaptive.end", "src.track",
    ];

    private static void AppendStateOptions(StringBuilder sb, StateOptions so, bool openBsd)
    {
        var parts = new List<string>();
        if (so.MaxStates != 0) parts.Add($"max {so.MaxStates}");
        if (so.NoSync) parts.Add("no-sync");
        if (so.SourceTrack != SourceTrack.None) parts.Add(so.SourceTrack == SourceTrack.Rule ? "source-track rule" : "source-track global");
        if (so.MaxSrcStates != 0) parts.Add($"max-src-states {so.MaxSrcStates}");
        if (so.MaxSrcConn != 0) parts.Add($"max-src-conn {so.MaxSrcConn}");
        if (so.MaxSrcConnRateCount != 0) parts.Add($"max-src-conn-rate {so.MaxSrcConnRateCount}/{so.MaxSrcConnRateSeconds}");
        if (so.MaxSrcNodes != 0) parts.Add($"max-src-nodes {so.MaxSrcNodes}");
        string? overload = so.OverloadTable is null ? null : $"overload <{so.OverloadTable}>{(so.Flush ? " flush" : "")}{(so.FlushGlobal ? " global" : "")}";
        var text = new StringBuilder(" (").Append(string.Join(", ", parts));
        // print_rule does not reset its separator after overload: the next option follows without ", ".
        if (overload is not null) text.Append(parts.Count > 0 ? ", " : "").Append(overload);
        bool afterOverload = overload is not null && parts.Count == 0;
        void Add(string s)
        {
            if (afterOverload) { text.Append(s); afterOverload = false; return; }
            text.Append(text.Length > 2 ? ", " : "").Append(s);
        }
        if (so.IfBound == true) Add("if-bound");
        if (so.Sloppy) Add("sloppy");
        if (openBsd && so.Pflow) Add("pflow");
        foreach (var name in TimeoutOrder)
            if (so.Timeouts.TryGetValue(name, out var v)) Add($"{name} {v}");
        text.Append(')');
        sb.Append(text);
    }

    private static void AppendPoolOpenBsd(StringBuilder sb, AddressPool pool, Af af, bool nat, bool route = false)
    {
        if (pool.Addresses.Count > 1) sb.Append("{ ");
        for (int i = 0; i < pool.Addresses.Count; i++)
        {
            var a = pool.Addresses[i];
            if (i > 0) sb.Append(", ");
            if (a.Interface is not null)
            {
                if (!IsAnyAddress(a.Address)) sb.Append(FormatAddress(a.Address, af)).Append('@');
                sb.Append(a.Interface);
            }
            else sb.Append(FormatAddress(a.Address, af));
        }
        if (pool.Addresses.Count > 1) sb.Append(" }");
        if (!route)
        {
            if (nat)
            {
                if ((pool.PortLo != 50001 || pool.PortHi != 65535) && (pool.PortLo != 0 || pool.PortHi != 0))
                    sb.Append(pool.PortLo == pool.PortHi ? $" port {pool.PortLo}" : $" port {pool.PortLo}:{pool.PortHi}");
            }
            else if (pool.PortLo != 0)
            {
                sb.Append(" port ").Append(pool.PortLo);
                if (pool.PortHi != 0 && pool.PortHi != pool.PortLo) sb.Append(':').Append(pool.PortHi);
            }
        }
        AppendPoolType(sb, pool);
        if (nat && !route && pool.StaticPort) sb.Append(" static-port");
    }

    private static void AppendPoolType(StringBuilder sb, AddressPool pool)
    {
        switch (pool.Type)
        {
            case PoolType.Bitmask: sb.Append(" bitmask"); break;
            case PoolType.Random: sb.Append(" random"); break;
            case PoolType.SourceHash: sb.Append(" source-hash"); if (pool.HashKey is not null) sb.Append(' ').Append(pool.HashKey); break;
            case PoolType.RoundRobin: sb.Append(" round-robin"); break;
            case PoolType.LeastStates: sb.Append(" least-states"); break;
        }
        if (pool.StickyAddress) sb.Append(" sticky-address");
    }

    private static void AppendPoolFreeBsd(StringBuilder sb, AddressPool pool, Af af, bool route, RuleAction action)
    {
        if (pool.Addresses.Count > 1) sb.Append("{ ");
        for (int i = 0; i < pool.Addresses.Count; i++)
        {
            var a = pool.Addresses[i];
            if (route)
            {
                if (IsAnyAddress(a.Address) && a.Address.Kind != AddressKind.Dynamic) sb.Append(a.Interface);
                else if (a.Interface is not null) sb.Append('(').Append(a.Interface).Append(' ').Append(FormatAddress(a.Address, af)).Append(')');
                else sb.Append(FormatAddress(a.Address, af));
            }
            else sb.Append(FormatAddress(a.Address, af));
            if (i + 1 < pool.Addresses.Count) sb.Append(", ");
        }
        if (pool.Addresses.Count > 1) sb.Append(" }");
        if (action == RuleAction.Nat && !route)
        {
            if ((pool.PortLo != 50001 || pool.PortHi != 65535) && (pool.PortLo != 0 || pool.PortHi != 0))
                sb.Append(pool.PortLo == pool.PortHi ? $" port {pool.PortLo}" : $" port {pool.PortLo}:{pool.PortHi}");
        }
        else if (action == RuleAction.Rdr && !route && pool.PortLo != 0)
        {
            sb.Append(" port ").Append(pool.PortLo);
            if (pool.PortHi != 0 && pool.PortHi != pool.PortLo) sb.Append(':').Append(pool.PortHi);
        }
        AppendPoolType(sb, pool);
        if (action == RuleAction.Nat && !route && pool.StaticPort) sb.Append(" static-port");
    }

    private static void FreeBsdTail(StringBuilder sb, Rule r, bool anchor)
    {
        var set = new List<string>();
        foreach (var (k, t) in r.ExtrasKeyed) if (k == "set:prio") set.Add(" " + t);
        if (set.Count > 0) sb.Append(" set (").Append(string.Join(",", set)).Append(" )");
        if (r.State == StateMode.None && r.Action == RuleAction.Pass && !anchor) sb.Append(" no state");
        else if (r.State == StateMode.Keep) sb.Append(" keep state");
        else if (r.State == StateMode.Modulate) sb.Append(" modulate state");
        else if (r.State == StateMode.Synproxy) sb.Append(" synproxy state");
        AppendProbability(sb, r);
        var so = r.StateOptions;
        bool ropts = so.MaxStates != 0 || so.MaxSrcNodes != 0 || so.MaxSrcStates != 0 || so.NoSync || HasSourceTrack(so) ||
                     so.IfBound == true || so.Sloppy || so.Timeouts.Count > 0;
        if (ropts) AppendStateOptions(sb, so, openBsd: false);
        if (r.Fragment) sb.Append(" fragment");
        foreach (var key in new[] { "scrub:no-df", "scrub:random-id", "scrub:min-ttl", "scrub:max-mss", "scrub:set-tos" }) Extra(sb, r, key);
        if (r.AllowOpts) sb.Append(" allow-opts");
        if (r.Action == RuleAction.Scrub)
        {
            Extra(sb, r, "scrub:reassemble");
            sb.Append(" fragment reassemble");
        }
        if (r.Label is not null) sb.Append(" label \"").Append(r.Label).Append('"');
        foreach (var (k, t) in r.ExtrasKeyed) if (k == "set:queue") sb.Append(' ').Append(t);
        if (r.Tag is not null) sb.Append(" tag ").Append(r.Tag);
        if (r.Tagged is not null) sb.Append(r.TaggedNot ? " ! tagged " : " tagged ").Append(r.Tagged);
        if (r.RTable >= 0) sb.Append(" rtable ").Append(r.RTable);
        Extra(sb, r, "divert");
        if (!anchor && r.Action is RuleAction.Nat or RuleAction.Binat or RuleAction.Rdr)
        {
            var pool = r.Action == RuleAction.Nat ? r.NatTo : r.Action == RuleAction.Rdr ? r.RdrTo : r.BinatTo;
            if (pool is not null)
            {
                sb.Append(" -> ");
                AppendPoolFreeBsd(sb, pool, r.Af, route: false, r.Action);
            }
        }
    }
}
