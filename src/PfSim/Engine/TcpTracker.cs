using PfSim.Packets;

namespace PfSim.Engine;

/// <summary>
/// TCP state tracking: the sequence-window checks of pf_tcp_track_full (Guido van Rooij's algorithm) and the
/// flag-only tracking of pf_tcp_track_sloppy. Both update the peers and choose the state's timeout.
/// </summary>
internal static class TcpTracker
{
    public const byte WScaleFlag = 0x80;
    public const byte WScaleMask = 0x0F;
    private const int MaxAckWindow = 0xFFFF + 1500;

    private static bool SeqGeq(uint a, uint b) => (int)(a - b) >= 0;
    private static bool SeqGt(uint a, uint b) => (int)(a - b) > 0;

    /// <summary>pf_get_wscale as a peer stores it: the flag plus the shift, or 0 without the option.</summary>
    public static byte WScaleOf(in PacketHeaders h) => h.WindowScale >= 0 ? (byte)(WScaleFlag | h.WindowScale) : (byte)0;

    /// <summary>
    /// pf_tcp_track_full for a packet sent by <paramref name="src"/>. Returns false when the segment is outside the
    /// windows (state-mismatch). <paramref name="newSeq"/>/<paramref name="newAck"/> receive the sequence numbers to write (modulation).
    /// </summary>
    public static bool TrackFull(in PacketHeaders h, ref StatePeer src, ref StatePeer dst, State st, double now, ulong random,
        out uint newSeq, out uint newAck, out bool established)
    {
        established = false;
        var flags = h.TcpFlags;
        uint win = h.Win;
        int sws, dws;
        if (src.WScale != 0 && dst.WScale != 0 && (flags & TcpFlags.Syn) == 0)
        {
            sws = src.WScale & WScaleMask;
            dws = dst.WScale & WScaleMask;
        }
        else sws = dws = 0;

        uint seq = h.Seq, origSeq = h.Seq;
        uint ack, end, dataEnd;
        newSeq = h.Seq;
        newAck = h.Ack;
        if (src.SeqLo == 0)
        {
            // First packet from this end: set up its side.
            if (dst.SeqDiff != 0 && src.SeqDiff == 0)
            {
                // modulate state: a random ISS for the server side too.
                src.SeqDiff = (uint)random - seq;
                if (src.SeqDiff == 0) src.SeqDiff = 1;
                ack = h.Ack - dst.SeqDiff;
                newSeq = seq + src.SeqDiff;
                newAck = ack;
            }
            else ack = h.Ack;

            end = seq + (uint)h.PayloadLength;
            if ((flags & TcpFlags.Syn) != 0)
            {
                end++;
                if ((dst.WScale & WScaleFlag) != 0)
                {
                    src.WScale = WScaleOf(h);
                    if ((src.WScale & WScaleFlag) != 0)
                    {
                        // Remove the scale factor from the initial window.
                        sws = src.WScale & WScaleMask;
                        win = (win + (1u << sws) - 1) >> sws;
                        dws = dst.WScale & WScaleMask;
                    }
                    else
                    {
                        // The other side offered scaling, this one did not: unscale the other's window.
                        dst.MaxWin = (ushort)Math.Min(65535u, (uint)dst.MaxWin << (dst.WScale & WScaleMask));
                        dst.WScale = 0;
                    }
                }
            }
            dataEnd = end;
            if ((flags & TcpFlags.Fin) != 0) end++;

            src.SeqLo = seq;
            if (src.State < TcpState.SynSent) src.State = TcpState.SynSent;
            uint reach = end + Math.Max(1u, (uint)dst.MaxWin << dws);
            if (src.SeqHi == 1 || SeqGeq(reach, src.SeqHi)) src.SeqHi = reach;
            if (win > src.MaxWin) src.MaxWin = (ushort)Math.Min(win, 65535u);
        }
        else
        {
            ack = h.Ack - dst.SeqDiff;
            if (src.SeqDiff != 0)
            {
                newSeq = seq + src.SeqDiff;
                newAck = ack;
            }
            end = seq + (uint)h.PayloadLength;
            if ((flags & TcpFlags.Syn) != 0) end++;
            dataEnd = end;
            if ((flags & TcpFlags.Fin) != 0) end++;
        }

        if ((flags & TcpFlags.Ack) == 0)
            ack = dst.SeqLo; // let it pass the ack skew check
        else if ((ack == 0 && (flags & (TcpFlags.Ack | TcpFlags.Rst)) == (TcpFlags.Ack | TcpFlags.Rst)) || dst.State < TcpState.SynSent)
            ack = dst.SeqLo; // stacks that set no meaningful ack

        if (seq == end)
        {
            // Ease sequencing restrictions on packets without data.
            seq = src.SeqLo;
            dataEnd = end = seq;
        }

        int ackSkew = (int)(dst.SeqLo - ack);
        uint dstWin = (uint)dst.MaxWin << dws;
        if (SeqGeq(src.SeqHi, dataEnd)
            && SeqGeq(seq, src.SeqLo - dstWin)
            && ackSkew >= -MaxAckWindow
            && ackSkew <= (MaxAckWindow << sws)
            && ((flags & TcpFlags.Rst) == 0 || origSeq == src.SeqLo || origSeq == src.SeqLo + 1 || origSeq + 1 == src.SeqLo))
        {
            if (src.MaxWin < win) src.MaxWin = (ushort)Math.Min(win, 65535u);
            if (SeqGt(end, src.SeqLo)) src.SeqLo = end;
            uint scaled = win << sws;
            if (SeqGeq(ack + scaled, dst.SeqHi)) dst.SeqHi = ack + Math.Max(scaled, 1u);

            if ((flags & TcpFlags.Syn) != 0 && src.State < TcpState.SynSent) src.State = TcpState.SynSent;
            if ((flags & TcpFlags.Fin) != 0 && src.State < TcpState.Closing) src.State = TcpState.Closing;
            if ((flags & TcpFlags.Ack) != 0)
            {
                if (dst.State == TcpState.SynSent)
                {
                    dst.State = TcpState.Established;
                    established = src.State == TcpState.Established; // the handshake just completed (pf_src_connlimit)
                }
                else if (dst.State == TcpState.Closing) dst.State = TcpState.FinWait2;
            }
            if ((flags & TcpFlags.Rst) != 0) src.State = dst.State = TcpState.TimeWait;
            st.LastActivity = now;
            st.Timeout = TimeoutFor(src.State, dst.State);
            return true;
        }
        if ((dst.State < TcpState.SynSent || dst.State >= TcpState.FinWait2 || src.State >= TcpState.FinWait2)
            && SeqGeq(src.SeqHi + MaxAckWindow, dataEnd)
            && SeqGeq(seq, src.SeqLo - MaxAckWindow))
        {
            // Loose match: shotgunned SYNs, a connection picked up after establishment, funny packets after close.
            // The expiry is not refreshed, to limit what a flood can do.
            if (src.MaxWin < win) src.MaxWin = (ushort)Math.Min(win, 65535u);
            if (SeqGt(end, src.SeqLo)) src.SeqLo = end;
            uint scaled = win << sws;
            if (SeqGeq(ack + scaled, dst.SeqHi)) dst.SeqHi = ack + Math.Max(scaled, 1u);
            if ((flags & TcpFlags.Fin) != 0 && src.State < TcpState.Closing) src.State = TcpState.Closing;
            if ((flags & TcpFlags.Rst) != 0) src.State = dst.State = TcpState.TimeWait;
            return true;
        }
        if (st.Dst.State == TcpState.SynSent && st.Src.State == TcpState.SynSent)
        {
            // A mismatch during the handshake resets this side (pf also sends a RST).
            src.SeqLo = 0;
            src.SeqHi = 1;
            src.MaxWin = 1;
        }
        return false;
    }

    /// <summary>pf_tcp_track_sloppy: flags only, no sequence checks (<c>keep state (sloppy)</c>).</summary>
    public static void TrackSloppy(in PacketHeaders h, ref StatePeer src, ref StatePeer dst, State st, double now, out bool established)
    {
        established = false;
        var flags = h.TcpFlags;
        if ((flags & TcpFlags.Syn) != 0 && src.State < TcpState.SynSent) src.State = TcpState.SynSent;
        if ((flags & TcpFlags.Fin) != 0 && src.State < TcpState.Closing) src.State = TcpState.Closing;
        if ((flags & TcpFlags.Ack) != 0)
        {
            if (dst.State == TcpState.SynSent)
            {
                dst.State = TcpState.Established;
                established = src.State == TcpState.Established;
            }
            else if (dst.State == TcpState.Closing) dst.State = TcpState.FinWait2;
            else if (src.State == TcpState.SynSent && dst.State < TcpState.SynSent)
            {
                dst.State = src.State = TcpState.Established; // only one half of the connection is seen
                established = true;
            }
            else if (src.State == TcpState.Closing && dst.State == TcpState.Established && dst.SeqLo == 0)
                dst.State = TcpState.Closing; // half-seen close
        }
        if ((flags & TcpFlags.Rst) != 0) src.State = dst.State = TcpState.TimeWait;
        st.LastActivity = now;
        st.Timeout = TimeoutFor(src.State, dst.State);
    }

    /// <summary>The timeout slot for a pair of peer states, first rule that applies (as both trackers choose it).</summary>
    public static PfTimeout TimeoutFor(byte a, byte b)
    {
        if (a >= TcpState.FinWait2 && b >= TcpState.FinWait2) return PfTimeout.TcpClosed;
        if (a >= TcpState.Closing && b >= TcpState.Closing) return PfTimeout.TcpFinWait;
        if (a < TcpState.Established || b < TcpState.Established) return PfTimeout.TcpOpening;
        if (a >= TcpState.Closing || b >= TcpState.Closing) return PfTimeout.TcpClosing;
        return PfTimeout.TcpEstablished;
    }
}
