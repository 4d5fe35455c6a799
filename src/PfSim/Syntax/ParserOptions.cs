using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary><c>set …</c> options, <c>table</c> definitions, queues and the statements PfSim reads but does not simulate.</summary>
internal sealed partial class Parser
{
    private static readonly HashSet<string> TimeoutNames =
    [
        "tcp.first", "tcp.opening", "tcp.established", "tcp.closing", "tcp.finwait", "tcp.closed", "tcp.tsdiff",
        "udp.first", "udp.single", "udp.multiple", "icmp.first", "icmp.error", "other.first", "other.single",
        "other.multiple", "frag", "interval", "adaptive.start", "adaptive.end", "src.track",
    ];

    private static readonly HashSet<string> LimitNames = ["states", "src-nodes", "frags", "tables", "table-entries", "pktdelay-pkts", "anchors"];

    private void Print(string line) => _config.Printed.Add(line);

    private void SetOption()
    {
        var t = Advance();
        var opts = _config.Options;
        if (t.Kind != TokenKind.Word) throw Syntax(t);
        switch (t.Text)
        {
            case "optimization":
            {
                var v = ExpectString();
                string? canon = v switch
                {
                    "normal" or "default" => "normal",
                    "high-latency" or "satellite" => v,
                    "aggressive" or "conservative" => v,
                    _ => null,
                };
                if (canon is null) { Error(t.Line, $"unknown optimization {v}"); return; }
                opts.Optimization = v;
                Print($"set optimization {v}");
                return;
            }
            case "ruleset-optimization":
            {
                var v = ExpectString();
                if (v is not ("none" or "basic" or "profile")) { Error(t.Line, "unknown ruleset-optimization " + v); return; }
                opts.RulesetOptimization = v;
                Print($"set ruleset-optimization {v}");
                return;
            }
            case "timeout":
                if (AcceptChar('{'))
                {
                    SkipNewlines();
                    while (!AcceptChar('}')) { TimeoutSpec(); OptComma(); SkipNewlines(); }
                }
                else TimeoutSpec();
                return;
            case "limit":
                if (AcceptChar('{'))
                {
                    SkipNewlines();
                    while (!AcceptChar('}')) { LimitSpec(); OptComma(); SkipNewlines(); }
                }
                else LimitSpec();
                return;
            case "loginterface":
            {
                var v = Advance();
                if (!(v.IsString || v.IsWord("none"))) throw Syntax(v);
                Print($"set loginterface {v.Text}");
                return;
            }
            case "hostid":
            {
                var nt = Advance();
                long n;
                if (nt.Kind == TokenKind.Number) n = nt.Number;
                else if (nt.IsString && TryStrtoul(nt.Text, out var hv) && hv <= uint.MaxValue) n = (long)hv;
                else if (nt.IsString) { Error(nt.Line, $"{nt.Text} is not a number"); return; }
                else throw Syntax(nt);
                if (n == 0) { Error(t.Line, "hostid must be non-zero"); return; }
                Print($"set hostid 0x{(uint)n:x8}");
                return;
            }
            case "block-policy":
                if (AcceptWord("drop")) { opts.BlockPolicyReturn = false; Print("set block-policy drop"); return; }
                if (AcceptWord("return")) { opts.BlockPolicyReturn = true; Print("set block-policy return"); return; }
                throw Syntax(Peek());
            case "fail-policy":
                if (AcceptWord("drop") || AcceptWord("return")) return;
                throw Syntax(Peek());
            case "state-policy":
                if (AcceptWord("if-bound")) { opts.StatePolicyIfBound = true; Print("set state-policy if-bound"); return; }
                if (AcceptWord("floating")) { opts.StatePolicyIfBound = false; Print("set state-policy floating"); return; }
                throw Syntax(Peek());
            case "require-order":
            {
                var v = YesNo();
                _requireOrder = v == "yes";
                return;
            }
            case "fingerprints":
                ExpectString();
                return;
            case "debug":
                ExpectString();
                return;
            case "reassemble":
            {
                var v = YesNo();
                bool nodf = AcceptWord("no-df");
                opts.Reassemble = v == "yes";
                Print($"set reassemble {v} {(nodf ? "no-df" : "")}");
                return;
            }
            case "skip":
            {
                ExpectWord("on");
                foreach (var i in InterfaceList(allowRDomain: false)) opts.Skip.Add(i.Name);
                return;
            }
            case "state-defaults":
            {
                // set state-defaults takes the option list without parentheses.
                var spec = new RuleSpec();
                StateOptionList(spec, ')', parenthesized: false);
                return;
            }
            case "keepcounters":
                return;
            case "syncookies":
            {
                var v = Advance();
                if (v.IsWord("adaptive") || v.Text is "adaptive" or "never" or "always")
                {
                    if (AcceptChar('('))
                    {
                        while (!AcceptChar(')')) Advance();
                    }
                    return;
                }
                throw Syntax(v);
            }
            case "prio":
                ExpectNumber();
                return;
            default:
                throw Syntax(t);
        }
    }

    /// <summary>yesno: the words yes and no ("no" is also a keyword).</summary>
    private string YesNo()
    {
        var t = Advance();
        if (t.Kind == TokenKind.Word && t.Text is "yes" or "no") return t.Text;
        throw Syntax(t);
    }

    private void TimeoutSpec()
    {
        var name = Advance();
        if (!(name.IsString || name.IsWord("interval"))) throw Syntax(name);
        long v = ExpectNumber();
        if (!TimeoutNames.Contains(name.Text)) { Error(name.Line, "unknown timeout " + name.Text); return; }
        if (v < 0 || v > uint.MaxValue) { Error(name.Line, "only positive values permitted"); return; }
        _config.Options.Timeouts[name.Text] = (uint)v;
        Print($"set timeout {name.Text} {v}");
    }

    private void LimitSpec()
    {
        var name = Advance();
        if (!name.IsString) throw Syntax(name);
        long v = ExpectNumber();
        if (!LimitNames.Contains(name.Text)) { Error(name.Line, "unable to set limit " + name.Text); return; }
        if (v < 0 || v > uint.MaxValue) { Error(name.Line, "only positive values permitted"); return; }
        _config.Options.Limits[name.Text] = (uint)v;
        Print($"set limit {name.Text} {v}");
    }

    private bool _requireOrder = true;

    /// <summary><c>table &lt;name&gt; [persist] [const] [counters] [{ … }] [file "…"]…</c></summary>
    private void TableDef()
    {
        var lt = Advance();
        if (!lt.IsChar('<')) throw Syntax(lt);
        var nameTok = Advance();
        if (!nameTok.IsString) throw Syntax(nameTok);
        ExpectChar('>');
        string name = nameTok.Text;
        var table = new Table(name);
        bool addrs = false;
        // print_tabledef: file parts as written; consecutive { } lists merged into one.
        var parts = new List<(bool File, List<string> Items)>();
        var entriesText = new List<string>();
        bool failed = false;
        while (true)
        {
            var t = Peek();
            if (t.IsWord("persist")) { Advance(); table.Persist = true; continue; }
            if (t.IsWord("const")) { Advance(); table.Const = true; continue; }
            if (t.IsWord("counters")) { Advance(); table.Counters = true; continue; }
            if (t.IsWord("file"))
            {
                Advance();
                var f = ExpectString();
                table.Files.Add(f);
                parts.Add((true, [$" file \"{f}\""]));
                if (!LoadTableFile(table, f, t.Line)) failed = true;
                continue;
            }
            if (t.IsChar('{'))
            {
                Advance();
                addrs = true;
                SkipNewlines();
                if (parts.Count == 0 || parts[^1].File) parts.Add((false, []));
                var items = parts[^1].Items;
                while (!AcceptChar('}'))
                {
                    if (!TableEntry(table, items)) failed = true;
                    OptComma();
                    SkipNewlines();
                }
                continue;
            }
            break;
        }
        if (name.Length >= 32) { Error(nameTok.Line, "table name too long, max 31 chars"); return; }
        if (failed) return;
        if (Current.Tables.ContainsKey(name)) { Error(nameTok.Line, $"table <{name}> already defined"); return; }
        Current.Tables[name] = table;
        // print_tabledef: flags, then the inline entries merged into one list, file entries in order.
        var sb = new System.Text.StringBuilder($"table <{name}>");
        if (table.Const) sb.Append(" const");
        if (table.Persist) sb.Append(" persist");
        if (table.Counters) sb.Append(" counters");
        foreach (var (isFile, items) in parts)
        {
            if (isFile) sb.Append(items[0]);
            else if (items.Count > 0) sb.Append(" {").Append(string.Concat(items)).Append(" }");
        }
        if (addrs && parts.All(p => !p.File && p.Items.Count == 0)) sb.Append(" { }");
        Print(sb.ToString());
    }

    private bool LoadTableFile(Table table, string file, int line)
    {
        string text;
        try { text = File.ReadAllText(_options.MapPath(file)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Error(line, $"cannot load \"{file}\": {(e is FileNotFoundException or DirectoryNotFoundException ? "No such file or directory" : e.Message)}");
            return false;
        }
        foreach (var raw in text.Split('\n'))
        {
            var l = raw;
            int hash = l.IndexOf('#');
            if (hash >= 0) l = l[..hash];
            foreach (var word in l.Split([' ', '\t', '\r', ','], StringSplitOptions.RemoveEmptyEntries))
            {
                bool not = word.StartsWith('!');
                var hosts = _hostResolver.Resolve(word.TrimStart('!'), line, quiet: false);
                if (hosts is null) return false;
                foreach (var h in hosts)
                    table.Entries.Add(new TableEntry(h.Address.Address, h.Address.Prefix, not));
            }
        }
        return true;
    }

    private bool TableEntry(Table table, List<string> printed)
    {
        var t = Peek();
        bool not = false;
        while (AcceptChar('!')) not = !not;
        t = Peek();
        if (t.IsChar('<'))
        {
            Advance(); ExpectString(); ExpectChar('>');
            Error(t.Line, "tables cannot contain tables");
            return false;
        }
        if (t.IsChar('('))
        {
            Advance(); ExpectString(); ExpectChar(')');
            Error(t.Line, "dynamic addresses are not permitted inside tables");
            return false;
        }
        if (t.IsWord("no-route") || t.IsWord("urpf-failed") || t.IsWord("self") && false)
        {
            Advance();
            Error(t.Line, $"\"{t.Text}\" is not permitted inside tables");
            return false;
        }
        var hosts = HostItem(allowTable: false);
        if (hosts is null) return false;
        foreach (var h in hosts)
        {
            var a = h.Address;
            if (a.Kind == AddressKind.Range)
            {
                Error(t.Line, "address ranges are not permitted inside tables");
                return false;
            }
            table.Entries.Add(new TableEntry(a.Address, a.Prefix, not));
            printed.Add((not ? " !" : " ") + RulePrinter.FormatNetwork(a.Address, a.Prefix));
        }
        return true;
    }

    /// <summary>OpenBSD queues are parsed, kept and printed; FreeBSD ALTQ (altq on …, queue … {…}) is printed (ParserAltq).</summary>
    private void QueueStatement()
    {
        if (FreeBsd || Peek().Text == "altq") { AltqStatement(); return; }
        var first = Advance();
        var name = ExpectString();
        string? parent = null;
        var ifnames = new List<string>();
        Bandwidth bw = default, min = default, max = default;
        uint flows = 0, quantum = 0, qlimit = 0;
        bool isDefault = false;
        while (true)
        {
            var t = Peek();
            if (t.IsWord("on")) { Advance(); ifnames.AddRange(InterfaceList(false).Select(i => i.Name)); continue; }
            if (t.IsWord("parent")) { Advance(); parent = ExpectString(); continue; }
            if (t.IsWord("bandwidth"))
            {
                Advance();
                bw = BandwidthValue();
                if (AcceptWord("burst")) { BandwidthValue(); ExpectWord("for"); ExpectNumberString(); }
                while (AcceptChar(','))
                {
                    if (AcceptWord("min")) { min = BandwidthValue(); if (AcceptWord("burst")) { BandwidthValue(); ExpectWord("for"); ExpectNumberString(); } }
                    else if (AcceptWord("max")) { max = BandwidthValue(); if (AcceptWord("burst")) { BandwidthValue(); ExpectWord("for"); ExpectNumberString(); } }
                    else throw Syntax(Peek());
                }
                continue;
            }
            if (t.IsWord("min")) { Advance(); min = BandwidthValue(); continue; }
            if (t.IsWord("max")) { Advance(); max = BandwidthValue(); continue; }
            if (t.IsWord("flows")) { Advance(); flows = Num32(t); continue; }
            if (t.IsWord("quantum")) { Advance(); quantum = Num32(t); continue; }
            if (t.IsWord("qlimit")) { Advance(); qlimit = Num32(t); continue; }
            if (t.IsWord("default")) { Advance(); isDefault = true; continue; }
            break;
        }
        if (!bw.IsSet && flows == 0) { Error(first.Line, "no bandwidth or flow specification"); return; }
        if (parent is null && ifnames.Count == 0) { Error(first.Line, "root queue without interface"); return; }
        // A root queue on a list of interfaces is one queue per interface.
        foreach (var ifname in parent is null ? ifnames.Cast<string?>() : [null])
            _config.Queues.Add(new Queue
            {
                Name = name, Parent = parent, Interface = ifname, Bandwidth = bw, Min = min, Max = max,
                Flows = flows, Quantum = quantum, QLimit = qlimit, Default = isDefault, File = first.File, Line = first.Line,
            });
    }

    /// <summary>pfctl's checks of the queue tree once everything is read (messages without a position, as pfctl prints them).</summary>
    public void CheckQueues()
    {
        foreach (var q in _config.Queues)
        {
            bool hasChildren = _config.Queues.Any(c => c.Parent == q.Name);
            if (hasChildren && q.Default) Error("", 0, $"pfctl: default queue {q.Name} is not a leaf queue");
            else if (hasChildren && q.Flows != 0) Error("", 0, $"pfctl: flow queue {q.Name} is not a leaf queue");
            else if (!hasChildren && q.Parent is not null && !q.Bandwidth.IsSet) Error("", 0, $"pfctl: queue {q.Name}: no bandwidth was specified");
        }
    }

    /// <summary>A rule's queue must be defined first (OpenBSD).</summary>
    private void CheckRuleQueues(RuleSpec r)
    {
        if (FreeBsd) return;
        foreach (var (key, text) in r.Extras)
        {
            if (key != "set:queue") continue;
            var names = text.StartsWith("queue(") ? text[6..^1].Split(", ") : [text[6..]];
            foreach (var n in names)
                if (!_config.Queues.Any(q => q.Name == n))
                    throw new SyntaxFail(r.Line, $"queue {n} is not defined");
        }
    }

    /// <summary>bandwidth: a number of bits per second with b/K/M/G (Kb, Mb, Gb) or a percentage.</summary>
    private Bandwidth BandwidthValue()
    {
        var t = Advance();
        if (t.Kind == TokenKind.Number) return new Bandwidth((ulong)Math.Max(0, t.Number), 0);
        if (!t.IsString) throw Syntax(t);
        string s = t.Text;
        int i = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
        if (i == 0 || !double.TryParse(s[..i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v))
            throw new SyntaxFail(t.Line, $"unknown unit \"{s}\"");
        string unit = s[i..];
        if (unit == "%")
        {
            if (v > 100) throw new SyntaxFail(t.Line, "bandwidth spec out of range");
            return new Bandwidth(0, (uint)v);
        }
        double mult = unit switch
        {
            "" or "b" => 1,
            "K" or "Kb" => 1e3,
            "M" or "Mb" => 1e6,
            "G" or "Gb" => 1e9,
            _ => throw new SyntaxFail(t.Line, $"unknown unit \"{unit}\""),
        };
        return new Bandwidth((ulong)(v * mult), 0);
    }

    /// <summary>FreeBSD <c>ether</c> rules: accepted and reported as unsupported (layer 2 is not simulated).</summary>
    private void EtherRule()
    {
        var t = Advance();
        SkipToEndOfStatement();
        _config.Warnings.Add(new ParseError(t.File, t.Line, "ether rules are not simulated (ignored)"));
    }

    private void SkipToEndOfStatement()
    {
        int depth = 0;
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.Eof) return;
            if (t.Kind == TokenKind.Newline && depth == 0) return;
            if (t.IsChar('{')) depth++;
            if (t.IsChar('}')) { if (depth == 0) return; depth--; }
            Advance();
        }
    }
}
