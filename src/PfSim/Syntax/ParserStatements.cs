using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>Anchors, antispoof, FreeBSD scrub/nat/rdr/binat rules, routing and translation pools.</summary>
internal sealed partial class Parser
{
    // FreeBSD's require-order: options, scrub, queueing, translation, filtering (pf-semantics §3.6).
    private const int OrderOptions = 0, OrderScrub = 1, OrderQueue = 2, OrderTranslation = 3, OrderFilter = 4;
    private int _order;

    private void CheckOrder(Token at, int kind)
    {
        if (!FreeBsd || !_requireOrder || _rulesets.Count > 1) return;
        if (kind < _order)
        {
            string what = kind switch
            {
                OrderScrub => "scrub rule",
                OrderQueue => "queue definition",
                OrderTranslation => "translation rule",
                _ => "options",
            };
            string after = _order switch
            {
                OrderScrub => "scrub",
                OrderQueue => "queue",
                OrderTranslation => "translation",
                _ => "filter",
            };
            throw new SyntaxFail(at.Line, $"Rules must be in order: options, normalization, queueing, translation, filtering");
        }
        _order = kind;
        _ = OrderOptions;
    }

    private void AnchorRule()
    {
        var first = Advance();
        var r = new RuleSpec { File = first.File, Line = first.Line, IsAnchor = true, AnchorKind = first.Text };
        if (Peek().IsString)
        {
            r.AnchorName = Advance().Text;
            if (r.AnchorName.Length == 0) throw new SyntaxFail(first.Line, "anchor name must not be empty");
        }
        else if (Peek().Kind == TokenKind.Number) throw Syntax(Peek());
        r.Action = first.Text switch
        {
            "nat-anchor" => RuleAction.Nat,
            "rdr-anchor" => RuleAction.Rdr,
            "binat-anchor" => RuleAction.Binat,
            _ => RuleAction.Pass,
        };
        RuleHead(r, allowFor: false);
        FilterOptions(r);
        bool inline = false;
        SkipNewlinesBeforeBrace();
        if (Peek().IsChar('{'))
        {
            Advance();
            inline = true;
            if (r.AnchorName is not null && r.AnchorName.Contains('*')) throw new SyntaxFail(first.Line, "wildcard anchor not permitted here");
            string name = r.AnchorName ?? $"_{_unnamedAnchors++}";
            var child = Current.GetOrAddAnchor(name);
            _rulesets.Push(child);
            Run();
            _rulesets.Pop();
            ExpectChar('}');
            r.AnchorBody = child;
        }
        else if (r.AnchorName is null)
            throw Syntax(Peek());
        r.Line = Peek().Line;
        if (r.State is not null) { Error(first.Line, "cannot specify state handling on anchors"); return; }
        CheckOrder(first, first.Text == "anchor" ? OrderFilter : OrderTranslation);
        _expander.ExpandFilter(r, Current, inline);
    }

    private void SkipNewlinesBeforeBrace()
    {
        // anchor "x" followed by "{" on the next line is allowed (optnl '{').
        if (Peek().Kind != TokenKind.Newline) return;
    }

    /// <summary><c>load anchor NAME from "FILE"</c>: read the file into that anchor.</summary>
    private void LoadAnchor()
    {
        var t = Advance();
        if (!t.IsWord("anchor")) throw Syntax(t);
        var name = ExpectString();
        ExpectWord("from");
        var file = ExpectString();
        string? baseDir = Path.GetDirectoryName(t.File);
        string full = Path.IsPathRooted(file) || string.IsNullOrEmpty(baseDir) || File.Exists(file) ? file : Path.Combine(baseDir, file);
        string text;
        try { text = File.ReadAllText(_options.MapPath(full)); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            Error(t.Line, $"cannot load anchor {name} from {file}: No such file or directory");
            return;
        }
        _config.LoadAnchors.Add((name, file));
        var target = _config.Main.GetOrAddAnchor(name.TrimStart('/'));
        var sub = new Parser(file, text, _options, _config, _errors, target);
        sub.Run();
    }

    private Parser(string fileName, string text, LoadOptions options, PfConfig config, List<ParseError> errors, Ruleset into)
        : this(fileName, text, options, config, errors)
    {
        _rulesets.Clear();
        _rulesets.Push(into);
    }

    /// <summary><c>antispoof [log] [quick] for IF [inet|inet6] [label …]</c>, expanded as pfctl expands it.</summary>
    private void Antispoof()
    {
        var first = _tok;
        bool log = false, quick = false;
        var spec = new RuleSpec { File = _lexer.FileName, Line = Peek().Line, Action = RuleAction.Block, Direction = Direction.In };
        LogQuick(spec);
        log = spec.Log != 0;
        quick = spec.Quick;
        ExpectWord("for");
        var ifs = new List<(string Name, bool Dynamic)>();
        void Item()
        {
            if (AcceptChar('('))
            {
                ifs.Add((ExpectString(), true));
                ExpectChar(')');
            }
            else ifs.Add((ExpectString(), false));
        }
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}')) { Item(); OptComma(); SkipNewlines(); }
        }
        else Item();
        AfSpec(spec);
        string? label = null;
        if (AcceptWord("label")) label = ExpectString();
        spec.Label = label;
        spec.Line = Peek().Line;
        _ = first;
        _ = log;
        _ = quick;
        CheckOrder(_tok, OrderFilter);
        _expander.ExpandAntispoof(spec, ifs, Current);
    }

    private void ScrubRule(bool noScrub = false)
    {
        var first = Advance();
        var r = new RuleSpec { File = first.File, Line = first.Line, Action = noScrub ? RuleAction.NoScrub : RuleAction.Scrub };
        RuleHead(r, allowFor: false);
        FilterOptions(r);
        ScrubTail(r);
        r.Line = Peek().Line;
        CheckOrder(first, OrderScrub);
        _expander.ExpandFilter(r, Current);
    }

    /// <summary>FreeBSD scrub options written without parentheses: no-df, min-ttl, max-mss, random-id, reassemble tcp, fragment ….</summary>
    private void ScrubTail(RuleSpec r)
    {
        while (true)
        {
            var t = Peek();
            if (t.IsWord("no-df")) { Advance(); r.Extras.Add(("scrub:no-df", "no-df")); continue; }
            if (t.IsWord("random-id")) { Advance(); r.Extras.Add(("scrub:random-id", "random-id")); continue; }
            if (t.IsWord("min-ttl")) { Advance(); r.Extras.Add(("scrub:min-ttl", $"min-ttl {ExpectNumber()}")); continue; }
            if (t.IsWord("max-mss")) { Advance(); r.Extras.Add(("scrub:max-mss", $"max-mss {ExpectNumber()}")); continue; }
            if (t.IsWord("set-tos")) { Advance(); r.Extras.Add(("scrub:set-tos", $"set-tos 0x{TosValue():x2}")); continue; }
            if (t.IsWord("reassemble")) { Advance(); ExpectString(); r.Extras.Add(("scrub:reassemble", "reassemble tcp")); continue; }
            if (t.IsWord("fragment")) { Advance(); ScrubFragment(r); continue; }
            if (t.IsWord("label") || t.IsWord("tag") || t.IsWord("tagged")) { FilterOptions(r); continue; }
            break;
        }
    }

    private void ScrubFragment(RuleSpec r)
    {
        var t = Advance();
        if (t.IsWord("reassemble")) r.Extras.Add(("scrub:fragment", "fragment reassemble"));
        else if (t.IsWord("crop")) r.Extras.Add(("scrub:fragment", "fragment crop"));
        else if (t.IsWord("drop-ovl")) r.Extras.Add(("scrub:fragment", "fragment drop-ovl"));
        else throw Syntax(t);
    }

    /// <summary>FreeBSD (and OpenBSD ≤ 4.6) <c>nat</c>, <c>rdr</c>, <c>binat</c> rules, with <c>no</c> and <c>pass</c>.</summary>
    private void TranslationRule(bool no)
    {
        var first = Advance();
        var r = new RuleSpec
        {
            File = first.File, Line = first.Line, No = no,
            Action = first.Text switch { "nat" => no ? RuleAction.NoNat : RuleAction.Nat, "rdr" => no ? RuleAction.NoRdr : RuleAction.Rdr, _ => no ? RuleAction.NoBinat : RuleAction.Binat },
        };
        if (AcceptWord("pass"))
        {
            r.PassTranslation = true;
            LogQuick(r);
        }
        else LogQuick(r);
        if (AcceptWord("on")) r.Interfaces.AddRange(InterfaceList(allowRDomain: false));
        AfSpec(r);
        ProtoSpec(r);
        FromTo(r);
        while (true)
        {
            if (AcceptWord("tag")) { r.Tag = TagName(); continue; }
            if (Peek().IsWord("tagged")) { Advance(); r.Tagged = TagName(); continue; }
            if (Peek().IsChar('!')) { Advance(); ExpectWord("tagged"); r.TaggedNot = true; r.Tagged = TagName(); continue; }
            if (Peek().IsWord("rtable")) { Advance(); r.RTable = (int)ExpectNumber(); continue; }
            break;
        }
        if (!no)
        {
            var arrow = Advance();
            if (arrow.Kind != TokenKind.Arrow) throw Syntax(arrow);
            var pool = RedirPool(nat: r.Action == RuleAction.Nat);
            PoolOptions(pool);
            if (r.Action == RuleAction.Nat) r.NatTo = pool;
            else if (r.Action == RuleAction.Rdr) r.RdrTo = pool;
            else r.BinatTo = pool;
        }
        r.Line = Peek().Line;
        CheckOrder(first, OrderTranslation);
        _expander.ExpandFilter(r, Current);
    }

    /// <summary>route-to/reply-to/dup-to/fastroute, in FreeBSD's place (before af) or among the options.</summary>
    private void FreeBsdRouteOption(RuleSpec r)
    {
        var t = Peek();
        if (!(t.IsWord("route-to") || t.IsWord("reply-to") || t.IsWord("dup-to") || t.IsWord("fastroute"))) return;
        Advance();
        r.RouteKind = t.Text;
        if (t.Text == "fastroute") { r.Route = new PoolSpec(); return; }
        var pool = new PoolSpec();
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}')) { RouteHost(pool); OptComma(); SkipNewlines(); }
        }
        else RouteHost(pool);
        PoolOptions(pool);
        r.Route = pool;
    }

    private void RouteHost(PoolSpec pool)
    {
        var t = Peek();
        if (t.IsChar('('))
        {
            Advance();
            var ifn = ExpectString();
            if (AcceptChar(')'))
            {
                // (if[:mod]): the interface's address, at evaluation time.
                var dyn = _hostResolver.Dynamic(ifn, t.Line) ?? throw new SyntaxFail(-1, "");
                pool.Hosts.Add(new HostSpec(dyn, Af.Any));
                return;
            }
            var hosts = new List<HostSpec>();
            IpSpec(hosts);
            ExpectChar(')');
            foreach (var h in hosts) pool.Hosts.Add(h with { IfName = ifn });
            return;
        }
        if (FreeBsd && t.IsString && !Address.TryParse(t.Text, out _) && !Peek().Text.Contains('/'))
        {
            Advance();
            pool.Hosts.Add(new HostSpec(AddressMatch.AnyAddress, Af.Any) { IfName = t.Text });
            return;
        }
        var list = XHost() ?? throw new SyntaxFail(-1, "");
        string? atIf = null;
        pool.Hosts.AddRange(atIf is null ? list : list.ConvertAll(h => h with { IfName = atIf }));
    }

    /// <summary>redirpool: a host or a { list }, with an optional port (nat: a range, rdr: a port or range).</summary>
    private PoolSpec RedirPool(bool nat)
    {
        var pool = new PoolSpec();
        // redirspec takes plain hosts: no negation, no-route or urpf-failed.
        void Plain()
        {
            var t = Peek();
            if (t.IsChar('!') || t.IsWord("no-route") || t.IsWord("urpf-failed")) throw Syntax(t);
            IpSpec(pool.Hosts);
        }
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}')) { Plain(); OptComma(); SkipNewlines(); }
        }
        else Plain();
        if (AcceptWord("port"))
        {
            var t = Advance();
            if (!(t.Kind == TokenKind.Number || t.IsString)) throw Syntax(t);
            string s = t.Text;
            int colon = s.IndexOf(':');
            if (colon < 0)
            {
                pool.PortLo = pool.PortHi = (ushort)Service(s, t.Line);
                if (nat) { }
            }
            else
            {
                pool.PortLo = (ushort)Service(s[..colon], t.Line);
                string hi = s[(colon + 1)..];
                if (hi == "*") { pool.PortRangeStar = true; pool.PortHi = pool.PortLo; }
                else pool.PortHi = (ushort)Service(hi, t.Line);
            }
        }
        return pool;
    }

    private void PoolOptions(PoolSpec pool)
    {
        while (true)
        {
            var t = Peek();
            if (t.IsWord("bitmask")) { Advance(); pool.Type = PoolType.Bitmask; continue; }
            if (t.IsWord("random")) { Advance(); pool.Type = PoolType.Random; continue; }
            if (t.IsWord("round-robin")) { Advance(); pool.Type = PoolType.RoundRobin; continue; }
            if (t.IsWord("least-states")) { Advance(); pool.Type = PoolType.LeastStates; continue; }
            if (t.IsWord("source-hash"))
            {
                Advance();
                pool.Type = PoolType.SourceHash;
                // hashkey: 0x + 32 hex digits as written (printed in lower case), or any other string's MD5.
                var k = Peek();
                if (k.Kind == TokenKind.Word && k.Text.StartsWith("0x", StringComparison.Ordinal))
                {
                    Advance();
                    if (k.Text.Length != 34 || !k.Text.Skip(2).All(char.IsAsciiHexDigit)) throw new SyntaxFail(k.Line, "hash key must be 128 bits long");
                    pool.HashKey = k.Text.ToLowerInvariant();
                }
                else if (k.IsString)
                {
                    Advance();
                    pool.HashKey = "0x" + Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(k.Text)));
                }
                continue;
            }
            if (t.IsWord("sticky-address")) { Advance(); pool.StickyAddress = true; continue; }
            if (t.IsWord("static-port")) { Advance(); pool.StaticPort = true; continue; }
            break;
        }
    }
}
