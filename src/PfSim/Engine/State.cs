using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>One side of a state (pf_state_peer): TCP sequence window and connection state, or the UDP/other pseudo-state.</summary>
public struct StatePeer
{
    public uint SeqLo;
    public uint SeqHi;
    /// <summary>Sequence number modulator of <c>modulate state</c> (0 = none).</summary>
    public uint SeqDiff;
    public ushort MaxWin;
    /// <summary>Window scale with pf's PF_WSCALE_FLAG (0x80) when the peer sent the option.</summary>
    public byte WScale;
    /// <summary>TCPS_* for TCP, PFUDPS_*/PFOTHERS_* (0 no traffic, 1 single, 2 multiple) otherwise.</summary>
    public byte State;
}

/// <summary>TCP peer states with pf's TCPS_* numbering, and pf's synproxy states.</summary>
public static class TcpState
{
    public const byte Closed = 0, Listen = 1, SynSent = 2, SynReceived = 3, Established = 4, CloseWait = 5,
        FinWait1 = 6, Closing = 7, LastAck = 8, FinWait2 = 9, TimeWait = 10;
    public const byte ProxySrc = 250, ProxyDst = 251;

    private static readonly string[] Names =
        ["CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "CLOSE_WAIT", "FIN_WAIT_1", "CLOSING", "LAST_ACK", "FIN_WAIT_2", "TIME_WAIT"];

    public static string Name(byte s) => s < Names.Length ? Names[s] : s == ProxySrc ? "PROXY:SRC" : s == ProxyDst ? "PROXY:DST" : s.ToString();
}

/// <summary>What created a state: the rule, its ruleset and anchor rule, and its timeouts (shared by that rule's states).</summary>
internal sealed class StateOrigin(Rule? rule, Ruleset? ruleset, Rule? anchorRule, uint[] timeouts, RuleCounters? counters = null)
{
    /// <summary>The creating rule's counters, so a state hit needs no lookup.</summary>
    public readonly RuleCounters? Counters = counters;
    public readonly Rule? Rule = rule;
    public readonly Ruleset? Ruleset = ruleset;
    public readonly Rule? AnchorRule = anchorRule;
    public readonly uint[] Timeouts = timeouts;
}

/// <summary>The rarely used parts of a state, allocated only when present.</summary>
internal sealed class StateExtras
{
    public StateKey Stack;
    public bool Translated;
    public Rule[]? MatchRules;
    public string? Tag;
    public SrcNode? SrcNode;
}

/// <summary>A pf state: keys (wire and stack sides), the rule that created it, peers, timeout and counters.</summary>
public sealed class State
{
    /// <summary>The key packets on the wire match (inbound packets are looked up here).</summary>
    public StateKey Wire;
    internal StateOrigin? Origin;
    private StateExtras? _extras;
    /// <summary>Interface the state was created on (printed by <c>pfctl -ss</c>).</summary>
    public string CreatedOn = "";
    public StatePeer Src;
    public StatePeer Dst;
    /// <summary>Time of creation and of the last packet (pf's expire field), in seconds.</summary>
    public double Creation;
    public double LastActivity;
    public ulong PacketsOut, PacketsIn, BytesOut, BytesIn;
    /// <summary>Interface the state is bound to (if-bound), or -1 (floating).</summary>
    public int InterfaceId = -1;
    internal uint Id;
    public Direction Direction;
    public PfTimeout Timeout;
    public bool Sloppy;
    public bool AllowOpts;
    public bool Synproxy;
    /// <summary>The creating rule named an icmp-type.</summary>
    public bool IcmpTyped;
    public bool LogAll;
    /// <summary>Set when the state was removed (expired, reused).</summary>
    public bool Unlinked;

    /// <summary>The key the host's stack sees (outbound packets); equal to <see cref="Wire"/> without translation.</summary>
    public StateKey Stack
    {
        get => _extras is { Translated: true } e ? e.Stack : Wire;
        set
        {
            if (value.Equals(Wire)) { if (_extras is not null) _extras.Translated = false; return; }
            (_extras ??= new StateExtras()).Stack = value;
            _extras.Translated = true;
        }
    }

    /// <summary>The rule that created the state; null for the default rule (FreeBSD creates states for translated packets even then).</summary>
    public Rule? Rule => Origin?.Rule;
    public Ruleset? Ruleset => Origin?.Ruleset;
    public Rule? AnchorRule => Origin?.AnchorRule;
    internal uint[] Timeouts => Origin?.Timeouts ?? [];

    /// <summary>OpenBSD match rules that matched when the state was created; their actions apply to its packets.</summary>
    public Rule[]? MatchRules
    {
        get => _extras?.MatchRules;
        set { if (value is not null || _extras is not null) (_extras ??= new StateExtras()).MatchRules = value; }
    }

    public string? Tag
    {
        get => _extras?.Tag;
        set { if (value is not null || _extras is not null) (_extras ??= new StateExtras()).Tag = value; }
    }

    /// <summary>The source node tracking this state (max-src-*), or null.</summary>
    public SrcNode? SrcNode
    {
        get => _extras?.SrcNode;
        internal set { if (value is not null || _extras is not null) (_extras ??= new StateExtras()).SrcNode = value; }
    }

    public byte Proto => Wire.Proto;
    public Af Af => Wire.Af;
    public bool IsTranslated => _extras is { Translated: true };
}
