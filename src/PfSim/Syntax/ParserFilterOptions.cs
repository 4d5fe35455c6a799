using System.Globalization;
using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>filter_opts of parse.y: everything after from/to.</summary>
internal sealed partial class Parser
{
    private void FilterOptions(RuleSpec r)
    {
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.Char && t.Text == "!")
            {
                Advance();
                var n = Peek();
                if (n.IsWord("tagged")) { Advance(); r.TaggedNot = true; r.Tagged = TagName(); continue; }
                if (n.IsWord("received-on")) { Advance(); r.ReceivedOnNot = true; r.ReceivedOn = InterfaceItem(false).Name; continue; }
                throw Syntax(n);
            }
            if (t.Kind != TokenKind.Word) return;
            switch (t.Text)
            {
                // A later user/group option's list goes before the earlier ones (parse.y links it in front).
                case "user": { Advance(); var l = new List<PortMatch>(); UgidList(l, user: true); r.Uids.InsertRange(0, l); break; }
                case "group": { Advance(); var l = new List<PortMatch>(); UgidList(l, user: false); r.Gids.InsertRange(0, l); break; }
                case "flags": Advance(); FlagsSpec(r); break;
                case "icmp-type": Advance(); IcmpList(r, v6: false); break;
                case "icmp6-type": Advance(); IcmpList(r, v6: true); break;
                case "tos": Advance(); r.Tos = TosValue(); break;
                case "prio":
                {
                    Advance();
                    long p = ExpectNumber();
                    if (p < 0 || p > 7) throw new SyntaxFail(t.Line, "prio must be 0 - 7");
                    r.Prio = (byte)p;
                    break;
                }
                case "no":
                    Advance();
                    ExpectWord("state");
                    r.State = StateMode.None;
                    break;
                case "keep": Advance(); ExpectWord("state"); r.State = StateMode.Keep; StateOptions(r); break;
                case "modulate": Advance(); ExpectWord("state"); r.State = StateMode.Modulate; StateOptions(r); break;
                case "synproxy": Advance(); ExpectWord("state"); r.State = StateMode.Synproxy; StateOptions(r); break;
                case "fragment":
                    Advance();
                    if (FreeBsd && r.Action == RuleAction.Scrub) { ScrubFragment(r); break; }
                    r.Fragment = true;
                    break;
                case "allow-opts": Advance(); r.AllowOpts = true; break;
                case "label":
                {
                    Advance();
                    var l = Advance();
                    if (!l.IsString) throw Syntax(l);
                    if (r.Label is not null) throw new SyntaxFail(t.Line, "label cannot be redefined");
                    if (l.Text.Length >= 64) throw new SyntaxFail(t.Line, "rule label too long (max 63 chars)");
                    r.Label = l.Text.Length == 0 ? null : l.Text;
                    break;
                }
                case "tag": Advance(); r.Tag = TagName(); break;
                case "tagged": Advance(); r.Tagged = TagName(); break;
                case "received-on": Advance(); r.ReceivedOn = InterfaceItem(false).Name; break;
                case "once": Advance(); r.Once = true; break;
                case "rtable":
                {
                    Advance();
                    long n = ExpectNumber();
                    if (n < 0 || n > 255) throw new SyntaxFail(t.Line, "invalid rtable id");
                    r.RTable = (int)n;
                    break;
                }
                case "probability": Advance(); Probability(r); break;
                case "queue": Advance(); QueueOption(r); break;
                case "max-pkt-rate":
                {
                    Advance();
                    long n = ExpectNumber();
                    ExpectChar('/');
                    long s = ExpectNumber();
                    r.Extras.Add(("max-pkt-rate", $"max-pkt-rate {n}/{s}"));
                    break;
                }
                case "set":
                    Advance();
                    SetActionOptions(r);
                    break;
                case "scrub":
                    Advance();
                    ScrubOptions(r);
                    break;
                case "divert-to":
                {
                    Advance();
                    if (r.Extras.Any(e => e.Key == "divert")) throw new SyntaxFail(t.Line, "more than one divert option");
                    if (FreeBsd)
                    {
                        // FreeBSD's divert-to names a divert(4) port (an address before it is accepted and not kept).
                        if (!Peek().IsWord("port") && (Peek().Kind == TokenKind.Number && !IsAddressAhead()))
                        {
                            var (fp, _, _) = PortRange();
                            r.Extras.Add(("divert", $"divert-to {fp}"));
                            break;
                        }
                        HostItem(allowTable: false);
                        ExpectWord("port");
                        var (fp2, _, _) = PortRange();
                        r.Extras.Add(("divert", $"divert-to {fp2}"));
                        break;
                    }
                    var h = HostItem(allowTable: false) ?? throw new SyntaxFail(-1, "");
                    ExpectWord("port");
                    var (p, _, _) = PortRange();
                    r.DivertHosts = h;
                    r.DivertPort = p;
                    r.DivertDirection = Direction.In;
                    r.Extras.Add(("divert", ""));
                    break;
                }
                case "divert-reply":
                    Advance();
                    if (r.Extras.Any(e => e.Key == "divert")) throw new SyntaxFail(t.Line, "more than one divert option");
                    r.DivertDirection = Direction.Out;
                    r.Extras.Add(("divert", "divert-reply"));
                    break;
                case "divert-packet":
                {
                    Advance();
                    if (r.Extras.Any(e => e.Key == "divert")) throw new SyntaxFail(t.Line, "more than one divert option");
                    ExpectWord("port");
                    var (p, _, _) = PortRange();
                    r.Extras.Add(("divert", $"divert-packet port {p}"));
                    break;
                }
                case "nat-to": Advance(); r.NatTo = RedirPool(nat: true); PoolOptions(r.NatTo); break;
                case "rdr-to": Advance(); r.RdrTo = RedirPool(nat: false); PoolOptions(r.RdrTo); break;
                case "binat-to": Advance(); r.BinatTo = RedirPool(nat: true); PoolOptions(r.BinatTo); break;
                case "af-to":
                {
                    Advance();
                    var fam = Advance();
                    var pool = new PoolSpec { AfToFamily = fam.IsWord("inet") ? Af.Inet : fam.IsWord("inet6") ? Af.Inet6 : throw Syntax(fam) };
                    ExpectWord("from");
                    var src = RedirPool(nat: true);
                    PoolOptions(src);
                    src.AfToFamily = pool.AfToFamily;
                    r.AfTo = src;
                    if (AcceptWord("to")) { r.AfToRdr = RedirPool(nat: false); PoolOptions(r.AfToRdr); }
                    break;
                }
                case "route-to": case "reply-to": case "dup-to":
                    FreeBsdRouteOption(r);
                    break;
                default:
                    return;
            }
        }
    }

    /// <summary>A number token that starts an address ("127.0.0.1" lexes as a word, "10" as a number).</summary>
    private bool IsAddressAhead() => Peek().Kind == TokenKind.Word && Address.TryParse(Peek().Text, out _);

    private string TagName()
    {
        var t = Advance();
        if (!t.IsString) throw Syntax(t);
        if (t.Text.Length >= 64) throw new SyntaxFail(t.Line, "tag too long, max 63 chars");
        return t.Text;
    }

    private void UgidList(List<PortMatch> list, bool user)
    {
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}')) { list.Add(UgidItem(user)); OptComma(); SkipNewlines(); }
            return;
        }
        list.Add(UgidItem(user));
    }

    private PortMatch UgidItem(bool user)
    {
        var t = Peek();
        PortOp op = UnaryOp(t);
        if (op != PortOp.None)
        {
            Advance();
            uint v = Ugid(user);
            return new PortMatch(op, v, v);
        }
        uint a = Ugid(user);
        if (Peek().Kind == TokenKind.PortBinary)
        {
            var pb = Advance();
            uint b = Ugid(user);
            return new PortMatch(pb.Text == "<>" ? PortOp.Outside : PortOp.InsideExclusive, a, b);
        }
        return new PortMatch(PortOp.Eq, a, a);
    }

    private uint Ugid(bool user)
    {
        var t = Advance();
        string what = user ? "uid" : "gid";
        if (t.Kind == TokenKind.Number)
        {
            if (t.Number < 0 || t.Number >= uint.MaxValue) throw new SyntaxFail(t.Line, $"illegal {what} value {t.Number}");
            return (uint)t.Number;
        }
        if (!t.IsString) throw Syntax(t);
        if (t.Text == "unknown") return uint.MaxValue;
        var table = user ? _options.Host.Users : _options.Host.Groups;
        if (table.TryGetValue(t.Text, out var id)) return id;
        throw new SyntaxFail(t.Line, $"unknown {(user ? "user" : "group")} {t.Text}");
    }

    private void FlagsSpec(RuleSpec r)
    {
        r.FlagsSet = true;
        if (AcceptWord("any")) { r.FlagsAny = true; r.Flags = 0; r.FlagsMask = 0; return; }
        byte set = 0, mask = 0;
        var t = Peek();
        if (!t.IsChar('/'))
        {
            var f = Advance();
            if (!f.IsString) throw Syntax(f);
            set = ParseFlags(f);
        }
        ExpectChar('/');
        var m = Advance();
        if (!m.IsString) throw Syntax(m);
        mask = ParseFlags(m);
        r.Flags = set;
        r.FlagsMask = mask;
    }

    private static byte ParseFlags(Token t)
    {
        const string all = "FSRPAUEW";
        int f = 0;
        foreach (char c in t.Text)
        {
            int i = all.IndexOf(c);
            if (i < 0) throw new SyntaxFail(t.Line, $"bad flags {t.Text}");
            f |= 1 << i;
        }
        return (byte)(f == 0 ? 0xff : f);
    }

    private void IcmpList(RuleSpec r, bool v6)
    {
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}')) { r.IcmpTypes.Add(IcmpItem(v6)); OptComma(); SkipNewlines(); }
            return;
        }
        r.IcmpTypes.Add(IcmpItem(v6));
    }

    private IcmpSpec IcmpItem(bool v6)
    {
        var t = Advance();
        byte type;
        if (t.Kind == TokenKind.Number)
        {
            if (t.Number < 0 || t.Number > 255) throw new SyntaxFail(t.Line, $"illegal icmp-type {t.Number}");
            type = (byte)t.Number;
        }
        else if (t.IsString)
        {
            if (!Names.TryIcmpType(t.Text, v6, out type)) throw new SyntaxFail(t.Line, $"unknown icmp{(v6 ? "6" : "")}-type {t.Text}");
        }
        else throw Syntax(t);
        byte code = 0;
        if (AcceptWord("code"))
        {
            var c = Advance();
            if (c.Kind == TokenKind.Number)
            {
                if (c.Number < 0 || c.Number > 255) throw new SyntaxFail(c.Line, $"illegal icmp-code {c.Number}");
                code = (byte)(c.Number + 1);
            }
            else if (c.IsString)
            {
                if (!Names.TryIcmpCode(type, c.Text, v6, out var cc)) throw new SyntaxFail(c.Line, $"unknown icmp-code {c.Text}");
                code = (byte)(cc + 1);
            }
            else throw Syntax(c);
        }
        return new IcmpSpec((byte)(type + 1), code, v6 ? Af.Inet6 : Af.Inet);
    }

    private byte TosValue()
    {
        var t = Advance();
        long v;
        if (t.Kind == TokenKind.Number) v = t.Number;
        else if (t.IsString)
        {
            v = t.Text switch
            {
                "lowdelay" => 0x10,
                "throughput" => 0x08,
                "reliability" => 0x04,
                _ => TryStrtoul(t.Text, out var u) ? (long)Math.Min(u, 256) : -1,
            };
        }
        else throw Syntax(t);
        if (v < 0 || v > 255) throw new SyntaxFail(t.Line, $"illegal tos value {t.Text}");
        return (byte)v;
    }

    private void Probability(RuleSpec r)
    {
        var t = Advance();
        string s = t.Text;
        bool percent = false;
        if (t.Kind == TokenKind.Number && Peek().IsChar('%')) { Advance(); percent = true; }
        if (s.EndsWith('%')) { s = s[..^1]; percent = true; }
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double p)) throw Syntax(t);
        if (percent) p /= 100.0;
        if (p < 0.0 || p > 1.0) throw new SyntaxFail(t.Line, "invalid probability: " + t.Text);
        r.Probability = (uint)(p * uint.MaxValue + 0.5);
        if (r.Probability == 0) r.Probability = 1;
    }

    private void QueueOption(RuleSpec r)
    {
        string text;
        if (AcceptChar('('))
        {
            var a = ExpectString();
            if (AcceptChar(','))
            {
                var b = ExpectString();
                ExpectChar(')');
                text = $"queue({a}, {b})";
            }
            else { ExpectChar(')'); text = $"queue {a}"; }
        }
        else text = $"queue {ExpectString()}";
        r.Extras.Add(("set:queue", text));
    }

    private void SetActionOptions(RuleSpec r)
    {
        bool paren = AcceptChar('(');
        do
        {
            SkipNewlines();
            var t = Advance();
            if (t.IsWord("prio"))
            {
                if (AcceptChar('('))
                {
                    long a = ExpectNumber(); OptComma(); long b = ExpectNumber(); ExpectChar(')');
                    if (a is < 0 or > 7 || b is < 0 or > 7) throw new SyntaxFail(t.Line, "prio must be 0 - 7");
                    r.Extras.Add(("set:prio", a == b ? $"prio {a}" : $"prio({a}, {b})"));
                }
                else
                {
                    long a = ExpectNumber();
                    if (a is < 0 or > 7) throw new SyntaxFail(t.Line, "prio must be 0 - 7");
                    r.Extras.Add(("set:prio", $"prio {a}"));
                }
            }
            else if (t.IsWord("queue")) QueueOption(r);
            else if (t.IsWord("tos")) r.Extras.Add(("set:tos", $"tos 0x{TosValue():x2}"));
            else if (t.IsWord("delay")) r.Extras.Add(("set:delay", $"delay {ExpectNumber()}"));
            else throw Syntax(t);
        } while (paren && AcceptChar(','));
        if (paren) ExpectChar(')');
    }

    private void ScrubOptions(RuleSpec r)
    {
        ExpectChar('(');
        var parts = new List<string>();
        bool nodf = false, randomId = false, reassembleTcp = false;
        long minTtl = 0, maxMss = 0;
        while (!AcceptChar(')'))
        {
            var t = Advance();
            if (t.IsWord("no-df")) nodf = true;
            else if (t.IsWord("random-id")) randomId = true;
            else if (t.IsWord("min-ttl")) minTtl = ExpectNumber();
            else if (t.IsWord("max-mss")) maxMss = ExpectNumber();
            else if (t.IsWord("reassemble")) { var w = ExpectString(); if (w != "tcp") throw Syntax(t); reassembleTcp = true; }
            else throw Syntax(t);
            OptComma();
        }
        if (nodf) parts.Add("no-df");
        if (randomId) parts.Add("random-id");
        if (minTtl != 0) parts.Add($"min-ttl {minTtl}");
        if (reassembleTcp) parts.Add("reassemble tcp");
        if (maxMss != 0) parts.Add($"max-mss {maxMss}");
        r.Extras.Add(("scrub", $"scrub ({string.Join(' ', parts)})"));
    }

    /// <summary>keep state (…): state options in source order.</summary>
    private void StateOptions(RuleSpec r)
    {
        if (!AcceptChar('(')) return;
        StateOptionList(r, ')', parenthesized: true);
    }

    private void StateOptionList(RuleSpec r, char close, bool parenthesized)
    {
        SkipNewlines();
        while (true)
        {
            if (parenthesized && AcceptChar(close)) break;
            if (!parenthesized && (Peek().Kind is TokenKind.Newline or TokenKind.Eof)) break;
            var t = Advance();
            if (t.IsWord("max")) r.StateOpts.Add(new StateOption("max", null, Num32(t)));
            else if (t.IsWord("no-sync")) r.StateOpts.Add(new StateOption("no-sync"));
            else if (t.IsWord("max-src-states")) r.StateOpts.Add(new StateOption("max-src-states", null, Num32(t)));
            else if (t.IsWord("max-src-conn")) r.StateOpts.Add(new StateOption("max-src-conn", null, Num32(t)));
            else if (t.IsWord("max-src-nodes")) r.StateOpts.Add(new StateOption("max-src-nodes", null, Num32(t)));
            else if (t.IsWord("max-src-conn-rate"))
            {
                uint a = Num32(t);
                ExpectChar('/');
                uint b = Num32(t);
                r.StateOpts.Add(new StateOption("max-src-conn-rate", null, a, b));
            }
            else if (t.IsWord("overload"))
            {
                ExpectChar('<');
                var name = ExpectString();
                ExpectChar('>');
                string? flush = null;
                if (AcceptWord("flush")) flush = AcceptWord("global") ? "global" : "";
                r.StateOpts.Add(new StateOption("overload", name, flush is null ? 0u : flush == "global" ? 2u : 1u));
            }
            else if (t.IsWord("source-track"))
            {
                string? kind = AcceptWord("global") ? "global" : AcceptWord("rule") ? "rule" : null;
                if (r.StateOpts.Any(o => o.Name == "source-track")) throw new SyntaxFail(t.Line, "state option 'source-track' multiple definitions");
                r.StateOpts.Add(new StateOption("source-track", kind));
            }
            else if (t.IsWord("if-bound")) r.StateOpts.Add(new StateOption("if-bound"));
            else if (t.IsWord("floating")) r.StateOpts.Add(new StateOption("floating"));
            else if (t.IsWord("sloppy")) r.StateOpts.Add(new StateOption("sloppy"));
            else if (t.IsWord("pflow")) r.StateOpts.Add(new StateOption("pflow"));
            else if (t.IsString || t.IsWord("interval"))
            {
                var v = ExpectNumber();
                if (!TimeoutNames.Contains(t.Text)) throw new SyntaxFail(t.Line, $"illegal timeout name {t.Text}");
                if (v < 0 || v > uint.MaxValue) throw new SyntaxFail(t.Line, "only positive values permitted");
                r.StateOpts.Add(new StateOption("timeout", t.Text, (uint)v));
            }
            else throw Syntax(t);
            OptComma();
            if (parenthesized) SkipNewlines();
        }
    }

    private uint Num32(Token at)
    {
        long v = ExpectNumber();
        if (v < 0 || v > uint.MaxValue) throw new SyntaxFail(at.Line, "only positive values permitted");
        return (uint)v;
    }
}
