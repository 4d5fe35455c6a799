namespace PfSim.Rules;

/// <summary>What a rule does; values are pf's PF_* action codes (as pflog records them).</summary>
public enum RuleAction : byte
{
    Pass = 0,
    Block = 1,
    Scrub = 2,
    NoScrub = 3,
    Nat = 4,
    NoNat = 5,
    Binat = 6,
    NoBinat = 7,
    Rdr = 8,
    NoRdr = 9,
    SynproxyDrop = 10,
    Defer = 11,
    Match = 12,
}

/// <summary>How a block rule answers: pf's PFRULE_DROP/RETURN/RETURNRST/RETURNICMP (resolved from block-policy).</summary>
public enum BlockReturn : byte
{
    /// <summary>Not a block rule.</summary>
    None = 0,
    Drop,
    Return,
    ReturnRst,
    ReturnIcmp,
    ReturnIcmp6,
}

/// <summary>State keeping of a rule.</summary>
public enum StateMode : byte
{
    None = 0,
    Keep,
    Modulate,
    Synproxy,
}

/// <summary>Port and uid/gid comparison operators, in pf's PF_OP_* order.</summary>
public enum PortOp : byte
{
    None = 0,
    /// <summary><c>a &gt;&lt; b</c>: a &lt; p &lt; b (exclusive).</summary>
    InsideExclusive = 1,
    Eq = 2,
    Ne = 3,
    Lt = 4,
    Le = 5,
    Gt = 6,
    Ge = 7,
    /// <summary><c>a &lt;&gt; b</c>: p &lt; a or p &gt; b.</summary>
    Outside = 8,
    /// <summary><c>a:b</c>: a &lt;= p &lt;= b (inclusive).</summary>
    Range = 9,
}

/// <summary>A port (or uid/gid) test: operator with one or two operands. Default matches everything.</summary>
public readonly record struct PortMatch(PortOp Op, uint Lo, uint Hi)
{
    public static readonly PortMatch Any = default;
    public bool IsAny => Op == PortOp.None;
    public static PortMatch Equal(uint p) => new(PortOp.Eq, p, p);

    /// <summary>The operator test of pf_match: true when <paramref name="p"/> satisfies it.</summary>
    public bool Matches(uint p) => Op switch
    {
        PortOp.None => true,
        PortOp.InsideExclusive => p > Lo && p < Hi,
        PortOp.Eq => p == Lo,
        PortOp.Ne => p != Lo,
        PortOp.Lt => p < Lo,
        PortOp.Le => p <= Lo,
        PortOp.Gt => p > Lo,
        PortOp.Ge => p >= Lo,
        PortOp.Outside => p < Lo || p > Hi,
        PortOp.Range => p >= Lo && p <= Hi,
        _ => false,
    };
}

/// <summary>How an address criterion is expressed (pf's PF_ADDR_* types).</summary>
public enum AddressKind : byte
{
    /// <summary><c>any</c>.</summary>
    Any = 0,
    /// <summary>A network <c>a/len</c> (a host is /32 or /128); interface names and <c>self</c> expand to these at load time.</summary>
    Network,
    /// <summary><c>a - b</c>, inclusive.</summary>
    Range,
    /// <summary><c>&lt;table&gt;</c>.</summary>
    Table,
    /// <summary><c>(ifname[:mod])</c>: the interface's addresses at evaluation time.</summary>
    Dynamic,
    /// <summary><c>no-route</c>.</summary>
    NoRoute,
    /// <summary><c>urpf-failed</c>.</summary>
    UrpfFailed,
    /// <summary><c>route LABEL</c> (OpenBSD).</summary>
    RouteLabel,
}

/// <summary>Interface address modifiers of <c>if:network</c>, <c>:broadcast</c>, <c>:peer</c>, <c>:0</c>.</summary>
[Flags]
public enum InterfaceModifier : byte
{
    None = 0,
    Network = 1,
    Broadcast = 2,
    Peer = 4,
    NoAlias = 8,
}

/// <summary>One address criterion of a rule (<c>from</c> or <c>to</c> side), fully resolved.</summary>
public sealed record AddressMatch
{
    public static readonly AddressMatch AnyAddress = new();

    public AddressKind Kind { get; init; }
    /// <summary><c>!</c> before the address.</summary>
    public bool Not { get; init; }
    /// <summary>Network address (Network) or range start (Range).</summary>
    public Address Address { get; init; }
    /// <summary>Prefix length (Network).</summary>
    public int Prefix { get; init; }
    /// <summary>Range end (Range).</summary>
    public Address RangeEnd { get; init; }
    /// <summary>Table name without brackets (Table), interface or group name (Dynamic), label (RouteLabel).</summary>
    public string? Name { get; init; }
    /// <summary>Modifiers of a dynamic interface address.</summary>
    public InterfaceModifier Modifiers { get; init; }
    /// <summary>The table this name resolved to when loaded (Table); set by the loader.</summary>
    public Table? Table { get; init; }

    public static AddressMatch Host(Address a) => new() { Kind = AddressKind.Network, Address = a, Prefix = a.Bits };
    public static AddressMatch Net(Address a, int prefix) => new() { Kind = AddressKind.Network, Address = a.Mask(prefix), Prefix = prefix };

    /// <summary>The family this criterion implies (Any when it does not say).</summary>
    public Af Family => Kind is AddressKind.Network or AddressKind.Range ? Address.Family : Af.Any;
}

/// <summary>One side of a rule: address and port.</summary>
public sealed record Endpoint(AddressMatch Address, PortMatch Port)
{
    public static readonly Endpoint Any = new(AddressMatch.AnyAddress, PortMatch.Any);
}

/// <summary>Logging options of a rule (<c>log (all, matches, user, to pflogN)</c>).</summary>
[Flags]
public enum LogFlags : byte
{
    None = 0,
    Log = 1,
    All = 2,
    Matches = 4,
    User = 8,
}

/// <summary>A pool of addresses for translation or routing (<c>nat-to</c>, <c>rdr-to</c>, <c>route-to</c>, FreeBSD <c>nat … -&gt;</c>).</summary>
public sealed record AddressPool
{
    public IReadOnlyList<PoolAddress> Addresses { get; init; } = [];
    /// <summary>Port range of the pool; 0 means keep the port (or the default NAT range for nat).</summary>
    public ushort PortLo { get; init; }
    public ushort PortHi { get; init; }
    public PoolType Type { get; init; }
    public bool StickyAddress { get; init; }
    public bool StaticPort { get; init; }
    /// <summary>Seed for <c>random</c> / <c>source-hash</c> pools (deterministic in the simulator).</summary>
    public string? HashKey { get; init; }
}

/// <summary>One pool member: an address criterion, optionally bound to an interface (<c>route-to (em0 10.0.0.1)</c>).</summary>
public sealed record PoolAddress(AddressMatch Address, string? Interface = null);

public enum PoolType : byte
{
    None = 0,
    Bitmask,
    Random,
    SourceHash,
    RoundRobin,
    LeastStates,
}

/// <summary>A state option (<c>max 100</c>, <c>tcp.established 60</c>, <c>if-bound</c>, …) in source order.</summary>
public sealed record StateOption(string Name, string? Value = null, uint Number = 0, uint Number2 = 0);

/// <summary>How a stateful rule tracks source nodes.</summary>
public enum SourceTrack : byte
{
    None = 0,
    Global,
    Rule,
}

/// <summary>The options of <c>keep state (…)</c>, resolved.</summary>
public sealed record StateOptions
{
    public static readonly StateOptions Default = new();
    /// <summary>Options as written, in order (for printing).</summary>
    public IReadOnlyList<StateOption> Written { get; init; } = [];
    public uint MaxStates { get; init; }
    public uint MaxSrcNodes { get; init; }
    public uint MaxSrcStates { get; init; }
    public uint MaxSrcConn { get; init; }
    public uint MaxSrcConnRateCount { get; init; }
    public uint MaxSrcConnRateSeconds { get; init; }
    public string? OverloadTable { get; init; }
    public bool Flush { get; init; }
    public bool FlushGlobal { get; init; }
    /// <summary>true = if-bound, false = floating, null = the global <c>set state-policy</c>.</summary>
    public bool? IfBound { get; init; }
    public bool Sloppy { get; init; }
    public bool Pflow { get; init; }
    public bool NoSync { get; init; }
    /// <summary>Source tracking: None, Global (one table for all rules) or Rule (per rule), as pf's PFRULE_SRCTRACK/RULESRCTRACK.</summary>
    public SourceTrack SourceTrack { get; init; }
    /// <summary>Per-rule timeouts (name → seconds), e.g. <c>udp.first</c>.</summary>
    public IReadOnlyDictionary<string, uint> Timeouts { get; init; } = new Dictionary<string, uint>();
}

/// <summary>
/// One expanded rule as pfctl loads it: every list multiplied out, names resolved, defaults inserted.
/// Criteria use pf's encodings (ICMP type/code stored +1, 0 = unset).
/// </summary>
public sealed record Rule
{
    /// <summary>The rule's <c>@N</c> number within its ruleset (per list on FreeBSD: filter, nat, rdr, binat, scrub).</summary>
    public int Number { get; set; }
    /// <summary>Source file and line of the statement the rule expanded from.</summary>
    public string File { get; init; } = "";
    public int Line { get; init; }

    public RuleAction Action { get; init; }
    /// <summary>Return policy of a block rule (after <c>set block-policy</c> is applied).</summary>
    public BlockReturn Return { get; init; }
    /// <summary>TTL of <c>return-rst (ttl N)</c>; 0 = system default.</summary>
    public byte ReturnTtl { get; init; }
    /// <summary>ICMP code of <c>return-icmp (code)</c>; null = default (port unreachable).</summary>
    public byte? ReturnIcmpCode { get; init; }
    public byte? ReturnIcmp6Code { get; init; }

    public Direction Direction { get; init; }
    public LogFlags Log { get; init; }
    /// <summary>pflog interface number of <c>log (to pflogN)</c>.</summary>
    public int LogInterface { get; init; }
    public bool Quick { get; init; }

    /// <summary>Interface or group name of <c>on</c>, or null (any interface). <c>on any</c> is stored as "any".</summary>
    public string? Interface { get; init; }
    public bool InterfaceNot { get; init; }
    /// <summary><c>on rdomain N</c>, or -1.</summary>
    public int RDomain { get; init; } = -1;
    public bool RDomainNot { get; init; }

    public Af Af { get; init; }
    /// <summary>IP protocol number, 0 = any.</summary>
    public byte Proto { get; init; }

    public Endpoint From { get; init; } = Endpoint.Any;
    public Endpoint To { get; init; } = Endpoint.Any;
    /// <summary><c>os "name"</c>, or null.</summary>
    public string? Os { get; init; }

    public PortMatch Uid { get; init; }
    public PortMatch Gid { get; init; }

    /// <summary>TCP flags that must be set (of <see cref="FlagsMask"/>); both 0 = not tested.</summary>
    public byte Flags { get; init; }
    public byte FlagsMask { get; init; }
    /// <summary><c>flags any</c> was written (prints, matches everything).</summary>
    public bool FlagsAny { get; init; }

    /// <summary>ICMP type + 1 (0 = unset), as pf stores it.</summary>
    public byte IcmpType { get; init; }
    /// <summary>ICMP code + 1 (0 = unset).</summary>
    public byte IcmpCode { get; init; }
    /// <summary>The type is an <c>icmp6-type</c>.</summary>
    public bool IsIcmp6Type { get; init; }

    /// <summary><c>tos N</c>, or null.</summary>
    public byte? Tos { get; init; }
    /// <summary><c>prio N</c> as criterion, or null.</summary>
    public byte? Prio { get; init; }

    public StateMode State { get; init; }
    /// <summary><c>keep state</c> was written (FreeBSD and older OpenBSD print it; the default is implicit).</summary>
    public bool StateExplicit { get; init; }
    public StateOptions StateOptions { get; init; } = StateOptions.Default;

    /// <summary><c>fragment</c>.</summary>
    public bool Fragment { get; init; }
    public bool AllowOpts { get; init; }
    public string? Label { get; init; }
    /// <summary>The label before <c>$nr</c> is put in (null when it has none): pfctl expands <c>$nr</c> only once the optimizer has numbered the rules.</summary>
    public string? LabelTemplate { get; init; }
    public bool Once { get; init; }
    public string? Tag { get; init; }
    public string? Tagged { get; init; }
    public bool TaggedNot { get; init; }
    public string? ReceivedOn { get; init; }
    public bool ReceivedOnNot { get; init; }
    public int RTable { get; init; } = -1;
    /// <summary><c>probability p%</c> as a fraction of uint.MaxValue; 0 = not set.</summary>
    public uint Probability { get; init; }

    /// <summary>Options this model keeps only to print them (queue, set prio/tos, scrub, max-pkt-rate, divert, ridentifier, …), in canonical order.</summary>
    public IReadOnlyList<string> Extras { get; init; } = [];

    /// <summary>Translation: OpenBSD <c>nat-to</c>, <c>rdr-to</c>, <c>binat-to</c>; FreeBSD nat/rdr/binat rules' target.</summary>
    public AddressPool? NatTo { get; init; }
    public AddressPool? RdrTo { get; init; }
    public AddressPool? BinatTo { get; init; }
    /// <summary><c>af-to inet|inet6 from … [to …]</c>: target family.</summary>
    public Af AfTo { get; init; }
    public AddressPool? AfToFrom { get; init; }
    public AddressPool? AfToTo { get; init; }
    public AddressPool? RouteTo { get; init; }
    public AddressPool? ReplyTo { get; init; }
    public AddressPool? DupTo { get; init; }

    /// <summary>Options kept for printing, with the slot pfctl prints them in ("max-pkt-rate", "set:prio", "scrub", "divert", …).</summary>
    public IReadOnlyList<(string Key, string Text)> ExtrasKeyed { get; init; } = [];
    /// <summary>"route-to", "reply-to", "dup-to" or "fastroute" when the rule routes; null otherwise.</summary>
    public string? RouteKind { get; init; }
    /// <summary>FreeBSD <c>no nat</c>/<c>no rdr</c>/<c>no binat</c>: the packet is exempt from translation.</summary>
    public bool NoTranslation { get; init; }
    /// <summary>FreeBSD <c>nat pass</c>/<c>rdr pass</c>: translated packets skip the filter rules.</summary>
    public bool PassTranslation { get; init; }
    /// <summary>The anchor's rules were given inline (<c>anchor "x" { … }</c>); pfctl -nv prints them in braces.</summary>
    public bool InlineAnchor { get; init; }

    /// <summary>For an anchor rule: the anchor it calls (resolved at load), else null.</summary>
    public AnchorCall? Anchor { get; init; }

    /// <summary>The text pfctl prints for this rule (set by the loader, used by explanations and reports).</summary>
    public string Text { get; set; } = "";

    public bool IsStateful => State != StateMode.None;
}

/// <summary>An anchor rule's target: <c>anchor "name"</c>, <c>anchor "name/*"</c>, or an inline ruleset.</summary>
public sealed record AnchorCall
{
    /// <summary>The name as written (relative or absolute, may end in "/*").</summary>
    public required string Name { get; init; }
    /// <summary>The anchor's ruleset (for "name/*", the parent whose children are evaluated in name order).</summary>
    public required Ruleset Ruleset { get; init; }
    /// <summary>"name/*": evaluate every child of <see cref="Ruleset"/> in name order.</summary>
    public bool Wildcard { get; init; }
    /// <summary>FreeBSD anchor kind: "anchor", "nat-anchor", "rdr-anchor", "binat-anchor", "scrub-anchor".</summary>
    public string Kind { get; init; } = "anchor";
}
