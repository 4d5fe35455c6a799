namespace PfSim.Flows;

/// <summary>A program on a host that receives packets addressed to it (a ping or traceroute waiting for answers).</summary>
public interface IHostApp
{
    /// <summary>Offers a delivered packet; returns true when the program takes it (the stack then does nothing).</summary>
    bool Receive(ReadOnlySpan<byte> packet, int packetNumber, double time);
}

/// <summary>
/// Discrete-event simulation of a lab's network: packets leave hosts, cross pf on every interface of a node
/// that runs it (out, then in at the next node), are forwarded by routers with TTL decrement and answered by
/// host stacks. Time comes from the event queue, never the wall clock.
/// </summary>
public sealed class Simulation
{
    private readonly PriorityQueue<Action, (double Time, long Seq)> _queue = new();
    private long _seq;
    private readonly Dictionary<Node, IPacketFilter> _filters;
    private readonly Dictionary<Node, IHostApp> _apps = new();
    private readonly Dictionary<Node, ushort> _ipIds = new();

    /// <summary>Seconds a node takes to answer or forward a packet.</summary>
    public const double ProcessingDelay = 0.000020;

    public Simulation(Topology topology, IReadOnlyDictionary<Node, IPacketFilter>? filters = null, bool recordTrace = true)
    {
        Topology = topology;
        _filters = filters is null ? new() : new Dictionary<Node, IPacketFilter>(filters);
        RecordTrace = recordTrace;
    }

    public Topology Topology { get; }
    /// <summary>pf of each node that runs it.</summary>
    public IReadOnlyDictionary<Node, IPacketFilter> Filters => _filters;
    public bool RecordTrace { get; }
    public double Now { get; private set; }
    public List<TraceStep> Steps { get; } = [];
    public List<FlowPacket> Packets { get; } = [];
    /// <summary>pf evaluations so far (also counted when the trace is not recorded).</summary>
    public long Evaluations { get; private set; }

    public void Attach(Node node, IHostApp app) => _apps[node] = app;
    public void Detach(Node node) => _apps.Remove(node);

    public void Schedule(double time, Action action) => _queue.Enqueue(action, (time, _seq++));

    /// <summary>Runs events until none is left.</summary>
    public void Run()
    {
        while (_queue.TryDequeue(out var action, out var key))
        {
            Now = key.Time;
            action();
        }
    }

    /// <summary>The next IP id of a node's stack (a per-host counter, as BSD and Windows stacks keep).</summary>
    public ushort NextIpId(Node node)
    {
        if (!_ipIds.TryGetValue(node, out var id)) id = (ushort)StableHash.Of(node.Name, 0x1d);
        _ipIds[node] = (ushort)(id + 1);
        return id;
    }

    /// <summary>A host sends <paramref name="packet"/> at <paramref name="time"/>; returns its packet number.</summary>
    public int Send(Node node, byte[] packet, double time, string role, int inReplyTo = 0, bool generatedByPf = false)
    {
        int number = Packets.Count + 1;
        Packets.Add(new FlowPacket(number, node, time, packet, role) { InReplyTo = inReplyTo });
        Schedule(time, () => Output(node, packet, number, generatedByPf, sent: true));
        return number;
    }

    private void Record(TraceStep step)
    {
        if (RecordTrace) Steps.Add(step);
    }

    private void Output(Node node, byte[] packet, int number, bool skipPf, bool sent)
    {
        var ip = new Ip4View(packet);
        var route = node.Route(ip.Dst);
        if (route is null)
        {
            Record(new TraceStep(number, Now, StepKind.Dropped, node, null, Direction.Out, packet) { Note = $"no route to {ip.Dst}" });
            return;
        }
        var (itf, nextHop) = route.Value;
        if (sent) Record(new TraceStep(number, Now, StepKind.Sent, node, itf, Direction.Out, packet));
        if (!skipPf && !Filter(node, itf, Direction.Out, packet, number)) return;
        var peer = itf.Segment?.Owner(nextHop);
        if (peer is null)
        {
            Record(new TraceStep(number, Now, StepKind.Dropped, node, itf, Direction.Out, packet) { Note = $"no host on {itf.Name} answers ARP for {nextHop}" });
            return;
        }
        double arrival = Now + itf.Segment!.Latency;
        Record(new TraceStep(number, Now, StepKind.Transmitted, node, itf, Direction.Out, packet) { Peer = peer.Node, ArrivalTime = arrival });
        Schedule(arrival, () => Input(peer, packet, number));
    }

    private void Input(NodeInterface itf, byte[] packet, int number)
    {
        var node = itf.Node;
        if (!Filter(node, itf, Direction.In, packet, number)) return;
        var ip = new Ip4View(packet);
        if (node.Owns(ip.Dst))
        {
            Record(new TraceStep(number, Now, StepKind.Delivered, node, itf, Direction.In, packet));
            Deliver(node, packet, number);
            return;
        }
        if (!node.Forwards)
        {
            Record(new TraceStep(number, Now, StepKind.Dropped, node, itf, Direction.In, packet) { Note = $"{node.Name} is not a router: packet for {ip.Dst} dropped" });
            return;
        }
        if (ip.Ttl <= 1)
        {
            Record(new TraceStep(number, Now, StepKind.TtlExceeded, node, itf, Direction.In, packet) { Note = "TTL exceeded in transit" });
            var answer = HostStack.TimeExceeded(this, node, packet);
            if (answer is not null) Send(node, answer, Now + ProcessingDelay, "time exceeded", number);
            return;
        }
        // With a trace, every step keeps the bytes it saw; without one, forward in place (no copy per hop).
        var fwd = RecordTrace ? (byte[])packet.Clone() : packet;
        fwd[8]--;
        Wire.FixChecksums(fwd);
        Record(new TraceStep(number, Now, StepKind.Forwarded, node, itf, Direction.In, fwd));
        Schedule(Now + ProcessingDelay, () => Output(node, fwd, number, skipPf: false, sent: false));
    }

    private void Deliver(Node node, byte[] packet, int number)
    {
        if (_apps.TryGetValue(node, out var app) && app.Receive(packet, number, Now)) return;
        var answer = HostStack.Answer(this, node, packet, out var role);
        if (answer is not null) Send(node, answer, Now + ProcessingDelay, role, number);
    }

    /// <summary>pf on <paramref name="node"/>, if it runs pf and filters this interface; false when the packet is blocked.</summary>
    private bool Filter(Node node, NodeInterface itf, Direction dir, byte[] packet, int number)
    {
        if (!_filters.TryGetValue(node, out var pf)) return true;
        if (node.PfInterfaces is not null && !node.PfInterfaces.Contains(itf.Name)) return true;
        Evaluations++;
        var v = pf.Test(packet, itf.Name, dir, Now);
        Record(new TraceStep(number, Now, StepKind.Filtered, node, itf, dir, packet) { Verdict = v });
        if (v.Pass) return true;
        var answer = v.Return switch
        {
            "tcp-rst" => HostStack.ResetFor(this, node, packet),
            "icmp" => HostStack.UnreachableFor(this, node, packet, v.ReturnIcmpCode),
            _ => null,
        };
        // pf's own answers carry PF_TAG_GENERATED and pass pf unfiltered.
        if (answer is not null) Send(node, answer, Now, "block return", number, generatedByPf: true);
        return false;
    }
}

/// <summary>A small deterministic hash (FNV-1a) for ids, ports and jitter that must not change from run to run.</summary>
internal static class StableHash
{
    public static uint Of(string text, uint salt)
    {
        uint h = 2166136261u ^ salt;
        foreach (char c in text) { h ^= c; h *= 16777619u; }
        return h;
    }

    public static uint Mix(uint a, uint b)
    {
        uint h = a ^ (b * 0x9E3779B9u);
        h ^= h >> 16; h *= 0x85EBCA6Bu; h ^= h >> 13; h *= 0xC2B2AE35u; h ^= h >> 16;
        return h;
    }
}
