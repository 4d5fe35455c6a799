using PfSim.Rules;

namespace PfSim.Syntax;

/// <summary>One host of a rule as written, resolved to pf's address forms (an interface name already
/// expanded to its addresses); <see cref="Af"/> is 0 when the host does not imply a family.</summary>
public sealed record HostSpec(AddressMatch Address, Af Af)
{
    /// <summary>Interface of a route-to/pool entry: <c>(em0 10.0.0.1)</c> or <c>10.0.0.1@em0</c>.</summary>
    public string? IfName { get; init; }
    /// <summary>The host was written as an interface name with no address to expand to.</summary>
    public bool IsInterfaceGroup { get; init; }
    /// <summary>The scope of a link-local address written "fe80::1%lo0": the rule gets that interface.</summary>
    public string? ScopeIf { get; init; }
}

/// <summary>An interface item of <c>on</c>: name (or group), negation, or <c>on rdomain N</c>.</summary>
public sealed record IfSpec(string Name, bool Not, int RDomain = -1);

/// <summary>An ICMP type item: type+1 and code+1 as pf stores them (0 = unset).</summary>
public sealed record IcmpSpec(byte Type, byte Code, Af Proto);

/// <summary>A translation or routing target as written (<c>nat-to</c>, <c>-&gt;</c>, <c>route-to</c>).</summary>
public sealed class PoolSpec
{
    public List<HostSpec> Hosts { get; } = [];
    public ushort PortLo { get; set; }
    public ushort PortHi { get; set; }
    public bool PortRangeStar { get; set; }
    public PoolType Type { get; set; }
    public bool StickyAddress { get; set; }
    public bool StaticPort { get; set; }
    public string? HashKey { get; set; }
    public Af AfToFamily { get; set; }
}

/// <summary>
/// A filter, match, anchor or translation statement after parsing and before list expansion:
/// every list still a list, as parse.y hands it to expand_rule.
/// </summary>
public sealed class RuleSpec
{
    public string File { get; set; } = "";
    public int Line { get; set; }

    public RuleAction Action { get; set; }
    /// <summary>block: drop/return as written (null = block-policy).</summary>
    public BlockReturn? Return { get; set; }
    public byte ReturnTtl { get; set; }
    public ushort? ReturnIcmp { get; set; }
    public ushort? ReturnIcmp6 { get; set; }

    public Direction Direction { get; set; }
    public LogFlags Log { get; set; }
    public int LogIf { get; set; }
    public bool Quick { get; set; }
    public List<IfSpec> Interfaces { get; } = [];
    public Af Af { get; set; }
    public List<byte> Protos { get; } = [];

    public List<HostSpec> FromHosts { get; set; } = [];
    public List<PortMatch> FromPorts { get; set; } = [];
    public List<HostSpec> ToHosts { get; set; } = [];
    public List<PortMatch> ToPorts { get; set; } = [];
    /// <summary>Written as <c>all</c> or without from/to.</summary>
    public List<string?> Os { get; } = [];
    public List<PortMatch> Uids { get; } = [];
    public List<PortMatch> Gids { get; } = [];

    public byte Flags { get; set; }
    public byte FlagsMask { get; set; }
    public bool FlagsSet { get; set; }
    public bool FlagsAny { get; set; }
    public List<IcmpSpec> IcmpTypes { get; } = [];
    public byte? Tos { get; set; }
    public byte? Prio { get; set; }

    /// <summary>null = not written (default keep state for pass); <see cref="StateMode.None"/> = no state.</summary>
    public StateMode? State { get; set; }
    public List<StateOption> StateOpts { get; } = [];
    public bool Fragment { get; set; }
    public bool AllowOpts { get; set; }
    public string? Label { get; set; }
    public bool Once { get; set; }
    public string? Tag { get; set; }
    public string? Tagged { get; set; }
    public bool TaggedNot { get; set; }
    public string? ReceivedOn { get; set; }
    public bool ReceivedOnNot { get; set; }
    public int RTable { get; set; } = -1;
    public uint Probability { get; set; }
    public string? ProbabilityText { get; set; }
    public List<(string Key, string Text)> Extras { get; } = [];
    /// <summary>Family of a divert-to address (the rule takes it when it has none).</summary>
    public Af DivertAf { get; set; }
    /// <summary>divert-to's address candidates (a host name may give one per family) and port.</summary>
    public List<HostSpec>? DivertHosts { get; set; }
    public uint DivertPort { get; set; }
    /// <summary>divert-to needs incoming rules, divert-reply outgoing ones (Any = no divert).</summary>
    public Direction DivertDirection { get; set; }

    public PoolSpec? NatTo { get; set; }
    public PoolSpec? RdrTo { get; set; }
    public PoolSpec? BinatTo { get; set; }
    public PoolSpec? AfTo { get; set; }
    public PoolSpec? AfToRdr { get; set; }
    public PoolSpec? Route { get; set; }
    /// <summary>route-to, reply-to or dup-to.</summary>
    public string? RouteKind { get; set; }

    /// <summary>FreeBSD nat/rdr/binat: <c>no nat</c>, <c>nat pass</c>.</summary>
    public bool No { get; set; }
    public bool PassTranslation { get; set; }

    /// <summary>A shallow copy (lists shared) for the rules one statement turns into (binat-to).</summary>
    public RuleSpec Copy() => (RuleSpec)MemberwiseClone();

    /// <summary>Anchor rules: the name as written (null for an unnamed inline anchor) and kind.</summary>
    public string? AnchorName { get; set; }
    public string AnchorKind { get; set; } = "anchor";
    public bool IsAnchor { get; set; }
    /// <summary>The ruleset an inline anchor body was parsed into.</summary>
    public Ruleset? AnchorBody { get; set; }
}
