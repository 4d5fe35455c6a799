using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>
/// The host's routing table as pf_routable consults it (rtalloc: longest prefix wins): each interface's networks and
/// its own addresses route to that interface, point-to-point peers to theirs, then the host model's explicit routes
/// (<c>routes:</c> in <c>--host</c>, e.g. a default route). Without routes only the interfaces' own networks are reachable.
/// </summary>
public sealed class RouteTable
{
    private readonly (Address Net, int Prefix, string Interface)[] _routes;

    public RouteTable(HostModel host)
    {
        var list = new List<(Address, int, string)>();
        foreach (var itf in host.Interfaces)
            foreach (var a in itf.Addresses)
            {
                list.Add((a.Address, a.Address.Bits, itf.Name));
                list.Add((a.Network, a.Prefix, itf.Name));
                if (a.Peer is Address peer) list.Add((peer, peer.Bits, itf.Name));
            }
        foreach (var r in host.Routes) list.Add((r.Destination.Mask(r.Prefix), r.Prefix, r.Interface));
        _routes = [.. list];
    }

    /// <summary>rtalloc: the interface of the most specific route to <paramref name="a"/>, or null when there is none.</summary>
    public string? Lookup(in Address a)
    {
        string? best = null;
        int bestPrefix = -1;
        foreach (var (net, prefix, itf) in _routes)
            if (net.Family == a.Family && prefix > bestPrefix && a.InNetwork(net, prefix)) { best = itf; bestPrefix = prefix; }
        return best;
    }

    /// <summary>
    /// pf_routable without an interface (the <c>no-route</c> check): a route exists. IPv6 addresses with an embedded
    /// scope (link-local, interface- and link-local multicast) always count as routable.
    /// </summary>
    public bool Routable(in Address a) => ScopeEmbedded(a) || Lookup(a) is not null;

    /// <summary>
    /// pf_routable with the packet's interface (the <c>urpf-failed</c> check on a source): the route back to
    /// <paramref name="src"/> leaves through <paramref name="itf"/>. Scoped IPv6 addresses and enc(4) interfaces pass.
    /// </summary>
    public bool ReversePathOk(in Address src, Interface itf)
    {
        if (ScopeEmbedded(src) || itf.IsEnc) return true; // the interface type is resolved once, not per packet
        return Lookup(src) == itf.Name;
    }

    /// <summary>IN6_IS_SCOPE_EMBED: fe80::/10, ff01::/16, ff02::/16 (pf skips the route check for them).</summary>
    public static bool ScopeEmbedded(in Address a) =>
        a.Family == Af.Inet6 && ((a.Hi >> 54) == 0x3FA || (a.Hi >> 48) is 0xFF01 or 0xFF02);
}
