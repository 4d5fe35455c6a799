using PfSim.Engine;

namespace PfSim.Flows;

/// <summary>What pf decided for one packet on one interface and direction, as the flow modeler records it.</summary>
public sealed record FilterVerdict
{
    public bool Pass { get; init; }
    /// <summary>The deciding rule's number (<c>@N</c>), null for the default rule.</summary>
    public int? Rule { get; init; }
    /// <summary>The deciding rule as pfctl prints it, or null for the default rule.</summary>
    public string? RuleText { get; init; }
    public string Anchor { get; init; } = "";
    public StateUse State { get; init; }
    /// <summary>pf's reason name (<c>match</c>, <c>state-mismatch</c>, …).</summary>
    public string Reason { get; init; } = "match";
    /// <summary>pf's reason code (PFRES_*), as pflog records it.</summary>
    public byte ReasonCode { get; init; }
    public bool Log { get; init; }
    /// <summary>What <c>block return</c> sends back (<c>tcp-rst</c>, <c>icmp</c>), or null.</summary>
    public string? Return { get; init; }
    /// <summary>ICMP code of a <c>return-icmp</c> answer.</summary>
    public byte ReturnIcmpCode { get; init; } = 3;
    /// <summary>Why, in plain words (computed on demand: explanations cost more than verdicts).</summary>
    public Func<string>? Explain { get; init; }
    /// <summary>For an ICMP error: whether the packet it quotes had a state.</summary>
    public QuotedLookup Quoted { get; init; }
    /// <summary>The deciding rule, when the engine's model is at hand (fix suggestions read it).</summary>
    public PfSim.Rules.Rule? RuleModel { get; init; }

    public string Action => Pass ? "pass" : "block";
    public string RuleLabel => Rule is int n ? $"@{n}" : "default";
}

/// <summary>pf on one node: one call per packet per interface crossing, with state carried between calls.</summary>
public interface IPacketFilter
{
    /// <summary>Tests <paramref name="packet"/> (an IP packet; NAT may rewrite it in place) crossing <paramref name="ifname"/>.</summary>
    FilterVerdict Test(Span<byte> packet, string ifname, Direction dir, double time);
}
