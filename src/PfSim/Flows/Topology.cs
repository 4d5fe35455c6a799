using PfSim.Rules;

namespace PfSim.Flows;

/// <summary>One interface of a lab node: a name, one IPv4 address with its prefix, and the segment it is plugged into.</summary>
public sealed class NodeInterface
{
    internal NodeInterface(Node node, string name, Address address, int prefix)
    {
        Node = node;
        Name = name;
        Address = address;
        Prefix = prefix;
    }

    public Node Node { get; }
    public string Name { get; }
    public Address Address { get; }
    public int Prefix { get; }
    public Address Network => Address.Mask(Prefix);
    public Segment? Segment { get; internal set; }

    public override string ToString() => $"{Node.Name}.{Name}";
}

/// <summary>A broadcast segment (a switch or a cable) joining interfaces; frames take <see cref="Latency"/> seconds to cross it.</summary>
public sealed class Segment
{
    internal Segment(string name, double latency)
    {
        Name = name;
        Latency = latency;
    }

    public string Name { get; }
    public double Latency { get; }
    public List<NodeInterface> Members { get; } = [];

    /// <summary>The interface on this segment that owns <paramref name="a"/> (what ARP would find), or null.</summary>
    public NodeInterface? Owner(in Address a)
    {
        foreach (var m in Members)
            if (m.Address == a) return m;
        return null;
    }
}

/// <summary>A static route: destinations in <see cref="Network"/>/<see cref="Prefix"/> go to <see cref="Gateway"/>.</summary>
public readonly record struct StaticRoute(Address Network, int Prefix, Address Gateway);

/// <summary>A host or router of a lab.</summary>
public sealed class Node
{
    public Node(string name, OsModel os, bool forwards)
    {
        Name = name;
        Os = os;
        Forwards = forwards;
    }

    public string Name { get; }
    public OsModel Os { get; }
    /// <summary>True for routers: packets for other hosts are forwarded (TTL decremented), not dropped.</summary>
    public bool Forwards { get; }
    public List<NodeInterface> Interfaces { get; } = [];
    public List<StaticRoute> Routes { get; } = [];
    /// <summary>TCP ports with a listener (SYN gets SYN-ACK; other ports get RST).</summary>
    public HashSet<ushort> TcpListening { get; } = [];
    /// <summary>UDP ports with a listener (no port unreachable for them).</summary>
    public HashSet<ushort> UdpListening { get; } = [];
    /// <summary>Interfaces pf filters on (null: all of them), when the node runs pf.</summary>
    public HashSet<string>? PfInterfaces { get; set; }
    /// <summary>Bytes of an offending packet this node's ICMP errors quote, when the lab overrides the OS default.</summary>
    public int? IcmpQuoteOverride { get; set; }

    public NodeInterface AddInterface(string name, Address address, int prefix)
    {
        var i = new NodeInterface(this, name, address, prefix);
        Interfaces.Add(i);
        return i;
    }

    public NodeInterface? FindInterface(string name) => Interfaces.FirstOrDefault(i => i.Name == name);

    /// <summary>True when <paramref name="a"/> is one of this node's addresses.</summary>
    public bool Owns(in Address a)
    {
        foreach (var i in Interfaces)
            if (i.Address == a) return true;
        return false;
    }

    /// <summary>The first address of the node (what a lab means by "the host's address").</summary>
    public Address PrimaryAddress => Interfaces[0].Address;

    /// <summary>The route to <paramref name="dst"/>: the outgoing interface and the next hop's address, or null (no route).
    /// Connected networks first by longest prefix, then static routes by longest prefix.</summary>
    public (NodeInterface Out, Address NextHop)? Route(in Address dst)
    {
        NodeInterface? best = null;
        int bestLen = -1;
        foreach (var i in Interfaces)
            if (i.Prefix > bestLen && dst.InNetwork(i.Address, i.Prefix)) { best = i; bestLen = i.Prefix; }
        Address nextHop = dst;
        foreach (var r in Routes)
        {
            if (r.Prefix <= bestLen || !dst.InNetwork(r.Network, r.Prefix)) continue;
            var via = ConnectedInterface(r.Gateway);
            if (via is null) continue;
            best = via;
            bestLen = r.Prefix;
            nextHop = r.Gateway;
        }
        return best is null ? null : (best, nextHop);
    }

    private NodeInterface? ConnectedInterface(in Address a)
    {
        NodeInterface? best = null;
        foreach (var i in Interfaces)
            if (a.InNetwork(i.Address, i.Prefix) && (best is null || i.Prefix > best.Prefix)) best = i;
        return best;
    }

    /// <summary>The machine description pf loads its ruleset against (interfaces and addresses, for self/(if)/if:network).</summary>
    public HostModel ToHostModel()
    {
        var h = HostModel.CreateDefault();
        foreach (var i in Interfaces)
            h.Interfaces.Add(new HostInterface(i.Name, [new InterfaceAddress(i.Address, i.Prefix)], [HostModel.DriverGroup(i.Name)]));
        return h;
    }

    public override string ToString() => Name;
}

/// <summary>The nodes and segments of a lab.</summary>
public sealed class Topology
{
    public List<Node> Nodes { get; } = [];
    public List<Segment> Segments { get; } = [];

    public Node? Find(string name) => Nodes.FirstOrDefault(n => n.Name == name);

    /// <summary>The node that owns <paramref name="a"/>, or null.</summary>
    public Node? Owner(in Address a)
    {
        foreach (var n in Nodes)
            if (n.Owns(a)) return n;
        return null;
    }

    public Segment AddSegment(string name, double latency, IEnumerable<NodeInterface> members)
    {
        var s = new Segment(name, latency);
        foreach (var m in members)
        {
            s.Members.Add(m);
            m.Segment = s;
        }
        Segments.Add(s);
        return s;
    }

    /// <summary>Joins every interface not yet on a segment with the others on its IP network (one switch per network).</summary>
    public void ConnectByNetwork(double latency)
    {
        var groups = Nodes.SelectMany(n => n.Interfaces).Where(i => i.Segment is null)
            .GroupBy(i => (i.Network, i.Prefix));
        foreach (var g in groups)
            AddSegment($"{g.Key.Network}/{g.Key.Prefix}", latency, g);
    }
}
