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
    /// <summary>The wire key when its addresses do not fit the state's compact form (IPv6).</summary>
    public StateKey WideWire;
    public Rule[]? MatchRules;
    public string? Tag;
    public SrcNode? SrcNode;
    /// <summary>High 32 bits of the packet and byte counters (out, in, bytes out, bytes in) once one passes 4G.</summary>
    public uint[]? CounterHigh;
}

/// <summary>
/// A pf state: keys (wire and stack sides), the rule that created it, peers, timeout and counters.
/// Kept small (128 bytes for an IPv4 state) because a table holds millions: an IPv4 wire key is stored in 14 bytes,
/// the flags in one byte, counters in 32 bits each until they outgrow them, the interface name as an index; IPv6 keys and the stack key of a translated state live in
/// <see cref="StateExtras"/>.
/// </summary>
public sealed class State
{
    private const byte SloppyBit = 1, AllowOptsBit = 2, SynproxyBit = 4, IcmpTypedBit = 8, LogAllBit = 16,
        UnlinkedBit = 32, TranslatedBit = 64, WideWireBit = 128;

    internal StateOrigin? Origin;
    private StateExtras? _extras;
    public StatePeer Src;
    public StatePeer Dst;
    /// <summary>Time of creation and of the last packet (pf's expire field), in seconds.</summary>
    public double Creation;
    public double LastActivity;
    // Packet and byte counters (pf's u_int64 packets[2], bytes[2]): the low 32 bits here, the rest in the extras once a
    // counter passes 4G, which few states ever do.
    private uint _packetsOut, _packetsIn, _bytesOut, _bytesIn;
    // The compact wire key: the two 32-bit addresses, the ports, protocol and family.
    private ulong _wireAddrs;
    private uint _wirePorts;
    /// <summary>Interface the state is bound to (if-bound), or -1 (floating).</summary>
    public int InterfaceId = -1;
    internal uint Id;
    private int _createdOn;
    private byte _wireProto;
    private Af _wireAf;
    private byte _flags;
    public Direction Direction;
    public PfTimeout Timeout;

    /// <summary>The key packets on the wire match (inbound packets are looked up here).</summary>
    public StateKey Wire
    {
        get => (_flags & WideWireBit) != 0
            ? _extras!.WideWire
            : new StateKey(0, (uint)_wireAddrs, 0, _wireAddrs >> 32, _wirePorts, _wireProto, _wireAf);
        set
        {
            if (value.IsCompact)
            {
                _wireAddrs = value.A0Lo | value.A1Lo << 32;
                _wirePorts = value.Ports;
                _wireProto = value.Proto;
                _wireAf = value.Af;
                SetFlag(WideWireBit, false);
            }
            else
            {
                (_extras ??= new StateExtras()).WideWire = value;
                _wireProto = value.Proto;
                _wireAf = value.Af;
                SetFlag(WideWireBit, true);
            }
        }
    }

    /// <summary>Whether <paramref name="k"/> is this state's wire key, without building the key.</summary>
    internal bool WireEquals(in StateKey k) =>
        (_flags & WideWireBit) != 0
            ? _extras!.WideWire.Equals(k)
            : k.A0Lo == (uint)_wireAddrs && k.A1Lo == _wireAddrs >> 32 && k.Ports == _wirePorts
              && (k.A0Hi | k.A1Hi) == 0 && k.Proto == _wireProto && k.Af == _wireAf;

    /// <summary>Whether <paramref name="k"/> is this state's stack key.</summary>
    internal bool StackEquals(in StateKey k) => (_flags & TranslatedBit) != 0 ? _extras!.Stack.Equals(k) : WireEquals(k);

    /// <summary>The key the host's stack sees (outbound packets); equal to <see cref="Wire"/> without translation.</summary>
    public StateKey Stack
    {
        get => (_flags & TranslatedBit) != 0 ? _extras!.Stack : Wire;
        set
        {
            if (WireEquals(value)) { SetFlag(TranslatedBit, false); return; }
            (_extras ??= new StateExtras()).Stack = value;
            SetFlag(TranslatedBit, true);
        }
    }

    /// <summary>Interface the state was created on (printed by <c>pfctl -ss</c>).</summary>
    public string CreatedOn
    {
        get => InterfaceNames.Name(_createdOn);
        set => _createdOn = InterfaceNames.Index(value);
    }

    public ulong PacketsOut { get => Wide(_packetsOut, 0); set => _packetsOut = SetWide(0, value); }
    public ulong PacketsIn { get => Wide(_packetsIn, 1); set => _packetsIn = SetWide(1, value); }
    public ulong BytesOut { get => Wide(_bytesOut, 2); set => _bytesOut = SetWide(2, value); }
    public ulong BytesIn { get => Wide(_bytesIn, 3); set => _bytesIn = SetWide(3, value); }

    /// <summary>Counts a packet of <paramref name="bytes"/> bytes in the state's own direction (out) or the other (in).</summary>
    internal void CountPacket(bool sameDirection, int bytes)
    {
        if (sameDirection)
        {
            if (++_packetsOut == 0) Carry(0, 1);
            _bytesOut = Add(_bytesOut, bytes, 2);
        }
        else
        {
            if (++_packetsIn == 0) Carry(1, 1);
            _bytesIn = Add(_bytesIn, bytes, 3);
        }
    }

    private uint Add(uint low, int bytes, int counter)
    {
        ulong sum = low + (ulong)(uint)bytes;
        if (sum > uint.MaxValue) Carry(counter, (uint)(sum >> 32));
        return (uint)sum;
    }

    private void Carry(int counter, uint high) => ((_extras ??= new StateExtras()).CounterHigh ??= new uint[4])[counter] += high;

    private ulong Wide(uint low, int counter) => (ulong)(_extras?.CounterHigh?[counter] ?? 0) << 32 | low;

    private uint SetWide(int counter, ulong value)
    {
        if (value > uint.MaxValue || _extras?.CounterHigh is not null)
            ((_extras ??= new StateExtras()).CounterHigh ??= new uint[4])[counter] = (uint)(value >> 32);
        return (uint)value;
    }

    public bool Sloppy { get => (_flags & SloppyBit) != 0; set => SetFlag(SloppyBit, value); }
    public bool AllowOpts { get => (_flags & AllowOptsBit) != 0; set => SetFlag(AllowOptsBit, value); }
    public bool Synproxy { get => (_flags & SynproxyBit) != 0; set => SetFlag(SynproxyBit, value); }
    /// <summary>The creating rule named an icmp-type.</summary>
    public bool IcmpTyped { get => (_flags & IcmpTypedBit) != 0; set => SetFlag(IcmpTypedBit, value); }
    public bool LogAll { get => (_flags & LogAllBit) != 0; set => SetFlag(LogAllBit, value); }
    /// <summary>Set when the state was removed (expired, reused).</summary>
    public bool Unlinked { get => (_flags & UnlinkedBit) != 0; set => SetFlag(UnlinkedBit, value); }

    private void SetFlag(byte bit, bool on) => _flags = on ? (byte)(_flags | bit) : (byte)(_flags & ~bit);

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

    public byte Proto => _wireProto;
    public Af Af => _wireAf;
    public bool IsTranslated => (_flags & TranslatedBit) != 0;
}

/// <summary>Interface names states were created on, held once per process so a state stores an index (names are few).</summary>
internal static class InterfaceNames
{
    private static readonly Lock Gate = new();
    private static string[] _names = [""];
    private static readonly Dictionary<string, int> Indexes = new() { [""] = 0 };

    public static string Name(int index) => Volatile.Read(ref _names)[index];

    public static int Index(string name)
    {
        var names = Volatile.Read(ref _names);
        for (int k = 0; k < names.Length && k < 8; k++)
            if (ReferenceEquals(names[k], name)) return k; // the usual case: the interface's own name string
        lock (Gate)
        {
            if (Indexes.TryGetValue(name, out int i)) return i;
            i = _names.Length;
            var grown = new string[i + 1];
            _names.CopyTo(grown, 0);
            grown[i] = name;
            Volatile.Write(ref _names, grown);
            Indexes[name] = i;
            return i;
        }
    }
}
