using PfSim.Packets;
using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>What the ruleset is asked about one packet: the packet, where it is, and what pf derived from it.</summary>
public ref struct RuleQuery
{
    /// <summary>The decoded packet, by reference: the query is built once per evaluated packet, and a copy of the
    /// headers (136 bytes) there cost more than the rest of a small ruleset's walk.</summary>
    public ref readonly PacketHeaders Packet;
    public Interface Interface;
    public Direction Direction;
    /// <summary>Source/destination as translated so far (pd->nsaddr/ndaddr; the packet's own without translation).</summary>
    public Address Src, Dst;
    public ushort SrcPort, DstPort;
    /// <summary>The packet is an ICMP error (pf's state_icmp).</summary>
    public bool IcmpError;
    /// <summary>pf_icmp_mapping's icmp_dir: In for requests and unpaired types, Out for replies.</summary>
    public Direction IcmpDirection;
    /// <summary>The packet counts as a fragment without transport header (PF_VPROTO_FRAGMENT).</summary>
    public bool Fragment;
    /// <summary>The tag carried in (from an earlier pass) or null.</summary>
    public string? Tag;
    public uint Uid, Gid;
    public string? ReceivedOn;
    /// <summary>Applies a rule's nat-to/rdr-to/binat-to to <see cref="Src"/>/<see cref="Dst"/> and the ports; set by the firewall.</summary>
    public ITranslator? Translator;
    /// <summary>A translation was applied (by a match rule, the deciding rule, or a FreeBSD nat/rdr/binat rule).</summary>
    public bool Translated;
    /// <summary>The rule whose translation applies last.</summary>
    public Rule? NatRule;
}

/// <summary>Applies a rule's translation to the packet being evaluated (pf_get_transaddr); OpenBSD match rules translate at once.</summary>
public interface ITranslator
{
    /// <summary>False when no address or port could be found (pf drops with reason translate).</summary>
    bool Translate(Rule rule, ref RuleQuery query);
}

/// <summary>The result of evaluating the ruleset for one packet.</summary>
public struct RuleMatch
{
    /// <summary>Last matching pass/block rule, or null (default rule).</summary>
    public Rule? Rule;
    public Ruleset? Ruleset;
    public Rule? AnchorRule;
    /// <summary>The tag after evaluation (sticky: set by any matching rule with <c>tag</c>).</summary>
    public string? Tag;
    /// <summary>A matching rule asked for logging of matches, or a match rule had <c>log</c>.</summary>
    public bool LogMatch;
    /// <summary>A match rule's translation found no free address/port: pf drops the packet (reason translate).</summary>
    public bool TranslationFailed;
}

/// <summary>Why a rule did not match (the first failing criterion in pf_match_rule's order), or that it matched.</summary>
public enum Criterion : byte
{
    Matched = 0,
    Interface, Direction, RDomain, Af, Proto, Src, Dst,
    FragmentPorts, Flags, Os, SrcPort, DstPort, User, Group,
    IcmpType, IcmpCode, IcmpReplyKeepState,
    FragmentKeyword, Tos, Probability, Tagged, ReceivedOn, Prio,
}

/// <summary>Receives every rule the evaluator tests (only when an explanation is wanted).</summary>
public interface IRuleTrace
{
    void Tested(Rule rule, Ruleset ruleset, Criterion result);
}

/// <summary>
/// The seam between the firewall and a ruleset evaluator: evaluate the ruleset for this packet and say the deciding rule,
/// its anchor, the tag, and the match rules that applied. The reference evaluator mirrors pf.c; a compiled one must equal it.
/// </summary>
public interface IRulesetEvaluator
{
    /// <param name="query">The packet and what pf derived from it.</param>
    /// <param name="matchRules">Cleared by the caller; receives the match rules that matched, in order.</param>
    /// <param name="trace">Null unless an explanation is wanted.</param>
    RuleMatch Evaluate(ref RuleQuery query, List<Rule> matchRules, IRuleTrace? trace);
}
