using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>Building one expanded <see cref="Rule"/>, antispoof's expansion, and label macros.</summary>
internal sealed partial class Expander
{
    private Rule Build(RuleSpec r, Ruleset rs, IfSpec itf, byte proto, IcmpSpec icmp, Af af, HostSpec s, PortMatch sp,
        HostSpec d, PortMatch dp, string? os, PortMatch uid, PortMatch gid, byte flags, byte mask, StateMode state,
        bool stateExplicit, AddressPool? nat, AddressPool? rdr, AddressPool? binat, AddressPool? route, bool inlineAnchor)
    {
        BlockReturn ret = BlockReturn.None;
        byte? icmpCode = null, icmp6Code = null;
        if (r.Action == RuleAction.Block)
        {
            ret = r.Return ?? (config.Options.BlockPolicyReturn ? BlockReturn.Return : BlockReturn.Drop);
            if (ret is BlockReturn.ReturnIcmp or BlockReturn.ReturnIcmp6)
            {
                ret = BlockReturn.ReturnIcmp;
                icmpCode = (byte)((r.ReturnIcmp ?? (3 << 8 | 3)) & 0xff);
                icmp6Code = (byte)((r.ReturnIcmp6 ?? (1 << 8 | 4)) & 0xff);
            }
        }
        var stateOptions = BuildStateOptions(r.StateOpts);
        int number = ListFor(rs, new Rule { Action = r.Action }).Count;
        string? label = r.Label is null ? null : ExpandLabel(r.Label, itf, proto, s, sp, d, dp, number);
        if (label is { Length: 0 }) label = null;
        string? labelTemplate = label is not null && r.Label!.Contains("$nr") ? ExpandLabel(r.Label, itf, proto, s, sp, d, dp, -1) : null;

        AnchorCall? anchor = null;
        if (r.IsAnchor)
        {
            string name = r.AnchorName ?? "";
            bool wildcard = name.EndsWith("/*", StringComparison.Ordinal) || name == "*";
            string path = wildcard ? name[..Math.Max(0, name.Length - 2)] : name;
            Ruleset target;
            if (r.AnchorBody is not null) target = r.AnchorBody;
            else if (path.StartsWith('/')) target = config.Main.GetOrAddAnchor(path.TrimStart('/'));
            else target = path.Length == 0 ? rs : rs.GetOrAddAnchor(path);
            anchor = new AnchorCall { Name = name, Ruleset = target, Wildcard = wildcard, Kind = r.AnchorKind };
        }

        var extras = new List<string>();
        foreach (var (_, text) in r.Extras) extras.Add(text);

        var rule = new Rule
        {
            File = r.File,
            Line = r.Line,
            Action = r.Action,
            Return = ret,
            ReturnTtl = r.ReturnTtl,
            ReturnIcmpCode = icmpCode,
            ReturnIcmp6Code = icmp6Code,
            Direction = r.Direction,
            Log = r.Log,
            LogInterface = r.LogIf,
            Quick = r.Quick,
            Interface = itf.Name.Length > 0 ? itf.Name : null,
            InterfaceNot = itf.Not,
            RDomain = itf.RDomain,
            Af = af,
            Proto = proto,
            From = new Endpoint(s.Address, sp),
            To = new Endpoint(d.Address, dp),
            Os = os,
            Uid = uid,
            Gid = gid,
            Flags = flags,
            FlagsMask = mask,
            FlagsAny = r.FlagsAny,
            IcmpType = icmp.Type,
            IcmpCode = icmp.Code,
            IsIcmp6Type = icmp.Proto == Af.Inet6,
            Tos = r.Tos,
            Prio = r.Prio,
            State = state,
            StateExplicit = stateExplicit,
            StateOptions = stateOptions,
            Fragment = r.Fragment,
            AllowOpts = r.AllowOpts,
            Label = label,
            LabelTemplate = labelTemplate,
            Once = r.Once,
            Tag = r.Tag is null ? null : ExpandLabel(r.Tag, itf, proto, s, sp, d, dp, number),
            Tagged = r.Tagged is null ? null : ExpandLabel(r.Tagged, itf, proto, s, sp, d, dp, number),
            TaggedNot = r.TaggedNot,
            ReceivedOn = r.ReceivedOn,
            ReceivedOnNot = r.ReceivedOnNot,
            RTable = r.RTable,
            Probability = r.Probability,
            Extras = extras,
            ExtrasKeyed = r.Extras.ToArray(),
            NatTo = r.AfTo is null ? nat : null,
            RdrTo = rdr,
            BinatTo = binat,
            AfTo = r.AfTo?.AfToFamily ?? Af.Any,
            AfToFrom = r.AfTo is null ? null : Pool(r.AfTo),
            AfToTo = r.AfToRdr is null ? null : Pool(r.AfToRdr),
            RouteTo = r.RouteKind is "route-to" or "fastroute" ? route : null,
            ReplyTo = r.RouteKind == "reply-to" ? route : null,
            DupTo = r.RouteKind == "dup-to" ? route : null,
            RouteKind = r.RouteKind,
            NoTranslation = r.No,
            PassTranslation = r.PassTranslation,
            Anchor = anchor,
            InlineAnchor = inlineAnchor,
        };
        rule.Text = RulePrinter.Format(rule, config.Dialect);
        return rule;
    }

    private static AddressPool Pool(PoolSpec spec) => new()
    {
        Addresses = spec.Hosts.ConvertAll(h => new PoolAddress(h.Address, h.IfName)),
        PortLo = spec.PortLo,
        PortHi = spec.PortHi,
        Type = spec.Type,
        StickyAddress = spec.StickyAddress,
        StaticPort = spec.StaticPort,
        HashKey = spec.HashKey,
    };

    private static StateOptions BuildStateOptions(List<StateOption> opts)
    {
        if (opts.Count == 0) return Rules.StateOptions.Default;
        var track = SourceTrack.None;
        string? trackWritten = null;
        uint max = 0, srcNodes = 0, srcStates = 0, srcConn = 0, rateN = 0, rateS = 0;
        string? overload = null;
        bool flush = false, flushGlobal = false, sloppy = false, pflow = false, nosync = false;
        bool? ifBound = null;
        var timeouts = new Dictionary<string, uint>(StringComparer.Ordinal);
        foreach (var o in opts)
        {
            switch (o.Name)
            {
                case "max": max = o.Number; break;
                case "max-src-nodes": srcNodes = o.Number; track = SourceTrack.Rule; break;
                case "max-src-states": srcStates = o.Number; if (track == SourceTrack.None) track = SourceTrack.Global; break;
                case "max-src-conn": srcConn = o.Number; track = SourceTrack.Rule; break;
                case "max-src-conn-rate": rateN = o.Number; rateS = o.Number2; track = SourceTrack.Rule; break;
                case "source-track": trackWritten = o.Value; if (track == SourceTrack.None) track = SourceTrack.Global; break;
                case "overload": overload = o.Value; flush = o.Number != 0; flushGlobal = o.Number == 2; break;
                case "if-bound": ifBound = true; break;
                case "floating": ifBound = false; break;
                case "sloppy": sloppy = true; break;
                case "pflow": pflow = true; break;
                case "no-sync": nosync = true; break;
                case "timeout": timeouts[o.Value!] = o.Number; break;
            }
        }
        if (trackWritten == "rule") track = SourceTrack.Rule;
        // With a state limit, pfctl sets adaptive timeouts at 60% and 120% of it unless given.
        if (max != 0 && !timeouts.ContainsKey("adaptive.start") && !timeouts.ContainsKey("adaptive.end"))
        {
            timeouts["adaptive.start"] = (uint)((ulong)max * 6 / 10);
            timeouts["adaptive.end"] = (uint)((ulong)max * 12 / 10);
        }
        // pf lets a source node live at least as long as the connection-rate window.
        if (rateS != 0 && (!timeouts.TryGetValue("src.track", out var st) || st < rateS)) timeouts["src.track"] = rateS;
        return new StateOptions
        {
            SourceTrack = track,
            Written = opts.ToArray(),
            MaxStates = max,
            MaxSrcNodes = srcNodes,
            MaxSrcStates = srcStates,
            MaxSrcConn = srcConn,
            MaxSrcConnRateCount = rateN,
            MaxSrcConnRateSeconds = rateS,
            OverloadTable = overload,
            Flush = flush,
            FlushGlobal = flushGlobal,
            IfBound = ifBound,
            Sloppy = sloppy,
            Pflow = pflow,
            NoSync = nosync,
            Timeouts = timeouts,
        };
    }

    /// <summary>expand_label: $if, $srcaddr, $dstaddr, $srcport, $dstport, $proto, $nr.</summary>
    private string ExpandLabel(string label, IfSpec itf, byte proto, HostSpec s, PortMatch sp, HostSpec d, PortMatch dp, int nr)
    {
        if (!label.Contains('$')) return label;
        string Addr(HostSpec h) => h.Address.Kind == AddressKind.Any && !h.Address.Not ? "any" : (h.Address.Not ? "! " : "") + RulePrinter.FormatAddress(h.Address, h.Af);
        string Port(PortMatch p) => p.Op switch
        {
            PortOp.None => "",
            PortOp.Eq => p.Lo.ToString(),
            PortOp.Ne => "!=" + p.Lo,
            PortOp.Lt => "<" + p.Lo,
            PortOp.Le => "<=" + p.Lo,
            PortOp.Gt => ">" + p.Lo,
            PortOp.Ge => ">=" + p.Lo,
            PortOp.Range => "",
            PortOp.InsideExclusive => $"{p.Lo}><{p.Hi}",
            PortOp.Outside => $"{p.Lo}<>{p.Hi}",
            _ => "",
        };
        return label
            .Replace("$if", itf.Name.Length > 0 ? itf.Name : "any")
            .Replace("$srcaddr", Addr(s))
            .Replace("$dstaddr", Addr(d))
            .Replace("$srcport", Port(sp))
            .Replace("$dstport", Port(dp))
            .Replace("$proto", Names.ProtocolName(proto) ?? proto.ToString())
            .Replace("$nr", nr < 0 ? "$nr" : nr.ToString());
    }

    /// <summary>antispoof: per interface, block traffic claiming its networks from elsewhere (and, off loopback, its addresses).</summary>
    public void ExpandAntispoof(RuleSpec spec, List<(string Name, bool Dynamic)> ifs, Ruleset rs)
    {
        var resolver = new HostResolver(options.Host, error, () => spec.File);
        foreach (var (name, dynamic) in ifs)
        {
            var r = Clone(spec);
            r.Interfaces.Add(new IfSpec(name, true));
            if (dynamic)
                r.FromHosts.Add(new HostSpec(new AddressMatch { Kind = AddressKind.Dynamic, Name = name, Modifiers = InterfaceModifier.Network, Prefix = -1 }, Af.Any));
            else
            {
                var nets = resolver.Resolve(name + ":network", spec.Line, quiet: true);
                if (nets is null) continue;
                r.FromHosts.AddRange(nets);
            }
            ExpandFilter(r, rs);
            bool loopback = HostModel.DriverGroup(name) == "lo";
            if (!loopback && !dynamic)
            {
                var r2 = Clone(spec);
                var addrs = resolver.Resolve(name, spec.Line, quiet: true);
                if (addrs is null) continue;
                r2.FromHosts.AddRange(addrs);
                ExpandFilter(r2, rs);
            }
        }
    }

    private static RuleSpec Clone(RuleSpec s)
    {
        var r = new RuleSpec
        {
            File = s.File, Line = s.Line, Action = s.Action, Direction = s.Direction, Log = s.Log, LogIf = s.LogIf,
            Quick = s.Quick, Af = s.Af, Label = s.Label,
        };
        return r;
    }
}
