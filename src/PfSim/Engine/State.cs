using System.Runtime.CompilerServices;
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
    /// <summary>The state's origin: the extras take the origin's place in the state, so the state keeps one reference.</summary>
    public StateOrigin? Origin;
    public StateKey Stack;
    /// <summary>The wire key when its addresses do not fit the state's compact form (IPv6).</summary>
    public StateKey WideWire;
    public Rule[]? MatchRules;
    public string? Tag;
    public SrcNode? SrcNode;
    /// <summary>The interface name when the process has seen more names than the state's 16-bit index holds.</summary>
    public string? CreatedOn;
    /// <summary>High 32 bits of the packet and byte counters (out, in, bytes out, bytes in) once one passes 4G.</summary>
    public uint[]? CounterHigh;
}

/// <summary>
/// A pf state: keys (wire and stack sides), the rule that created it, peers, timeout and counters.
/// Kept small (112 bytes for an IPv4 state, object header included) because a table holds millions: one reference for
/// the origin or, when present, the extras that hold it; an IPv4 wire key in 14 bytes; counters in 32 bits each until
/// they outgrow them; interface id and name index in 16 bits; direction and family in one byte. IPv6 keys, the stack
/// key of a translated state and the other rarely used parts live in <see cref="StateExtras"/>.
/// </summary>
public sealed class State
{
    private const byte SloppyBit = 1, AllowOptsBit = 2, SynproxyBit = 4, IcmpTypedBit = 8, LogAllBit = 16,
        UnlinkedBit = 32, TranslatedBit = 64, WideWireBit = 128;
    private const ushort NameInExtras = ushort.MaxValue;

    // The StateOrigin, or the StateExtras holding it (one reference instead of two).
    private object? _originOrExtras;
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
    internal uint Id;
    private short _interfaceId = -1;
    private ushort _createdOn;
    private byte _wireProto;
    private byte _flags;
    // Direction in the low 4 bits, the wire key's family in the high 4 (both enums are below 16).
    private byte _dirAf;
    public PfTimeout Timeout;

    internal StateOrigin? Origin
    {
        get => _originOrExtras is StateExtras e ? e.Origin : Unsafe.As<StateOrigin?>(_originOrExtras);
        set
        {
            if (_originOrExtras is StateExtras e) e.Origin = value;
            else _originOrExtras = value;
        }
    }

    private StateExtras? ExtrasOrNull => _originOrExtras as StateExtras;

    private StateExtras Extras
    {
        get
        {
            if (_originOrExtras is StateExtras e) return e;
            e = new StateExtras { Origin = Unsafe.As<StateOrigin?>(_originOrExtras) };
            _originOrExtras = e;
            return e;
        }
    }

    /// <summary>Interface the state is bound to (if-bound), or -1 (floating).</summary>
    public int InterfaceId
    {
        get => _interfaceId;
        set => _interfaceId = value is >= -1 and <= short.MaxValue
            ? (short)value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "a state binds to one of at most 32767 interfaces");
    }

    /// <summary>The direction of the packet that created the state.</summary>
    public Direction Direction
    {
        get => (Direction)(_dirAf & 0xF);
        set => _dirAf = (byte)((_dirAf & 0xF0) | ((byte)value & 0xF));
    }

    /// <summary>The key packets on the wire match (inbound packets are looked up here).</summary>
    public StateKey Wire
    {
        get => (_flags & WideWireBit) != 0
            ? ExtrasOrNull!.WideWire
            : new StateKey(0, (uint)_wireAddrs, 0, _wireAddrs >> 32, _wirePorts, _wireProto, Af);
        set
        {
            if (value.IsCompact)
            {
                _wireAddrs = value.A0Lo | value.A1Lo << 32;
                _wirePorts = value.Ports;
                _wireProto = value.Proto;
                SetAf(value.Af);
                SetFlag(WideWireBit, false);
            }
            else
            {
                Extras.WideWire = value;
                _wireProto = value.Proto;
                SetAf(value.Af);
                SetFlag(WideWireBit, true);
            }
        }
    }

    /// <summary>Whether <paramref name="k"/> is this state's wire key, without building the key.</summary>
    internal bool WireEquals(in StateKey k) =>
        (_flags & WideWireBit) != 0
            ? ExtrasOrNull!.WideWire.Equals(k)
            : k.A0Lo == (uint)_wireAddrs && k.A1Lo == _wireAddrs >> 32 && k.Ports == _wirePorts
              && (k.A0Hi | k.A1Hi) == 0 && k.Proto == _wireProto && k.Af == Af;

    private void SetAf(Af af) => _dirAf = (byte)((_dirAf & 0x0F) | (byte)af << 4);

    /// <summary>Whether <paramref name="k"/> is this state's stack key.</summary>
    internal bool StackEquals(in StateKey k) => (_flags & TranslatedBit) != 0 ? ExtrasOrNull!.Stack.Equals(k) : WireEquals(k);

    /// <summary>The key the host's stack sees (outbound packets); equal to <see cref="Wire"/> without translation.</summary>
    public StateKey Stack
    {
        get => (_flags & TranslatedBit) != 0 ? ExtrasOrNull!.Stack : Wire;
        set
        {
            if (WireEquals(value)) { SetFlag(TranslatedBit, false); return; }
            Extras.Stack = value;
            SetFlag(TranslatedBit, true);
        }
    }

    /// <summary>Interface the state was created on (printed by <c>pfctl -ss</c>).</summary>
    public string CreatedOn
    {
        get => _createdOn == NameInExtras ? ExtrasOrNull!.CreatedOn! : InterfaceNames.Name(_createdOn);
        set
        {
            int i = InterfaceNames.Index(value);
            if (i < NameInExtras) { _createdOn = (ushort)i; return; }
            Extras.CreatedOn = value;
            _createdOn = NameInExtras;
        }
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

    private void Carry(int counter, uint high) => (Extras.CounterHigh ??= new uint[4])[counter] += high;

    private ulong Wide(uint low, int counter) => (ulong)(ExtrasOrNull?.CounterHigh?[counter] ?? 0) << 32 | low;

    private uint SetWide(int counter, ulong value)
    {
        if (value > uint.MaxValue || ExtrasOrNull?.CounterHigh is not null)
            (Extras.CounterHigh ??= new uint[4])[counter] = (uint)(value >> 32);
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
        get => ExtrasOrNull?.MatchRules;
        set { if (value is not null || _originOrExtras is StateExtras) Extras.MatchRules = value; }
    }

    public string? Tag
    {
        get => ExtrasOrNull?.Tag;
        set { if (value is not null || _originOrExtras is StateExtras) Extras.Tag = value; }
    }

    /// <summary>The source node tracking this state (max-src-*), or null.</summary>
    public SrcNode? SrcNode
    {
        get => ExtrasOrNull?.SrcNode;
        internal set { if (value is not null || _originOrExtras is StateExtras) Extras.SrcNode = value; }
    }

    public byte Proto => _wireProto;
    public Af Af => (Af)(_dirAf >> 4);
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
