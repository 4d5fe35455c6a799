using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>How a <see cref="Firewall"/> simulates pf.</summary>
public sealed record FirewallOptions
{
    /// <summary>Whose pf to simulate; Auto takes the configuration's dialect (and OpenBSD when that is Auto too).</summary>
    public Dialect Dialect { get; init; } = Dialect.Auto;
    /// <summary>Seed for <c>probability</c> draws, modulate-state ISNs and random pools: the same seed gives the same run.</summary>
    public ulong Seed { get; init; } = 1;
    /// <summary>Evaluator to use instead of the default; null = the compiled evaluator (or the reference with <see cref="UseReferenceEvaluator"/>).</summary>
    public Func<PfConfig, RuleStats, bool, IRulesetEvaluator>? EvaluatorFactory { get; init; }
    /// <summary>Walk the rules one by one with <see cref="ReferenceEvaluator"/> instead of the compiled evaluator (proven equal; slower).</summary>
    public bool UseReferenceEvaluator { get; init; }
}

/// <summary>What pf knows about a packet besides its bytes: a tag from an earlier pass, the local socket's owner, where it came in.</summary>
public struct PacketContext
{
    /// <summary>uid/gid of a packet with no local socket (forwarded): pf's UID_MAX.</summary>
    public const uint UnknownId = uint.MaxValue;

    public PacketContext() { }

    /// <summary>Tag carried from an earlier pf pass (e.g. set inbound, tested outbound).</summary>
    public string? Tag { get; init; }
    /// <summary>Owner of the local socket, or null when there is none (forwarded packets): pf's unknown uid.</summary>
    public uint? Uid { get; init; }
    public uint? Gid { get; init; }
    /// <summary>Interface the packet was received on (for <c>received-on</c>), or null for locally generated packets.</summary>
    public string? ReceivedOn { get; init; }
}
