using PfSim.Packets;

namespace PfSim.Engine;

public sealed partial class Firewall
{
    private State? FindLive(in StateKey key, Direction dir, Interface itf, double now)
    {
        var s = States.Find(key, dir, itf.Id);
        if (s is not null && IsExpired(s, now))
        {
            RemoveState(s);
            s = States.Find(key, dir, itf.Id);
        }
        return s;
    }

    /// <summary>pf_test_state for TCP, UDP and other protocols.</summary>
    private StateOutcome TestState(ref PacketHeaders h, Span<byte> writable, Interface itf, Direction dir, double now, out State? st)
    {
        bool ports = h.HasPorts;
        var key = StateKey.ForPacket(dir, h.Src, ports ? h.SrcPort : (ushort)0, h.Dst, ports ? h.DstPort : (ushort)0, h.Proto);
        st = FindLive(key, dir, itf, now);
        if (st is null) return StateOutcome.NoState;
        bool forward = dir == st.Direction;
        ref var src = ref forward ? ref st.Src : ref st.Dst;
        ref var dst = ref forward ? ref st.Dst : ref st.Src;
        switch (h.Proto)
        {
            case IpProto.Tcp:
                if (st.Synproxy && st.Src.State is TcpState.ProxySrc or TcpState.ProxyDst) return Synproxy(ref h, st, dir, now);
                if ((h.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn && src.State >= TcpState.FinWait2 && dst.State >= TcpState.FinWait2)
                {
                    // State reuse: a new SYN on a closed connection unlinks the old state; the ruleset decides the SYN.
                    RemoveState(st);
                    st = null;
                    return StateOutcome.NoState;
                }
                if (st.Sloppy)
                {
                    TcpTracker.TrackSloppy(h, ref src, ref dst, st, now, out bool est);
                    return est && st.SrcNode is not null && SrcConnLimitExceeded(st, now) ? StateOutcome.SrcLimit : StateOutcome.Pass;
                }
                if (!TcpTracker.TrackFull(h, ref src, ref dst, st, now, NextRandom(), out uint seq, out uint ack, out bool established))
                    return StateOutcome.Drop;
                if (established && st.SrcNode is not null && SrcConnLimitExceeded(st, now)) return StateOutcome.SrcLimit;
                if ((seq != h.Seq || ack != h.Ack) && writable.Length > 0) PacketRewriter.SetSeqAck(writable, h, seq, ack);
                return StateOutcome.Pass;
            case IpProto.Udp:
                if (src.State < 1) src.State = 1;
                if (dst.State == 1) dst.State = 2;
                st.LastActivity = now;
                st.Timeout = src.State == 2 && dst.State == 2 ? PfTimeout.UdpMultiple : PfTimeout.UdpSingle;
                return StateOutcome.Pass;
            default:
                if (src.State < 1) src.State = 1;
                if (dst.State == 1) dst.State = 2;
                st.LastActivity = now;
                st.Timeout = src.State == 2 && dst.State == 2 ? PfTimeout.OtherMultiple : PfTimeout.OtherSingle;
                return StateOutcome.Pass;
        }
    }

    /// <summary>The ICMP key ports: OpenBSD (virtual id, virtual type) ordered by icmp_dir; classic FreeBSD the id on both sides.</summary>
    private void IcmpPorts(ReadOnlySpan<byte> p, in PacketHeaders h, out bool error, out Direction icmpDir, out ushort sport, out ushort dport, out ushort virtualType)
    {
        ushort ndId = h.Af == Af.Inet6 && h.IcmpType is 130 or 131 or 135 or 136 ? IcmpMapping.NdId(p, h.TransportOffset) : (ushort)0;
        error = IcmpMapping.Map(h.Af, h.IcmpType, h.IcmpId, ndId, out icmpDir, out ushort vid, out virtualType);
        if (!OpenBsd)
        {
            sport = dport = h.IcmpId;
            return;
        }
        if (icmpDir == Direction.In) { sport = vid; dport = virtualType; }
        else { sport = virtualType; dport = vid; }
    }

    /// <summary>pf_test_state_icmp: a query/reply looks up its own state; an error looks up the state of the packet it quotes.</summary>
    private StateOutcome TestStateIcmp(ReadOnlySpan<byte> p, ref PacketHeaders h, Interface itf, Direction dir, double now, ref Verdict v, out State? st)
    {
        IcmpPorts(p, h, out bool error, out var icmpDir, out ushort sport, out ushort dport, out _);
        if (!error)
        {
            var key = StateKey.ForPacket(dir, h.Src, sport, h.Dst, dport, h.Proto);
            st = FindLive(key, dir, itf, now);
            if (st is null) return StateOutcome.NoState;
            // OpenBSD: a message must flow in the direction of its role (request with the state, reply against it).
            if (OpenBsd && !st.Sloppy && ((st.Direction == dir) ? Direction.In : Direction.Out) != icmpDir)
                return StateOutcome.Drop;
            st.LastActivity = now;
            st.Timeout = PfTimeout.IcmpError;
            return StateOutcome.Pass;
        }

        st = null;
        v.Quoted = QuotedLookup.Unreadable;
        if (PacketDecoder.DecodeQuoted(p, h, out var inner) != DecodeStatus.Ok || inner.Af != h.Af) return StateOutcome.NoState;
        // ICMP errors never refer to later fragments.
        if (inner.IsLaterFragment || !inner.HasTransport && inner.Proto is IpProto.Tcp or IpProto.Udp or IpProto.Icmp or IpProto.Icmp6)
            return StateOutcome.NoState;
        // An error goes back to the sender of the packet it quotes: otherwise pf looks up no state (BAD ICMP, outer dst).
        if (inner.Src != h.Dst) { v.Quoted = QuotedLookup.WrongDestination; return StateOutcome.NoState; }

        // The quoted packet travelled the other way: its key is built with the slots reversed (pd2.sidx/didx).
        var innerDir = dir == Direction.In ? Direction.Out : Direction.In;
        StateKey ikey;
        Direction innerIcmpDir = Direction.In;
        switch (inner.Proto)
        {
            case IpProto.Tcp:
            case IpProto.Udp:
                ikey = StateKey.ForPacket(innerDir, inner.Src, inner.SrcPort, inner.Dst, inner.DstPort, inner.Proto);
                break;
            case IpProto.Icmp:
            case IpProto.Icmp6:
            {
                IcmpPorts(p, inner, out bool innerError, out innerIcmpDir, out ushort isport, out ushort idport, out _);
                // An error quoting an error has no state to belong to.
                if (innerError) { v.Quoted = QuotedLookup.NoState; return StateOutcome.NoState; }
                ikey = StateKey.ForPacket(innerDir, inner.Src, isport, inner.Dst, idport, inner.Proto);
                break;
            }
            default:
                ikey = StateKey.ForPacket(innerDir, inner.Src, 0, inner.Dst, 0, inner.Proto);
                break;
        }
        st = FindLive(ikey, dir, itf, now);
        if (st is null) { v.Quoted = QuotedLookup.NoState; return StateOutcome.NoState; }

        if (inner.Proto == IpProto.Tcp && !st.Sloppy)
        {
            // The quoted sequence number must lie in the window of the peer that sent the quoted segment.
            bool same = dir == st.Direction;
            ref var src = ref same ? ref st.Dst : ref st.Src;
            ref var dst = ref same ? ref st.Src : ref st.Dst;
            int dws = src.WScale != 0 && dst.WScale != 0 ? dst.WScale & TcpTracker.WScaleMask : 0;
            uint seq = inner.Seq - src.SeqDiff;
            if ((int)(src.SeqHi - seq) < 0 || (int)(seq - (src.SeqLo - ((uint)dst.MaxWin << dws))) < 0)
            {
                v.Quoted = QuotedLookup.Mismatch;
                return StateOutcome.Drop;
            }
        }
        else if (inner.IsIcmp && OpenBsd && !st.Sloppy && ((st.Direction != dir) ? Direction.In : Direction.Out) != innerIcmpDir)
        {
            v.Quoted = QuotedLookup.Mismatch;
            return StateOutcome.Drop;
        }
        v.Quoted = QuotedLookup.StateFound;
        return StateOutcome.Pass;
    }
}
