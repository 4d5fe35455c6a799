namespace PfSim.Rules;

/// <summary>
/// A rule as pfctl_optimize.c compares it (comparable_rule): the fields pf_rule_desc marks NOMERGE (may differ within a
/// superblock but not between rules merged into one), the two addresses (COMBINED), and everything else folded into
/// <see cref="Break"/> (BREAK and BARRIER fields, which rules of one superblock must share). Counters, numbers and
/// source positions (DC) are left out.
/// </summary>
internal readonly partial record struct OptKey(
    string Break,
    bool Barrier,
    Af Af,
    string Interface,
    bool InterfaceNot,
    string? Tagged,
    bool TaggedNot,
    string? Os,
    string Timeouts,
    int ReturnIcmp,
    int ReturnIcmp6,
    PortMatch Uid,
    PortMatch Gid,
    Direction Direction,
    byte Proto,
    byte IcmpType,
    byte IcmpCode,
    byte Flags,
    byte FlagSet,
    byte Tos,
    PortMatch SrcPort,
    PortMatch DstPort,
    bool SrcNeg,
    bool DstNeg,
    int RDomain,
    bool RDomainNot,
    AddressMatch SrcAddr,
    AddressMatch DstAddr)
{
    public static OptKey Of(Rule r, Dialect dialect)
    {
        var so = r.StateOptions;
        bool barrier = r.Label is not null || r.Probability != 0 || so.MaxStates != 0 || so.MaxSrcNodes != 0 ||
                       so.MaxSrcStates != 0 || so.MaxSrcConn != 0 || so.MaxSrcConnRateCount != 0 || r.Anchor is not null ||
                       so.SourceTrack == SourceTrack.Rule;
        // Everything but the NOMERGE and COMBINED fields, printed canonically: equal text, equal fields.
        var rest = r with
        {
            Af = Af.Any, Interface = null, InterfaceNot = false, Tagged = null, TaggedNot = false, Os = null,
            StateOptions = so with { Timeouts = new Dictionary<string, uint>() },
            ReturnIcmpCode = null, ReturnIcmp6Code = null, Uid = default, Gid = default, Direction = Direction.InOut,
            Proto = 0, IcmpType = 0, IcmpCode = 0, IsIcmp6Type = false, Flags = 0, FlagsMask = 0, FlagsAny = false, Tos = null,
            From = Endpoint.Any, To = Endpoint.Any, RDomain = -1, RDomainNot = false, LabelTemplate = null,
            ExtrasKeyed = r.ExtrasKeyed.Select(NeverCompared).Where(e => e.Text != "scrub ()").ToArray(),
        };
        string text = RulePrinter.Format(rest, dialect) + "|" + r.InlineAnchor + "|" + r.Anchor?.Name;
        bool icmpReturn = r.Return is BlockReturn.Return or BlockReturn.ReturnIcmp or BlockReturn.ReturnIcmp6;
        return new OptKey(
            text, barrier, r.Af, r.Interface ?? "", r.InterfaceNot, r.Tagged, r.TaggedNot, r.Os,
            string.Join(",", so.Timeouts.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")),
            icmpReturn ? 3 << 8 | (r.ReturnIcmpCode ?? 3) : 0,
            icmpReturn ? 1 << 8 | (r.ReturnIcmp6Code ?? 4) : 0,
            r.Uid, r.Gid, r.Direction, r.Proto, r.IcmpType, r.IcmpCode, r.Flags, r.FlagsMask, r.Tos ?? 0,
            r.From.Port, r.To.Port, r.From.Address.Not, r.To.Address.Not, r.RDomain, r.RDomainNot,
            Plain(r.From.Address), Plain(r.To.Address));
    }

    /// <summary>pf_rule_desc marks max_mss, min_ttl and set_tos NEVER: pfctl leaves their values out of every comparison
    /// (whether tos is set stays in, through the scrub flags).</summary>
    private static (string Key, string Text) NeverCompared((string Key, string Text) extra) => extra.Key switch
    {
        "scrub" => (extra.Key, NeverFields().Replace(extra.Text, "")),
        "set:tos" => (extra.Key, "tos"),
        _ => extra,
    };

    [System.Text.RegularExpressions.GeneratedRegex(@"\s*\b(max-mss|min-ttl)\s+\d+")]
    private static partial System.Text.RegularExpressions.Regex NeverFields();

    /// <summary>The address without its negation (kept in SrcNeg/DstNeg), with 0/0 written as <c>any</c> as pf stores it.</summary>
    private static AddressMatch Plain(AddressMatch a)
    {
        if (IsZero(a)) return AddressMatch.AnyAddress;
        return a.Not ? a with { Not = false } : a;
    }

    /// <summary>pf's "any": an address/mask of all zeroes.</summary>
    public static bool IsZero(AddressMatch a) =>
        a.Kind == AddressKind.Any || (a.Kind == AddressKind.Network && a.Prefix == 0 && a.Address.Hi == 0 && a.Address.Lo == 0);

    /// <summary>rules_combineable: equal once both addresses are left out.</summary>
    public bool Combinable(in OptKey o) =>
        SrcPort == o.SrcPort && DstPort == o.DstPort && Proto == o.Proto && Af == o.Af && Direction == o.Direction &&
        Interface == o.Interface && InterfaceNot == o.InterfaceNot && Flags == o.Flags && FlagSet == o.FlagSet &&
        SrcNeg == o.SrcNeg && DstNeg == o.DstNeg && IcmpType == o.IcmpType && IcmpCode == o.IcmpCode && Tos == o.Tos &&
        Uid == o.Uid && Gid == o.Gid && RDomain == o.RDomain && RDomainNot == o.RDomainNot && ReturnIcmp == o.ReturnIcmp &&
        ReturnIcmp6 == o.ReturnIcmp6 && TaggedNot == o.TaggedNot && Barrier == o.Barrier && Tagged == o.Tagged && Os == o.Os &&
        Timeouts == o.Timeouts && Break == o.Break;

    /// <summary>addrs_combineable: both plain address/mask values (any included) with the same negation and port.</summary>
    public static bool AddressesCombinable(in OptKey a, in OptKey b, bool source)
    {
        var (x, y) = source ? (a.SrcAddr, b.SrcAddr) : (a.DstAddr, b.DstAddr);
        if (x.Kind is not (AddressKind.Network or AddressKind.Any) || y.Kind is not (AddressKind.Network or AddressKind.Any)) return false;
        // A table entry needs a family: an "any" of a rule without one cannot go into a table.
        if ((x.Kind == AddressKind.Any || y.Kind == AddressKind.Any) && a.Af == Af.Any) return false;
        return source
            ? a.SrcNeg == b.SrcNeg && a.SrcPort == b.SrcPort
            : a.DstNeg == b.DstNeg && a.DstPort == b.DstPort;
    }

    /// <summary>remove_identical_rules' test: <paramref name="sub"/> equals <paramref name="super"/> once exclude_supersets
    /// has set every field that <paramref name="super"/> leaves wider (no interface, in and out, no protocol, flags any,
    /// no port, any address or a shorter prefix, no family) to <paramref name="super"/>'s value. Field by field, cheapest
    /// and most telling first, without building the excluded copy: superblocks of thousands of rules compare every pair.</summary>
    public static bool Covered(in OptKey super, in OptKey sub)
    {
        if (!CoversAddress(super.SrcAddr, super.SrcNeg, super.Af, sub.SrcAddr, sub.SrcNeg, sub.Af)) return false;
        if (!CoversAddress(super.DstAddr, super.DstNeg, super.Af, sub.DstAddr, sub.DstNeg, sub.Af)) return false;
        if (!CoversPort(super.DstPort, sub.DstPort) || !CoversPort(super.SrcPort, sub.SrcPort)) return false;
        if (super.Proto != 0 && super.Proto != sub.Proto) return false;
        bool flagsWider = (super.Proto == 0 || super.Proto == sub.Proto) && super.Flags == 0 && super.FlagSet == 0;
        if (!flagsWider && (super.Flags != sub.Flags || super.FlagSet != sub.FlagSet)) return false;
        if (super.Direction != Direction.InOut && super.Direction != sub.Direction) return false;
        if (super.Interface.Length != 0 && super.Interface != sub.Interface) return false;
        if (super.Af != Af.Any && super.Af != sub.Af) return false;
        return super.SrcNeg == sub.SrcNeg && super.DstNeg == sub.DstNeg && super.InterfaceNot == sub.InterfaceNot &&
               super.IcmpType == sub.IcmpType && super.IcmpCode == sub.IcmpCode && super.Tos == sub.Tos &&
               super.Uid == sub.Uid && super.Gid == sub.Gid && super.RDomain == sub.RDomain && super.RDomainNot == sub.RDomainNot &&
               super.ReturnIcmp == sub.ReturnIcmp && super.ReturnIcmp6 == sub.ReturnIcmp6 && super.TaggedNot == sub.TaggedNot &&
               super.Barrier == sub.Barrier && super.Tagged == sub.Tagged && super.Os == sub.Os &&
               super.Timeouts == sub.Timeouts && super.Break == sub.Break;
    }

    private static bool CoversPort(PortMatch super, PortMatch sub) => super == sub || super == default;

    private static bool CoversAddress(AddressMatch super, bool superNeg, Af superAf, AddressMatch sub, bool subNeg, Af subAf) =>
        (IsZero(super) && !superNeg && !subNeg) || Covers(super, superNeg, superAf, sub, subNeg, subAf) || super == sub;

    /// <summary>A network strictly inside a shorter one of the same family and negation.</summary>
    private static bool Covers(AddressMatch super, bool superNeg, Af superAf, AddressMatch sub, bool subNeg, Af subAf) =>
        super.Kind == AddressKind.Network && sub.Kind == AddressKind.Network && superNeg == subNeg && superAf == subAf &&
        super.Prefix < sub.Prefix && super.Address.Family == sub.Address.Family &&
        sub.Address.Mask(super.Prefix) == super.Address;
}
