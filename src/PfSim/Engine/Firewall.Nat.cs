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
            if (ports && !np.StaticPort)
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
        // The wire key the state would get: outbound, the translated source in slot 1.
        var key = StateKey.ForPacket(Direction.Out, nsrc, sport, q.Dst, q.DstPort, q.Packet.Proto);
        return States.Find(key, Direction.In, -1) is null;
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
            Counters[r].Evaluations++;
            if (r.Interface is not null && q.Interface.Matches(r.Interface) == r.InterfaceNot) continue;
            if (r.Direction != Direction.InOut && r.Direction != q.Direction) continue;
            if (r.Af != Af.Any && r.Af != p.Af) continue;
            if (r.Proto != 0 && r.Proto != p.Proto) continue;
            if (reverse)
            {
                // Inbound binat: the packet is addressed to the public side and comes from the rule's destination.
                var pub = r.BinatTo?.Addresses.Count > 0 ? r.BinatTo.Addresses[0].Address : null;
                if (pub is null || !pub.Address.IsValid || !q.Dst.InNetwork(pub.Address, pub.Prefix == 0 ? pub.Address.Bits : pub.Prefix)) continue;
                if (!MatchesAddress(r.To.Address, q.Src)) continue;
            }
            else
            {
                if (!MatchesAddress(r.From.Address, q.Src)) continue;
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

    private bool MatchesAddress(AddressMatch m, in Address a) => _addressMatcher.AddressMatches(m, a, Config.Main);
}
