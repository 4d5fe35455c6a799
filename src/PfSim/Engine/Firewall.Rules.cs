using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Engine;

public sealed partial class Firewall
{
    private RouteTable? _routes;

    /// <summary>The host model's routing table (pf_routable for no-route and urpf-failed).</summary>
    public RouteTable Routes => _routes ??= new RouteTable(Config.Host);

    /// <summary>pf_test_rule: evaluate the ruleset, then block (with what block return sends) or pass, creating a state when the rule keeps one.</summary>
    private void TestRule(ReadOnlySpan<byte> p, Span<byte> writable, ref PacketHeaders h, bool fragment, Interface itf, Direction dir,
        double now, in PacketContext ctx, IRuleTrace? trace, ref Verdict v)
    {
        // Field by field into one local: an object initializer builds a temporary and copies it over (with write barriers).
        scoped RuleQuery q = default;
        q.Packet = ref h;
        q.Interface = itf;
        q.Direction = dir;
        q.Src = h.Src;
        q.Dst = h.Dst;
        q.Fragment = fragment;
        q.Tag = ctx.Tag;
        q.Uid = ctx.Uid ?? PacketContext.UnknownId;
        q.Gid = ctx.Gid ?? PacketContext.UnknownId;
        q.ReceivedOn = ctx.ReceivedOn;
        q.IcmpDirection = Direction.In;
        if (h.HasPorts && !fragment) { q.SrcPort = h.SrcPort; q.DstPort = h.DstPort; }
        else if (h.IsIcmp && h.HasTransport && !fragment)
        {
            IcmpPorts(p, h, out q.IcmpError, out q.IcmpDirection, out q.SrcPort, out q.DstPort, out _);
        }

        q.Translator = this;
        ushort origSport = q.SrcPort, origDport = q.DstPort;
        _matchRules.Clear();
        Rule? nr = null;
        RuleMatch m;
        if (!OpenBsd && (Config.Main.Nat.Count | Config.Main.Rdr.Count | Config.Main.Binat.Count) != 0)
        {
            // FreeBSD: the first matching binat/nat (out) or rdr/binat (in) rule translates before the filter rules see the packet.
            nr = MatchTranslation(ref q, out bool reverseBinat);
            if (nr is not null && nr.NoTranslation) nr = null;
            if (nr is not null && !Translate(nr, ref q, reverseBinat))
            {
                v.Action = RuleAction.Block;
                v.Reason = Reason.Translate;
                v.Rule = nr;
                return;
            }
        }
        if (nr is not null && nr.PassTranslation)
            m = new RuleMatch { Rule = nr, Ruleset = Config.Main, Tag = q.Tag }; // nat pass / rdr pass: no filter rules
        else
            m = Evaluator.Evaluate(ref q, _matchRules, trace);
        var r = m.Rule;
        if (m.TranslationFailed)
        {
            v.Action = RuleAction.Block;
            v.Reason = Reason.Translate;
            v.Rule = r;
            return;
        }
        v.Rule = r;
        v.Ruleset = m.Ruleset;
        v.AnchorRule = m.AnchorRule;
        v.Reason = Reason.Match;
        v.Log = (r is not null && r.Log != LogFlags.None) || m.LogMatch;

        if (r is not null && r.Action == RuleAction.Block)
        {
            v.Action = RuleAction.Block;
            if (!fragment) SetReturn(ref v, r, h, q.IcmpError);
            return;
        }
        v.Action = RuleAction.Pass;
        v.Tag = m.Tag;
        // OpenBSD: the deciding pass rule's own nat-to/rdr-to/binat-to applies after the decision.
        if (OpenBsd && r is not null && ReferenceEvaluator.HasTranslation(r) && !Translate(r, ref q, false))
        {
            v.Action = RuleAction.Block;
            v.Reason = Reason.Translate;
            return;
        }
        if (r is not null && r.Once) Counters[r].Expired = true;
        if (h.HasIpOptions && !(r?.AllowOpts ?? false)) return; // dropped by the options check; no state
        // ICMP errors never create state; neither do fragments without transport header.
        // FreeBSD also keeps state for every translated packet, even under the default rule or a no-state rule.
        bool keep = (r is not null && r.IsStateful) || (!OpenBsd && nr is not null);
        if (q.IcmpError && q.Translated && !OpenBsd)
        {
            // Classic FreeBSD rewrites a translated packet in pf_test_rule whether or not a state follows: an ICMP error
            // leaves with the new address, and the id field (nk->port[1], from pf_get_sport's 1..65535) overwritten.
            v.Nat = new NatResult(q.Src, q.SrcPort, q.Dst, q.DstPort, h.Proto == IpProto.Icmp ? q.SrcPort : null);
            if (writable.Length > 0) PacketRewriter.Translate(writable, h, q.Src, q.SrcPort, q.Dst, q.DstPort, icmpErrorId: h.Proto == IpProto.Icmp);
        }
        // OpenBSD translated only the addresses the rules saw (pd->nsaddr): the error itself leaves untranslated.
        if (!keep || fragment || q.IcmpError) return;
        if (OpenBsd && q.Translated && r is not null && !r.IsStateful) return;
        CreateState(writable, ref h, ref q, r, m, dir, now, origSport, origDport, ref v);
        if (q.Translated && v.Action == RuleAction.Pass)
        {
            ushort? id = h.IsIcmp ? IcmpIdAfter(h, q.SrcPort, q.DstPort, onState: false) : null;
            v.Nat = new NatResult(q.Src, q.SrcPort, q.Dst, q.DstPort, id);
            if (writable.Length > 0) PacketRewriter.Translate(writable, h, q.Src, id ?? q.SrcPort, q.Dst, q.DstPort);
        }
    }

    /// <summary>What a block rule sends back (pf_test_rule's return path): RST for TCP, ICMP unreachable otherwise.</summary>
    private void SetReturn(ref Verdict v, Rule r, in PacketHeaders h, bool icmpError)
    {
        var ret = r.Return;
        if (ret is BlockReturn.None or BlockReturn.Drop) return;
        bool sendsIcmp4 = ret is BlockReturn.Return or BlockReturn.ReturnIcmp;
        bool sendsIcmp6 = ret is BlockReturn.Return or BlockReturn.ReturnIcmp or BlockReturn.ReturnIcmp6;
        if (h.Proto == IpProto.Tcp && ret is BlockReturn.ReturnRst or BlockReturn.Return)
        {
            if ((h.TcpFlags & TcpFlags.Rst) == 0) { v.Return = ReturnKind.TcpRst; return; }
        }
        if (h.Af == Af.Inet && sendsIcmp4)
        {
            // OpenBSD answers ICMP queries (informational types) but never errors; FreeBSD never answers ICMP.
            bool answerable = h.Proto != IpProto.Icmp || (OpenBsd && !icmpError && IcmpMapping.IsInfoType(h.IcmpType));
            if (answerable) { v.Return = ReturnKind.Icmp; v.ReturnType = 3; v.ReturnCode = r.ReturnIcmpCode ?? 3; }
        }
        else if (h.Af == Af.Inet6 && sendsIcmp6)
        {
            bool answerable = h.Proto != IpProto.Icmp6 || (OpenBsd && h.IcmpType >= 128 && h.IcmpType != 137);
            if (answerable) { v.Return = ReturnKind.Icmp6; v.ReturnType = 1; v.ReturnCode = r.ReturnIcmp6Code ?? 4; }
        }
    }

    /// <summary>pf_create_state: limits, the state's peers and first timeout, insertion under its key.</summary>
    private void CreateState(Span<byte> writable, ref PacketHeaders h, ref RuleQuery q, Rule? r, in RuleMatch m, Direction dir, double now,
        ushort origSport, ushort origDport, ref Verdict v)
    {
        var rc = r is null ? DefaultRuleCounters : Counters[r];
        var so = r?.StateOptions ?? StateOptions.Default;
        if (so.MaxStates > 0 && rc.StatesCurrent >= so.MaxStates)
        {
            Refuse(ref v, Reason.StateLimit);
            return;
        }
        SrcNode? srcNode = null;
        if (r is not null && !InsertSrcNode(r, rc, h.Src, out srcNode))
        {
            Refuse(ref v, Reason.SrcLimit);
            return;
        }
        if ((uint)States.Count >= _stateLimit)
        {
            // The state pool is full: pool_get fails, pf says "memory".
            Refuse(ref v, Reason.Memory);
            return;
        }
        // pf_state_key_setup: the wire key holds the addresses on the wire, the stack key those the host's stack sees.
        var key = StateKey.ForPacket(dir, h.Src, origSport, h.Dst, origDport, h.Proto);
        var translated = q.Translated ? StateKey.ForPacket(dir, q.Src, q.SrcPort, q.Dst, q.DstPort, h.Proto) : key;
        bool ifBound = so.IfBound ?? Config.Options.StatePolicyIfBound;
        var s = new State
        {
            Wire = dir == Direction.In ? key : translated, Stack = dir == Direction.In ? translated : key,
            Origin = OriginFor(r, m.Ruleset ?? Config.Main, m.AnchorRule, rc),
            MatchRules = _matchRules.Count == 0 ? null : _matchRules.ToArray(),
            Direction = dir, InterfaceId = ifBound ? q.Interface.Id : -1, CreatedOn = q.Interface.Name,
            Creation = now, LastActivity = now,
            Sloppy = so.Sloppy, AllowOpts = r?.AllowOpts ?? false, IcmpTyped = r?.IcmpType > 0,
            LogAll = r is not null && (r.Log & LogFlags.All) != 0, Tag = m.Tag,
        };
        switch (h.Proto)
        {
            case IpProto.Tcp:
                s.Src.SeqLo = h.Seq;
                s.Src.SeqHi = h.Seq + (uint)h.PayloadLength + 1;
                if ((h.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && r?.State == StateMode.Modulate)
                {
                    // modulate state: pf replaces the initiator's ISN by a random one and keeps the difference.
                    s.Src.SeqDiff = (uint)NextRandom() - s.Src.SeqLo;
                    if (s.Src.SeqDiff == 0) s.Src.SeqDiff = 1;
                    if (writable.Length > 0) PacketRewriter.SetSeqAck(writable, h, s.Src.SeqLo + s.Src.SeqDiff, h.Ack);
                }
                if ((h.TcpFlags & TcpFlags.Syn) != 0)
                {
                    s.Src.SeqHi++;
                    s.Src.WScale = TcpTracker.WScaleOf(h);
                }
                uint win = Math.Max(h.Win, (ushort)1);
                if ((s.Src.WScale & TcpTracker.WScaleMask) != 0)
                {
                    int ws = s.Src.WScale & TcpTracker.WScaleMask;
                    win = (uint)((win + (1 << ws) - 1) >> ws);
                }
                s.Src.MaxWin = (ushort)win;
                if ((h.TcpFlags & TcpFlags.Fin) != 0) s.Src.SeqHi++;
                s.Dst.SeqHi = 1;
                s.Dst.MaxWin = 1;
                s.Src.State = TcpState.SynSent;
                s.Dst.State = TcpState.Closed;
                s.Timeout = PfTimeout.TcpFirst;
                break;
            case IpProto.Udp:
                s.Src.State = 1;
                s.Timeout = PfTimeout.UdpFirst;
                break;
            case IpProto.Icmp:
            case IpProto.Icmp6:
                s.Timeout = PfTimeout.IcmpFirst;
                break;
            default:
                s.Src.State = 1;
                s.Timeout = PfTimeout.OtherFirst;
                break;
        }

        // A key collision with a closed TCP connection replaces it; any other collision fails (state-insert).
        var old = States.Find(dir == Direction.In ? s.Wire : s.Stack, dir, s.InterfaceId);
        if (old is not null && old.InterfaceId == s.InterfaceId && old.Proto == IpProto.Tcp
            && old.Src.State >= TcpState.FinWait2 && old.Dst.State >= TcpState.FinWait2)
            RemoveState(old);
        if (!States.Insert(s, keyRolesApart: !OpenBsd))
        {
            Refuse(ref v, Reason.StateInsert);
            return;
        }
        rc.StatesCurrent++;
        rc.StatesTotal++;
        // STATE_INC_COUNTERS: the anchor rule counts the state too; the match rules it remembers count it as current.
        if (m.AnchorRule is not null) { var ac = Counters[m.AnchorRule]; ac.StatesCurrent++; ac.StatesTotal++; }
        if (s.MatchRules is { } mrs) foreach (var mr in mrs) Counters[mr].StatesCurrent++;
        if (srcNode is not null) { srcNode.States++; s.SrcNode = srcNode; }
        v.StateUse = StateUse.New;
        v.State = s;

        // pf_create_state: synproxy answers a bare SYN itself; OpenBSD only for inbound packets, classic FreeBSD both ways.
        if (h.Proto == IpProto.Tcp && (h.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && r?.State == StateMode.Synproxy
            && (dir == Direction.In || !OpenBsd))
        {
            // pf answers the SYN with its own SYN|ACK and drops it (PF_SYNPROXY_DROP).
            s.Synproxy = true;
            s.Src.State = TcpState.ProxySrc;
            s.Src.SeqHi = (uint)NextRandom();
            v.Action = RuleAction.Block;
            v.Reason = Reason.Synproxy;
            v.Return = ReturnKind.SynAck;
        }
    }

    /// <summary>The shared origin record for states of one rule (and anchor), made once.</summary>
    private StateOrigin OriginFor(Rule? r, Ruleset rs, Rule? anchor, RuleCounters rc)
    {
        var key = (object?)r ?? rs;
        if (_origins.TryGetValue(key, out var o) && ReferenceEquals(o.Ruleset, rs) && ReferenceEquals(o.AnchorRule, anchor)) return o;
        o = new StateOrigin(r, rs, anchor, rc.Timeouts, rc);
        _origins[key] = o;
        return o;
    }

    private static void Refuse(ref Verdict v, Reason reason)
    {
        v.Action = RuleAction.Block;
        v.Reason = reason;
    }
}
