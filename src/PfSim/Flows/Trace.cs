namespace PfSim.Flows;

/// <summary>What happened to a packet at one place.</summary>
public enum StepKind : byte
{
    /// <summary>A host's stack or tool sent it.</summary>
    Sent,
    /// <summary>pf evaluated it (see <see cref="TraceStep.Verdict"/>).</summary>
    Filtered,
    /// <summary>It left an interface onto a segment.</summary>
    Transmitted,
    /// <summary>A router forwarded it (TTL decremented).</summary>
    Forwarded,
    /// <summary>Its TTL ran out at a router (which answers with time exceeded).</summary>
    TtlExceeded,
    /// <summary>It reached the host it was addressed to.</summary>
    Delivered,
    /// <summary>It was dropped without pf: no route, nobody owns the next hop, not a router.</summary>
    Dropped,
}

/// <summary>One step of one packet through the lab.</summary>
public sealed record TraceStep(int Packet, double Time, StepKind Kind, Node Node, NodeInterface? Interface, Direction Dir, byte[] Bytes)
{
    public FilterVerdict? Verdict { get; init; }
    /// <summary>Why a packet was dropped without pf, or what a delivery led to.</summary>
    public string? Note { get; init; }
    /// <summary>The node at the other end of a transmission.</summary>
    public Node? Peer { get; init; }
    public double ArrivalTime { get; init; }

    public bool Blocked => Kind == StepKind.Filtered && Verdict is { Pass: false };
}

/// <summary>A packet the lab synthesized: who made it and why.</summary>
public sealed record FlowPacket(int Number, Node Origin, double Time, byte[] Bytes, string Role)
{
    /// <summary>The packet number this one answers (an echo reply, an ICMP error, an RST), or 0.</summary>
    public int InReplyTo { get; init; }
}
