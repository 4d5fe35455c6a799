using PfSim.Packets;

namespace PfSim.Engine;

public sealed partial class Firewall
{
    // What pf sent while running the proxied handshake for the packet just tested (reported as the verdict's Return).
    private ReturnKind _proxySent;

    /// <summary>
    /// pf_synproxy: pf answered the client's SYN itself (peer state PROXY:SRC). The client's retransmitted SYN gets the
    /// SYN|ACK again; its ACK (seq and ack exactly one past the SYN and pf's ISN) moves the state to PROXY:DST and makes pf
    /// send its own SYN to the server; the server's SYN|ACK (acking that ISN) makes pf ACK both sides, set the sequence
    /// modulators that splice the two handshakes, and mark both peers ESTABLISHED. Every one of these packets is consumed
    /// (PF_SYNPROXY_DROP); anything else is dropped with reason synproxy.
    /// </summary>
    private StateOutcome Synproxy(ref PacketHeaders h, State st, Direction dir, double now)
    {
        _proxySent = ReturnKind.None;
        var f = h.TcpFlags;
        bool fromClient = dir == st.Direction;
        if (st.Src.State == TcpState.ProxySrc)
        {
            if (!fromClient) return StateOutcome.Synproxy;
            if ((f & TcpFlags.Syn) != 0)
            {
                if (h.Seq != st.Src.SeqLo) return StateOutcome.SynproxyReject;
                _proxySent = ReturnKind.SynAck;
                return StateOutcome.Synproxy;
            }
            if ((f & (TcpFlags.Ack | TcpFlags.Rst | TcpFlags.Fin)) != TcpFlags.Ack || h.Ack != st.Src.SeqHi + 1 || h.Seq != st.Src.SeqLo + 1)
                return StateOutcome.SynproxyReject;
            if (st.SrcNode is not null && SrcConnLimitExceeded(st, now)) return StateOutcome.SrcLimit;
            st.Src.State = TcpState.ProxyDst;
        }
        if (st.Src.State != TcpState.ProxyDst) return StateOutcome.Pass;
        if (fromClient)
        {
            if ((f & (TcpFlags.Syn | TcpFlags.Ack)) != TcpFlags.Ack || h.Ack != st.Src.SeqHi + 1 || h.Seq != st.Src.SeqLo + 1)
                return StateOutcome.SynproxyReject;
            st.Src.MaxWin = Math.Max(h.Win, (ushort)1);
            if (st.Dst.SeqHi == 1) st.Dst.SeqHi = (uint)NextRandom();
            _proxySent = ReturnKind.ProxySyn;
            return StateOutcome.Synproxy;
        }
        if ((f & (TcpFlags.Syn | TcpFlags.Ack)) != (TcpFlags.Syn | TcpFlags.Ack) || h.Ack != st.Dst.SeqHi + 1)
            return StateOutcome.SynproxyReject;
        st.Dst.MaxWin = Math.Max(h.Win, (ushort)1);
        st.Dst.SeqLo = h.Seq;
        st.Src.SeqDiff = st.Dst.SeqHi - st.Src.SeqLo;
        st.Dst.SeqDiff = st.Src.SeqHi - st.Dst.SeqLo;
        st.Src.SeqHi = st.Src.SeqLo + st.Dst.MaxWin;
        st.Dst.SeqHi = st.Dst.SeqLo + st.Src.MaxWin;
        st.Src.WScale = st.Dst.WScale = 0;
        st.Src.State = st.Dst.State = TcpState.Established;
        _proxySent = ReturnKind.ProxyAcks;
        return StateOutcome.Synproxy;
    }
}
