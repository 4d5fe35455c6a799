using PfSim.Rules;

namespace PfSim.Engine;

/// <summary>A source node (pf_src_node): what pf tracks per source address for max-src-* limits.</summary>
public sealed class SrcNode
{
    internal SrcNode(Address address, Rule? rule) { Address = address; Rule = rule; }

    public Address Address { get; }
    /// <summary>The rule tracking this source (source-track rule), or null (global).</summary>
    public Rule? Rule { get; }
    public uint States { get; internal set; }
    /// <summary>Completed TCP connections (max-src-conn).</summary>
    public uint Connections { get; internal set; }
    // pf_threshold of max-src-conn-rate, in pf's fixed point (PF_THRESHOLD_MULT).
    internal uint RateCount;
    internal double RateLast;
}

public sealed partial class Firewall
{
    private const uint ThresholdMult = 1000;
    private readonly Dictionary<SrcKey, SrcNode> _srcNodes = new();

    private readonly record struct SrcKey(Rule? Rule, Address Address)
    {
        public bool Equals(SrcKey o) => ReferenceEquals(Rule, o.Rule) && Address.Equals(o.Address);
        public override int GetHashCode() => Address.GetHashCode() ^ (Rule is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(Rule));
    }

    /// <summary>Source nodes currently tracked.</summary>
    public IReadOnlyCollection<SrcNode> SourceNodes => _srcNodes.Values;

    /// <summary>pf_insert_src_node: the node for this source, or false when max-src-nodes or max-src-states refuse it.</summary>
    private bool InsertSrcNode(Rule r, RuleCounters rc, in Address src, out SrcNode? node)
    {
        var so = r.StateOptions;
        node = null;
        if (so.SourceTrack == SourceTrack.None) return true;
        var key = new SrcKey(so.SourceTrack == SourceTrack.Rule ? r : null, src);
        if (!_srcNodes.TryGetValue(key, out node))
        {
            if (so.MaxSrcNodes > 0 && rc.SrcNodes >= so.MaxSrcNodes) return false;
            node = new SrcNode(src, key.Rule);
            _srcNodes.Add(key, node);
            rc.SrcNodes++;
            return true;
        }
        return so.MaxSrcStates == 0 || node.States < so.MaxSrcStates;
    }

    private void ReleaseSrcNode(State s)
    {
        var node = s.SrcNode;
        if (node is null) return;
        s.SrcNode = null;
        if (node.States > 0) node.States--;
        // With the default src.track timeout of 0 a node goes with its last state.
        if (node.States == 0 && _globalTimeouts[(int)PfTimeout.SrcTrack] == 0)
        {
            _srcNodes.Remove(new SrcKey(node.Rule, node.Address));
            var rc = s.Rule is null ? DefaultRuleCounters : Counters[s.Rule];
            if (rc.SrcNodes > 0) rc.SrcNodes--;
        }
    }

    /// <summary>
    /// pf_src_connlimit, when a tracked TCP connection completes its handshake: counts it, and past max-src-conn or
    /// max-src-conn-rate adds the source to the overload table, flushes its states if asked, and kills this state.
    /// </summary>
    private bool SrcConnLimitExceeded(State s, double now)
    {
        var node = s.SrcNode;
        var r = s.Rule;
        if (node is null || r is null) return false;
        var so = r.StateOptions;
        node.Connections++;
        if (so.MaxSrcConnRateSeconds > 0)
        {
            double diff = now - node.RateLast;
            if (diff >= so.MaxSrcConnRateSeconds) node.RateCount = 0;
            else node.RateCount -= (uint)(node.RateCount * diff / so.MaxSrcConnRateSeconds);
            node.RateCount += ThresholdMult;
            node.RateLast = now;
        }
        bool bad = (so.MaxSrcConn > 0 && so.MaxSrcConn < node.Connections)
                   || (so.MaxSrcConnRateCount > 0 && node.RateCount > so.MaxSrcConnRateCount * ThresholdMult);
        if (!bad) return false;
        if (so.OverloadTable is string name && Config.Main.FindTable(name) is Table t)
        {
            t.Entries.Add(new TableEntry(node.Address, node.Address.Bits, false));
            if (so.Flush)
            {
                foreach (var other in States.States)
                    if (other != s && SourceOf(other).Equals(node.Address) && (so.FlushGlobal || ReferenceEquals(other.Rule, r)))
                        RemoveState(other);
            }
        }
        s.Src.State = s.Dst.State = TcpState.Closed;
        RemoveState(s);
        return true;
    }

    /// <summary>The address that opened the state (the source of its first packet).</summary>
    private static Address SourceOf(State s) => s.Direction == Direction.In ? s.Wire.Addr0 : s.Stack.Addr1;
}
