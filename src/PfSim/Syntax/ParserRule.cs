using System.Globalization;
using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>Filter rules: action, direction, log/quick, on, af, proto, from/to, and filter options (parse.y pfrule).</summary>
internal sealed partial class Parser
{
    private void FilterRule()
    {
        var first = Advance();
        var r = new RuleSpec { File = first.File, Line = first.Line };
        switch (first.Text)
        {
            case "pass": r.Action = RuleAction.Pass; break;
            case "match": r.Action = RuleAction.Match; break;
            default:
                r.Action = RuleAction.Block;
                BlockSpec(r);
                break;
        }
        RuleHead(r, allowFor: false);
        FilterOptions(r);
        r.Line = Peek().Line;
        CheckRuleQueues(r);
        if (r.DivertDirection == Direction.In && r.Direction == Direction.Out) throw new SyntaxFail(r.Line, "divert-to used with outgoing rule");
        if (r.DivertDirection == Direction.Out && r.Direction == Direction.In) throw new SyntaxFail(r.Line, "divert-reply used with incoming rule");
        var track = r.StateOpts.FirstOrDefault(o => o.Name == "source-track");
        if (track?.Value == "global")
        {
            foreach (var (opt, what) in new[] { ("max-src-nodes", "max-src-nodes"), ("max-src-conn", "max-src-conn"), ("max-src-conn-rate", "max-src-conn-rate") })
                if (r.StateOpts.Any(o => o.Name == opt))
                {
                    Error(r.Line, $"'{what}' is incompatible with 'source-track global'");
                    return;
                }
        }
        if (r.Route is not null && r.AfTo is not null)
        {
            Error(r.Line, "af-to cannot be used together with route-to, reply-to, dup-to");
            return;
        }
        CheckOrder(first, OrderFilter);
        _expander.ExpandFilter(r, Current);
    }

    private void BlockSpec(RuleSpec r)
    {
        var t = Peek();
        if (t.IsWord("drop")) { Advance(); r.Return = BlockReturn.Drop; }
        else if (t.IsWord("return")) { Advance(); r.Return = BlockReturn.Return; }
        else if (t.IsWord("return-rst"))
        {
            Advance();
            r.Return = BlockReturn.ReturnRst;
            if (AcceptChar('('))
            {
                ExpectWord("ttl");
                long ttl = ExpectNumber();
                if (ttl < 0 || ttl > 255) throw new SyntaxFail(t.Line, "illegal ttl value " + ttl);
                r.ReturnTtl = (byte)ttl;
                ExpectChar(')');
            }
        }
        else if (t.IsWord("return-icmp") || t.IsWord("return-icmp6"))
        {
            Advance();
            bool v6 = t.Text == "return-icmp6";
            r.Return = BlockReturn.ReturnIcmp;
            if (AcceptChar('('))
            {
                var c1 = ReturnIcmpCode(v6);
                if (v6) r.ReturnIcmp6 = c1; else r.ReturnIcmp = c1;
                if (!v6 && (AcceptChar(',') || !Peek().IsChar(')')))
                    r.ReturnIcmp6 = ReturnIcmpCode(true);
                ExpectChar(')');
            }
            if (v6 && r.ReturnIcmp6 is null) r.ReturnIcmp6 = 1 << 8 | 4;
            if (v6) r.Return = BlockReturn.ReturnIcmp6;
        }
    }

    /// <summary>reticmpspec: a code name or number of unreach; stored as type &lt;&lt; 8 | code like pf's return_icmp.</summary>
    private ushort ReturnIcmpCode(bool v6)
    {
        var t = Advance();
        byte type = v6 ? (byte)1 : (byte)3;
        if (t.Kind == TokenKind.Number)
        {
            if (t.Number < 0 || t.Number > 255) throw new SyntaxFail(t.Line, $"illegal icmp-code {t.Number}");
            return (ushort)(type << 8 | (int)t.Number);
        }
        if (!t.IsString) throw Syntax(t);
        if (!Names.TryIcmpCode(type, t.Text, v6, out var code))
            throw new SyntaxFail(t.Line, $"unknown icmp-code {t.Text}");
        return (ushort)(type << 8 | code);
    }

    /// <summary>dir logquick interface af proto fromto (the part every rule kind shares).</summary>
    private void RuleHead(RuleSpec r, bool allowFor)
    {
        if (AcceptWord("in")) r.Direction = Direction.In;
        else if (AcceptWord("out")) r.Direction = Direction.Out;
        LogQuick(r);
        if (AcceptWord("on")) r.Interfaces.AddRange(InterfaceList(allowRDomain: true));
        FreeBsdRouteOption(r);
        AfSpec(r);
        ProtoSpec(r);
        FromTo(r);
    }

    private void LogQuick(RuleSpec r)
    {
        while (true)
        {
            if (Peek().IsWord("log")) { Advance(); LogOpts(r); continue; }
            if (AcceptWord("quick")) { r.Quick = true; continue; }
            break;
        }
    }

    private void LogOpts(RuleSpec r)
    {
        r.Log |= LogFlags.Log;
        if (!AcceptChar('(')) return;
        while (true)
        {
            var t = Advance();
            if (t.IsWord("all")) r.Log |= LogFlags.All;
            else if (t.IsWord("matches")) r.Log |= LogFlags.Matches;
            else if (t.IsWord("user")) r.Log |= LogFlags.User;
            else if (t.IsWord("to"))
            {
                var ifn = ExpectString();
                if (!ifn.StartsWith("pflog", StringComparison.Ordinal) || !int.TryParse(ifn.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                    throw new SyntaxFail(t.Line, $"{ifn}: not a pflog device");
                r.LogIf = n;
            }
            else throw Syntax(t);
            if (AcceptChar(',')) continue;
            if (AcceptChar(')')) break;
        }
    }

    private List<IfSpec> InterfaceList(bool allowRDomain)
    {
        var list = new List<IfSpec>();
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}'))
            {
                list.Add(InterfaceItem(allowRDomain));
                OptComma();
                SkipNewlines();
            }
            return list;
        }
        list.Add(InterfaceItem(allowRDomain));
        return list;
    }

    private IfSpec InterfaceItem(bool allowRDomain)
    {
        bool not = false;
        while (AcceptChar('!')) not = !not;
        var t = Advance();
        if (allowRDomain && t.IsWord("rdomain"))
        {
            long n = ExpectNumber();
            if (n < 0 || n > 255) throw new SyntaxFail(t.Line, "invalid rdomain");
            return new IfSpec("", not, (int)n);
        }
        if (t.IsWord("any")) return new IfSpec("any", not);
        if (!t.IsString) throw Syntax(t);
        if (t.Text.Length >= 16) throw new SyntaxFail(t.Line, "interface name too long");
        return new IfSpec(t.Text, not);
    }

    private void AfSpec(RuleSpec r)
    {
        if (AcceptWord("inet")) r.Af = Af.Inet;
        else if (AcceptWord("inet6")) r.Af = Af.Inet6;
    }

    private void ProtoSpec(RuleSpec r)
    {
        if (!AcceptWord("proto")) return;
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}'))
            {
                r.Protos.Add(ProtoItem());
                OptComma();
                SkipNewlines();
            }
            return;
        }
        r.Protos.Add(ProtoItem());
    }

    private byte ProtoItem()
    {
        var t = Advance();
        if (t.Kind == TokenKind.Number)
        {
            if (t.Number < 0 || t.Number > 255) throw new SyntaxFail(t.Line, "protocol outside range");
            return (byte)t.Number;
        }
        if (!t.IsString) throw Syntax(t);
        if (!Names.TryProtocol(t.Text, out var p)) throw new SyntaxFail(t.Line, $"unknown protocol {t.Text}");
        return p;
    }

    private void FromTo(RuleSpec r)
    {
        if (AcceptWord("all")) return;
        if (AcceptWord("from")) IpPortSpec(r.FromHosts, r.FromPorts);
        if (AcceptWord("os"))
        {
            if (AcceptChar('{'))
            {
                SkipNewlines();
                while (!AcceptChar('}')) { r.Os.Add(ExpectString()); OptComma(); SkipNewlines(); }
            }
            else r.Os.Add(ExpectString());
        }
        if (AcceptWord("to")) IpPortSpec(r.ToHosts, r.ToPorts);
    }

    private void IpPortSpec(List<HostSpec> hosts, List<PortMatch> ports)
    {
        if (!Peek().IsWord("port")) IpSpec(hosts);
        if (AcceptWord("port")) PortSpec(ports);
    }

    private void IpSpec(List<HostSpec> hosts)
    {
        var t = Peek();
        if (t.IsWord("any")) { Advance(); hosts.Add(new HostSpec(AddressMatch.AnyAddress, Af.Any)); return; }
        if (t.IsChar('{'))
        {
            Advance();
            SkipNewlines();
            while (!AcceptChar('}'))
            {
                IpSpec(hosts);
                OptComma();
                SkipNewlines();
            }
            return;
        }
        var list = XHost() ?? throw new SyntaxFail(-1, "");
        hosts.AddRange(list);
    }

    /// <summary>xhost: [!] host | [!] no-route | [!] urpf-failed.</summary>
    private List<HostSpec>? XHost()
    {
        bool not = false;
        while (AcceptChar('!')) not = !not;
        var t = Peek();
        List<HostSpec>? hosts;
        if (t.IsWord("no-route")) { Advance(); hosts = [new HostSpec(new AddressMatch { Kind = AddressKind.NoRoute }, Af.Any)]; }
        else if (t.IsWord("urpf-failed")) { Advance(); hosts = [new HostSpec(new AddressMatch { Kind = AddressKind.UrpfFailed }, Af.Any)]; }
        else hosts = HostItem(allowTable: true);
        if (hosts is null) return null;
        if (!not) return hosts;
        return hosts.ConvertAll(h => h with { Address = h.Address with { Not = !h.Address.Not } });
    }

    /// <summary>host: address[/mask], a - b, (if)[/mask], &lt;table&gt;, route label, interface or host name.</summary>
    private List<HostSpec>? HostItem(bool allowTable)
    {
        var t = Advance();
        if (t.IsChar('<'))
        {
            var name = ExpectString();
            ExpectChar('>');
            if (name.Length >= 32) throw new SyntaxFail(t.Line, "table name too long, max 31 chars");
            return [new HostSpec(new AddressMatch { Kind = AddressKind.Table, Name = name }, Af.Any)];
        }
        if (t.IsChar('('))
        {
            var name = ExpectString();
            ExpectChar(')');
            var dyn = _hostResolver.Dynamic(name, t.Line);
            if (dyn is null) throw new SyntaxFail(-1, "");
            if (AcceptChar('/'))
            {
                long bits = ExpectNumber();
                if (bits < 0 || bits > 128) throw new SyntaxFail(t.Line, "bit number too big");
                dyn = dyn with { Prefix = (int)bits };
            }
            return [new HostSpec(dyn, Af.Any)];
        }
        if (t.IsWord("route"))
        {
            var label = ExpectString();
            return [new HostSpec(new AddressMatch { Kind = AddressKind.RouteLabel, Name = label }, Af.Any)];
        }
        if (t.Kind == TokenKind.Number && Peek().IsChar('/'))
        {
            Advance();
            long bits = ExpectNumber();
            return Resolve($"{t.Text}/{bits}", t.Line);
        }
        if (!(t.IsString || t.IsWord("self") || t.Kind == TokenKind.Number)) throw Syntax(t);
        string s = t.Text;
        if (Peek().IsChar('-'))
        {
            Advance();
            var endTok = Advance();
            if (!endTok.IsString && endTok.Kind != TokenKind.Number) throw Syntax(endTok);
            if (!Address.TryParse(s, out var a) || !Address.TryParse(endTok.Text, out var b) || a.Family != b.Family)
                throw new SyntaxFail(t.Line, "could not parse host specification");
            return [new HostSpec(new AddressMatch { Kind = AddressKind.Range, Address = a, RangeEnd = b, Prefix = a.Bits }, a.Family)];
        }
        if (Peek().IsChar('/'))
        {
            Advance();
            long bits = ExpectNumber();
            s = $"{s}/{bits}";
        }
        return Resolve(s, t.Line);
    }

    private List<HostSpec> Resolve(string s, int line)
    {
        var hosts = _hostResolver.Resolve(s, line, quiet: false);
        if (hosts is null) throw new SyntaxFail(line, "could not parse host specification");
        return hosts;
    }

    private void PortSpec(List<PortMatch> ports)
    {
        if (AcceptChar('{'))
        {
            SkipNewlines();
            while (!AcceptChar('}'))
            {
                ports.Add(PortItem());
                OptComma();
                SkipNewlines();
            }
            return;
        }
        ports.Add(PortItem());
    }

    /// <summary>The unary operator a port or uid/gid item may start with (parse.y's unaryop), or None.</summary>
    private static PortOp UnaryOp(Token t) => t.Kind switch
    {
        TokenKind.Ne => PortOp.Ne,
        TokenKind.Le => PortOp.Le,
        TokenKind.Ge => PortOp.Ge,
        TokenKind.Char when t.Text == "=" => PortOp.Eq,
        TokenKind.Char when t.Text == "<" => PortOp.Lt,
        TokenKind.Char when t.Text == ">" => PortOp.Gt,
        _ => PortOp.None,
    };

    private PortMatch PortItem()
    {
        var t = Peek();
        PortOp op = UnaryOp(t);
        if (op != PortOp.None)
        {
            Advance();
            var (lo, hi, range) = PortRange();
            if (range) throw new SyntaxFail(t.Line, "':' cannot be used with an other port operator");
            return new PortMatch(op, lo, hi);
        }
        var (a, b, isRange) = PortRange();
        if (isRange) return new PortMatch(PortOp.Range, a, b);
        if (Peek().Kind == TokenKind.PortBinary)
        {
            var pb = Advance();
            var (c, _, r2) = PortRange();
            if (r2) throw new SyntaxFail(pb.Line, "':' cannot be used with an other port operator");
            return new PortMatch(pb.Text == "<>" ? PortOp.Outside : PortOp.InsideExclusive, a, c);
        }
        return new PortMatch(PortOp.Eq, a, a);
    }

    private (uint Lo, uint Hi, bool Range) PortRange()
    {
        var t = Advance();
        if (!(t.Kind == TokenKind.Number || t.IsString)) throw Syntax(t);
        string s = t.Text;
        int colon = s.IndexOf(':');
        if (colon < 0)
        {
            uint p = Service(s, t.Line);
            return (p, p, false);
        }
        uint lo = Service(s[..colon], t.Line);
        string his = s[(colon + 1)..];
        uint hi = his == "*" ? 65535 : Service(his, t.Line);
        return (lo, hi, true);
    }

    /// <summary>getservice: a number (strtoul base 0, as atoul) up to 65535, else a tcp then udp service name.</summary>
    private static uint Service(string s, int line)
    {
        if (TryStrtoul(s, out ulong v))
        {
            if (v > 65535) throw new SyntaxFail(line, $"illegal port value {v}");
            return (uint)v;
        }
        if (Names.TryService(s, udp: false, out var p) || Names.TryService(s, udp: true, out p)) return p;
        throw new SyntaxFail(line, $"unknown port {s}");
    }

    /// <summary>strtoul(s, &amp;end, 0) that must consume the whole string.</summary>
    internal static bool TryStrtoul(string s, out ulong v)
    {
        v = 0;
        if (s.Length == 0) return false;
        try
        {
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase) && s.Length > 2)
                return ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v);
            if (s.Length > 1 && s[0] == '0')
            {
                foreach (char c in s) if (c < '0' || c > '7') return false;
                v = Convert.ToUInt64(s, 8);
                return true;
            }
            foreach (char c in s) if (c < '0' || c > '9') return false;
            return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        }
        catch (OverflowException)
        {
            v = ulong.MaxValue;
            return true;
        }
    }
}
