using PfSim.Engine;
using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Compile;

/// <summary>One rule's criteria pre-resolved for the exact test (the same tests, in the same order, as the reference).</summary>
internal readonly struct CompiledRule
{
    public readonly Rule Rule;
    public readonly int InterfaceIndex;
    public readonly bool InterfaceNot;
    public readonly Direction Direction;
    public readonly int RDomain;
    public readonly bool RDomainNot;
    public readonly Af Af;
    public readonly byte Proto;
    public readonly CompiledAddress Src, Dst;
    public readonly PortMatch SrcPort, DstPort, Uid, Gid;
    public readonly byte Flags, FlagsMask, IcmpType, IcmpCode;
    /// <summary><c>os</c> other than "unknown"/"any": never matches (no fingerprint database).</summary>
    public readonly bool OsNeverMatches;
    /// <summary>OpenBSD's no-state-from-ICMP-replies condition applies to this rule (stateful, not sloppy).</summary>
    public readonly bool StatefulNotSloppy;
    public readonly bool FragmentKeyword;
    public readonly byte Tos;
    public readonly uint Probability;
    public readonly string? Tagged;
    public readonly bool TaggedNot;
    public readonly string? ReceivedOn;
    public readonly bool ReceivedOnNot;
    /// <summary><c>prio N</c> other than the default 3: never matches (packets carry priority 3).</summary>
    public readonly bool PrioNeverMatches;
    public readonly bool IsAnchor, IsMatch, Quick, HasTag, Translates, Once;

    public CompiledRule(FlatRule f, int interfaceIndex, Func<Table, PrefixTable> tables)
    {
        var r = f.Rule;
        Rule = r;
        InterfaceIndex = interfaceIndex;
        InterfaceNot = r.InterfaceNot;
        Direction = r.Direction;
        RDomain = r.RDomain;
        RDomainNot = r.RDomainNot;
        Af = r.Af;
        Proto = r.Proto;
        Src = new CompiledAddress(r.From.Address, f.Ruleset, tables);
        Dst = new CompiledAddress(r.To.Address, f.Ruleset, tables);
        SrcPort = r.From.Port;
        DstPort = r.To.Port;
        Uid = r.Uid;
        Gid = r.Gid;
        Flags = r.Flags;
        FlagsMask = r.FlagsMask;
        IcmpType = r.IcmpType;
        IcmpCode = r.IcmpCode;
        OsNeverMatches = r.Os is not null && r.Os != "unknown" && r.Os != "any";
        StatefulNotSloppy = r.IsStateful && !r.StateOptions.Sloppy;
        FragmentKeyword = r.Fragment;
        Tos = r.Tos ?? 0;
        Probability = r.Probability;
        Tagged = r.Tagged;
        TaggedNot = r.TaggedNot;
        ReceivedOn = r.ReceivedOn;
        ReceivedOnNot = r.ReceivedOnNot;
        PrioNeverMatches = r.Prio is byte p && p != 3;
        IsAnchor = r.Anchor is not null;
        IsMatch = r.Anchor is null && r.Action == RuleAction.Match;
        Quick = r.Quick;
        HasTag = r.Tag is not null;
        Translates = ReferenceEvaluator.HasTranslation(r);
        Once = r.Once;
    }

    /// <summary>pf_calc_skip_steps' comparison: the two rules test field <paramref name="f"/> the same way.</summary>
    public bool SameField(SkipField f, in CompiledRule o) => f switch
    {
        SkipField.Ifp => Rule.Interface == o.Rule.Interface && InterfaceNot == o.InterfaceNot,
        SkipField.Dir => Direction == o.Direction,
        SkipField.RDomain => RDomain == o.RDomain && RDomainNot == o.RDomainNot,
        SkipField.Af => Af == o.Af,
        SkipField.Proto => Proto == o.Proto,
        SkipField.SrcAddr => Rule.From.Address == o.Rule.From.Address,
        SkipField.DstAddr => Rule.To.Address == o.Rule.To.Address,
        SkipField.SrcPort => SrcPort == o.SrcPort,
        SkipField.DstPort => DstPort == o.DstPort,
        _ => false,
    };

    /// <summary>The skip-step field of a failing criterion, or Count when pf just goes to the next rule.</summary>
    // Interface..Dst are the fields Ifp..DstAddr in the same order; arithmetic rather than a switch: it runs once per rule tested.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public static SkipField FieldOf(Criterion c) =>
        (uint)(c - Criterion.Interface) <= Criterion.Dst - Criterion.Interface ? (SkipField)(c - Criterion.Interface)
        : c == Criterion.SrcPort ? SkipField.SrcPort
        : c == Criterion.DstPort ? SkipField.DstPort
        : SkipField.Count;
}
