namespace PfSim.Engine;

/// <summary>pf's state timeout slots (PFTM_*), in pfvar.h order.</summary>
public enum PfTimeout : byte
{
    TcpFirst, TcpOpening, TcpEstablished, TcpClosing, TcpFinWait, TcpClosed,
    UdpFirst, UdpSingle, UdpMultiple,
    IcmpFirst, IcmpError,
    OtherFirst, OtherSingle, OtherMultiple,
    Frag, Interval, AdaptiveStart, AdaptiveEnd, SrcTrack,
    Purge,
}

public static class PfTimeoutNames
{
    /// <summary>pf.conf names of the slots (<c>set timeout tcp.first 60</c>).</summary>
    public static readonly string[] Names =
    [
        "tcp.first", "tcp.opening", "tcp.established", "tcp.closing", "tcp.finwait", "tcp.closed",
        "udp.first", "udp.single", "udp.multiple",
        "icmp.first", "icmp.error",
        "other.first", "other.single", "other.multiple",
        "frag", "interval", "adaptive.start", "adaptive.end", "src.track",
    ];

    public static string Name(this PfTimeout t) => (int)t < Names.Length ? Names[(int)t] : "purge";
}
