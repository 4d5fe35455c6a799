using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>Whether a verdict used a state.</summary>
public enum StateUse : byte
{
    /// <summary>Decided by the ruleset, no state created.</summary>
    None = 0,
    /// <summary>Decided by the ruleset; this packet created a state.</summary>
    New,
    /// <summary>Passed or blocked by an existing state (the ruleset was not consulted).</summary>
    Match,
}

/// <summary>What <c>block return</c> sends back.</summary>
public enum ReturnKind : byte
{
    None = 0,
    TcpRst,
    Icmp,
    Icmp6,
    /// <summary>synproxy: pf answers a SYN with its own SYN|ACK.</summary>
    SynAck,
    /// <summary>synproxy: the client completed pf's handshake; pf opens the connection to the server with its own SYN.</summary>
    ProxySyn,
    /// <summary>synproxy: the server answered pf's SYN; pf acknowledges both sides and the connection is spliced.</summary>
    ProxyAcks,
}

/// <summary>For an ICMP error: what the lookup of the packet it quotes found (pf_test_state_icmp).</summary>
public enum QuotedLookup : byte
{
    /// <summary>Not an ICMP error.</summary>
    NotAnError = 0,
    /// <summary>The quoted packet belongs to a state: the error passes with it.</summary>
    StateFound,
    /// <summary>The quoted packet has no state: the error goes through the ruleset like any new packet.</summary>
    NoState,
    /// <summary>The quoted packet could not be read (too short, a later fragment): the ruleset decides.</summary>
    Unreadable,
    /// <summary>A state was found but the quoted packet does not fit it (TCP sequence outside the window).</summary>
    Mismatch,
    /// <summary>The error is not addressed to the quoted packet's source (outer destination ≠ quoted source): pf looks
    /// up no state and the ruleset decides.</summary>
    WrongDestination,
}

/// <summary>Addresses and ports of a translated packet; for an ICMP query also the id it leaves with (ports are then the
/// state key's id and virtual type).</summary>
public readonly record struct NatResult(Address Src, ushort SrcPort, Address Dst, ushort DstPort, ushort? IcmpId = null);

/// <summary>pf's decision on one packet in one direction on one interface.</summary>
public struct Verdict
{
    /// <summary>Pass or Block.</summary>
    public RuleAction Action;
    /// <summary>The deciding rule (for a state match: the rule that created the state); null = the default rule.</summary>
    public Rule? Rule;
    /// <summary>The ruleset holding <see cref="Rule"/> (null for the default rule: the main ruleset).</summary>
    public Ruleset? Ruleset;
    /// <summary>The anchor rule that called <see cref="Ruleset"/>, when the rule sits in an anchor.</summary>
    public Rule? AnchorRule;
    public StateUse StateUse;
    /// <summary>The state created or matched.</summary>
    public State? State;
    public Reason Reason;
    public bool Log;
    public ReturnKind Return;
    public byte ReturnType;
    public byte ReturnCode;
    /// <summary>Addresses after translation, when the packet was translated.</summary>
    public NatResult? Nat;
    /// <summary>For an ICMP error passed by a translated state: the quoted packet's addresses and ports after pf translated it back.</summary>
    public NatResult? QuotedNat;
    /// <summary>The tag the packet leaves with.</summary>
    public string? Tag;
    /// <summary>The interface is in <c>set skip</c>: pf did nothing.</summary>
    public bool Skipped;
    public QuotedLookup Quoted;

    public readonly bool Passed => Action == RuleAction.Pass;
    public readonly string AnchorPath => Ruleset?.Path ?? "";
    /// <summary>The rule number as pfctl -vvsr and pflog show it, or -1 for the default rule.</summary>
    public readonly int RuleNumber => Rule?.Number ?? -1;
}
