using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>Translation: OpenBSD nat-to/rdr-to/binat-to, FreeBSD nat/rdr/binat rules (pf_get_transaddr, pf_get_sport).</summary>
public sealed partial class Firewall : ITranslator
{
    // pf's PF_NAT_PROXY_PORT_LOW/HIGH: the source ports nat uses when the pool names none.
    private const ushort NatPortLow = 50001, NatPortHigh = 65535;
    private readonly Dictionary<AddressPool, uint> _roundRobin = new(ReferenceEqualityComparer.Instance);

    bool ITranslator.Translate(Rule r, ref RuleQuery q) => Translate(r, ref q, reverseBinat: false);

    private bool Translate(Rule r, ref RuleQuery q, bool reverseBinat)
    {
        var p = q.Packet;
        bool ports = p.HasPorts && !q.Fragment;
        if (r.BinatTo is AddressPool bp)
        {
            if (reverseBinat)
            {
                // FreeBSD binat, inbound: the public address maps back to the inside one, host bits kept.
                var inside = r.From.Address;
                q.Dst = Bitmask(inside.Address, inside.Prefix, q.Dst);
            }
            else
            {
                var target = PoolAddress(bp, q.Src, q.Src.Family, out int prefix);
                if (target is not Address t) return false;
                q.Src = Bitmask(t, prefix, q.Src);
            }
        }
        if (r.NatTo is AddressPool np)
        {
            var target = PoolAddress(np, q.Src, q.Src.Family, out int prefix);
            if (target is not Address t) return false;
            var nsrc = prefix < t.Bits && np.Type == PoolType.Bitmask ? Bitmask(t, prefix, q.Src) : t;
            if (p.IsIcmp && p.HasTransport && !q.Fragment)
            {
                if (!TranslateIcmpId(ref q, nsrc)) return false;
            }
            else if (ports && !np.StaticPort)
            {
                ushort lo = np.PortLo != 0 ? np.PortLo : NatPortLow, hi = np.PortHi != 0 ? np.PortHi : np.PortLo != 0 ? np.PortLo : NatPortHigh;
                if (!FreeSourcePort(ref q, nsrc, lo, hi, out ushort port)) return false;
                q.SrcPort = port;
            }
            q.Src = nsrc;
        }
        if (r.RdrTo is AddressPool rp)
        {
            var target = PoolAddress(rp, q.Src, q.Dst.Family, out int prefix);
            if (target is not Address t) return false;
            q.Dst = prefix < t.Bits && rp.Type is PoolType.Bitmask or PoolType.None ? Bitmask(t, prefix, q.Dst) : t;
            if (ports && rp.PortLo != 0)
            {
                // rdr-to port N:* keeps the offset of a port range; a single port replaces it.
                var dp = r.To.Port;
                q.DstPort = rp.PortHi != rp.PortLo && rp.PortHi != 0 && dp.Op == PortOp.Range
                    ? (ushort)(rp.PortLo + (q.DstPort - dp.Lo))
                    : rp.PortLo;
            }
        }
        q.Translated = true;
        q.NatRule = r;
        return true;
    }

    /// <summary>
    /// pf_get_sport for ICMP: the query id plays the source port. OpenBSD (pf_lb.c) picks a free id in 1..65535 for echo
    /// requests only (the key's destination side is the virtual type echo) and leaves nport 0 for any other message, so
    /// their translated key carries id 0; FreeBSD's classic pf_get_sport does it for every ICMPv4 query and keeps the id on
    /// both key sides (pf_test_rule: nk->port[0] = nk->port[1]); ICMPv6 keeps its id there. static-port does not apply.
    /// </summary>
    private bool TranslateIcmpId(ref RuleQuery q, in Address nsrc)
    {
        if (OpenBsd)
        {
            ushort echo = q.Packet.Af == Af.Inet ? (ushort)8 : (ushort)128;
            if (q.DstPort != echo) { q.SrcPort = 0; return true; }
            if (!FreeSourcePort(ref q, nsrc, 1, 65535, out ushort id)) return false;
            q.SrcPort = id;
            return true;
        }
        if (q.Packet.Proto != IpProto.Icmp) return true;
        if (!FreeSourcePort(ref q, nsrc, 1, 65535, out ushort fid)) return false;
        q.SrcPort = q.DstPort = fid;
        return true;
    }

    /// <summary>
    /// The ICMP id a query leaves with after translation (pf_translate / pf_test_state_icmp): OpenBSD writes the key's id
    /// side (port[sidx] for requests, port[didx] for replies) into echo messages on creation and into every query matching a
    /// translated state; classic FreeBSD keeps the id on both sides of the key.
    /// </summary>
    internal ushort IcmpIdAfter(in PacketHeaders h, ushort sport, ushort dport, bool onState)
    {
        if (!OpenBsd) return h.Proto == IpProto.Icmp ? sport : h.IcmpId;
        IcmpMapping.Map(h.Af, h.IcmpType, h.IcmpId, 0, out var icmpDir, out _, out ushort vtype);
        if (!onState && vtype != (h.Af == Af.Inet ? 8 : 128)) return h.IcmpId;
        return icmpDir == Direction.In ? sport : dport;
    }

    /// <summary>
    /// pf_test_state_icmp, error branch of a translated state: the quoted packet is rewritten to the other key's addresses
    /// and ports (nk = key[pd->didx]; the quoted packet travelled the other way, so pd2.sidx = dir == in ? 1 : 0), and each
    /// quoted address that changes replaces the outer address on the same side of the conversation: a new quoted source
    /// becomes the outer destination, a new quoted destination the outer source (pf_translate_icmp's oa argument).
    /// </summary>
    private void TranslateIcmpError(ReadOnlySpan<byte> p, Span<byte> writable, in PacketHeaders h, State st, Direction dir, ref Verdict v)
    {
        if (PacketDecoder.DecodeQuoted(p, h, out var inner) != DecodeStatus.Ok) return;
        var nk = dir == Direction.In ? st.Stack : st.Wire;
        bool s2Zero = dir != Direction.In;
        Address nsrc = s2Zero ? nk.Addr0 : nk.Addr1, ndst = s2Zero ? nk.Addr1 : nk.Addr0;
        ushort nsport = s2Zero ? nk.Port0 : nk.Port1, ndport = s2Zero ? nk.Port1 : nk.Port0;
        Address osrc = h.Src, odst = h.Dst, isrc = inner.Src, idst = inner.Dst;
        ushort isport = inner.SrcPort, idport = inner.DstPort;
        ushort? iid = null;
        bool ports = inner.HasPorts;
        bool srcChanged = isrc != nsrc || (ports && isport != nsport);
        if (inner.IsIcmp && inner.HasTransport)
        {
            // The quoted query's id follows the key's id side (port[iidx]), echo only on OpenBSD.
            IcmpMapping.Map(inner.Af, inner.IcmpType, inner.IcmpId, 0, out var idir, out _, out ushort vtype);
            bool echo = vtype == (inner.Af == Af.Inet ? 8 : 128);
            // iidx for the quoted packet: pd2.sidx for requests, pd2.didx for replies.
            ushort keyId = (idir == Direction.In) == s2Zero ? nk.Port0 : nk.Port1;
            if (OpenBsd ? echo : inner.Proto == IpProto.Icmp)
            {
                if (keyId != inner.IcmpId) srcChanged = true;
                iid = keyId;
            }
        }
        if (srcChanged) { isrc = nsrc; odst = nsrc; if (ports) isport = nsport; }
        if (idst != ndst || (ports && idport != ndport)) { idst = ndst; osrc = ndst; if (ports) idport = ndport; }
        if (!srcChanged && osrc == h.Src && iid is null) return;
        var outer = new NatResult(osrc, 0, odst, 0);
        var quoted = new NatResult(isrc, isport, idst, idport, iid);
        v.Nat = outer;
        v.QuotedNat = quoted;
        if (writable.Length > 0) PacketRewriter.TranslateIcmpError(writable, h, inner, outer, quoted, OpenBsd);
    }

    /// <summary>pf_get_sport: a source port in [lo, hi] whose translated key is free, starting at a (seeded) random point.</summary>
    private bool FreeSourcePort(ref RuleQuery q, in Address nsrc, ushort lo, ushort hi, out ushort port)
    {
        if (lo > hi) (lo, hi) = (hi, lo);
        uint span = (uint)(hi - lo) + 1;
        uint cut = lo + (uint)(NextRandom() % span);
        for (uint t = cut; t <= hi; t++)
            if (KeyFree(ref q, nsrc, (ushort)t)) { port = (ushort)t; return true; }
        for (uint t = cut - 1; t >= lo && t < cut; t--)
            if (KeyFree(ref q, nsrc, (ushort)t)) { port = (ushort)t; return true; }
        port = 0;
        return false;
    }

    private bool KeyFree(ref RuleQuery q, in Address nsrc, ushort sport)
    {
        // The key the state would get on the translated side (pf_find_state_all with the direction reversed).
        var key = StateKey.ForPacket(q.Direction, nsrc, sport, q.Dst, q.DstPort, q.Packet.Proto);
        return States.Find(key, q.Direction == Direction.Out ? Direction.In : Direction.Out, -1) is null;
    }

    /// <summary>The pool address for this packet: round-robin over lists, source-hash and random seeded, else the first.</summary>
    private Address? PoolAddress(AddressPool pool, in Address src, Af af, out int prefix)
    {
        prefix = 0;
        int n = pool.Addresses.Count;
        if (n == 0) return null;
        int index = 0;
        if (n > 1)
        {
            switch (pool.Type)
            {
                case PoolType.RoundRobin:
                case PoolType.None:
                    _roundRobin.TryGetValue(pool, out uint next);
                    index = (int)(next % (uint)n);
                    _roundRobin[pool] = next + 1;
                    break;
                case PoolType.SourceHash:
                    index = (int)((uint)(src.Lo * 0x9E3779B97F4A7C15UL >> 32) % (uint)n);
                    break;
                case PoolType.Random:
                    index = (int)(NextRandom() % (uint)n);
                    break;
            }
        }
        for (int k = 0; k < n; k++)
        {
            var m = pool.Addresses[(index + k) % n].Address;
            switch (m.Kind)
            {
                case AddressKind.Network when m.Address.Family == af:
                    prefix = m.Prefix;
                    return m.Address;
                case AddressKind.Dynamic:
                {
                    var itf = Config.Host.FindInterface(m.Name ?? "");
                    if (itf is null) break;
                    foreach (var ia in itf.Addresses)
                        if (ia.Address.Family == af) { prefix = ia.Address.Bits; return ia.Address; }
                    break;
                }
                case AddressKind.Table when m.Table is not null:
                    foreach (var e in m.Table.Entries)
                        if (!e.Not && e.Address.Family == af) { prefix = e.Prefix; return e.Address; }
                    break;
            }
        }
        return null;
    }

    /// <summary>pf_poolmask: the network bits of the pool, the host bits of the packet's address.</summary>
    private static Address Bitmask(in Address net, int prefix, in Address a)
    {
        if (prefix >= net.Bits || net.Family != a.Family) return net;
        var (mh, ml) = Address.Mask128(net.Family == Af.Inet ? prefix + 96 : prefix);
        return new Address(net.Family, (net.Hi & mh) | (a.Hi & ~mh), (net.Lo & ml) | (a.Lo & ~ml));
    }

    /// <summary>
    /// FreeBSD's pf_match_translation: the first matching rule of the binat/nat lists (outbound) or rdr/binat (inbound),
    /// evaluated before the filter rules; <c>no nat</c>/<c>no rdr</c> exempt the packet.
    /// </summary>
    private Rule? MatchTranslation(ref RuleQuery q, out bool reverseBinat)
    {
        reverseBinat = false;
        var main = Config.Main;
        if (q.Direction == Direction.Out)
        {
            var r = FirstMatch(main.Binat, ref q, false) ?? FirstMatch(main.Nat, ref q, false);
            return r;
        }
        var rdr = FirstMatch(main.Rdr, ref q, false);
        if (rdr is not null) return rdr;
        var b = FirstMatch(main.Binat, ref q, true);
        reverseBinat = b is not null;
        return b;
    }

    private Rule? FirstMatch(List<Rule> rules, ref RuleQuery q, bool reverse)
    {
        var p = q.Packet;
        for (int i = 0; i < rules.Count; i++)
        {
            var r = rules[i];
            Counters[r].AddEvaluations(1); // not Evaluations++: its getter flushes the compiled evaluator's pending counts
            if (r.Interface is not null && q.Interface.Matches(r.Interface) == r.InterfaceNot) continue;
            if (r.Direction != Direction.InOut && r.Direction != q.Direction) continue;
            if (r.Af != Af.Any && r.Af != p.Af) continue;
            if (r.Proto != 0 && r.Proto != p.Proto) continue;
            if (reverse)
            {
                // Inbound binat: the packet is addressed to the public side and comes from the rule's destination.
                var pub = r.BinatTo?.Addresses.Count > 0 ? r.BinatTo.Addresses[0].Address : null;
                if (pub is null || !pub.Address.IsValid || !q.Dst.InNetwork(pub.Address, pub.Prefix == 0 ? pub.Address.Bits : pub.Prefix)) continue;
                if (!MatchesAddress(r.To.Address, q.Src, q.Interface)) continue;
            }
            else
            {
                if (!MatchesAddress(r.From.Address, q.Src, q.Interface)) continue;
                if (!MatchesAddress(r.To.Address, q.Dst)) continue;
                bool ports = p.HasPorts && !q.Fragment;
                if (!r.From.Port.IsAny && (!ports || !r.From.Port.Matches(q.SrcPort))) continue;
                if (!r.To.Port.IsAny && (!ports || !r.To.Port.Matches(q.DstPort))) continue;
            }
            if (r.Tagged is not null && (r.Tagged == q.Tag) == r.TaggedNot) continue;
            return r;
        }
        return null;
    }

    private bool MatchesAddress(AddressMatch m, in Address a, Interface? sourceOn = null) => _addressMatcher.AddressMatches(m, a, Config.Main, sourceOn);
}
